"""Rounds: create and configure them (audited), finalize a closed round on first need, seed a
final's qualifiers. The top of the contest services (marking <- attempts <- results <- rounds).

`round_finalize_if_due` is the one finalizing rule. It runs on the job queue (the
`round_finalize` job, queued for `closes_at` when a round is saved, see `round_close_schedule`),
never inside a reader's request: readers call `round_close_ensure` (queue the job if none is on
its way) and show what is there, marked not final. Things that need final results and run as
jobs or staff actions (exports, certificates, ceremonies) call `round_finalize_if_due` themselves.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from contest import boards, ranking
from contest.models import Contest, Round, RoundResult
from contest.services.contests import _audit, _jsonable
from contest.services.results import _finalize_books, audit, round_recompute
from core.errors import ApplicationError, NotFoundError
from quizzes.selectors import quiz_get

ROUND_FINALIZE = "round_finalize"

MSG_NOT_FINAL_YET = gettext_lazy(
    "The round has closed and its final results are being computed. Try again in a moment."
)

MSG_BAD_WINDOW = gettext_lazy("A round must close after it opens.")
MSG_ROUND_FINAL = gettext_lazy(
    "This round's final results and answers are published: it cannot be reopened. "
    "Create a new round instead."
)
MSG_BAD_CHAIN = gettext_lazy(
    "The ranking chain may use score, prediction, time and submitted, each once."
)
MSG_QUIZ_UNKNOWN = gettext_lazy("This quiz does not exist or you cannot see it.")
MSG_ROUND_IN_USE = gettext_lazy(
    "Papers or results of this round exist already: its quiz and kind can no longer change. Make "
    "a new round instead."
)

ROUND_FIELDS = (
    "title_vi",
    "title_en",
    "kind",
    "opens_at",
    "closes_at",
    "time_limit_seconds",
    "max_attempts",
    "counting",
    "quiz",
    "quiz_id",
    "shuffle_options",
    "shuffle_questions",
    "weight",
    "prediction_text_vi",
    "prediction_text_en",
    "ranking_chain",
    "freeze_hours",
    "scores_while_open",
    "qualifier_from",
    "qualifier_top_n",
    "live_game_id",
    "position",
)


def _check_quiz(round_: Round, actor) -> None:
    """A round's quiz must be one its author may see in the bank (the bank's own rule)."""
    if actor is None or not round_.quiz_id:
        return
    try:
        quiz_get(user=actor, pk=round_.quiz_id)
    except NotFoundError:
        raise ApplicationError(
            "invalid", MSG_QUIZ_UNKNOWN, {"quiz_id": str(MSG_QUIZ_UNKNOWN)}
        ) from None


def _check_round(round_: Round) -> None:
    if round_.opens_at and round_.closes_at and round_.closes_at <= round_.opens_at:
        raise ApplicationError("invalid", MSG_BAD_WINDOW, {"closes_at": str(MSG_BAD_WINDOW)})
    try:
        ranking.validate_chain(round_.ranking_chain)
    except ranking.InvalidChain:
        raise ApplicationError(
            "invalid", MSG_BAD_CHAIN, {"ranking_chain": str(MSG_BAD_CHAIN)}
        ) from None


@transaction.atomic
def round_create(*, contest: Contest, actor=None, **fields) -> Round:
    if "position" not in fields:
        fields["position"] = contest.rounds.count() + 1
    round_ = Round(contest=contest, **{k: v for k, v in fields.items() if k in ROUND_FIELDS})
    _check_round(round_)
    _check_quiz(round_, actor)
    round_.save()
    round_close_schedule(round_)
    _audit(
        contest,
        round_,
        actor,
        "round_create",
        _("Round created: %(title)s.") % {"title": round_.title_vi},
        _jsonable(fields),
    )
    return round_


@transaction.atomic
def _round_in_use(round_: Round) -> bool:
    return round_.attempts.exists() or round_.results.exists()


def round_update(*, round_: Round, actor=None, **fields) -> Round:
    changes = {k: v for k, v in fields.items() if k in ROUND_FIELDS and getattr(round_, k) != v}
    if {"quiz", "quiz_id", "kind"} & set(changes) and _round_in_use(round_):
        # Another paper or kind under handed-in papers or recorded results would change an
        # official result behind the participants' backs.
        raise ApplicationError("round_in_use", MSG_ROUND_IN_USE, status=409)
    if (
        "closes_at" in changes
        and round_.finalized_at is not None
        and changes["closes_at"] is not None
        and changes["closes_at"] > timezone.now()
    ):
        # Its final standing and answer keys are public: reopening would take answers from
        # people who have read the keys, under a board that still says final.
        raise ApplicationError("round_final", MSG_ROUND_FINAL, status=409)
    for k, v in changes.items():
        setattr(round_, k, v)
    _check_round(round_)
    if {"quiz", "quiz_id"} & set(changes):
        _check_quiz(round_, actor)
    round_.save()
    if "closes_at" in changes:
        round_close_schedule(round_)
    if changes:
        _audit(
            round_.contest,
            round_,
            actor,
            "round_update",
            _("Round settings changed: %(fields)s.") % {"fields": ", ".join(sorted(changes))},
            _jsonable(changes),
        )
        if {"ranking_chain", "counting"} & set(changes) and round_.finalized_at:
            round_recompute(round_=round_)
    return round_


def _finalize_jobs_on_their_way(round_: Round, now: datetime) -> bool:
    """A `round_finalize` job of this round that will still run: running, or queued and due
    within JOBS_STALE_SECONDS (or later, for the round's current close). A queued job due long
    ago lost its dispatch (an embedded server's timer dies with the process)."""
    from quizzes.models import Job

    horizon = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    for status, at, created in Job.objects.filter(
        kind=ROUND_FINALIZE,
        params__round=round_.pk,
        status__in=(Job.Status.QUEUED, Job.Status.RUNNING),
    ).values_list("status", "params__at", "created_at"):
        if status == Job.Status.RUNNING:
            return True
        # Sent when queued, to start at `at` (the close it was queued for) if that was later.
        due = max(datetime.fromisoformat(at), created) if at else created
        if horizon <= due <= max(now, round_.closes_at):
            return True
    return False


def round_close_schedule(round_: Round) -> None:
    """Queue the round's close (the `round_finalize` job) for its `closes_at`, after the caller's
    transaction commits. A self-paced round only (live rounds close with their game). A close
    moved later leaves an earlier job that finds nothing to do; one moved earlier gets its job."""
    from quizzes.background import job_enqueue

    if round_.kind != Round.Kind.SELF_PACED or round_.finalized_at is not None:
        return
    delay = max(0.0, (round_.closed_at() - timezone.now()).total_seconds())
    job_enqueue(
        kind=ROUND_FINALIZE,
        owner=None,
        params={"round": round_.pk, "at": round_.closes_at.isoformat()},
        delay_seconds=delay,
    )


# When this process last made sure a closing round's job is on its way: round id -> monotonic.
_ENSURED: dict[int, float] = {}
_ENSURED_LOCK = threading.Lock()
ENSURE_EVERY_SECONDS = 1.0


def round_close_ensure(round_: Round) -> bool:
    """The readers' safety net: a round that needs finalizing gets a `round_finalize` job if none
    is on its way (at most one: under the round's row lock, taken without waiting: a held lock
    means the close itself or another reader is at it). Never finalizes here; answers whether
    the round is closing (closed, final results not computed yet). At most once a second per
    round and process."""
    if not round_.needs_finalizing():
        return False
    now = time.monotonic()
    with _ENSURED_LOCK:
        if now - _ENSURED.get(round_.pk, -ENSURE_EVERY_SECONDS) < ENSURE_EVERY_SECONDS:
            return True
        _ENSURED[round_.pk] = now
        if len(_ENSURED) > 1000:
            _ENSURED.pop(next(iter(_ENSURED)))
    with transaction.atomic():
        locked = Round.objects.select_for_update(skip_locked=True).filter(pk=round_.pk).first()
        if locked is None or not locked.needs_finalizing():
            return locked is None or locked.finalized_at is None
        if not _finalize_jobs_on_their_way(locked, timezone.now()):
            round_close_schedule(locked)
    return True


def round_finalize_if_due(round_: Round) -> Round:
    """Closed rounds compute their final results once, on first need (and again on correction).

    However many requests arrive at the close, one finalizes: under the round's row lock
    (SELECT ... FOR UPDATE), and only if the locked row is still not finalized; the others wait
    for it and then find it done. The boards are rebuilt once the lock is released (after the
    commit, unless a caller's transaction encloses this one), so no server process caches the
    round's row from before it."""
    if round_.needs_finalizing():
        with transaction.atomic():
            locked = Round.objects.select_for_update().get(pk=round_.pk)
            due = locked.needs_finalizing()
            if due:
                # The caller's round may be a process's copy, a moment old: use the locked row.
                rows, staged = _finalize_books(locked)
                # Before the commit: readers that see the round final wait for this build of
                # its final board instead of each building it (boards.operations._ensure).
                final = boards.round_scope(locked, public=False)
                lease = boards.build_lease(final)
        if due:
            try:
                # No contest row changed (round_rebuild_all): the close rebuilds the round's
                # board only, putting in place the one staged while the ranks were stored.
                boards.round_rebuild_all(locked, rows=rows, contest=False, staged=staged)
            finally:
                boards.build_release(final, lease)
        round_.refresh_from_db()
    return round_


@transaction.atomic
def round_seed_qualifiers(*, round_: Round, actor=None) -> int:
    """Fill a final's entry list with the top N of its qualifying round (ties at the cut-off go
    through; participants without points never qualify: they all share one rank)."""
    source = round_.qualifier_from
    if source is None or not round_.qualifier_top_n:
        return 0
    round_finalize_if_due(source)
    pids = list(
        RoundResult.objects.filter(
            round=source,
            participant__isnull=False,
            rank__lte=round_.qualifier_top_n,
            score__gt=0,
        ).values_list("participant_id", flat=True)
    )
    round_.qualified.set(pids)
    audit(
        contest=round_.contest,
        round_=round_,
        actor=actor,
        action="qualifiers",
        summary=ngettext(
            "%(n)s participant qualified from %(round)s.",
            "%(n)s participants qualified from %(round)s.",
            len(pids),
        )
        % {"n": len(pids), "round": source.title_in()},
    )
    return len(pids)
