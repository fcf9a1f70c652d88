"""Rounds: create and configure them (audited), finalize a closed round on first need, seed a
final's qualifiers. The top of the contest services (marking <- attempts <- results <- rounds).

`round_finalize_if_due` is the one finalizing read: whoever is about to show a round's results
(the API, the pages, ceremonies, certificates, exports) calls it first, when
`Round.needs_finalizing()`; selectors only read.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from contest import boards, ranking
from contest.models import Contest, Round, RoundResult
from contest.services.contests import _audit, _jsonable
from contest.services.results import _finalize_books, audit, round_recompute
from core.errors import ApplicationError, NotFoundError
from quizzes.selectors import quiz_get

MSG_BAD_WINDOW = gettext_lazy("A round must close after it opens.")
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
    for k, v in changes.items():
        setattr(round_, k, v)
    _check_round(round_)
    if {"quiz", "quiz_id"} & set(changes):
        _check_quiz(round_, actor)
    round_.save()
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
                rows = _finalize_books(locked)
        if due:
            # No contest row changed (round_rebuild_all): the close rebuilds the round's board only.
            boards.round_rebuild_all(locked, rows=rows, contest=False)
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
