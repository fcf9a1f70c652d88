"""Property tests of contest/ranking.py: the order is total, deterministic, independent of the
input order, and follows the configured chain."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from contest import ranking

chains = st.permutations(list(ranking.KEYS)).flatmap(
    lambda keys: st.integers(1, 4).map(lambda n: tuple(keys[:n]))
)


@st.composite
def result_rows(draw, max_size=30):
    n = draw(st.integers(0, max_size))
    ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    rows = []
    for pid in ids:
        rows.append(
            {
                "id": pid,
                "score": draw(st.integers(0, 5) | st.integers(0, 10**6)),
                "prediction": draw(
                    st.none() | st.integers(0, 20).map(float) | st.floats(0, 1000, allow_nan=False)
                ),
                "time_ms": draw(st.integers(0, 5) | st.integers(0, 10**8)),
                "submitted_ms": draw(st.none() | st.integers(1_700_000_000_000, 1_700_000_000_010)),
            }
        )
    return rows


actuals = st.none() | st.integers(0, 20).map(float)


@given(result_rows(), chains, actuals)
def test_ranking_is_a_total_order_with_competition_ranks(rows, chain, actual):
    ranked = ranking.rank_rows(rows, chain, actual)
    assert sorted(r["id"] for r in ranked) == sorted(r["id"] for r in rows)
    keys = [ranking.sort_key(r, chain, actual) for r in ranked]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for position, row in enumerate(ranked, start=1):
        assert 1 <= row["rank"] <= position
        if position > 1:
            prev = ranked[position - 2]
            same = ranking.tie_key(prev, chain, actual) == ranking.tie_key(row, chain, actual)
            assert (row["rank"] == prev["rank"]) == same
            if not same:
                assert row["rank"] == position


@given(result_rows(), chains, actuals, st.randoms(use_true_random=False))
def test_ranking_is_deterministic_and_ignores_input_order(rows, chain, actual, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert ranking.rank_rows(rows, chain, actual) == ranking.rank_rows(shuffled, chain, actual)
    assert ranking.rank_rows(rows, chain, actual) == ranking.rank_rows(rows, chain, actual)


@given(result_rows(), chains, actuals)
def test_the_encoded_key_sorts_exactly_like_the_chain(rows, chain, actual):
    by_tuple = sorted(rows, key=lambda r: ranking.sort_key(r, chain, actual))
    by_string = sorted(rows, key=lambda r: ranking.encode_key(r, chain, actual))
    assert [r["id"] for r in by_tuple] == [r["id"] for r in by_string]


@given(result_rows(max_size=12), actuals)
def test_the_default_chain_is_respected(rows, actual):
    ranked = ranking.rank_rows(rows, None, actual)
    for a, b in zip(ranked, ranked[1:], strict=False):
        assert a["score"] >= b["score"]
        if a["score"] != b["score"]:
            continue
        if actual is not None:
            ea = ranking.prediction_error_milli(a["prediction"], actual)
            eb = ranking.prediction_error_milli(b["prediction"], actual)
            assert ea <= eb
            if ea != eb:
                continue
        if not a["score"]:
            continue  # no points: no time and no submission time to break the tie with
        assert a["time_ms"] <= b["time_ms"]
        if a["time_ms"] != b["time_ms"]:
            continue
        sa = a["submitted_ms"] if a["submitted_ms"] is not None else float("inf")
        sb = b["submitted_ms"] if b["submitted_ms"] is not None else float("inf")
        assert sa <= sb


def test_prediction_breaks_a_tie_on_score():
    rows = [
        {"id": 1, "score": 3000, "prediction": 40.0, "time_ms": 1000, "submitted_ms": 1},
        {"id": 2, "score": 3000, "prediction": 12.0, "time_ms": 9000, "submitted_ms": 2},
    ]
    ranked = ranking.rank_rows(rows, None, actual=10)
    assert [r["id"] for r in ranked] == [2, 1]
    assert ranked[0]["prediction_error"] == 2.0
    # Without the prediction in the chain, the faster one wins.
    assert [r["id"] for r in ranking.rank_rows(rows, ["score", "time"], actual=10)] == [1, 2]


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "number": st.integers(1, 50),
                "score": st.integers(0, 5),
                "time_ms": st.integers(0, 100),
            }
        ),
        min_size=1,
        max_size=10,
        unique_by=lambda a: a["number"],
    )
)
@settings(max_examples=50)
def test_counted_attempt_policies(attempts):
    top = max(a["score"] for a in attempts)
    assert ranking.counted_attempt(attempts, "best")["score"] == top
    assert ranking.counted_attempt(attempts, "first")["number"] == min(
        a["number"] for a in attempts
    )
    assert ranking.counted_attempt(attempts, "latest")["number"] == max(
        a["number"] for a in attempts
    )
    earliest = ranking.counted_attempt(attempts, "earliest_top")
    assert earliest["score"] == top
    assert earliest["number"] == min(a["number"] for a in attempts if a["score"] == top)


def test_unit_aggregations():
    scores = [(1, 100), (1, 50), (1, 0), (2, 90)]
    registered = {1: 3, 2: 4, 3: 2}
    assert [
        (r["unit_id"], r["value"]) for r in ranking.aggregate_units(scores, registered, "sum")
    ] == [(1, 150.0), (2, 90.0), (3, 0.0)]
    assert ranking.aggregate_units(scores, registered, "mean")[0] == {
        "unit_id": 2,
        "value": 90.0,
        "participants": 1,
        "registered": 4,
        "rank": 1,
    }
    assert [
        (r["unit_id"], r["value"]) for r in ranking.aggregate_units(scores, registered, "top_n", 2)
    ][:2] == [(2, 90.0), (1, 75.0)]
    assert [
        (r["unit_id"], r["value"])
        for r in ranking.aggregate_units(scores, registered, "participation")
    ] == [(1, 100.0), (2, 25.0), (3, 0.0)]


def test_invalid_chain_is_refused():
    import pytest

    with pytest.raises(ranking.InvalidChain):
        ranking.validate_chain(["score", "score"])
    with pytest.raises(ranking.InvalidChain):
        ranking.validate_chain(["luck"])
    assert ranking.validate_chain([]) == ranking.DEFAULT_CHAIN
    random.Random(1)


# --- Fairness (issue 13): time counts only towards points -----------------------------------


@given(result_rows(), chains)
def test_rows_without_points_share_one_rank_whatever_their_time_or_submission(rows, chain):
    # Not answering (no time) and answering wrongly (time spent) are the same result: no points.
    ranked = ranking.rank_rows(rows, chain, None)
    assert len({r["rank"] for r in ranked if not r["score"]}) <= 1


@st.composite
def contest_rounds(draw):
    round_ids = draw(st.lists(st.integers(1, 50), min_size=1, max_size=4, unique=True))
    people = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=8, unique=True))
    per_round = {
        rid: [
            {
                "id": pid,
                "score": draw(st.sampled_from([0, 0, 500, 1000])),
                "time_ms": draw(st.sampled_from([0, 1000, 60_000])),
                "submitted_ms": draw(st.none() | st.sampled_from([1, 2, 3])),
            }
            for pid in people
            if draw(st.booleans())
        ]
        for rid in round_ids
    }
    return per_round, people


@given(contest_rounds(), st.integers(1, 10**8), st.data())
def test_a_round_without_points_never_moves_a_contestant(spec, slow, data):
    per_round, people = spec
    chain = ("score", "time", "submitted")
    before = ranking.rank_rows(ranking.combine_rounds(per_round, {}), chain)
    someone = data.draw(st.sampled_from(people))
    # One more round where `someone` took a long time and earned nothing.
    extra = {**per_round, 10**6: [{"id": someone, "score": 0, "time_ms": slow}]}
    after = {
        r["id"]: r["rank"] for r in ranking.rank_rows(ranking.combine_rounds(extra, {}), chain)
    }
    for row in before:
        assert after[row["id"]] == row["rank"]


@given(
    st.lists(st.tuples(st.integers(1, 6), st.sampled_from([0, 5, 10, 15])), max_size=25),
    st.dictionaries(st.integers(1, 8), st.integers(0, 6), max_size=8),
    st.sampled_from(ranking.AGGREGATIONS),
)
def test_units_rank_like_everyone_else_ties_share_a_rank(scores, registered, method):
    rows = ranking.aggregate_units(scores, registered, method, top_n=2)
    for row in rows:
        ahead = [
            o for o in rows if (o["value"], o["participants"]) > (row["value"], row["participants"])
        ]
        assert row["rank"] == 1 + len(ahead)


@given(st.dictionaries(st.integers(1, 9), st.lists(st.sampled_from([0, 10, 20]), min_size=1)))
def test_teams_rank_like_everyone_else_ties_share_a_rank(members):
    from contest.scoring import team_scores

    for mode in ("mean", "sum"):
        rows = team_scores(members, mode=mode)
        for row in rows:
            assert row["rank"] == 1 + sum(1 for o in rows if o["score"] > row["score"])


@given(result_rows(), chains, actuals)
def test_the_encoded_key_keeps_its_fixed_width_format(rows, chain, actual):
    # Boards written before a deploy and members put after it must compare byte for byte: the
    # encoding is each sort-key component zero-padded to its width, the participant id last.
    widths = [*(ranking._WIDTH[key] for key in chain), 12]
    for row in rows:
        parts = ranking.sort_key(row, chain, actual)
        expected = ".".join(str(c).zfill(w) for c, w in zip(parts, widths, strict=True))
        assert ranking.encode_key(row, chain, actual) == expected
        assert ranking.key_encoder(chain, actual)(row) == expected
