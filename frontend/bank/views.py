"""Teacher pages of the question bank. Lists are rendered from the same selectors as the API;
every change (save, submit, publish, reorder) is a fetch() to the REST API, so each rule lives
once, in quizzes/services."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.errors import NotFoundError
from quizzes.filters import CappedCountPaginator, filters_from_params
from quizzes.limits import editor_limits
from quizzes.models import Question, QuestionType, Theme
from quizzes.permissions import can_review_question, can_use_bank
from quizzes.selectors import question_get, question_list, quiz_get, quiz_list, review_queue

PAGE_SIZE = 20
EXPORT_FORMATS = (("json", "JSON"), ("xlsx", "Excel"), ("gift", "GIFT"))


def teacher_required(view):
    """Anonymous visitors go to the log-in page; signed-in non-teachers get a 403 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_use_bank(request.user):
            return render(
                request,
                "frontend/error.html",
                {"title": _("Only teachers may use the question bank.")},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


def _choices_context() -> dict:
    return {
        "themes": Theme.objects.order_by("slug"),
        "types": QuestionType.choices,
        "statuses": Question.Status.choices,
        "visibilities": Question.Visibility.choices,
        "difficulties": range(1, 6),
    }


@teacher_required
def bank_list(request):
    """The bank: search box, filters, pagination, bulk actions, import/export links."""
    filters = filters_from_params(request.GET)
    page = CappedCountPaginator(
        question_list(user=request.user, filters=filters), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "frontend_bank/list.html",
        {
            **_choices_context(),
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "export_formats": EXPORT_FORMATS,
            "can_review": can_review_question(request.user),
        },
    )


@teacher_required
def question_editor(request, pk: int | None = None):
    """The editor: Vietnamese and English side by side, with live phone and screen previews."""
    try:
        question = question_get(user=request.user, pk=pk) if pk else None
    except NotFoundError:
        raise Http404 from None
    return render(
        request,
        "frontend_bank/editor.html",
        {
            **_choices_context(),
            "question": question,
            "points_choices": (0, 1, 2),
            "limits": editor_limits(),
        },
    )


@teacher_required
def review_page(request):
    """The review queue: reviewers publish questions or send them back with a note."""
    if not can_review_question(request.user):
        return render(
            request,
            "frontend/error.html",
            {"title": _("Only reviewers may review questions.")},
            status=403,
        )
    return render(
        request,
        "frontend_bank/review.html",
        {"questions": review_queue(user=request.user), "limits": editor_limits()},
    )


@teacher_required
def quiz_list_page(request):
    quizzes = Paginator(quiz_list(user=request.user, q=request.GET.get("q", "").strip()), 30)
    return render(
        request,
        "frontend_bank/quizzes.html",
        {"page": quizzes.get_page(request.GET.get("page")), "q": request.GET.get("q", "")},
    )


@teacher_required
def quiz_builder(request, pk: int):
    """The quiz builder: drag (or move with buttons) items, override time/points, draw rules."""
    try:
        quiz = quiz_get(user=request.user, pk=pk)
    except NotFoundError:
        raise Http404 from None
    return render(request, "frontend_bank/quiz_builder.html", {**_choices_context(), "quiz": quiz})
