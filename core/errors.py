"""Errors shared by every app and their one body: {"code": ..., "message": ..., "details": ...}.

Message constants live next to the services that raise them; REST renders ApplicationError with
core.error_handler, the WebSocket turns it into an error frame.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy, ngettext

MSG_TOO_LARGE = gettext_lazy("The request is too large.")


class ApplicationError(Exception):
    """A rule was broken: rendered as {"code", "message", "details"} on REST and WebSocket alike."""

    status = 400

    def __init__(self, code: str, message: Any, details: Any = None, status: int | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.details = details
        if status is not None:
            self.status = status


def body_too_large(max_bytes: int) -> ApplicationError:
    """A request body over `max_bytes` (413, in the reader's language)."""
    return ApplicationError("too_large", MSG_TOO_LARGE, {"max_bytes": max_bytes}, status=413)


class NotFoundError(ApplicationError):
    status = 404


class ForbiddenError(ApplicationError):
    status = 403


def error_body(code: str, message: Any, details: Any = None) -> dict[str, Any]:
    """The one error shape of every REST answer and WebSocket error frame."""
    return {"code": code, "message": str(message), "details": details}


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """A JSON answer written byte for byte as the API's renderer writes it (DRF's JSONRenderer:
    compact, UTF-8), so a fast path and Django answer the same bytes."""
    from rest_framework.renderers import JSONRenderer

    return HttpResponse(JSONRenderer().render(data), status=status, content_type="application/json")


def too_many_body(retry_after: int) -> dict[str, Any]:
    """The body of a refusal by a rate limit (HTTP's 429, the join socket's error frame): the
    message says how long to wait, as `retry_after` does (a phone's form shows the message; an
    address locked out by its wrong PINs waits up to 10 minutes)."""
    wait = max(1, int(retry_after))
    if getattr(retry_after, "wrong_guesses", False):  # core.ratelimit.Refusal
        return error_body(
            "rate_limited",
            wait_message(wait, wrong_guesses=True),
            {"retry_after": wait, "reason": "wrong_guesses"},
        )
    return error_body("rate_limited", wait_message(wait), {"retry_after": wait})


def wait_message(seconds: int, *, wrong_guesses: bool = False) -> str:
    """'Too many requests' with the wait in seconds, or in whole minutes (rounded up) past 90 s;
    `wrong_guesses`: the address is locked out by its wrong PINs, codes or links, and says so."""
    if wrong_guesses:
        if seconds <= 90:
            return ngettext(
                "Too many wrong PINs, codes or links from your network. "
                "Please try again in %(count)d second.",
                "Too many wrong PINs, codes or links from your network. "
                "Please try again in %(count)d seconds.",
                seconds,
            ) % {"count": seconds}
        minutes = -(-seconds // 60)
        return ngettext(
            "Too many wrong PINs, codes or links from your network. "
            "Please try again in %(count)d minute.",
            "Too many wrong PINs, codes or links from your network. "
            "Please try again in %(count)d minutes.",
            minutes,
        ) % {"count": minutes}
    if seconds <= 90:
        return ngettext(
            "Too many requests. Please try again in %(count)d second.",
            "Too many requests. Please try again in %(count)d seconds.",
            seconds,
        ) % {"count": seconds}
    minutes = -(-seconds // 60)
    return ngettext(
        "Too many requests. Please try again in %(count)d minute.",
        "Too many requests. Please try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


def too_many(retry_after: int) -> HttpResponse:
    """429 with a Retry-After header, in the shared error body (rate limits, HTTP and fast path)."""
    return too_many_response(too_many_body(retry_after))


def too_many_response(body: dict[str, Any]) -> HttpResponse:
    """too_many_body's 429, with its Retry-After header."""
    response = json_response(body, status=429)
    response["Retry-After"] = str(body["details"]["retry_after"])
    return response
