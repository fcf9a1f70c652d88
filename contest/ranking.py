"""The one ranking of CitizenQuiz: contests, live games, teams and units all rank with rank_rows.
Pure functions, no ORM, no I/O (property-tested in tests/contest/test_ranking_properties.py,
documented in docs/contests.md and docs/protocol.md).

A result row is a plain dict:
    {"id": int, "score": int, "prediction": float | None, "time_ms": int,
     "submitted_ms": int | None}
`id` is the participant's id: the last, always-present tie-break, so the order is total and
deterministic whatever order the rows arrive in.

The chain is an ordered tuple of keys:
    score       higher first
    prediction  smaller |prediction - actual| first; no prediction ranks after any prediction;
                ignored while the actual number is unknown (during the round)
    time        shorter time taken first
    submitted   earlier submission first; no submission time ranks last
    participants  more first (units only; not offered in a round's chain)

Time counts only towards points: a row with no points has no time and no submission time to
break ties with (time and submitted compare equal among 0-point rows). So not answering never
beats answering wrongly, and 0-point rows share one rank. Live games also only add the time of
answers that earned points (realtime/services.py), and combine_rounds only the time of rounds
that earned points.

Ranks are standard competition ranks (1, 2, 2, 4): rows with equal tie keys share a rank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

KEYS = ("score", "prediction", "time", "submitted")
DEFAULT_CHAIN: tuple[str, ...] = ("score", "prediction", "time", "submitted")
# Live games: score, then the time spent on answers that earned points, then the earlier last
# correct answer (the player row's last_correct_ms, given as submitted_ms).
LIVE_CHAIN: tuple[str, ...] = ("score", "time", "submitted")
TEAM_CHAIN: tuple[str, ...] = ("score",)
UNIT_CHAIN: tuple[str, ...] = ("score", "participants")
_COMPONENTS = (*KEYS, "participants")

# Fixed widths of the lexicographic encoding (see encode_key).
_SCORE_MAX = 10**12 - 1
_PRED_MAX = 10**15 - 1
_TIME_MAX = 10**13 - 1
_SUBMITTED_MAX = 10**14 - 1
_PARTICIPANTS_MAX = 10**9 - 1
_ID_MAX = 10**12 - 1


class InvalidChain(ValueError):
    """The chain names an unknown key or repeats one."""


def validate_chain(chain: Iterable[str] | None, allowed: Sequence[str] = KEYS) -> tuple[str, ...]:
    """The chain as a tuple; the default when empty. Raises InvalidChain on bad keys."""
    items = tuple(chain or ())
    if not items:
        return DEFAULT_CHAIN
    if any(key not in allowed for key in items) or len(set(items)) != len(items):
        raise InvalidChain(f"A ranking chain uses each of {', '.join(allowed)} at most once.")
    return items


def _clamp(value: int, high: int) -> int:
    value = int(value)
    return 0 if value < 0 else high if value > high else value


def prediction_error_milli(prediction: float | None, actual: float | None) -> int:
    """|prediction - actual| in thousandths (quantised so that every representation agrees);
    the maximum when there is no prediction."""
    if prediction is None or actual is None:
        return _PRED_MAX
    return _clamp(round(abs(float(prediction) - float(actual)) * 1000), _PRED_MAX - 1)


# Each component as a non-negative int where smaller ranks first, as a function of the row and
# whether it has points (computed once per row). Closing a round ranks and encodes 100,000 rows
# several times: the functions for a chain are looked up once (_key_function), not per row.
Component = Callable[[dict[str, Any], bool], int]


def _component_function(key: str, actual: float | None) -> Component:
    if key == "score":
        return lambda row, _points: _SCORE_MAX - _clamp(row.get("score") or 0, _SCORE_MAX)
    if key == "prediction":
        if actual is None:
            return lambda _row, _points: 0
        return lambda row, _points: prediction_error_milli(row.get("prediction"), actual)
    if key == "time":
        # Time only counts towards points: a row without points has none to break ties with.
        return lambda row, points: _clamp(row.get("time_ms") or 0, _TIME_MAX) if points else 0
    if key == "submitted":

        def submitted(row: dict[str, Any], points: bool) -> int:
            value = row.get("submitted_ms")
            if value is None or not points:
                return _SUBMITTED_MAX
            return _clamp(value, _SUBMITTED_MAX - 1)

        return submitted
    if key == "participants":
        return lambda row, _points: (
            _PARTICIPANTS_MAX - _clamp(row.get("participants") or 0, _PARTICIPANTS_MAX)
        )
    raise InvalidChain(key)


def _has_points(row: dict[str, Any]) -> bool:
    """Time only counts towards points: a row without points has none to break ties with."""
    return (row.get("score") or 0) > 0


def _component(row: dict[str, Any], key: str, actual: float | None) -> int:
    """One component of a row's key (smaller ranks first)."""
    return _component_function(key, actual)(row, _has_points(row))


def _key_function(
    chain: Sequence[str], actual: float | None
) -> Callable[[dict[str, Any]], tuple[int, ...]]:
    """sort_key for one chain and actual number, the components looked up once."""
    components = [_component_function(key, actual) for key in chain]

    def key(row: dict[str, Any]) -> tuple[int, ...]:
        points = (row.get("score") or 0) > 0
        return (*[component(row, points) for component in components], _clamp(row["id"], _ID_MAX))

    return key


_WIDTH = {"score": 12, "prediction": 15, "time": 13, "submitted": 14, "participants": 9}


def tie_key(row: dict[str, Any], chain: Sequence[str], actual: float | None) -> tuple[int, ...]:
    """What the chain compares: two rows with equal tie keys share a rank."""
    return sort_key(row, chain, actual)[:-1]


def sort_key(row: dict[str, Any], chain: Sequence[str], actual: float | None) -> tuple[int, ...]:
    """The full order: the chain, then the participant id (registration order)."""
    return _key_function(chain, actual)(row)


def key_encoder(chain: Sequence[str], actual: float | None) -> Callable[[dict[str, Any]], str]:
    """encode_key for one chain and actual number (a board's rebuild encodes every row)."""
    key = _key_function(chain, actual)
    # Every component is a non-negative int that fits its width: "%0Nd" is str().zfill(N).
    template = ".".join([*(f"%0{_WIDTH[k]}d" for k in chain), "%012d"])
    return lambda row: template % key(row)


def encode_key(row: dict[str, Any], chain: Sequence[str], actual: float | None) -> str:
    """sort_key as a fixed-width string: byte order equals sort_key order. Used as a Redis
    sorted-set member (all scores 0) so ZRANK and ZRANGE follow the whole chain."""
    return key_encoder(chain, actual)(row)


def rank_rows(
    rows: Iterable[dict[str, Any]], chain: Sequence[str] | None = None, actual: float | None = None
) -> list[dict[str, Any]]:
    """Rows in rank order, each copied with "rank" (standard competition ranking: 1, 2, 2, 4)
    and, when the actual number is known, "prediction_error". The only ranking function: live
    games, contests, teams and units all call it."""
    chain = validate_chain(chain, allowed=_COMPONENTS)
    # Each key computed once (live games rank every player after every question).
    key_of = _key_function(chain, actual)
    ordered = sorted(((key_of(r), r) for r in rows), key=itemgetter(0))
    ranked: list[dict[str, Any]] = []
    previous = None
    for position, (key, row) in enumerate(ordered, start=1):
        tie = key[:-1]
        rank = ranked[-1]["rank"] if previous == tie else position
        previous = tie
        out = dict(row, rank=rank)
        if actual is not None:
            prediction = row.get("prediction")
            out["prediction_error"] = (
                None if prediction is None else abs(float(prediction) - float(actual))
            )
        ranked.append(out)
    return ranked


# --- Which attempt counts ----------------------------------------------------------------------


def counted_attempt(attempts: Sequence[dict[str, Any]], policy: str) -> dict[str, Any] | None:
    """The attempt that counts among finished attempts {"number","score","time_ms","submitted_ms"}.

    best: the highest score (then shorter time, then the earlier attempt; time counts only
    towards points, so among attempts without points the earliest counts: a tester handed in a
    blank attempt in 6 ms, which beat their 0-point paper on time and brought its prediction);
    first / latest: by attempt number; earliest_top: the first attempt that reached the highest
    score.
    """
    if not attempts:
        return None
    if policy == "first":
        return min(attempts, key=lambda a: a["number"])
    if policy == "latest":
        return max(attempts, key=lambda a: a["number"])
    if policy == "earliest_top":
        top = max(a["score"] for a in attempts)
        return min((a for a in attempts if a["score"] == top), key=lambda a: a["number"])
    if policy == "best":
        return min(
            attempts,
            key=lambda a: (
                -a["score"],
                (a.get("time_ms") or 0) if a["score"] > 0 else 0,
                a["number"],
            ),
        )
    raise ValueError(f"Unknown counting policy: {policy}")


# --- Contest ranking: rounds combined with weights -------------------------------------------


def combine_rounds(
    per_round: dict[int, list[dict[str, Any]]], weights: dict[int, float]
) -> list[dict[str, Any]]:
    """Contest rows from round rows: score = round(sum(weight x round score)), time = the sum of
    the times of rounds that earned points, submitted = the latest submission. Rank the result
    with rank_rows(chain=("score", "time", "submitted"))."""
    totals: dict[int, dict[str, Any]] = {}
    for round_id, rows in per_round.items():
        weight = float(weights.get(round_id, 1.0))
        for row in rows:
            total = totals.setdefault(
                row["id"], {"id": row["id"], "score_f": 0.0, "time_ms": 0, "submitted_ms": None}
            )
            total["score_f"] += weight * (row.get("score") or 0)
            if (row.get("score") or 0) > 0:  # time counts only towards points
                total["time_ms"] += row.get("time_ms") or 0
            submitted = row.get("submitted_ms")
            if submitted is not None:
                total["submitted_ms"] = max(total["submitted_ms"] or 0, submitted)
    out = []
    for total in totals.values():
        score = round(total.pop("score_f"))
        out.append(dict(total, score=score, prediction=None))
    return out


# --- Unit rankings ---------------------------------------------------------------------------

AGGREGATIONS = ("sum", "mean", "top_n", "participation")


def aggregate_units(
    scores: Iterable[tuple[int, int]],
    registered: dict[int, int],
    method: str,
    top_n: int = 10,
) -> list[dict[str, Any]]:
    """Rank units from (unit_id, score) pairs of participants who have a result.

    sum / mean / top_n (mean of the N best scores) / participation (results / registered, in
    percent). Ranked by rank_rows with UNIT_CHAIN: value, then more participants; units still
    equal share a rank (listed by unit id). Units with registrations and no result appear with
    value 0.
    """
    if method not in AGGREGATIONS:
        raise ValueError(f"Unknown aggregation: {method}")
    by_unit: dict[int, list[int]] = {unit: [] for unit in registered}
    for unit, score in scores:
        by_unit.setdefault(unit, []).append(int(score))
    rows = []
    for unit, values in by_unit.items():
        count = len(values)
        if method == "sum":
            value = float(sum(values))
        elif method == "mean":
            value = sum(values) / count if count else 0.0
        elif method == "top_n":
            best = sorted(values, reverse=True)[: max(1, top_n)]
            value = sum(best) / len(best) if best else 0.0
        else:
            total = max(registered.get(unit, 0), count)
            value = 100.0 * count / total if total else 0.0
        rows.append(
            {
                "unit_id": unit,
                "value": round(value, 2),
                "participants": count,
                "registered": registered.get(unit, count),
            }
        )
    # value has two decimals: rank on hundredths so that the integer chain compares it exactly.
    ranked = rank_rows(
        (
            {
                "id": r["unit_id"],
                "score": round(r["value"] * 100),
                "participants": r["participants"],
                "row": r,
            }
            for r in rows
        ),
        UNIT_CHAIN,
    )
    return [dict(r["row"], rank=r["rank"]) for r in ranked]
