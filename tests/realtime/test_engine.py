"""The pure state machine: phases, timers, pause, add time, skip and answer acceptance."""

from __future__ import annotations

import pytest

from realtime import engine

PLAN = [
    {"question": 1, "time_limit": 20, "points": 1},
    {"question": 2, "time_limit": 10, "points": 2},
]


def started(now=1_000_000, **settings):
    state = engine.initial_state(total=2, settings={"read_seconds": 3, **settings})
    return engine.apply(state, "start", {}, now=now, plan=PLAN)


def test_a_question_has_a_read_phase_then_an_answer_window():
    state = started()
    assert (state["shows_at"], state["opens_at"], state["ends_at"]) == (
        1_000_000,
        1_003_000,
        1_023_000,
    )
    assert engine.public_phase(state, 1_001_000) == "read"
    assert engine.public_phase(state, 1_010_000) == "open"
    assert engine.answer_error(state, 0, now=1_001_000, grace_ms=500) == "not_open"
    assert engine.answer_error(state, 0, now=1_023_400, grace_ms=500) is None
    assert engine.answer_error(state, 0, now=1_023_501, grace_ms=500) == "late"
    assert engine.answer_error(state, 1, now=1_010_000, grace_ms=500) == "wrong_question"
    assert engine.close_deadline(state, 500) == 1_023_500


def test_pause_freezes_the_window_and_resume_shifts_the_deadline():
    state = started()
    paused = engine.apply(state, "pause", {}, now=1_013_000, plan=PLAN)
    assert engine.close_deadline(paused, 500) is None
    assert engine.answer_error(paused, 0, now=1_014_000, grace_ms=500) == "not_open"
    resumed = engine.apply(paused, "resume", {}, now=1_018_000, plan=PLAN)
    assert resumed["ends_at"] == 1_028_000
    assert engine.elapsed_ms(resumed, 1_020_000, 20_000) == 12_000  # pause excluded


def test_add_time_extends_the_deadline_within_bounds():
    state = started()
    assert (
        engine.apply(state, "add_time", {"seconds": 10}, now=0, plan=PLAN)["ends_at"] == 1_033_000
    )
    for bad in (0, 121, "5", True):
        with pytest.raises(engine.InvalidTransition):
            engine.apply(state, "add_time", {"seconds": bad}, now=0, plan=PLAN)


def test_next_walks_reveal_leaderboard_question_podium_ended():
    state = {**started(), "phase": engine.REVEAL}
    state = engine.apply(state, "next", {}, now=2_000_000, plan=PLAN)
    assert state["phase"] == engine.LEADERBOARD
    state = engine.apply(state, "next", {}, now=2_000_000, plan=PLAN)
    assert (state["phase"], state["q"]) == (engine.QUESTION, 1)
    state = {**state, "phase": engine.REVEAL}
    state = engine.apply(state, "next", {}, now=0, plan=PLAN)
    state = engine.apply(state, "next", {}, now=0, plan=PLAN)
    assert state["phase"] == engine.PODIUM
    assert engine.apply(state, "next", {}, now=0, plan=PLAN)["phase"] == engine.ENDED


def test_skip_moves_on_without_scoring_and_start_twice_is_refused():
    state = started()
    skipped = engine.apply(state, "skip", {}, now=1_005_000, plan=PLAN)
    assert skipped["q"] == 1
    assert skipped["skipped"] == [0]
    with pytest.raises(engine.InvalidTransition):
        engine.apply(state, "start", {}, now=0, plan=PLAN)


def test_flags_need_a_boolean():
    state = started()
    assert engine.apply(state, "auto_advance", {"on": True}, now=0, plan=PLAN)["auto_advance"]
    with pytest.raises(engine.InvalidTransition):
        engine.apply(state, "late_join", {"on": "yes"}, now=0, plan=PLAN)
