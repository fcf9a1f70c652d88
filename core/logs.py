"""Structured logs: the request, game and round ids of whatever is being handled, on every record.

The ids live in context variables: the HTTP middleware below binds the request id (X-Request-ID,
or a new one) and the round or game of the URL; a live socket binds its own request id and game
(`bind_socket`, called by realtime/consumers.py). A `ContextFilter` copies them onto each log
record, and with LOG_FORMAT=json the `JsonFormatter` writes one JSON object per line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
game_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("game_id", default=None)
round_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("round_id", default=None)

CONTEXT: dict[str, contextvars.ContextVar[Any]] = {
    "request_id": request_id,
    "game_id": game_id,
    "round_id": round_id,
}
HEADER = "X-Request-ID"
# A request id from outside is kept only when it is short and plain (it ends up in every log line).
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_from(value: str | bytes | None) -> str:
    """The caller's X-Request-ID when it is sane, else a new random one."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if value and _VALID_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _given_id(scope: dict) -> bytes | None:
    value = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), None)
    return value if value and _VALID_ID.fullmatch(value.decode("latin-1")) else None


def with_request_id(start: dict, scope: dict) -> dict:
    """A remembered "http.response.start" replayed to another request (contest/fastpath.py):
    the X-Request-ID it carries is that request's own, never the one Django answered first."""
    headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() != b"x-request-id"]
    given = _given_id(scope)
    if given is not None:
        headers.append((HEADER.encode(), given))
    return {**start, "headers": headers}


def bind_socket(scope: dict, game: int) -> None:
    """A live socket's task: its request id (from the handshake) and its game."""
    request_id.set(request_id_from(_given_id(scope)))
    game_id.set(game or None)


class ContextFilter(logging.Filter):
    """Copies the bound ids onto every record (an `extra=` given by the caller wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT:
            value = getattr(record, name, None)
            if value is not None:
                doc[name] = value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RequestContextMiddleware:
    """Binds the request id and the URL's ids. A caller's own X-Request-ID (nginx's
    $request_id) is echoed in the response; a generated one stays in the logs, so that replayed
    responses (contest/fastpath.py) stay byte for byte what Django gave."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER)
        rid = request_id_from(given)
        request.request_id = rid
        # Not reset on the way out: Django logs a 4xx/5xx after the middleware returned. Under
        # ASGI each request runs in its own context; the next request here overwrites all three.
        request_id.set(rid)
        round_id.set(None)
        game_id.set(None)
        response = self.get_response(request)
        if rid == given:
            response[HEADER] = rid
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "round_id" in view_kwargs:
            round_id.set(_int_or_none(view_kwargs["round_id"]))
        if "game_id" in view_kwargs:
            game_id.set(_int_or_none(view_kwargs["game_id"]))
        return None
