"""Server-rendered pages. Pages fetch data through the same services and selectors as the API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.error_handler import json_404, json_500


class RoleLoginView(LoginView):
    """The log-in page; without a ?next= page, each role lands where it works."""

    def get_default_redirect_url(self):
        from frontend.access import landing_for

        return landing_for(self.request.user)


def home(request):
    return render(request, "frontend/home.html")


@login_required
def job_page(request, job_id: int):
    """A background job's progress, error and result; the page polls the job API."""
    from django.http import Http404

    from core.errors import NotFoundError
    from quizzes.background.selectors import job_get_for_user, job_public

    try:
        job = job_get_for_user(job_id=job_id, user=request.user)
    except NotFoundError:
        raise Http404 from None
    return render(
        request,
        "frontend/job.html",
        {"job_id": job.pk, "kind_label": job_public(job)["kind_label"]},
    )


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return json_404(request, exception)
    return render(request, "frontend/error.html", {"title": _("Page not found")}, status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return json_500(request)
    return render(request, "frontend/error.html", {"title": _("Something went wrong")}, status=500)
