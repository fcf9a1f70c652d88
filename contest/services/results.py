"""Round results: the counted attempt per participant, closing a round (the prediction's actual
number and the final ranks), corrections with an audit log, live rounds and qualifiers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from contest import boards, ranking
from contest.access import is_contest_staff
from contest.models import Answer, Attempt, AuditEntry, Correction, Participant, Round, RoundResult
from contest.services.attempts import attempt_expire
from contest.services.marking import (
    FINISHED,
    attempt_score,
    effective_keys,
    round_result_refresh,
)
from core.errors import ApplicationError, ForbiddenError, NotFoundError
from core.queries import int_array
from quizzes.grading import answer_key
from quizzes.models import Question, Unit
from quizzes.services.questions import answer_normalized, answer_problems

MSG_NOT_IN_ROUND = gettext_lazy("This question is not used in this round.")
MSG_BAD_KEY = gettext_lazy("The new answer key does not fit the question.")
MSG_NOT_CLOSED = gettext_lazy("This round has not closed yet.")
MSG_NOT_LIVE = gettext_lazy("This round is not a live round.")
MSG_NOT_ROUND_GAME = gettext_lazy("Only the game this live round names can record its results.")
MSG_RESULTS_EXIST = gettext_lazy(
    "This round already has results. An organiser must confirm replacing them."
)
MSG_OVERWRITE_STAFF = gettext_lazy("Only this contest's staff can replace its results.")
MSG_ALREADY_VOIDED = gettext_lazy("This question is already voided in this round.")
MSG_REASON_REQUIRED = gettext_lazy("Give a reason: it is written to the audit log.")


# The background job a big round's recompute runs as (contest.jobs runs it; jobs build on this
# module, so the kind's name is given here).
ROUND_RECOMPUTE = "round_recompute"


def round_finalize(*, round_: Round) -> dict[int, int]:
    """Close a round's books: expire attempts still open, compute the prediction's actual number
    (participants whose counted attempt answered every question correctly), store final ranks."""
    if not round_.is_closed():
        raise ApplicationError("round_not_closed", MSG_NOT_CLOSED, status=409)
    rows, staged = _finalize_books(round_)
    boards.round_rebuild_all(round_, rows=rows, staged=staged)
    return {row["id"]: row["rank"] for row in rows}


def _finalize_books(round_: Round) -> tuple[list[dict[str, Any]], boards.Staged]:
    """The close's database work; returns the round's board rows with their final ranks and its
    final board written from them (boards.board_stage, not in place yet: the caller's
    boards.round_rebuild_all puts it there once the ranks are committed)."""
    for attempt in Attempt.objects.filter(round=round_, status=Attempt.Status.OPEN).select_related(
        "round"
    ):
        attempt_expire(attempt=attempt)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if round_.kind == Round.Kind.SELF_PACED and round_.has_prediction:
            locked.prediction_actual = RoundResult.objects.filter(
                round=round_, all_correct=True
            ).count()
        locked.finalized_at = timezone.now()  # its board is the final one (boards.round_scope)
        rows, staged = _store_ranks(locked)
        locked.save(update_fields=["prediction_actual", "finalized_at"])
    round_.prediction_actual, round_.finalized_at = locked.prediction_actual, locked.finalized_at
    return rows, staged


def _store_ranks(round_: Round) -> tuple[list[dict[str, Any]], boards.Staged]:
    """Rank every result of the round (ranking.rank_rows over the board's rows, one query of
    tuples: no model instances) and store the ranks; returns the ranked board rows and the final
    board staged from them. The board is written by a second thread while the database stores
    the ranks: one waits on PostgreSQL, the other on Redis and the encoding (at 100,000 results
    each takes about a second)."""
    ranked = ranking.rank_rows(
        boards.round_rows(round_), round_.ranking_chain, round_.prediction_actual
    )
    with ThreadPoolExecutor(1, thread_name_prefix="close-board") as pool:
        staging = pool.submit(boards.board_stage, boards.round_scope(round_, public=False), ranked)
        if connection.vendor == "postgresql":
            # One UPDATE from arrays per 20,000 rows: bulk_update's CASE expressions take many
            # seconds of CPU at 100,000 results. Each row's write is heap-only (RoundResult).
            with connection.cursor() as cursor:
                for start in range(0, len(ranked), 20000):
                    chunk = ranked[start : start + 20000]
                    cursor.execute(
                        "UPDATE contest_roundresult AS r SET rank = v.rank "
                        "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, rank) "
                        "WHERE r.id = v.id",
                        [
                            int_array([row["pk"] for row in chunk]),
                            int_array([row["rank"] for row in chunk]),
                        ],
                    )
        else:
            RoundResult.objects.bulk_update(
                [RoundResult(pk=row["pk"], rank=row["rank"]) for row in ranked],
                ["rank"],
                batch_size=2000,
            )
        staged = staging.result()
    return ranked, staged


# --- Recompute and corrections -----------------------------------------------------------------


def round_recompute(*, round_: Round) -> dict[str, Any]:
    """Rescore every finished attempt of a round from its stored answers (with the active
    corrections), refresh every result and, if the round is closed, the final ranks."""
    before = dict(RoundResult.objects.filter(round=round_).values_list("participant_id", "rank"))
    before_scores = dict(
        RoundResult.objects.filter(round=round_).values_list("participant_id", "score")
    )
    corrections = list(Correction.objects.filter(round=round_))
    attempts = list(
        Attempt.objects.filter(round=round_, status__in=FINISHED).select_related("round")
    )
    qids = sorted({item["q"] for a in attempts for item in a.paper})
    keys = effective_keys(round_, qids, corrections)
    answers: dict[int, list[Answer]] = {}
    for answer in Answer.objects.filter(attempt__in=attempts):
        answers.setdefault(answer.attempt_id, []).append(answer)
    changed = []
    for attempt in attempts:
        if attempt_score(attempt, keys=keys, answers=answers.get(attempt.pk, [])):
            changed.append(attempt)
    Attempt.objects.bulk_update(
        changed, ["score", "max_score", "correct_count", "all_correct", "time_ms"], batch_size=2000
    )
    for pid in {a.participant_id for a in attempts}:
        round_result_refresh(round_=round_, participant_id=pid, update_boards=False)
    if round_.finalized_at is not None or round_.needs_finalizing():
        round_finalize(round_=round_)
    else:
        boards.round_rebuild_all(round_)
    after = RoundResult.objects.filter(round=round_).values_list("participant_id", "rank", "score")
    rank_changes = [
        {
            "participant": pid,
            "from": before.get(pid),
            "to": rank,
            "score_from": before_scores.get(pid),
            "score_to": score,
        }
        for pid, rank, score in after
        if before.get(pid) != rank or before_scores.get(pid) != score
    ]
    return {
        "attempts_rescored": len(changed),
        "changes": rank_changes[:200],
        "changed_count": len(rank_changes),
    }


_PAPER_COUNTS_SQL = """
SELECT (item->>'q')::int AS question_id, COUNT(DISTINCT a.id)
FROM contest_attempt a CROSS JOIN LATERAL jsonb_array_elements(a.paper) AS item
WHERE a.round_id = %s GROUP BY 1
"""


def round_paper_question_counts(round_: Round) -> dict[int, int]:
    """How many papers (attempts) of the round hold each question: the questions a correction
    may touch, for fixed and drawn rounds alike (a drawn round's quiz lists no questions)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PAPER_COUNTS_SQL, [round_.pk])
            return dict(cursor.fetchall())
    counts: dict[int, int] = {}
    for paper in Attempt.objects.filter(round=round_).values_list("paper", flat=True).iterator():
        for qid in {item["q"] for item in paper}:
            counts[qid] = counts.get(qid, 0) + 1
    return counts


def round_recompute_or_queue(*, round_: Round, actor) -> dict[str, Any]:
    """A correction's recompute: now for a small round, as a background job (run after the
    correction commits) for a round with more than JOBS_RECOMPUTE_INLINE_MAX_ATTEMPTS attempts.
    A queued recompute's effect says {"job": id} instead of what changed."""
    from quizzes.background import job_enqueue

    finished = Attempt.objects.filter(round=round_, status__in=FINISHED).count()
    if finished <= settings.JOBS_RECOMPUTE_INLINE_MAX_ATTEMPTS:
        return round_recompute(round_=round_)
    job = job_enqueue(kind=ROUND_RECOMPUTE, owner=actor, params={"round": round_.pk})
    return {"attempts_rescored": None, "changes": [], "changed_count": None, "job": job.pk}


def _correction_summary(effect: dict[str, Any], done: str, queued: str, question_id: int) -> str:
    if effect.get("job"):
        return queued % {"id": question_id, "job": effect["job"]}
    return done % {"id": question_id, "n": effect["changed_count"]}


def _round_question(round_: Round, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id).first()
    if question is None or question_id not in round_paper_question_counts(round_):
        raise NotFoundError("not_in_round", MSG_NOT_IN_ROUND)
    return question


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            "reason_required", MSG_REASON_REQUIRED, {"reason": [str(MSG_REASON_REQUIRED)]}
        )
    return reason


@transaction.atomic
def question_void(*, round_: Round, question_id: int, actor, reason: str = "") -> AuditEntry:
    """Void a question in a round: nobody gets points for it, scores and ranks are recomputed.
    A reason is required; voiding the same question twice is refused."""
    reason = _reason(reason)
    question = _round_question(round_, question_id)
    # Lock the round so two organisers voiding at once cannot both pass the check below.
    Round.objects.select_for_update().filter(pk=round_.pk).first()
    if Correction.objects.filter(
        round=round_, question=question, kind=Correction.Kind.VOID
    ).exists():
        raise ApplicationError("already_voided", MSG_ALREADY_VOIDED, status=409)
    Correction.objects.create(
        round=round_, question=question, kind=Correction.Kind.VOID, reason=reason, created_by=actor
    )
    effect = round_recompute_or_queue(round_=round_, actor=actor)
    return AuditEntry.objects.create(
        contest=round_.contest,
        round=round_,
        actor=actor,
        action="question_void",
        summary=_correction_summary(
            effect,
            _("Question %(id)s voided: %(n)s results changed."),
            _("Question %(id)s voided: results are being recomputed (job %(job)s)."),
            question.pk,
        ),
        details={
            "question": question.pk,
            "question_text": str(question),
            "reason": reason,
            **effect,
        },
    )


@transaction.atomic
def answer_key_fix(
    *,
    round_: Round,
    question_id: int,
    correct: list[Any] | None = None,
    key: dict | None = None,
    actor,
    reason: str = "",
) -> AuditEntry:
    """Fix a question's answer key for this round (choice questions: the correct choice ids;
    others: a grading key); scores and ranks are recomputed from the stored answers. A reason
    is required."""
    reason = _reason(reason)
    question = _round_question(round_, question_id)
    original = answer_key(question)
    new_key = dict(original)
    if correct is not None and "weights" in original:
        picked = {str(c) for c in correct}
        if not picked or not picked <= set(original["weights"]):
            raise ApplicationError("invalid_key", MSG_BAD_KEY)
        if original["type"] == "truefalse" and len(picked) != 1:
            raise ApplicationError("invalid_key", MSG_BAD_KEY)  # one right choice, as authored
        share = 1.0 if original["type"] != "multi" else 1.0 / len(picked)
        new_key["weights"] = {cid: (share if cid in picked else 0.0) for cid in original["weights"]}
    elif isinstance(key, dict) and key and original["type"] in ("text", "numeric"):
        # The new key replaces the old one, checked as authoring checks it: a tester's NaN, a
        # range upside down or a text for the list of accepted answers rescored a round (or
        # failed with a server error).
        given = {k: v for k, v in key.items() if k != "type"}
        problems = answer_problems(original["type"], given)
        if problems:
            raise ApplicationError("invalid_key", " ".join(str(p) for p in problems))
        new_key = {"type": original["type"], **answer_normalized(original["type"], given)}
    elif correct is not None and original["type"] == "order":
        order = [str(c) for c in correct]
        if sorted(order) != sorted(original["order"]):
            raise ApplicationError("invalid_key", MSG_BAD_KEY)
        new_key["order"] = order
    else:
        raise ApplicationError("invalid_key", MSG_BAD_KEY)
    Correction.objects.filter(round=round_, question=question, kind=Correction.Kind.KEY).delete()
    Correction.objects.create(
        round=round_,
        question=question,
        kind=Correction.Kind.KEY,
        key=new_key,
        reason=reason,
        created_by=actor,
    )
    effect = round_recompute_or_queue(round_=round_, actor=actor)
    return AuditEntry.objects.create(
        contest=round_.contest,
        round=round_,
        actor=actor,
        action="answer_key_fix",
        summary=_correction_summary(
            effect,
            _("Answer key of question %(id)s fixed: %(n)s results changed."),
            _("Answer key of question %(id)s fixed: results are being recomputed (job %(job)s)."),
            question.pk,
        ),
        details={
            "question": question.pk,
            "question_text": str(question),
            "reason": reason,
            "old_key": original,
            "new_key": new_key,
            **effect,
        },
    )


def audit(
    *, contest, round_=None, actor=None, action: str, summary: str, details: dict | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(
        contest=contest,
        round=round_,
        actor=actor,
        action=action,
        summary=summary,
        details=details or {},
    )


# --- Live rounds and qualifiers ----------------------------------------------------------------


def live_round_game_set(*, round_: Round, game_id: int, actor) -> None:
    """Name the game whose results count for a live round (the latest game tied to it wins).
    Callers check that `actor` is the contest's staff (contest.selectors.live_round_for_game)."""
    previous = round_.live_game_id
    round_.live_game_id = str(game_id)
    round_.save(update_fields=["live_game_id"])  # save(): every process hears of it (apps.py)
    audit(
        contest=round_.contest,
        round_=round_,
        actor=actor,
        action="live_game_tie",
        summary=_("Live game %(game)s tied to this round.") % {"game": game_id},
        details={"game": game_id, "previous_game": previous},
    )


@transaction.atomic
def live_round_results_record(
    *,
    round_id: int,
    game_id: int,
    rows: list[dict[str, Any]],
    actor=None,
    overwrite: bool = False,
) -> int:
    """A finished game's final rows become its live round's results. Only the game the round
    names (Round.live_game_id) may record them, and results already recorded are replaced only
    when `overwrite` is confirmed by the contest's staff (`actor`). Rows of registered
    participants are matched by account; others keep their nickname and unit. The audit log
    says who recorded. Returns how many rows were stored."""
    round_ = (
        Round.objects.select_for_update(of=("self",))
        .select_related("contest")
        .filter(pk=round_id)
        .first()
    )
    if round_ is None:
        raise NotFoundError("not_found", _("Not found."))
    if round_.kind != Round.Kind.LIVE:
        raise ApplicationError("not_live", MSG_NOT_LIVE)
    if not round_.live_game_id or round_.live_game_id != str(game_id):
        raise ForbiddenError("not_round_game", MSG_NOT_ROUND_GAME)
    replaced = RoundResult.objects.filter(round=round_).count()
    if replaced and not overwrite:
        raise ApplicationError(
            "results_exist", MSG_RESULTS_EXIST, {"results": replaced}, status=409
        )
    if replaced and not is_contest_staff(actor, round_.contest):
        raise ForbiddenError("permission_denied", MSG_OVERWRITE_STAFF)
    user_ids = [r["user_id"] for r in rows if r.get("user_id")]
    by_user = dict(
        Participant.objects.filter(contest=round_.contest, user_id__in=user_ids).values_list(
            "user_id", "pk"
        )
    )
    units = set(
        Unit.objects.filter(pk__in=[r["unit_id"] for r in rows if r.get("unit_id")]).values_list(
            "pk", flat=True
        )
    )
    now = timezone.now()
    RoundResult.objects.filter(round=round_).delete()
    seen: set[int] = set()
    results = []
    for row in rows:
        pid = by_user.get(row.get("user_id") or 0)  # no user: no participant (ids start at 1)
        if pid in seen:
            continue
        if pid:
            seen.add(pid)
        results.append(
            RoundResult(
                round=round_,
                participant_id=pid,
                nickname=str(row.get("nickname") or "")[:120],
                unit_id=row.get("unit_id") if row.get("unit_id") in units else None,
                score=int(row.get("score") or 0),
                time_ms=int(row.get("time_ms") or 0),
                submitted_at=now,
            )
        )
    RoundResult.objects.bulk_create(results)
    round_.finalized_at = now  # its board is the final one (boards.round_scope)
    rows, staged = _store_ranks(round_)
    Round.objects.filter(pk=round_.pk).update(finalized_at=now)
    boards.round_rebuild_all(round_, rows=rows, staged=staged)
    audit(
        contest=round_.contest,
        round_=round_,
        actor=actor,
        action="live_results",
        summary=(
            _("Live game results recorded: %(n)s rows (replacing %(old)s).")
            if replaced
            else _("Live game results recorded: %(n)s rows.")
        )
        % {"n": len(results), "old": replaced},
        details={"game": game_id, "rows": len(results), "replaced": replaced},
    )
    return len(results)


# How a unit of each level reaches its province (which units of a level the contest's area holds).
_PROVINCE_PATH = {
    "province": "pk",
    "district": "parent",
    "school": "parent__parent",
    "class": "parent__parent__parent",
}


PARTICIPATION_CACHE_SECONDS = 5


def participation_rate_display(rate: float | None) -> str:
    """A participation rate as Vietnamese contests publish it: "2,12 %" in vi, "2.12%" in en
    (Django's number localisation for the active language; whole numbers without decimals)."""
    if rate is None:
        return ""
    number = number_format(rate, decimal_pos=0 if rate == int(rate) else 2, use_l10n=True)
    # Translators: a percentage; Vietnamese puts a no-break space before the sign ("2,12 %").
    return pgettext("percentage", "%(value)s%%") % {"value": number}


def participation_by_unit(
    *, round_: Round, level: str = "school", public: bool = False
) -> list[dict[str, Any]]:
    """Registered, attempted and completed counts per unit of one level, with the unit's expected
    headcount and the participation rate (completed ÷ headcount, in %).

    A unit's headcount is its own, else the sum of its children's (a district whose schools
    carry headcounts). Units with a headcount and nobody registered yet are listed too (0 %),
    within the provinces the contest's participants come from. A public read of a frozen round
    counts only the results handed in before the freeze, like the public unit board.
    Three queries, whatever the number of units; kept PARTICIPATION_CACHE_SECONDS, since every
    ceremony screen polls it.
    """
    # The public sees counts as at the freeze from the freeze until the results are final
    # (Round.is_frozen, also for a round that keeps its scores hidden: the counts would tell who
    # handed in during the freeze), and while it sees the frozen board (an award ceremony).
    frozen = public and (round_.is_frozen() or boards.public_state(round_) == "frozen")
    key = f"participation:{round_.pk}:{level}:{round_.freeze_at.isoformat() if frozen else 'live'}"
    rows = cache.get(key)
    if rows is None:
        rows = _participation_rows(round_=round_, level=level, frozen=frozen)
        cache.set(key, rows, PARTICIPATION_CACHE_SECONDS)
    return [{**row, "rate_display": participation_rate_display(row["rate"])} for row in rows]


def _participation_rows(*, round_: Round, level: str, frozen: bool) -> list[dict[str, Any]]:
    field = boards.UNIT_FIELDS[level]
    attempted = Q(attempts__round=round_)
    if frozen:
        # As at the freeze, like the frozen boards (boards.frozen_rows): attempts started before
        # it, and participants with an attempt handed in before it. Not the results' times: a
        # better attempt handed in during the freeze moves its result's time past the freeze.
        attempted &= Q(attempts__started_at__lt=round_.freeze_at)
        completed_count = Count(
            "attempts__participant",
            filter=Q(
                attempts__round=round_,
                attempts__status__in=(Attempt.Status.SUBMITTED, Attempt.Status.EXPIRED),
                attempts__submitted_at__lt=round_.freeze_at,
            ),
            distinct=True,
        )
    else:
        completed_count = Count(
            "results__participant", filter=Q(results__round=round_), distinct=True
        )
    counts = {
        row[field]: row
        for row in Participant.objects.filter(contest=round_.contest)
        .values(field)
        .annotate(
            registered=Count("pk", distinct=True),
            attempted=Count("attempts__participant", filter=attempted, distinct=True),
            completed=completed_count,
        )
        .order_by()
        if row[field] is not None
    }
    provinces = set(
        Participant.objects.filter(contest=round_.contest)
        .values_list("province_id", flat=True)
        .distinct()
    )
    units = (
        Unit.objects.filter(level=level)
        .filter(Q(pk__in=counts) | Q(**{f"{_PROVINCE_PATH[level]}__in": provinces}))
        .annotate(children_headcount=Sum("children__headcount"))
        .values("pk", "name", "parent__name", "headcount", "children_headcount")
        .order_by("name", "pk")
    )
    out = []
    for unit in units:
        headcount = unit["headcount"]
        if headcount is None:
            headcount = unit["children_headcount"]
        row = counts.get(unit["pk"])
        if row is None and not headcount:
            continue
        completed = row["completed"] if row else 0
        rate = round(100 * completed / headcount, 2) if headcount else None
        out.append(
            {
                "unit_id": unit["pk"],
                "name": unit["name"],
                "parent_name": unit["parent__name"] or "",
                "registered": row["registered"] if row else 0,
                "attempted": row["attempted"] if row else 0,
                "completed": completed,
                "headcount": headcount,
                "rate": rate,
            }
        )
    return out
