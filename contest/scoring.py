"""Scoring: turn a graded fraction into points. Pure functions, no ORM, no I/O.

Grading (how correct a response is, a fraction in [0, 1]) lives in quizzes/grading.py; this module
decides what that fraction is worth; ranking lives in contest/ranking.py (rank_rows). Strategies
are small classes registered by name:

    get_strategy("speed").points(1.0, weight=1, elapsed_ms=2500, limit_ms=20000, streak=1,
                                 options=ScoringOptions())

- `speed` (Kahoot-style): base × weight × fraction × (1 − t/T/2): an instant answer earns the full
  points, an answer at the deadline half of them.
- `accuracy`: base × weight × fraction; time only breaks ties (see contest/ranking.py).

Options: streak bonus (consecutive fully correct answers), partial credit (off = all-or-nothing
for multi and order), closeness for numeric answers (`closeness_fraction`). Question weight is
0/1/2 × BASE_POINTS. Live games and contests both use this module; keep the API stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contest.ranking import TEAM_CHAIN, rank_rows

BASE_POINTS = 1000
STREAK_STEP = 100  # bonus per consecutive correct answer after the first
STREAK_CAP = 500


@dataclass(frozen=True)
class ScoringOptions:
    streak_bonus: bool = False
    partial_credit: bool = False
    closeness: bool = False
    base_points: int = BASE_POINTS
    streak_step: int = STREAK_STEP
    streak_cap: int = STREAK_CAP

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ScoringOptions:
        data = data or {}
        return cls(
            streak_bonus=bool(data.get("streak_bonus", False)),
            partial_credit=bool(data.get("partial_credit", False)),
            closeness=bool(data.get("closeness", False)),
        )


DEFAULT_OPTIONS = ScoringOptions()


def credited_fraction(fraction: float | None, options: ScoringOptions) -> float:
    """The fraction that earns points: partial credit only when the option is on."""
    if fraction is None:
        return 0.0
    fraction = max(0.0, min(1.0, float(fraction)))
    if options.partial_credit:
        return fraction
    return 1.0 if fraction >= 1.0 else 0.0


def is_full(fraction: float | None) -> bool:
    return fraction is not None and fraction >= 1.0


def next_streak(previous: int, fraction: float | None) -> int:
    """Consecutive fully correct answers after this one (unscored questions keep the streak)."""
    if fraction is None:
        return previous
    return previous + 1 if is_full(fraction) else 0


def streak_bonus(streak: int, options: ScoringOptions) -> int:
    """Bonus for the `streak`-th consecutive correct answer (the first earns none)."""
    if not options.streak_bonus or streak <= 1:
        return 0
    return min((streak - 1) * options.streak_step, options.streak_cap)


def closeness_fraction(
    distance: float, *, target: float = 0.0, spread: float | None = None
) -> float:
    """Credit for a numeric answer `distance` away from the accepted value or range.

    Full credit inside, falling linearly to 0 at `spread` (default: half the target's magnitude,
    at least 1) outside it.
    """
    if distance <= 0:
        return 1.0
    spread = spread if spread and spread > 0 else max(abs(target) * 0.5, 1.0)
    return max(0.0, 1.0 - distance / spread)


class Strategy:
    name = ""

    def base(
        self, fraction: float, *, weight: int, elapsed_ms: int, limit_ms: int, options
    ) -> float:
        raise NotImplementedError

    def points(
        self,
        fraction: float | None,
        *,
        weight: int,
        elapsed_ms: int,
        limit_ms: int,
        streak: int = 0,
        options: ScoringOptions = DEFAULT_OPTIONS,
    ) -> int:
        """Points for one answer; `streak` counts this answer when it is fully correct."""
        if weight <= 0 or fraction is None:
            return 0
        credited = credited_fraction(fraction, options)
        if credited <= 0:
            return 0
        value = self.base(
            credited,
            weight=weight,
            elapsed_ms=max(0, int(elapsed_ms)),
            limit_ms=max(1, int(limit_ms)),
            options=options,
        )
        bonus = streak_bonus(streak, options) if is_full(fraction) else 0
        return int(round(value)) + bonus


_REGISTRY: dict[str, Strategy] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    _REGISTRY[cls.name] = cls()
    return cls


@register
class SpeedStrategy(Strategy):
    name = "speed"

    def base(self, fraction, *, weight, elapsed_ms, limit_ms, options):
        t = min(elapsed_ms, limit_ms) / limit_ms
        return options.base_points * weight * fraction * (1.0 - t / 2.0)


@register
class AccuracyStrategy(Strategy):
    name = "accuracy"

    def base(self, fraction, *, weight, elapsed_ms, limit_ms, options):
        return options.base_points * weight * fraction


def get_strategy(name: str) -> Strategy:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"Unknown scoring strategy: {name!r}") from None


def strategy_names() -> list[str]:
    return sorted(_REGISTRY)


# --- Teams ------------------------------------------------------------------------------------


def team_scores(
    members: Mapping[int, Iterable[int]], *, mode: str = "mean"
) -> list[dict[str, Any]]:
    """Team totals from members' scores ("mean" rounds half up; "sum"), ranked like everyone
    else by contest.ranking.rank_rows (score, then the team number; ties share a rank)."""
    if mode not in {"mean", "sum"}:
        raise ValueError(f"Unknown team score mode: {mode!r}")
    totals = []
    for team, scores in members.items():
        scores = list(scores)
        if not scores:
            continue
        total = sum(scores)
        value = total if mode == "sum" else int(total / len(scores) + 0.5)
        totals.append({"id": team, "score": value})
    return [
        {"team": row["id"], "score": row["score"], "rank": row["rank"]}
        for row in rank_rows(totals, TEAM_CHAIN)
    ]
