"""Board rows from the database (RoundResult rows are the truth; boards are caches)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from contest import ranking
from contest.boards.scopes import (
    LIVE_ONLY_OFFSET,
    UNIT_FIELDS,
    Scope,
)
from contest.models import Attempt, Contest, Participant, Round, RoundResult
from core.queries import int_array, models_where
from core.timestamps import EPOCH_MS_POSTGRESQL, EpochMs, epoch_ms

# --- Rows from the database (the truth) --------------------------------------------------------


def result_row(
    result: RoundResult, public_name: str | None, unit_name: str | None
) -> dict[str, Any]:
    pid = result.participant_id or LIVE_ONLY_OFFSET + result.pk
    return {
        "id": pid,
        "score": result.score,
        "prediction": result.prediction,
        "time_ms": result.time_ms,
        "submitted_ms": epoch_ms(result.submitted_at),
        "name": public_name or result.nickname,
        "unit": unit_name or "",
        "rank": result.rank,
    }


def round_rows(round_: Round) -> list[dict[str, Any]]:
    # No order (ranking sorts), the instant as milliseconds by the database: 100,000 rows load in
    # a third of the time.
    qs = RoundResult.objects.filter(round=round_).order_by()
    values = qs.annotate(submitted_ms=EpochMs("submitted_at")).values_list(
        "pk",
        "participant_id",
        "score",
        "prediction",
        "time_ms",
        "submitted_ms",
        "nickname",
        "rank",
        "participant__public_name",
        "unit__name",
    )
    rows = []
    for (
        pk,
        pid,
        score,
        prediction,
        time_ms,
        submitted_ms,
        nickname,
        rank,
        public_name,
        unit_name,
    ) in values:
        rows.append(
            {
                "id": pid or LIVE_ONLY_OFFSET + pk,
                "pk": pk,  # the result's own id (closing stores ranks by it)
                "score": score,
                "prediction": prediction,
                "time_ms": time_ms,
                "submitted_ms": submitted_ms,
                "name": public_name or nickname,
                "unit": unit_name or "",
                "rank": rank,
            }
        )
    return rows


def frozen_rows(round_: Round, *, participant_id: int | None = None) -> list[dict[str, Any]]:
    """The standing at the freeze: per participant, the attempt that counted among those handed
    in before it (ranking.counted_attempt). Nothing handed in later moves it, not even a
    participant's better (or worse) later attempt. No prediction: it is not known before the
    close. Rows carry their participant's units for unit boards."""
    attempts = Attempt.objects.filter(
        round=round_,
        status__in=(Attempt.Status.SUBMITTED, Attempt.Status.EXPIRED),
        submitted_at__lt=round_.freeze_at,
    )
    if participant_id is not None:
        attempts = attempts.filter(participant_id=participant_id)
    per: dict[int, list[dict[str, Any]]] = {}
    for a in attempts.values(
        "participant_id",
        "number",
        "score",
        "time_ms",
        "submitted_at",
        "participant__public_name",
        "participant__unit__name",
        *(f"participant__{f}" for f in UNIT_FIELDS.values()),
    ):
        a["submitted_ms"] = epoch_ms(a["submitted_at"])
        per.setdefault(a["participant_id"], []).append(a)
    rows = []
    for pid, tries in per.items():
        counted = ranking.counted_attempt(tries, round_.counting)
        assert counted is not None  # tries holds at least this participant's one attempt
        rows.append(
            {
                "id": pid,
                "score": counted["score"],
                "prediction": None,
                "time_ms": counted["time_ms"] or 0,
                "submitted_ms": counted["submitted_ms"],
                "name": counted["participant__public_name"],
                "unit": counted["participant__unit__name"] or "",
                "rank": None,
                **{f: counted[f"participant__{f}"] for f in UNIT_FIELDS.values()},
            }
        )
    return rows


def contest_rounds(contest: Contest) -> list[Round]:
    """The contest's rounds, as contest.rounds.all() reads them (in the model's order, each with
    this contest). Every hand-in updates the contest's boards, which need them: on PostgreSQL
    one fixed statement, where Django compiled its query each time (a third of the boards'
    update in the rush's profile; tests/contest/test_attempt_statement.py: the same rounds)."""
    if connection.vendor != "postgresql":
        return list(contest.rounds.all())
    rounds = models_where(Round, "t.contest_id = %s", [contest.pk], order_by="t.position, t.id")
    for round_ in rounds:
        round_.contest = contest
    return rounds


# One participant's results in a contest's rounds, as _contest_results reads them with the ORM.
_PARTICIPANT_RESULTS_SQL = f"""
SELECT rr.round_id, rr.participant_id, rr.score, rr.time_ms,
    {EPOCH_MS_POSTGRESQL.format("rr.submitted_at")}, p.public_name
FROM {RoundResult._meta.db_table} rr
JOIN {Round._meta.db_table} r ON r.id = rr.round_id
JOIN {Participant._meta.db_table} p ON p.id = rr.participant_id
WHERE r.contest_id = %s AND rr.participant_id = %s AND NOT rr.round_id = ANY(%s::bigint[])
"""


def _contest_results(
    contest: Contest, masked: dict[int, str], participant_id: int | None
) -> list[tuple[int, int, int, int, int | None, str]]:
    """(round, participant, score, time_ms, submitted_ms, public name) of the contest's results
    by participants, but in the masked rounds; one participant's only if given. Every hand-in
    updates its participant's contest rows (two boards): on PostgreSQL one fixed statement for
    them, where Django compiled the query each time (tests/contest/test_attempt_statement.py:
    the same rows)."""
    if participant_id is not None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _PARTICIPANT_RESULTS_SQL, [contest.pk, participant_id, int_array(list(masked))]
            )
            return cursor.fetchall()
    results = RoundResult.objects.filter(round__contest=contest, participant__isnull=False)
    if masked:
        results = results.exclude(round_id__in=list(masked))
    if participant_id is not None:
        results = results.filter(participant_id=participant_id)
    values = results.order_by().annotate(submitted_ms=EpochMs("submitted_at"))
    return list(
        values.values_list(
            "round_id",
            "participant_id",
            "score",
            "time_ms",
            "submitted_ms",
            "participant__public_name",
        )
    )


def _contest_rows(
    contest: Contest,
    masked: dict[int, str],
    participant_id: int | None = None,
    rounds: list[Round] | None = None,
) -> list[dict[str, Any]]:
    if rounds is None:
        rounds = contest_rounds(contest)
    weights = {r.pk: r.weight for r in rounds if masked.get(r.pk) != "hidden"}
    per_round: dict[int, list[dict]] = {pk: [] for pk in weights}
    names: dict[int, str] = {}
    for round_id, pid, score, time_ms, submitted_ms, public_name in _contest_results(
        contest, masked, participant_id
    ):
        per_round[round_id].append(
            {"id": pid, "score": score, "time_ms": time_ms, "submitted_ms": submitted_ms}
        )
        names[pid] = public_name
    for r in rounds:
        if masked.get(r.pk) == "frozen":
            for row in frozen_rows(r, participant_id=participant_id):
                per_round[r.pk].append(row)
                names[row["id"]] = row["name"]
    rows = ranking.combine_rounds(per_round, weights)
    for row in rows:
        row["name"] = names.get(row["id"], "")
        row["unit"] = ""
    return rows


def contest_rows(contest: Contest, masked: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The contest's rows; `masked` (round id -> "hidden" or "frozen") gives the public view."""
    return _contest_rows(contest, masked or {})


def contest_row(
    contest: Contest,
    participant_id: int,
    masked: dict[int, str] | None = None,
    rounds: list[Round] | None = None,
) -> dict[str, Any] | None:
    """One participant's contest row; `rounds`: the contest's rounds, when the caller has them."""
    rows = _contest_rows(contest, masked or {}, participant_id, rounds)
    return rows[0] if rows else None


def _scope_rows(scope: Scope) -> list[dict[str, Any]]:
    if scope.hidden:
        return []
    if scope.contest is not None:
        return contest_rows(scope.contest, dict(scope.masked))
    assert scope.round is not None  # not a contest's board: a round's
    if scope.before is not None:
        return frozen_rows(scope.round)
    return round_rows(scope.round)
