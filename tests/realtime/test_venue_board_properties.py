"""Property tests of the venue board (realtime/venues.py `venue_board`): size alone never wins."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from realtime.venues import venue_board

players = st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5)), min_size=1, max_size=30).map(
    lambda rows: [(score, correct) for score, correct in rows]
)


def _value(board, venue):
    return next(r["value"] for r in board if r["venue"] == venue)


@given(players, st.integers(2, 6), st.sampled_from(["mean", "correct"]))
def test_a_venue_copied_n_times_has_the_same_value(members, times, method):
    names = {1: "Small", 2: "Big"}
    board = venue_board({1: members, 2: members * times}, names, method=method, k=3, questions=5)
    assert _value(board, 1) == _value(board, 2)
    assert board[0]["rank"] == board[1]["rank"] == 1  # equal values share a rank


@given(players, players, st.integers(1, 10))
def test_top_k_never_rewards_extra_players_below_the_top_k(members, extra, k):
    names = {1: "Base"}
    base = venue_board({1: members}, names, method="top_k", k=k, questions=1)
    floor = min(s for s, _c in members)
    weaker = [(min(s, floor), c) for s, c in extra]
    grown = venue_board({1: members + weaker}, names, method="top_k", k=k, questions=1)
    if len(members) >= k:
        assert _value(grown, 1) == _value(base, 1)
    else:
        assert _value(grown, 1) >= _value(base, 1)


@given(st.dictionaries(st.integers(1, 50), players, min_size=1, max_size=8))
def test_ranks_follow_the_values(venues):
    names = {v: f"V{v}" for v in venues}
    for method in ("mean", "top_k", "correct"):
        board = venue_board(venues, names, method=method, k=3, questions=4)
        scores = [r["score"] for r in board]
        assert scores == sorted(scores, reverse=True)
        for a, b in zip(board, board[1:], strict=False):
            assert (a["rank"] == b["rank"]) == (a["score"] == b["score"])
