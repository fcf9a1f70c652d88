"""An ASGI fast path for the two hottest contest reads: the public top of a round's board
(GET /api/rounds/<id>/leaderboard/) and my rank (GET /api/rounds/<id>/leaderboard/me/).

A ceremony screen and thousands of phones poll the same top 100. Django renders it at most once a
second per process (apis.RoundLeaderboardApi), but each request still costs ~3 ms of CPU in
Daphne, Django's ASGI handler, the middleware and the sync/async hops (bench/README.md,
"Contests", profile). This wrapper replays the complete response Django gave for exactly the same
request (path and query, Host, Accept-Language and language cookie: everything the answer depends
on) while the body Django rendered is less than a second old and the round's two versions (one
asyncio Redis MGET) are those it was rendered with, without entering Django. Anything else
(another path or method, an Authorization header, a miss, an expired or outdated entry) goes to
Django, whose response is remembered only when the view marked it (scope["contest.replay_until"]).

My rank is answered here when everything it needs is already at hand: a valid participant token
for the round's contest, this process's current copy of the round (selectors.round_copy, checked
against the shared row version), the participant's row on a built board (two Redis round trips on
an asyncio client, so the event loop never blocks), and the headers Django gave the last my-rank
answer for the same host and language. Anything else (no token, another contest, a revoked or
expired token, not on the board, a closed round not finalised yet, no copy) goes to Django, which
answers as always.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.http import parse_cookie

from config import logs, metrics

REPLAY_KEY = "contest.replay_until"
_PATH = re.compile(r"^/api/rounds/[0-9]+/leaderboard/$")
_ME = re.compile(r"^/api/rounds/([0-9]+)/leaderboard/me/$")
_MAX_ENTRIES = 2000
# Answers given here are counted under the URL pattern names Django would have used.
ROUTE_BOARD = "round-leaderboard"
ROUTE_ME = "round-my-rank"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return b""


def _request_key(scope: Scope) -> tuple:
    """What a response may depend on besides the path: host, query and language."""
    cookie = _header(scope, b"cookie")
    language = (
        parse_cookie(cookie.decode("latin-1")).get(settings.LANGUAGE_COOKIE_NAME, "")
        if cookie
        else ""
    )
    return (
        scope.get("query_string", b""),
        _header(scope, b"host"),
        _header(scope, b"accept-language"),
        language,
    )


def _key(scope: Scope) -> tuple | None:
    if (
        scope.get("type") != "http"
        or scope.get("method") != "GET"
        or not _PATH.match(scope.get("path", ""))
        or _header(scope, b"authorization")
    ):
        return None
    return (scope["path"], *_request_key(scope))


class BoardReplay:
    """Wraps Django's ASGI application (see config/asgi.py)."""

    def __init__(self, app):
        self.app = app
        # key -> (fresh until, response start, body, (row version, board version))
        self.entries: dict[tuple, tuple[float, dict, bytes, tuple[int, int]]] = {}
        self.me_headers: dict[tuple, list] = {}
        self._redis: tuple[Any, Any] | None = None  # (event loop, asyncio client)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        key = _key(scope)
        if key is None:
            me = _ME.match(scope.get("path", "")) if scope.get("type") == "http" else None
            if me is None or scope.get("method") != "GET" or _header(scope, b"authorization"):
                await self.app(scope, receive, send)
                return
            await self._my_rank(int(me[1]), scope, receive, send)
            return
        entry = self.entries.get(key)
        if entry is not None and time.monotonic() < entry[0] and await self._current(key, entry):
            await send(logs.with_request_id(entry[1], scope))
            await send({"type": "http.response.body", "body": entry[2]})
            metrics.request_done(ROUTE_BOARD, "GET", entry[1]["status"], started, "fastpath")
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

    async def _current(self, key: tuple, entry: tuple) -> bool:
        """The round and its board have not changed since Django rendered the entry (closing,
        corrections and round edits show at once, as they do through Django)."""
        from contest import leaderboards

        client = self._client()
        if client is None:
            return False
        round_id = int(key[0].split("/")[3])
        try:
            row, board = await client.mget(leaderboards.version_keys(round_id))
        except Exception:  # noqa: BLE001 - any doubt: Django answers
            return False
        return (int(row or 0), int(board or 0)) == entry[3]

    def _remember(self, key: tuple, marked, start: dict, body: bytes) -> None:
        if (
            marked is None
            or start.get("status") != 200
            or any(k.lower() == b"set-cookie" for k, _v in start.get("headers", ()))
        ):
            return
        if len(self.entries) >= _MAX_ENTRIES:
            self.entries.clear()
        until, stamp = marked
        self.entries[key] = (until, dict(start), body, stamp)

    # --- My rank ----------------------------------------------------------------------------

    def _client(self):
        from contest import leaderboards

        if leaderboards.redis_client() is None:
            return None
        loop = asyncio.get_running_loop()
        if self._redis is None or self._redis[0] is not loop:
            import redis.asyncio

            # redis-py 8's asyncio pool raises past max_connections (toolchain notes): size it
            # like the channel layer's.
            client = redis.asyncio.Redis.from_url(
                settings.REDIS_URL,
                socket_timeout=5,
                decode_responses=True,
                max_connections=settings.REDIS_MAX_CONNECTIONS,
            )
            self._redis = (loop, client)
        return self._redis[1]

    async def _my_rank_body(self, round_id: int, scope: Scope) -> bytes | None:
        from rest_framework.renderers import JSONRenderer

        from contest import leaderboards, selectors
        from contest.models import Round
        from contest.services.registration import cached_token_state, token_claims
        from quizzes.errors import ApplicationError

        token = _header(scope, b"x-participant-token")
        ids = token_claims(token.decode("latin-1")) if token else None
        client = self._client() if ids else None
        if client is None:
            return None
        row_version, _board = await client.mget(leaderboards.version_keys(round_id))
        round_ = selectors.round_copy(round_id, int(row_version or 0))
        if (
            round_ is None
            or round_.contest_id != ids[1]
            or not round_.contest.is_published
            or (
                round_.kind == Round.Kind.SELF_PACED
                and round_.finalized_at is None
                and round_.is_closed()
            )
        ):
            return None
        # Revoked or expired tokens: Django answers (403 token_revoked / token_expired). The
        # contest's token state comes with this copy of the round, or Django computes it first.
        state = cached_token_state(round_)
        if state is None:
            return None
        try:
            state.check(ids[0], ids[2])
        except ApplicationError:
            return None
        board = leaderboards.round_scope(round_)
        ready, row, total = await leaderboards.rank_row_async(client, board, ids[0])
        if not ready or row is None:
            return None
        return JSONRenderer().render({"me": leaderboards.my_rank_row(board, row, total)})

    async def _my_rank(self, round_id: int, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        key = _request_key(scope)
        headers = self.me_headers.get(key)
        body = None
        if headers is not None:
            try:
                body = await self._my_rank_body(round_id, scope)
            except Exception:  # noqa: BLE001 - any doubt: Django answers, as always
                body = None
        if body is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        *logs.with_request_id({"headers": headers}, scope)["headers"],
                        (b"Content-Length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            metrics.request_done(ROUTE_ME, "GET", 200, started, "fastpath")
            return

        async def capture(message: dict) -> None:
            if (
                message["type"] == "http.response.start"
                and message.get("status") == 200
                and not any(k.lower() == b"set-cookie" for k, _v in message.get("headers", ()))
            ):
                if len(self.me_headers) >= _MAX_ENTRIES:
                    self.me_headers.clear()
                self.me_headers[key] = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() != b"content-length"
                ]
            await send(message)

        await self.app(scope, receive, capture)
