"""Contest pages: landing, registration, the attempt page, results, ceremony screen, organiser
pages. They read through contest.selectors and write through contest.services, like the API."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from contest import leaderboards, selectors, services
from contest.apis import set_participant_cookie
from contest.models import Contest, Round
from contest.services.registration import (
    participant_for_request,
    participant_id_from_token,
    participant_token,
)
from contest.services.results import participation_by_unit
from quizzes.errors import ApplicationError
from quizzes.models import Quiz


def _contest(request, slug) -> Contest:
    try:
        return selectors.contest_get(slug=slug, user=request.user)
    except ApplicationError:
        raise Http404 from None


def _round(contest, round_id) -> Round:
    round_ = contest.rounds.filter(pk=round_id).first()
    if round_ is None:
        raise Http404
    return round_


def contest_list(request):
    now = timezone.now()
    contests = [selectors.contest_public(c, now) for c in selectors.contest_list()]
    return render(request, "frontend_contests/list.html", {"contests": contests})


def contest_landing(request, slug):
    contest = _contest(request, slug)
    participant = participant_for_request(request, contest, allow_cookie=True)
    data = selectors.contest_public(contest)
    rounds = list(contest.rounds.all())
    next_round = next((r for r in data["rounds"] if r["state"] != "closed"), None)
    return render(
        request,
        "frontend_contests/landing.html",
        {
            "contest": contest,
            "data": data,
            "round_items": list(zip(rounds, data["rounds"], strict=True)),
            "participant": participant,
            "next_round": next_round,
            "attempts": selectors.participant_summary(participant)["attempts"]
            if participant
            else [],
        },
    )


def register_page(request, slug):
    contest = _contest(request, slug)
    participant = participant_for_request(request, contest, allow_cookie=True)
    return render(
        request, "frontend_contests/register.html", {"contest": contest, "participant": participant}
    )


def resume(request, slug, token):
    """The signed resume link: remembers the participant in this browser."""
    contest = _contest(request, slug)
    pid = participant_id_from_token(token)
    if pid is None or not contest.participants.filter(pk=pid).exists():
        raise Http404
    response = redirect("contest-landing", slug=contest.slug)
    set_participant_cookie(response, contest, token, secure=request.is_secure())
    return response


def attempt_page(request, slug, round_id):
    contest = _contest(request, slug)
    round_ = _round(contest, round_id)
    participant = participant_for_request(request, contest, allow_cookie=True)
    if participant is None:
        messages.info(request, _("Please register for this contest first."))
        return redirect("contest-register-page", slug=contest.slug)
    return render(
        request,
        "frontend_contests/attempt.html",
        {
            "contest": contest,
            "round": round_,
            "participant": participant,
            "token": participant_token(participant),
        },
    )


def results_page(request, slug, round_id):
    contest = _contest(request, slug)
    round_ = _round(contest, round_id)
    services.round_finalize_if_due(round_)
    closed = round_.is_closed()
    participant = participant_for_request(request, contest, allow_cookie=True)
    level = request.GET.get("level", "school")
    if level not in leaderboards.UNIT_FIELDS:
        level = "school"
    # Organisers see the live standing; everyone else the public one (frozen, hidden).
    public = not selectors.is_contest_staff(request.user)
    scope = leaderboards.round_scope(round_, public=public)
    rows = (
        selectors.round_results(round_=round_, user=None)
        if closed
        else leaderboards.top(scope, 100)
    )
    me = leaderboards.my_rank(scope, participant.pk) if participant else None
    units = leaderboards.unit_board(contest=contest, round_=round_, level=level, public=public)
    method = leaderboards.unit_method(contest, round_, None, public=public)
    return render(
        request,
        "frontend_contests/results.html",
        {
            "contest": contest,
            "round": round_,
            "closed": closed,
            "rows": rows[:500],
            "me": me,
            "units": units[:50],
            "board": leaderboards.board_state(scope)["board"],
            "public_board": leaderboards.public_state(round_),
            "total": leaderboards.size(scope) if scope.hidden else len(rows),
            "level": level,
            "levels": leaderboards.UNIT_FIELDS.keys(),
            "method_label": Contest.Aggregation(method).label,
        },
    )


def screen_page(request, slug, round_id):
    contest = _contest(request, slug)
    round_ = _round(contest, round_id)
    return render(request, "frontend_contests/screen.html", {"contest": contest, "round": round_})


# --- Organiser pages -----------------------------------------------------------------------------


def _organiser(request) -> bool:
    return selectors.is_contest_staff(request.user)


def _dt(value: str) -> datetime | None:
    parsed = parse_datetime(value or "")
    if parsed and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def organise_index(request):
    if not _organiser(request):
        return HttpResponseForbidden(_("Only organisers can do this."))
    if request.method == "POST":
        try:
            contest = services.contest_create(
                actor=request.user,
                slug=request.POST.get("slug", ""),
                title_vi=request.POST.get("title_vi", ""),
                title_en=request.POST.get("title_en", ""),
                rules_vi=request.POST.get("rules_vi", ""),
                rules_en=request.POST.get("rules_en", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        except Exception as exc:  # model validation
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Contest created."))
            return redirect("contest-organise", slug=contest.slug)
    contests = selectors.contest_list(include_unpublished=True)
    return render(request, "frontend_contests/organise_index.html", {"contests": contests})


def organise_contest(request, slug):
    if not _organiser(request):
        return HttpResponseForbidden(_("Only organisers can do this."))
    contest = _contest(request, slug)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            _organise_action(request, contest, action)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect(request.get_full_path())
    rounds = list(contest.rounds.all())
    selected = next(
        (r for r in rounds if str(r.pk) == request.GET.get("round")), rounds[0] if rounds else None
    )
    participation = (
        participation_by_unit(round_=selected, level=request.GET.get("level", "school"))
        if selected
        else []
    )
    peak = max([p["registered"] for p in participation] or [1]) or 1
    for p in participation:
        p["reg_pct"] = round(100 * p["registered"] / peak)
        p["att_pct"] = round(100 * p["attempted"] / peak)
        p["done_pct"] = round(100 * p["completed"] / peak)
    questions = []
    if selected and selected.quiz_id:
        questions = [item.question for item in selected.quiz.items.select_related("question")]
    return render(
        request,
        "frontend_contests/organise_contest.html",
        {
            "contest": contest,
            "rounds": rounds,
            "selected": selected,
            "participation": participation,
            "audit": contest.audit.select_related("actor", "round")[:100],
            "quizzes": Quiz.objects.all()[:200],
            "questions": questions,
            "aggregations": Contest.Aggregation.choices,
            "counting": Round.Counting.choices,
            "kinds": Round.Kind.choices,
            "registered": contest.participants.count(),
        },
    )


def _organise_action(request, contest: Contest, action: str | None) -> None:
    post = request.POST
    if action == "round_create":
        quiz_id = post.get("quiz") or None
        services.round_create(
            contest=contest,
            actor=request.user,
            title_vi=post.get("title_vi", ""),
            title_en=post.get("title_en", ""),
            kind=post.get("kind", "self_paced"),
            opens_at=_dt(post.get("opens_at")),
            closes_at=_dt(post.get("closes_at")),
            time_limit_seconds=int(post.get("time_limit_seconds") or 900),
            max_attempts=int(post.get("max_attempts") or 0),
            counting=post.get("counting", "best"),
            quiz_id=int(quiz_id) if quiz_id else None,
            prediction_text_vi=post.get("prediction_text_vi", ""),
            prediction_text_en=post.get("prediction_text_en", ""),
            weight=float(post.get("weight") or 1),
            freeze_hours=int(post.get("freeze_hours") or 0),
            scores_while_open=post.get("scores_while_open") == "on",
        )
        messages.success(request, _("Round created."))
    elif action == "contest_update":
        services.contest_update(
            contest=contest,
            actor=request.user,
            unit_aggregation=post.get("unit_aggregation"),
            aggregation_top_n=int(post.get("aggregation_top_n") or 10),
            is_published=post.get("is_published") == "on",
        )
        messages.success(request, _("Contest settings saved."))
    elif action in ("void", "fix_key"):
        round_ = _round(contest, post.get("round"))
        question_id = int(post.get("question") or 0)
        if action == "void":
            entry = services.question_void(
                round_=round_,
                question_id=question_id,
                actor=request.user,
                reason=post.get("reason", ""),
            )
        else:
            entry = services.answer_key_fix(
                round_=round_,
                question_id=question_id,
                actor=request.user,
                correct=post.getlist("correct"),
                reason=post.get("reason", ""),
            )
        messages.success(request, entry.summary)
    elif action == "close_now":
        round_ = _round(contest, post.get("round"))
        services.round_finalize(round_=round_)
        messages.success(request, _("Results computed."))
