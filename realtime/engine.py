"""The game state machine: pure functions from (state, command, server time) to a new state.

No I/O here: the hub persists each new state with a compare-and-set on `seq` (PostgreSQL is the
system of record), caches it in the live store and broadcasts it. Internal phases:

    lobby -> question -> closed -> reveal [-> leaderboard] -> question ... -> podium -> ended

"read" and "open" (protocol phases) are derived from the question's timestamps.
"""

from __future__ import annotations

from typing import Any

from realtime import protocol as p

LOBBY = "lobby"
QUESTION = "question"
CLOSED = "closed"
REVEAL = "reveal"
LEADERBOARD = "leaderboard"
PODIUM = "podium"
ENDED = "ended"

MAX_ADD_SECONDS = 120


class InvalidTransition(Exception):
    """The command is not possible in the current state."""


def initial_state(*, total: int, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": 0,
        "phase": LOBBY,
        "q": None,
        "total": total,
        "shows_at": None,
        "opens_at": None,
        "ends_at": None,
        "paused": False,
        "paused_at": None,
        "paused_ms": 0,
        "locked": False,
        "late_join": bool(settings.get("allow_late_join", True)),
        "auto_advance": bool(settings.get("auto_advance", False)),
        "show_leaderboard": bool(settings.get("show_leaderboard", True)),
        "read_ms": int(float(settings.get("read_seconds", 3)) * 1000),
        "skipped": [],
    }


def public_phase(state: dict[str, Any], now: int) -> str:
    """The protocol phase: read/open derived from the timestamps."""
    phase = state["phase"]
    if phase == QUESTION:
        if state["paused"]:
            return p.PHASE_OPEN if (state["paused_at"] or 0) >= state["opens_at"] else p.PHASE_READ
        if now < state["opens_at"]:
            return p.PHASE_READ
        if now <= state["ends_at"]:
            return p.PHASE_OPEN
        return p.PHASE_CLOSED
    return phase


def _question(state: dict, q: int, now: int, plan: list[dict]) -> dict:
    limit_ms = int(plan[q]["time_limit"]) * 1000
    opens = now + state["read_ms"]
    return {
        **state,
        "phase": QUESTION,
        "q": q,
        "shows_at": now,
        "opens_at": opens,
        "ends_at": opens + limit_ms,
        "paused": False,
        "paused_at": None,
        "paused_ms": 0,
    }


def _advance(state: dict, now: int, plan: list[dict]) -> dict:
    nxt = 0 if state["q"] is None else state["q"] + 1
    if nxt >= len(plan):
        return {**state, "phase": PODIUM, "paused": False}
    return _question(state, nxt, now, plan)


def apply(
    state: dict[str, Any], action: str, args: dict[str, Any], *, now: int, plan: list[dict]
) -> dict[str, Any]:
    """The state after a host action (raises InvalidTransition); `seq` is bumped by the caller."""
    phase = state["phase"]
    if phase == ENDED:
        raise InvalidTransition(action)
    if action == p.A_START:
        if phase != LOBBY or not plan:
            raise InvalidTransition(action)
        return _question(state, 0, now, plan)
    if action == p.A_NEXT:
        if phase == LOBBY:
            return apply(state, p.A_START, args, now=now, plan=plan)
        if phase == REVEAL and state["show_leaderboard"]:
            return {**state, "phase": LEADERBOARD}
        if phase in {REVEAL, LEADERBOARD}:
            return _advance(state, now, plan)
        if phase == PODIUM:
            return {**state, "phase": ENDED}
        raise InvalidTransition(action)
    if action == p.A_SKIP:
        if phase in {QUESTION, CLOSED}:
            skipped = [*state.get("skipped", []), state["q"]]
            return _advance({**state, "skipped": skipped}, now, plan)
        if phase in {REVEAL, LEADERBOARD}:
            return _advance(state, now, plan)
        raise InvalidTransition(action)
    if action == p.A_END_QUESTION:
        if phase != QUESTION:
            raise InvalidTransition(action)
        return {**state, "phase": CLOSED, "ends_at": min(state["ends_at"], now), "paused": False}
    if action == p.A_ADD_TIME:
        seconds = args.get("seconds")
        if phase != QUESTION or not isinstance(seconds, int) or isinstance(seconds, bool):
            raise InvalidTransition(action)
        if not 1 <= seconds <= MAX_ADD_SECONDS:
            raise InvalidTransition(action)
        return {**state, "ends_at": state["ends_at"] + seconds * 1000}
    if action == p.A_PAUSE:
        if phase != QUESTION or state["paused"] or now > state["ends_at"]:
            raise InvalidTransition(action)
        return {**state, "paused": True, "paused_at": now}
    if action == p.A_RESUME:
        if phase != QUESTION or not state["paused"]:
            raise InvalidTransition(action)
        delta = max(0, now - state["paused_at"])
        opens = state["opens_at"]
        paused_ms = state["paused_ms"]
        if state["paused_at"] < opens:
            opens += delta  # paused while reading: the read phase resumes where it stopped
        else:
            paused_ms += delta
        return {
            **state,
            "paused": False,
            "paused_at": None,
            "opens_at": opens,
            "ends_at": state["ends_at"] + delta,
            "paused_ms": paused_ms,
        }
    if action in {p.A_LOCK, p.A_UNLOCK}:
        return {**state, "locked": action == p.A_LOCK}
    if action in {p.A_LATE_JOIN, p.A_LEADERBOARD, p.A_AUTO_ADVANCE}:
        on = args.get("on")
        if not isinstance(on, bool):
            raise InvalidTransition(action)
        field = {
            p.A_LATE_JOIN: "late_join",
            p.A_LEADERBOARD: "show_leaderboard",
            p.A_AUTO_ADVANCE: "auto_advance",
        }[action]
        return {**state, field: on}
    if action == p.A_END_GAME:
        return {**state, "phase": ENDED, "paused": False}
    raise InvalidTransition(action)


def close(state: dict[str, Any], *, now: int) -> dict[str, Any]:
    """The answer window is over (deadline, end_question or everyone answered)."""
    if state["phase"] != QUESTION:
        raise InvalidTransition("close")
    return {**state, "phase": CLOSED, "ends_at": min(state["ends_at"], max(now, state["opens_at"]))}


def answer_error(state: dict[str, Any], q: Any, *, now: int, grace_ms: int) -> str | None:
    """Why an answer received at server time `now` is refused, or None when it is accepted."""
    if state["phase"] == ENDED:
        return p.E_GAME_ENDED
    if not isinstance(q, int) or isinstance(q, bool):
        return p.E_MALFORMED
    if state["phase"] not in {QUESTION, CLOSED} or state["q"] is None:
        return p.E_NOT_OPEN
    if q != state["q"]:
        return p.E_WRONG_QUESTION
    if state["phase"] == CLOSED:
        return p.E_LATE
    if state["paused"] or now < state["opens_at"]:
        return p.E_NOT_OPEN
    if now > state["ends_at"] + grace_ms:
        return p.E_LATE
    return None


def elapsed_ms(state: dict[str, Any], now: int, limit_ms: int) -> int:
    """Answer time since the window opened, pauses excluded, capped at the limit."""
    return max(0, min(limit_ms, now - state["opens_at"] - state["paused_ms"]))


def close_deadline(state: dict[str, Any], grace_ms: int) -> int | None:
    """Server time at which the window must close (None when no timer should run)."""
    if state["phase"] != QUESTION or state["paused"]:
        return None
    return state["ends_at"] + grace_ms
