"""Account pages: log in (with optional SSO buttons), password reset (Django's own views, our
look), accepting a teacher invitation, and the organiser's teacher accounts page."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import ratelimit
from core.errors import ApplicationError
from core.middleware import content_security_policy
from core.roles import is_organiser
from frontend.views import RoleLoginView
from quizzes.services import accounts
from quizzes.services.sso import sso_form_origins, sso_providers

T = "frontend/accounts/"


class LoginView(RoleLoginView):
    """The log-in page (each role lands where it works), with the SSO buttons when configured."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, sso_providers=sso_providers())

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        origins = sso_form_origins()
        if origins:
            # The SSO buttons post here and are redirected to the provider: allow that target.
            response.headers["Content-Security-Policy"] = content_security_policy(
                self.request
            ).replace("form-action 'self'", "form-action 'self' " + " ".join(origins))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        if settings.RATE_LIMITS_ENABLED:
            window = ratelimit.Rate.parse(settings.RATE_LIMIT_PASSWORD_RESET)
            sent, _reset_in = ratelimit.count("password_reset", email, window)
            if sent > window.amount:
                # Nobody mail-bombs an address; the page says the same as always (no probing).
                return HttpResponseRedirect(self.get_success_url())
        # Links point at PUBLIC_BASE_URL when set (behind a proxy), like invitations and QR codes.
        self.extra_email_context = {"site_name": settings.SITE_NAME}
        base = urlsplit(settings.PUBLIC_BASE_URL) if settings.PUBLIC_BASE_URL else None
        if base and base.netloc:
            self.extra_email_context.update(domain=base.netloc, protocol=base.scheme or "https")
        return super().form_valid(form)


password_reset = PasswordResetView.as_view(
    template_name=T + "password_reset_form.html",
    email_template_name=T + "password_reset_email.txt",
    subject_template_name=T + "password_reset_subject.txt",
    success_url=reverse_lazy("password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name=T + "password_reset_done.html"
)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        accounts.email_mark_verified(self.user)
        return response


password_reset_confirm = PasswordResetConfirmView.as_view(
    template_name=T + "password_reset_confirm.html",
    success_url=reverse_lazy("password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name=T + "password_reset_complete.html"
)


def invite_accept(request, token):
    """A teacher sets the first password of the account an organiser made, then is logged in."""
    try:
        user = accounts.invite_user_get(token=token)
    except ApplicationError as exc:
        return render(request, T + "invite.html", {"error": exc.message}, status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.invite_accept(token=token, password=form.cleaned_data["new_password1"])
        except ApplicationError as exc:
            return render(request, T + "invite.html", {"error": exc.message}, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your password is set and you are logged in."))
        return redirect("home")
    return render(request, T + "invite.html", {"form": form, "invited": user})


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def organise_teachers(request):
    """Invite one teacher, or check then create many from a CSV file."""
    if not is_organiser(request.user):
        return HttpResponseForbidden(_("Only organisers can do this."))
    context: dict = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invite":
                result = accounts.teacher_invite(
                    actor=request.user,
                    email=request.POST.get("email", ""),
                    full_name=request.POST.get("full_name", ""),
                    school_code=request.POST.get("school_code", ""),
                    base_url=_base_url(request),
                )
                level = messages.success if result.outcome == accounts.CREATED else messages.info
                level(request, result.message)
                return redirect("organise-teachers")
            if action == "preview":
                upload = request.FILES.get("file")
                if upload is None:
                    raise ApplicationError("no_file", _("Choose a CSV file first."))
                # Read one byte past the limit: the service refuses an oversized file by its size.
                content = upload.read(settings.ACCOUNT_CSV_MAX_BYTES + 1)
                report = accounts.teachers_import_csv(
                    actor=request.user, content=content, commit=False, base_url=_base_url(request)
                )
                context.update(
                    report=report,
                    report_new=report.count(accounts.NEW),
                    report_existing=report.count(accounts.EXISTS),
                    report_errors=report.count(accounts.ERROR),
                    csv_text=content.decode("utf-8-sig"),
                )
            elif action == "create":
                content = request.POST.get("csv_text", "").encode()
                report = accounts.teachers_import_csv(
                    actor=request.user, content=content, commit=True, base_url=_base_url(request)
                )
                messages.success(request, _created_message(report))
                return redirect("organise-teachers")
        except ApplicationError as exc:
            messages.error(request, exc.message)
            if action == "invite":
                return redirect("organise-teachers")
    context["accounts"] = accounts.teacher_accounts_list(actor=request.user)
    context["max_rows"] = settings.ACCOUNT_CSV_MAX_ROWS
    return render(request, T + "organise_teachers.html", context)


def _created_message(report) -> str:
    parts = [
        ngettext(
            "%(count)s teacher account created and invited.",
            "%(count)s teacher accounts created and invited.",
            report.created,
        )
        % {"count": report.created}
    ]
    existing = report.count(accounts.EXISTS)
    if existing:
        parts.append(
            ngettext(
                "%(count)s already had an account (skipped).",
                "%(count)s already had an account (skipped).",
                existing,
            )
            % {"count": existing}
        )
    errors = report.count(accounts.ERROR)
    if errors:
        parts.append(
            ngettext(
                "%(count)s row with errors was skipped.",
                "%(count)s rows with errors were skipped.",
                errors,
            )
            % {"count": errors}
        )
    return " ".join(parts)
