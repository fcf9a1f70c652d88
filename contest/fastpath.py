"""An ASGI fast path for the public top of a round's board (GET /api/rounds/<id>/leaderboard/).

A ceremony screen and thousands of phones poll the same top 100. Django renders it at most once a
second per process (apis.RoundLeaderboardApi), but each request still costs ~3 ms of CPU in
Daphne, Django's ASGI handler, the middleware and the sync/async hops (bench/README.md,
"Contests", profile). This wrapper replays the complete response Django gave for exactly the same
request (path and query, Host, Accept-Language and language cookie: everything the answer depends
on) while the body Django rendered is less than a second old, without entering Django. Anything
else (another path or method, an Authorization header, a miss, an expired entry) goes to Django,
whose response is remembered only when the view marked it (scope["contest.replay_until"]).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http import parse_cookie

REPLAY_KEY = "contest.replay_until"
_PATH = re.compile(r"^/api/rounds/[0-9]+/leaderboard/$")
_MAX_ENTRIES = 2000

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return b""


def _key(scope: Scope) -> tuple | None:
    if (
        scope.get("type") != "http"
        or scope.get("method") != "GET"
        or not _PATH.match(scope.get("path", ""))
        or _header(scope, b"authorization")
    ):
        return None
    cookie = _header(scope, b"cookie")
    language = (
        parse_cookie(cookie.decode("latin-1")).get(settings.LANGUAGE_COOKIE_NAME, "")
        if cookie
        else ""
    )
    return (
        scope["path"],
        scope.get("query_string", b""),
        _header(scope, b"host"),
        _header(scope, b"accept-language"),
        language,
    )


class BoardReplay:
    """Wraps Django's ASGI application (see config/asgi.py)."""

    def __init__(self, app):
        self.app = app
        self.entries: dict[tuple, tuple[float, dict, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        entry = self.entries.get(key)
        if entry is not None and time.monotonic() < entry[0]:
            await send(entry[1])
            await send({"type": "http.response.body", "body": entry[2]})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self._remember(key, scope.get(REPLAY_KEY), start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _remember(self, key: tuple, until: float | None, start: dict, body: bytes) -> None:
        if (
            until is None
            or start.get("status") != 200
            or any(k.lower() == b"set-cookie" for k, _v in start.get("headers", ()))
        ):
            return
        if len(self.entries) >= _MAX_ENTRIES:
            self.entries.clear()
        self.entries[key] = (until, dict(start), body)
