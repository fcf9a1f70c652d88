"""Translated messages of WebSocket error frames (codes: realtime/protocol.py)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from realtime import protocol as p

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
