"""The award ceremony's steps from ranked rows: pure functions (no ORM, no I/O), property-tested
in tests/contest/test_ceremony.py. contest/services/ceremony.py reads the board and stores them.

A step is {"kind", "note", "show"}: `show` is all an audience gets at that step, built only from
what has been revealed up to it; `note` is the console's private description of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contest import prizes, ranking


def _changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(before.get(k) != after.get(k) for k in ("score", "time_ms", "submitted_ms"))


def _board(rows: list[dict], people: dict[int, dict], places: int) -> list[dict[str, Any]]:
    """What an audience sees of ranked rows: place, name, school, score (top `places`)."""
    return [
        {
            "id": r["id"],
            "place": r["rank"],
            "name": people.get(r["id"], {}).get("name", ""),
            "school": people.get(r["id"], {}).get("school", ""),
            "score": r["score"],
        }
        for r in rows[:places]
    ]


def _card(row: dict, people: dict[int, dict], tiers: list[dict]) -> dict[str, Any]:
    person = people.get(row["id"], {})
    return {
        "id": row["id"],
        "place": row["rank"],
        "name": person.get("name", ""),
        "school": person.get("school", ""),
        "district": person.get("district", ""),
        "score": row["score"],
        "prize": prizes.tier_names(prizes.award_for_rank(row["rank"], tiers, row["score"])),
    }


def resolver_order(
    frozen: list[dict[str, Any]],
    final: list[dict[str, Any]],
    *,
    places: int,
    chain: tuple[str, ...],
    actual: float | None = None,
) -> list[dict[str, Any]]:
    """The Resolver's moves: [{"id", "from", "to", "board"}] where board is the ranked top
    `places` after the move, from/to the row's place before and after (None: off the board).

    The rows considered are those in the top `places` of the frozen or of the final standing.
    Each move resolves the lowest row on the current board whose result changed after the
    freeze (rows with no result at the freeze count as below the board, worst final first);
    moves that neither start nor end on the board are folded into the next visible one.
    """
    frozen_by = {r["id"]: r for r in frozen}
    final_by = {r["id"]: r for r in final}
    universe = {r["id"] for r in frozen if r["rank"] <= places}
    universe |= {r["id"] for r in final if r["rank"] <= places}
    current = {i: frozen_by[i] for i in universe if i in frozen_by and i in final_by}
    pending = {
        i
        for i in universe
        if i in final_by and (i not in current or _changed(current[i], final_by[i]))
    }
    final_rank = {r["id"]: r["rank"] for r in final}
    moves = []
    ranked = ranking.rank_rows(current.values(), chain, actual)
    while pending:
        position = {r["id"]: p for p, r in enumerate(ranked, start=1)}
        newcomers = [i for i in pending if i not in current]
        if newcomers:  # no result at the freeze: below everyone, the worst final place first
            pick = max(newcomers, key=lambda i: (final_rank[i], i))
        else:  # the lowest row on the board that changed
            pick = next(r["id"] for r in reversed(ranked) if r["id"] in pending)
        pending.discard(pick)
        before = position.get(pick)
        current[pick] = final_by[pick]
        ranked = ranking.rank_rows(current.values(), chain, actual)
        after = next(p for p, r in enumerate(ranked, start=1) if r["id"] == pick)
        visible = lambda p: p is not None and p <= places  # noqa: E731
        if visible(before) or visible(after):
            moves.append(
                {
                    "id": pick,
                    "from": before if visible(before) else None,
                    "to": after if visible(after) else None,
                    "board": ranked[:places],
                }
            )
    return moves


def build_steps(
    *,
    final: list[dict[str, Any]],
    people: dict[int, dict],
    places: int,
    tiers: list[dict],
    frozen: list[dict[str, Any]] | None = None,
    chain: tuple[str, ...] = ("score",),
    actual: float | None = None,
    unit_cards: Sequence[dict[str, Any]] = (),
    units: str = "after",
) -> list[dict[str, Any]]:
    """Every step of a show: {"kind", "note", "show"}. `show` is all an audience gets at that
    step; `note` is the console's private description of it (its label, and the preview while
    it is the next step), worded by the console in its language. `final` and `frozen` are
    ranked (ranking.rank_rows) rows."""
    final = [r for r in final]
    top = final[:places]
    steps: list[dict[str, Any]] = [{"kind": "intro", "note": {}, "show": {"kind": "intro"}}]
    unit_steps = [
        {
            "kind": "unit",
            "note": {"name": card["name"], "title": card["title"]},
            "show": {"kind": "unit", "card": card},
        }
        for card in unit_cards
    ]
    if units == "before":
        steps += unit_steps
    revealed_all = False
    if frozen is not None:
        moves = resolver_order(frozen, final, places=places, chain=chain, actual=actual)
        if moves:
            board = ranking.rank_rows(
                [r for r in frozen if r["id"] in {x["id"] for x in final}], chain, actual
            )
            steps.append(
                {
                    "kind": "frozen",
                    "note": {},
                    "show": {"kind": "frozen", "rows": _board(board, people, places)},
                }
            )
            for move in moves:
                name = people.get(move["id"], {}).get("name", "")
                steps.append(
                    {
                        "kind": "resolve",
                        "note": {"name": name, "from": move["from"], "to": move["to"]},
                        "show": {
                            "kind": "resolve",
                            "rows": _board(move["board"], people, places),
                            "moved": move["id"],
                            "from": move["from"],
                            "to": move["to"],
                        },
                    }
                )
            revealed_all = True
    for index in range(len(top) - 1, -1, -1):
        row = top[index]
        card = _card(row, people, tiers)
        shown = top if revealed_all else top[index:]
        steps.append(
            {
                "kind": "place",
                "note": {k: card[k] for k in ("place", "name", "school", "district", "prize")},
                "show": {"kind": "place", "rows": _board(shown, people, places), "card": card},
            }
        )
    if units == "after":
        steps += unit_steps
    podium = [_card(r, people, tiers) for r in top if r["rank"] <= 3]
    steps.append(
        {
            "kind": "podium",
            "note": {"names": [f"{c['place']}. {c['name']}" for c in podium]},
            "show": {"kind": "podium", "cards": podium},
        }
    )
    return steps
