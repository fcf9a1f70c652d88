"""Contest reads: what pages and the API show. No correctness leaves before a round closes."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from contest import boards, ranking
from contest.access import (
    contest_staff_required,
    is_contest_staff,
)
from contest.models import (
    Answer,
    Attempt,
    Contest,
    Correction,
    Participant,
    Round,
    RoundResult,
)
from contest.services.attempts import option_secret, paper_option_ids
from contest.services.marking import effective_keys
from contest.services.results import MSG_NOT_LIVE, round_paper_question_counts
from contest.shared_keys import (
    MSG_KEYS_IN_USE,
    MSG_SCORES_WITHHELD,
    question_keys_hidden_from,
    scores_withheld_until,
)
from core.errors import ApplicationError, ForbiddenError, NotFoundError
from core.queries import one_or_none
from core.timestamps import epoch_ms
from quizzes.grading import correct_response, grade
from quizzes.limits import QUESTION_TEXT_MAX, clip
from quizzes.models import Question
from quizzes.options import opaque_ids, to_opaque_response

MSG_ROUND_QUIZ = gettext_lazy("This live round uses another quiz.")


def contest_staff_list(*, contest: Contest) -> list[dict[str, Any]]:
    """Who runs this contest (usernames only)."""
    return [
        {"id": pk, "username": username}
        for pk, username in contest.staff.order_by("username").values_list("id", "username")
    ]


def live_round_for_game(*, round_id: int, user, quiz=None) -> Round:
    """The live round a new game may be tied to: 404 if `user` cannot see it, 403 unless they
    are its contest's staff, 400 unless it is a live round (of this quiz, when it names one)."""
    round_ = round_get(round_id=round_id, user=user)
    contest_staff_required(user=user, contest=round_.contest)
    if round_.kind != Round.Kind.LIVE:
        raise ApplicationError("not_live", MSG_NOT_LIVE)
    if quiz is not None and round_.quiz_id and round_.quiz_id != quiz.pk:
        raise ApplicationError("wrong_quiz", MSG_ROUND_QUIZ)
    return round_


def contest_list(*, user=None):
    """Published contests, and the unpublished ones `user` is staff of."""
    qs = Contest.objects.prefetch_related("rounds")
    if getattr(user, "is_superuser", False):
        return qs
    if getattr(user, "is_authenticated", False):
        return qs.filter(Q(is_published=True) | Q(staff=user)).distinct()
    return qs.filter(is_published=True)


def contest_list_staffed(*, user):
    """The contests `user` runs (every contest for a superuser): the organiser pages."""
    qs = Contest.objects.prefetch_related("rounds")
    if getattr(user, "is_superuser", False):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(staff=user)


def contest_get(*, slug: str, user=None) -> Contest:
    contest = Contest.objects.filter(slug=slug).first()
    if contest is None or (not contest.is_published and not is_contest_staff(user, contest)):
        raise NotFoundError("not_found", _("Not found."))
    return contest


def round_get(*, round_id: int, user=None) -> Round:
    round_ = one_or_none(Round.objects.select_related("contest").filter(pk=round_id))
    if round_ is None or (
        not round_.contest.is_published and not is_contest_staff(user, round_.contest)
    ):
        raise NotFoundError("not_found", _("Not found."))
    return round_


# Every process keeps a copy of the rounds that hot public reads (leaderboards, my rank) ask
# for: a round changes a handful of times in a week and is read thousands of times a second.
# A copy is used while the round's row version (boards.round_versions, bumped on every save
# of the round or its contest: apps.py) is unchanged, and at most ROUND_COPY_SECONDS (a safety
# net for writes that bypass save(), such as QuerySet.update()).
ROUND_COPY_SECONDS = 5.0
_ROUND_COPIES: dict[int, tuple[int, float, Round]] = {}


def round_copy(round_id: int, row_version: int) -> Round | None:
    """This process's copy of a round if it is still current (same row version, young enough);
    None otherwise. For the ASGI fast path (contest/fastpath.py), which never queries."""
    copy = _ROUND_COPIES.get(round_id)
    if copy is None or copy[0] != row_version or time.monotonic() - copy[1] >= ROUND_COPY_SECONDS:
        return None
    return copy[2]


def round_get_published(*, round_id: int) -> tuple[Round, int]:
    """A published round (with its contest) for hot public reads (boards, my rank) and a
    participant's start through the fast path (contest/attempt_fastpath.py), and its board
    version. Shared by the threads of a process: callers never change it.

    One Redis round trip when the process already has the round; the database otherwise.
    Without Redis (embedded defaults) there is nothing to share versions with: always the database.
    """
    if boards.redis_client() is None:
        round_ = one_or_none(Round.objects.select_related("contest").filter(pk=round_id))
        board = boards.board_version(round_id)
    else:
        row_version, board = boards.round_versions(round_id)
        now = time.monotonic()
        copy = _ROUND_COPIES.get(round_id)
        if copy is not None and copy[0] == row_version and now - copy[1] < ROUND_COPY_SECONDS:
            round_ = copy[2]
        else:
            round_ = one_or_none(Round.objects.select_related("contest").filter(pk=round_id))
            if round_ is not None:
                if len(_ROUND_COPIES) > 1000:
                    _ROUND_COPIES.clear()
                _ROUND_COPIES[round_id] = (row_version, now, round_)
    if round_ is None or not round_.contest.is_published:
        raise NotFoundError("not_found", _("Not found."))
    return round_, board


def round_state(round_: Round, now=None) -> str:
    now = now or timezone.now()
    if now < round_.opens_at:
        return "upcoming"
    if now < round_.closes_at:
        return "open"
    return "closed"


def round_public(round_: Round, now=None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "id": round_.pk,
        "position": round_.position,
        "title": round_.title_in(),
        "kind": round_.kind,
        "state": round_state(round_, now),
        "opens_at": round_.opens_at.isoformat(),
        "closes_at": round_.closes_at.isoformat(),
        "time_limit_seconds": round_.time_limit_seconds,
        "max_attempts": round_.max_attempts,
        "counting": round_.counting,
        "weight": round_.weight,
        "has_prediction": round_.has_prediction,
        "prediction_question": round_.prediction_in() if round_.has_prediction else "",
        "prediction_actual": round_.prediction_actual if round_.finalized_at else None,
        "frozen": boards.public_state(round_, now) == "frozen",
        "freeze_hours": round_.freeze_hours,
        "freeze_starts_at": round_.freeze_at.isoformat() if round_.freeze_hours else None,
        "scores_while_open": round_.scores_while_open,
        "scores_hidden": round_.scores_hidden(now),
        "final": round_.finalized_at is not None,
        # Closed, final results being computed by the round_finalize job.
        "closing": round_.needs_finalizing(now),
        "results_held": round_.results_held,
        # Another round still to close may ask its questions: no scores until then.
        "scores_withheld_until": _iso(scores_withheld_until(round_, now)),
        "qualifier_only": bool(round_.qualifier_from_id),
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def contest_public(contest: Contest, now=None) -> dict[str, Any]:
    now = now or timezone.now()
    rounds = list(contest.rounds.all())
    return {
        "slug": contest.slug,
        "title": contest.title_in(),
        "description": contest.description_in(),
        "rules": contest.rules_in(),
        "opens_at": min((r.opens_at for r in rounds), default=None),
        "closes_at": max((r.closes_at for r in rounds), default=None),
        "server_now": now.isoformat(),
        "rounds": [round_public(r, now) for r in rounds],
        "participants": contest.participants.count(),
    }


def contest_feed(*, contest: Contest, level: str = "school", n: int = 10) -> dict[str, Any]:
    """The broadcast feed of a contest (overlays, TV graphics: docs/broadcast.md): only what the
    public sees, so the frozen and hidden rules of `boards.public_state` apply."""
    scope = boards.contest_scope(contest, public=True)
    units = boards.unit_board(contest=contest, round_=None, level=level, public=True)
    return {
        "contest": {"slug": contest.slug, "title": contest.title_in()},
        "server_now": timezone.now().isoformat(),
        "top": {
            **boards.board_state(scope),
            "rows": boards.top(scope, n),
            "total": boards.size(scope),
        },
        "units": {
            "level": level,
            "method": boards.unit_method(contest, None, None, public=True),
            "rows": units[:n],
        },
        "participation": {
            "registered": contest.participants.count(),
            "on_board": boards.size(scope),
        },
    }


# --- The paper, as the participant sees it -----------------------------------------------------

_CONTENT: OrderedDict[tuple[int, str], dict] = OrderedDict()


def _question_content(question_ids: list[int], language: str) -> dict[int, dict]:
    missing = [pk for pk in question_ids if (pk, language) not in _CONTENT]
    if missing:
        for q in Question.objects.filter(pk__in=missing).prefetch_related("choices"):
            _CONTENT[(q.pk, language)] = {
                "id": q.pk,
                "type": q.type,
                "text": clip(q.text_in(language), QUESTION_TEXT_MAX),  # older rows may be longer
                "image": q.image.url if q.image else "",
                "choices": {c.pk: c.text_in(language) for c in q.choices.all()},
            }
        while len(_CONTENT) > 10000:
            _CONTENT.popitem(last=False)
    return {pk: _CONTENT[(pk, language)] for pk in question_ids if (pk, language) in _CONTENT}


def attempt_state(attempt: Attempt, *, language: str | None = None, now=None) -> dict[str, Any]:
    """Everything a participant needs to (re)open an attempt: the questions in their order with
    options in their shuffled order under the attempt's opaque ids, the saved answers (in those
    ids) and the time left. No answer key."""
    now = now or timezone.now()
    language = (language or get_language() or "vi")[:2]
    content = _question_content([item["q"] for item in attempt.paper], language)
    saved = (
        {}
        if attempt.no_answers_yet  # just started (services.attempt_start)
        else dict(attempt.answers.values_list("question_id", "response"))
    )
    secret = option_secret(attempt.pk, attempt.seed)
    questions = []
    for index, item in enumerate(attempt.paper, start=1):
        c = content.get(item["q"])
        if c is None:
            continue
        to_opaque = opaque_ids(secret, item["o"])
        questions.append(
            {
                "id": c["id"],
                "number": index,
                "type": c["type"],
                "text": c["text"],
                "image": c["image"],
                "weight": item["w"],
                "choices": [
                    {"id": to_opaque[str(cid)], "text": c["choices"].get(cid, "")}
                    for cid in item["o"]
                ],
                "saved": to_opaque_response(saved.get(c["id"]), to_opaque),
            }
        )
    round_ = attempt.round
    return {
        "id": attempt.pk,
        "round": round_.pk,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": attempt.started_at.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "server_now": now.isoformat(),
        "time_left_ms": attempt.time_left_ms(now) if attempt.status == Attempt.Status.OPEN else 0,
        "questions": questions,
        "answered": len(saved),
        "prediction": attempt.prediction,
        "prediction_question": round_.prediction_in() if round_.has_prediction else "",
    }


def attempt_get(*, attempt_id: int, participant: Participant) -> Attempt:
    attempt = (
        Attempt.objects.select_related("round__contest")
        .filter(pk=attempt_id, participant=participant)
        .first()
    )
    if attempt is None:
        raise NotFoundError("not_found", _("Not found."))
    return attempt


def _require_closed(round_: Round, user) -> None:
    if not round_.is_closed() and not is_contest_staff(user, round_.contest):
        raise ForbiddenError(
            "results_secret", _("Answers and detailed results are published when the round closes.")
        )


MSG_RESULTS_HELD = gettext_lazy("Results are announced at the award ceremony.")


def _require_released(round_: Round, user) -> None:
    """Detailed results wait for the award ceremony that holds them (Round.results_held), and
    for every other round that may ask the same questions to close (scores_withheld_until)."""
    if is_contest_staff(user, round_.contest):
        return
    if scores_withheld_until(round_) is not None:
        raise ForbiddenError("scores_withheld", MSG_SCORES_WITHHELD)
    if round_.results_held:
        raise ForbiddenError("results_held", MSG_RESULTS_HELD)


def attempt_review(*, attempt: Attempt, user=None, language: str | None = None) -> dict[str, Any]:
    """Per-question correctness of an attempt: 403 for non-staff until the round closes, and
    while a round still to close may ask its questions (question_keys_hidden_from)."""
    round_ = attempt.round
    _require_closed(round_, user)
    attempt.refresh_from_db()
    # The round's own staff see these keys anyway (its corrections list).
    if not is_contest_staff(user, round_.contest) and question_keys_hidden_from(
        question_ids=[item["q"] for item in attempt.paper], user=user, besides=round_
    ):
        raise ForbiddenError("keys_in_use", MSG_KEYS_IN_USE)
    state = attempt_state(attempt, language=language)
    keys = effective_keys(round_, [item["q"] for item in attempt.paper])
    answers = {a.question_id: a for a in Answer.objects.filter(attempt=attempt)}
    option_ids = paper_option_ids(attempt)
    for q in state["questions"]:
        key = keys.get(q["id"])
        answer = answers.get(q["id"])
        q["voided"] = key is None
        q["fraction"] = None if key is None else grade(key, answer.response if answer else None)
        q["points"] = answer.points if answer else 0
        q["correct"] = (
            to_opaque_response(correct_response(key), option_ids.get(q["id"], {})) if key else None
        )
    state.update(
        score=attempt.score,
        max_score=attempt.max_score,
        correct_count=attempt.correct_count,
        time_ms=attempt.time_ms,
    )
    return state


def round_correction_questions(
    round_: Round, *, language: str | None = None
) -> list[dict[str, Any]]:
    """Every question that appeared in any paper of the round (fixed or drawn), most used first,
    with its text and options in the page's language, how many papers had it and whether it is
    voided or has a fixed key: the organiser's Corrections list."""
    language = (language or get_language() or "vi")[:2]

    counts = round_paper_question_counts(round_)
    kinds: dict[int, set[str]] = {}
    for qid, kind in Correction.objects.filter(round=round_).values_list("question_id", "kind"):
        kinds.setdefault(qid, set()).add(kind)
    questions = Question.objects.filter(pk__in=counts).prefetch_related("choices")
    rows: list[dict[str, Any]] = [
        {
            "question": q,
            "text": q.text_in(language),
            "choices": [(c.pk, c.text_in(language), c.weight >= 1) for c in q.choices.all()],
            "papers": counts[q.pk],
            "voided": Correction.Kind.VOID in kinds.get(q.pk, ()),
            "key_fixed": Correction.Kind.KEY in kinds.get(q.pk, ()),
        }
        for q in questions
    ]
    rows.sort(key=lambda row: (-row["papers"], row["question"].pk))
    return rows


def _provisional_ranks(round_: Round) -> dict[int, int]:
    """Result id -> rank on the live board's chain (no prediction: its actual number is known
    at the close), over the whole round, for a round whose final ranks are not computed yet."""
    chain = boards.round_scope(round_, public=False).chain
    rows = [
        {
            "id": pk,
            "score": score,
            "time_ms": time_ms,
            "submitted_ms": epoch_ms(submitted),
            "prediction": None,
        }
        for pk, score, time_ms, submitted in RoundResult.objects.filter(round=round_).values_list(
            "pk", "score", "time_ms", "submitted_at"
        )
    ]
    return {row["id"]: row["rank"] for row in ranking.rank_rows(rows, chain)}


def round_results(*, round_: Round, user=None, unit_id: int | None = None) -> list[dict[str, Any]]:
    """The full scoreboard (prediction, time, submission): 403 for non-staff before the close.
    Staff see full names and contacts; others see masked names. Before the final ranks are
    computed, ranks are provisional (the live board's order) and say so."""
    return _round_results(round_=round_, user=user, unit_id=unit_id)[0]


def round_results_page(
    *, round_: Round, user=None, unit_id: int | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """One page of round_results (in rank order) and how many rows there are in all."""
    return _round_results(round_=round_, user=user, unit_id=unit_id, window=(offset, limit))


def _round_results(
    *, round_: Round, user, unit_id: int | None, window: tuple[int, int] | None = None
) -> tuple[list[dict[str, Any]], int]:
    _require_closed(round_, user)
    _require_released(round_, user)
    staff = is_contest_staff(user, round_.contest)
    provisional = _provisional_ranks(round_) if round_.finalized_at is None else None
    qs = (
        RoundResult.objects.filter(round=round_)
        .select_related(
            "participant__school",
            "participant__class_unit",
            "participant__district",
            "participant__province",
            "unit",
        )
        .order_by("rank", "id")
    )
    if unit_id:
        qs = qs.filter(
            Q(participant__school_id=unit_id)
            | Q(participant__class_unit_id=unit_id)
            | Q(participant__district_id=unit_id)
            | Q(participant__province_id=unit_id)
            | Q(unit_id=unit_id)
        )
    total = None
    if window is not None and provisional is None:
        total = qs.count()
        offset, limit = window
        qs = qs[offset : offset + limit]
    results = list(qs)
    attempt_rows = Attempt.objects.filter(round=round_)
    if window is not None:
        attempt_rows = attempt_rows.filter(
            participant_id__in=[r.participant_id for r in results if r.participant_id]
        )
    attempts: dict[int | None, int] = dict(
        attempt_rows.values("participant_id")
        .annotate(n=Count("pk"))
        .values_list("participant_id", "n")
    )
    actual = round_.prediction_actual
    rows = []
    for r in results:
        p = r.participant
        row = {
            "rank": provisional.get(r.pk) if provisional is not None else r.rank,
            "rank_status": "provisional" if provisional is not None else "final",
            "name": (p.full_name if staff else p.public_name) if p else r.nickname,
            "public_name": p.public_name if p else r.nickname,
            "class": p.class_unit.name if p and p.class_unit else "",
            "school": p.school.name if p else (r.unit.name if r.unit else ""),
            "district": p.district.name if p else "",
            "province": p.province.name if p else "",
            "score": r.score,
            "max_score": r.max_score,
            "time_ms": r.time_ms,
            "time_s": round(r.time_ms / 1000, 1),
            "submitted_at": timezone.localtime(r.submitted_at).isoformat()
            if r.submitted_at
            else "",
            "prediction": r.prediction,
            "prediction_error": None
            if r.prediction is None or actual is None
            else abs(r.prediction - actual),
            "attempts": attempts.get(r.participant_id, 0) if p else 0,
        }
        if staff and p:
            row.update(
                date_of_birth=p.date_of_birth.isoformat() if p.date_of_birth else "",
                email=p.email,
                phone=p.phone,
                participant_id=p.pk,
            )
        rows.append(row)
    if provisional is not None:
        # Provisional ranks are not in the table: order (and page) them here. Only the
        # contest's staff see results before the close.
        rows.sort(key=lambda row: row["rank"] or 0)
        if window is not None:
            total = len(rows)
            offset, limit = window
            rows = rows[offset : offset + limit]
    return rows, len(rows) if total is None else total


def participant_summary(participant: Participant) -> dict[str, Any]:
    attempts = Attempt.objects.filter(participant=participant).order_by("round_id", "number")
    return {
        "id": participant.pk,
        "public_name": participant.public_name,
        "full_name": participant.full_name,
        "school": participant.school.name,
        "attempts": [
            {
                "id": a.pk,
                "round": a.round_id,
                "number": a.number,
                "status": a.status,
                "deadline": a.deadline.isoformat(),
                "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
            }
            for a in attempts
        ],
    }


def certificate_get(*, code: str):
    """The certificate with this verification code (any case, dashes allowed), or None."""
    from contest.models import Certificate
    from contest.services.certificates import certificate_code_normalize

    code = certificate_code_normalize(code)
    if not code:
        return None
    return (
        Certificate.objects.select_related(
            "round__contest", "participant__school", "participant__district"
        )
        .filter(code=code)
        .first()
    )
