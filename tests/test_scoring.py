"""Scoring strategies and tie-breaks: property tests (pure functions, no database)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest.scoring import (
    ScoringOptions,
    closeness_fraction,
    get_strategy,
    next_streak,
    strategy_names,
    team_scores,
)
from realtime.selectors import players_ranked as rank

fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
weights = st.sampled_from([0, 1, 2])
limits = st.integers(min_value=1000, max_value=240_000)
options = st.builds(ScoringOptions, streak_bonus=st.booleans(), partial_credit=st.booleans())


def test_both_strategies_are_registered_by_name():
    assert strategy_names() == ["accuracy", "speed"]
    with pytest.raises(ValueError, match="Unknown scoring strategy: 'nope'"):
        get_strategy("nope")


def test_speed_gives_full_points_instantly_and_half_at_the_deadline():
    speed = get_strategy("speed")
    assert speed.points(1.0, weight=1, elapsed_ms=0, limit_ms=20000) == 1000
    assert speed.points(1.0, weight=1, elapsed_ms=20000, limit_ms=20000) == 500
    assert speed.points(1.0, weight=2, elapsed_ms=10000, limit_ms=20000) == 1500


def test_accuracy_ignores_time():
    accuracy = get_strategy("accuracy")
    assert accuracy.points(1.0, weight=2, elapsed_ms=0, limit_ms=20000) == 2000
    assert accuracy.points(1.0, weight=2, elapsed_ms=19000, limit_ms=20000) == 2000


def test_partial_credit_off_is_all_or_nothing():
    speed = get_strategy("speed")
    off = ScoringOptions(partial_credit=False)
    on = ScoringOptions(partial_credit=True)
    assert speed.points(0.5, weight=1, elapsed_ms=0, limit_ms=1000, options=off) == 0
    assert speed.points(0.5, weight=1, elapsed_ms=0, limit_ms=1000, options=on) == 500


def test_streak_bonus_grows_from_the_second_correct_answer_and_is_capped():
    accuracy = get_strategy("accuracy")
    opts = ScoringOptions(streak_bonus=True)
    points = [
        accuracy.points(1.0, weight=1, elapsed_ms=0, limit_ms=1000, streak=s, options=opts)
        for s in (1, 2, 3, 20)
    ]
    assert points == [1000, 1100, 1200, 1500]
    assert next_streak(3, 0.0) == 0
    assert next_streak(3, None) == 3
    assert next_streak(3, 1.0) == 4


@given(fractions, weights, st.integers(min_value=0, max_value=300_000), limits, options)
def test_points_are_bounded_and_zero_for_weight_zero(fraction, weight, elapsed, limit, opts):
    for name in strategy_names():
        value = get_strategy(name).points(
            fraction, weight=weight, elapsed_ms=elapsed, limit_ms=limit, streak=1, options=opts
        )
        assert 0 <= value <= 1000 * weight
        if weight == 0:
            assert value == 0


@given(fractions, weights, limits, st.integers(0, 300_000), st.integers(0, 300_000))
def test_answering_faster_never_earns_less(fraction, weight, limit, a, b):
    speed = get_strategy("speed")
    opts = ScoringOptions(partial_credit=True)
    fast, slow = sorted((a, b))
    assert speed.points(
        fraction, weight=weight, elapsed_ms=fast, limit_ms=limit, options=opts
    ) >= speed.points(fraction, weight=weight, elapsed_ms=slow, limit_ms=limit, options=opts)


@given(st.lists(fractions, min_size=2, max_size=2), weights, limits, st.integers(0, 300_000))
def test_more_correct_never_earns_less(pair, weight, limit, elapsed):
    low, high = sorted(pair)
    opts = ScoringOptions(partial_credit=True)
    for name in strategy_names():
        strategy = get_strategy(name)
        kwargs = dict(weight=weight, elapsed_ms=elapsed, limit_ms=limit, options=opts)
        assert strategy.points(high, **kwargs) >= strategy.points(low, **kwargs)


def test_unscored_questions_earn_nothing():
    assert get_strategy("speed").points(None, weight=1, elapsed_ms=0, limit_ms=1000) == 0


def test_closeness_is_full_inside_and_falls_to_zero():
    assert closeness_fraction(0, target=100) == 1.0
    assert closeness_fraction(25, target=100) == 0.5
    assert closeness_fraction(80, target=100) == 0.0


rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "score": st.integers(0, 5),
            "time_ms": st.integers(0, 3),
            "last_correct_ms": st.one_of(st.none(), st.integers(0, 3)),
        }
    ),
    max_size=30,
)


@given(rows_strategy, st.randoms())
def test_ranking_is_deterministic_for_any_input_order(rows, rnd):
    rows = [{**row, "id": index} for index, row in enumerate(rows)]
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    assert rank(rows) == rank(shuffled)


@given(rows_strategy)
def test_ranking_follows_the_tie_breaks(rows):
    rows = [{**row, "id": index} for index, row in enumerate(rows)]
    ranked = rank(rows)

    def tie_break(row):  # time and the last correct answer count only for players with points
        if row["score"] == 0:
            return (0, None)
        return (row["time_ms"], row["last_correct_ms"])

    for before, after in zip(ranked, ranked[1:], strict=False):
        assert before["score"] >= after["score"]
        if before["score"] == after["score"] and before["score"] > 0:
            assert before["time_ms"] <= after["time_ms"]
        tie = before["score"] == after["score"] and tie_break(before) == tie_break(after)
        assert (before["rank"] == after["rank"]) == tie
        if tie:
            assert before["id"] < after["id"]
    assert [r["rank"] for r in ranked[:1]] in ([], [1])


def test_ties_share_a_rank_and_the_next_rank_skips():
    ranked = rank(
        [
            {"id": 3, "score": 10, "time_ms": 5},
            {"id": 1, "score": 10, "time_ms": 5},
            {"id": 2, "score": 8, "time_ms": 1},
            {"id": 4, "score": 10, "time_ms": 4},
        ]
    )
    assert [(r["id"], r["rank"]) for r in ranked] == [(4, 1), (1, 2), (3, 2), (2, 4)]


def test_earlier_last_correct_answer_wins_a_tie():
    ranked = rank(
        [
            {"id": 1, "score": 10, "time_ms": 5, "last_correct_ms": 900},
            {"id": 2, "score": 10, "time_ms": 5, "last_correct_ms": 100},
            {"id": 3, "score": 10, "time_ms": 5, "last_correct_ms": None},
        ]
    )
    assert [r["id"] for r in ranked] == [2, 1, 3]


@given(st.dictionaries(st.integers(1, 5), st.lists(st.integers(0, 5000), min_size=1, max_size=8)))
def test_team_scores_are_mean_or_sum_of_members(members):
    by_sum = {t["team"]: t["score"] for t in team_scores(members, mode="sum")}
    by_mean = {t["team"]: t["score"] for t in team_scores(members, mode="mean")}
    for team, scores in members.items():
        assert by_sum[team] == sum(scores)
        assert abs(by_mean[team] - sum(scores) / len(scores)) <= 0.5


def test_random_order_of_team_input_gives_same_ranking():
    members = {1: [10, 20], 2: [15, 15], 3: [40]}
    items = list(members.items())
    random.Random(4).shuffle(items)
    assert team_scores(dict(items)) == team_scores(members)
