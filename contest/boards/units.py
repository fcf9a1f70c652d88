"""Unit boards: classes, schools, districts and provinces ranked by contest.ranking.aggregate_units."""

from __future__ import annotations

from django.core.cache import cache

from contest import ranking
from contest.boards.rows import (
    contest_rows,
    frozen_rows,
)
from contest.boards.scopes import (
    UNIT_CACHE_SECONDS,
    UNIT_FIELDS,
    contest_scope,
    public_state,
)
from contest.models import Contest, Participant, Round, RoundResult

# --- Unit boards -------------------------------------------------------------------------------


def unit_method(
    contest: Contest, round_: Round | None, method: str | None, *, public: bool = True
) -> str:
    """The aggregation a unit board uses: participation only while the public may not see the
    round's scores."""
    if public and round_ is not None and public_state(round_) == "hidden":
        return "participation"
    return method or contest.unit_aggregation


def unit_board(
    *,
    contest: Contest,
    round_: Round | None,
    level: str,
    method: str | None = None,
    top_n: int | None = None,
    parent_id: int | None = None,
    public: bool = True,
) -> list[dict]:
    """Units of one level ranked by an aggregation of their participants' scores (cached a few
    seconds: a ceremony screen polls it). The public sees a frozen round at its freeze, and only
    the participation of a round that keeps its scores hidden."""
    from quizzes.models import Unit

    method = unit_method(contest, round_, method, public=public)
    top_n = top_n or contest.aggregation_top_n
    state = public_state(round_) if round_ is not None and public else "live"
    cscope = contest_scope(contest, public=public) if round_ is None else None
    # A round that keeps its scores hidden shows only participation, but during its freeze as
    # at the freeze too (the counts would tell who handed in during it).
    at_freeze = round_ is not None and (
        state == "frozen" or (state == "hidden" and round_.is_frozen())
    )
    view = cscope.key if cscope is not None else state
    if at_freeze and round_ is not None:
        view = f"{state}@{round_.freeze_at.isoformat()}"  # moving the freeze shows at once
    cache_key = f"ub:{contest.pk}:{round_.pk if round_ else 0}:{level}:{method}:{top_n}:{parent_id}:{view}:{round_.finalized_at if round_ else ''}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    unit_field = UNIT_FIELDS[level]
    parent_field = {"class": "school_id", "school": "district_id", "district": "province_id"}.get(
        level
    )
    participants = Participant.objects.filter(contest=contest)
    if parent_id and parent_field:
        participants = participants.filter(**{parent_field: parent_id})
    registered: dict[int, int] = {}
    for unit_id in participants.values_list(unit_field, flat=True):
        if unit_id:
            registered[unit_id] = registered.get(unit_id, 0) + 1
    if round_ is not None and at_freeze:
        scores = [
            (row[unit_field], row["score"])
            for row in frozen_rows(round_)
            if row[unit_field]
            and not (parent_id and parent_field and row[parent_field] != parent_id)
        ]
    elif round_ is not None:
        results = RoundResult.objects.filter(round=round_, participant__in=participants)
        scores = [
            (u, s) for u, s in results.values_list(f"participant__{unit_field}", "score") if u
        ]
    else:
        assert cscope is not None  # no round: the contest's board
        unit_of = dict(participants.values_list("pk", unit_field))
        scores = [
            (unit_of[r["id"]], r["score"])
            for r in contest_rows(contest, dict(cscope.masked))
            if unit_of.get(r["id"])
        ]
    rows = ranking.aggregate_units(scores, registered, method, top_n)
    names = dict(Unit.objects.filter(pk__in=[r["unit_id"] for r in rows]).values_list("pk", "name"))
    for row in rows:
        row["name"] = names.get(row["unit_id"], "")
    cache.set(cache_key, rows, UNIT_CACHE_SECONDS)
    return rows
