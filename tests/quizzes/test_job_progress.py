"""A job's progress callback: cheap, never backwards, always within the bar (pure, no ORM)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from quizzes.background.progress import Progress, percent_of


@given(st.lists(st.tuples(st.integers(-50, 150), st.none() | st.text(max_size=5)), max_size=40))
def test_progress_never_goes_back_and_stays_within_the_bar(updates):
    progress, shown, last = Progress(), [], 0
    for percent, message in updates:
        progress.set(percent, message)
        change = progress.take()
        if change is not None:
            shown.append(change[0])
        assert progress.take() is None  # nothing new: nothing to write
    for value in shown:
        assert 0 <= value <= 100
        assert value >= last
        last = value
    expected = max([0] + [min(100, max(0, p)) for p, _m in updates])
    assert progress.percent == expected


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 50), st.integers(50, 100))
def test_percent_of_maps_done_onto_its_slice(done, total, start, end):
    value = percent_of(done, total, start, end)
    assert start <= value <= end
    if total and done >= total:
        assert value == end
