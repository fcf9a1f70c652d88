"""Every server -> client frame of the live game, and the translated error messages.

Builders return plain dicts (serialised once by the caller: a broadcast by the hub, a reply by
the socket). Errors travel as `ClientError`, raised anywhere on a socket's path and turned into
an error frame in one place (`realtime.socket.LiveSocket.on_frame`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from realtime import protocol as p
from realtime.selectors import PlayQuestion

# Close codes (docs/protocol.md): replaced by a newer connection, hello failed (bad token, key or
# not the host), kicked, game not found, no hello or join in time, too many (sockets or polls).
CLOSE_REPLACED = 4000
CLOSE_HELLO_FAILED = 4001
CLOSE_KICKED = 4003
CLOSE_NOT_FOUND = 4004
CLOSE_NOT_IDENTIFIED = 4008
CLOSE_RATE_LIMITED = 4029

ERROR_MESSAGES = {
    p.E_MALFORMED: _("The message could not be understood."),
    p.E_UNKNOWN_TYPE: _("This kind of message is not supported."),
    p.E_TOO_LARGE: _("The message is too large."),
    p.E_RATE_LIMITED: _("Too many messages. Please slow down."),
    p.E_HELLO_REQUIRED: _("Please connect to the game first."),
    p.E_NOT_AUTHORISED: _("You are not allowed to do this."),
    p.E_NOT_OPEN: _("Answers are not open right now."),
    p.E_LATE: _("Time is up: this answer arrived after the deadline."),
    p.E_WRONG_QUESTION: _("This answer is for another question."),
    p.E_INVALID_ANSWER: _("This answer does not fit the question."),
    p.E_INVALID_ACTION: _("This action is not possible right now."),
    p.E_GAME_ENDED: _("This game has ended."),
    p.E_KICKED: _("You were removed from this game."),
    p.E_BUSY: _("The server is busy. Your answer was not saved; please send it again."),
    p.E_QUIZ_LOCKED: _(
        "A contest round that has not closed yet uses this quiz: only its organisers can play it "
        "until the round closes."
    ),
}


def error_message(code: str) -> str:
    message = ERROR_MESSAGES.get(code)
    return str(message) if message is not None else gettext("Something went wrong.")


class ClientError(Exception):
    """A refusal the client hears as an error frame; `close`: then close the socket with it.

    `message`: an already translated text (a domain error's own), else the code's message.
    """

    def __init__(
        self,
        code: str,
        details: dict | None = None,
        *,
        close: int | None = None,
        message: str | None = None,
    ):
        super().__init__(code)
        self.code = code
        self.details = details
        self.close = close
        self.message = message

    def frame(self) -> dict:
        """The error frame, in the active language."""
        return error_frame(self.code, self.details, message=self.message)


def error_frame(code: str, details: dict | None = None, *, message: str | None = None) -> dict:
    return {
        "type": p.S_ERROR,
        "code": code,
        "message": str(message) if message is not None else error_message(code),
        "details": details,
    }


def question_frame(state: dict, pq: PlayQuestion, now: int) -> dict:
    return {
        "type": p.S_QUESTION,
        "q": state["q"],
        "total": state["total"],
        "now": now,
        "shows_at": state["shows_at"],
        "opens_at": state["opens_at"],
        "ends_at": state["ends_at"],
        "paused": state["paused"],
        "question": pq.payload,
    }


def key_frame(pq: PlayQuestion) -> dict:
    """The host console's right answer (never the screen's or a phone's before the reveal)."""
    return {"type": p.S_KEY, "q": pq.q, "correct": pq.correct_public()}


def timer_frame(state: dict, now: int) -> dict:
    reference = state["paused_at"] if state["paused"] else now
    return {
        "type": p.S_TIMER,
        "q": state["q"],
        "now": now,
        "opens_at": state["opens_at"],
        "ends_at": state["ends_at"],
        "paused": state["paused"],
        "remaining_ms": max(0, state["ends_at"] - max(reference, state["opens_at"])),
    }


def closed_frame(state: dict) -> dict:
    return {"type": p.S_CLOSED, "q": state["q"]}


def skipped_frame(q: int) -> dict:
    return {"type": p.S_SKIPPED, "q": q}


def reveal_frame(reveal: dict) -> dict:
    return {"type": p.S_REVEAL, **reveal}


def leaderboard_frame(board: dict) -> dict:
    return {"type": p.S_LEADERBOARD, **board}


def podium_frame(podium: dict) -> dict:
    return {"type": p.S_PODIUM, **podium}


def ended_frame() -> dict:
    return {"type": p.S_ENDED}


def kicked_frame() -> dict:
    return {"type": p.S_KICKED}


FLAGS = ("locked", "late_join", "auto_advance", "show_leaderboard", "paused")


def flags_frame(state: dict) -> dict:
    return {"type": p.S_FLAGS, **{flag: state[flag] for flag in FLAGS}}


def ack_frame(submission_id: str) -> dict:
    return {"type": p.S_ACK, "status": p.ACK_RECEIVED, "submission_id": submission_id}


def pong_frame(t: Any, now: int) -> dict:
    return {"type": p.S_PONG, "t": t if isinstance(t, int | float) else None, "now": now}


def lobby_frame(players: int, **change: Any) -> dict:
    """The players' count; staff's copy says who joined (`joined`) or left (`left`)."""
    return {"type": p.S_LOBBY, "players": players, **change}


def answers_frame(q: int | None, count: int, total: int) -> dict:
    return {"type": p.S_ANSWERS, "q": q, "count": count, "total": total}


def result_frame(row: list) -> dict:
    """A player's own result from the compact row the bus carries (see Hub.publish)."""
    q, correct, fraction, points, score, rank, streak = row
    return {
        "type": p.S_RESULT,
        "q": q,
        "correct": correct,
        "fraction": fraction,
        "points": points,
        "score": score,
        "rank": rank,
        "streak": streak,
    }
