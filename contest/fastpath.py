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
Entries are keyed on what the body depends on, canonical: the round, the validated `n` and
`offset` (other query parameters are ignored, as the view ignores them), the Host header and the
language Django would pick. Cycling query parameters or Accept-Language spellings therefore finds
the same entry; only Django's 200 answers are remembered (a Host it refuses never makes an entry);
and the table drops its least recently used entry when full, never all of them.

Both paths are rate-limited here, like every entry point (core/ratelimit.py): a request is
counted once, here, and marked so that Django's middleware does not count it again.

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
import functools
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import parse_cookie

from core import logs, metrics

logger = logging.getLogger(__name__)

REPLAY_KEY = "contest.replay_until"
_MAX_ENTRIES = 2000
# The two routes answered here, by their URL names: their paths are contest/urls.py's (one source
# of truth), and answers given here are counted under the names Django would have used.
ROUTE_BOARD = "round-leaderboard"
ROUTE_ME = "round-my-rank"


@functools.cache
def route_regex(name: str) -> re.Pattern[str]:
    """The full path regex Django resolves URL `name` with (config/urls.py + contest/urls.py):
    read from the URL resolver on first use, so a route moved there moves here too. Its
    `round_id` group is the round."""
    from django.urls import get_resolver

    entries = get_resolver().reverse_dict.getlist(name)
    if len(entries) != 1:
        raise LookupError(f"the fast path needs exactly one URL named {name!r}")
    return re.compile("^/" + entries[0][1])


def _board_path(path: str) -> re.Match[str] | None:
    return route_regex(ROUTE_BOARD).match(path)


def _me_path(path: str) -> re.Match[str] | None:
    return route_regex(ROUTE_ME).match(path)


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return b""


def _clamp(value: Any, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


def board_window(params: Mapping[str, Any]) -> tuple[int, int]:
    """The (n, offset) a public round board is asked for, validated and clamped: the only query
    parameters its body depends on (RoundLeaderboardApi and the replay key both use this)."""
    return (
        _clamp(params.get("n"), 100, 1, 500),
        _clamp(params.get("offset"), 0, 0, 10**7),
    )


def _signed_in(scope: Scope) -> bool:
    cookie = _header(scope, b"cookie")
    return bool(cookie) and settings.SESSION_COOKIE_NAME in parse_cookie(cookie.decode("latin-1"))


def _language(scope: Scope) -> str:
    """The language Django's LocaleMiddleware picks for this request (cookie, then
    Accept-Language, then the default): one of settings.LANGUAGES."""
    from django.utils.translation import get_supported_language_variant
    from django.utils.translation.trans_real import parse_accept_lang_header

    cookie = _header(scope, b"cookie")
    candidates = []
    if cookie:
        chosen = parse_cookie(cookie.decode("latin-1")).get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            candidates.append(chosen)
    accept = _header(scope, b"accept-language").decode("latin-1")
    if accept:
        candidates += [code for code, _q in parse_accept_lang_header(accept) if code != "*"]
    for code in candidates:
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _host(scope: Scope) -> bytes:
    """The Host header (Django validates it: a host it refuses never gets an entry)."""
    return _header(scope, b"host").lower()


def _request_key(scope: Scope) -> tuple:
    """What a response may depend on besides the path: host and language (canonical)."""
    return (_host(scope), _language(scope))


def _key(scope: Scope) -> tuple | None:
    if (
        scope.get("type") != "http"
        or scope.get("method") != "GET"
        or _header(scope, b"authorization")
    ):
        return None
    board = _board_path(scope.get("path", ""))
    if board is None:
        return None
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    round_id = int(board["round_id"])  # "007" and "7" are the same round
    return (round_id, *board_window(query), *_request_key(scope))


def remember(table: OrderedDict, key: tuple, value: Any) -> None:
    """Remember `value`, dropping the least recently used entry when the table is full."""
    try:
        table[key] = value
        table.move_to_end(key)
        while len(table) > _MAX_ENTRIES:
            table.popitem(last=False)
    except KeyError:  # another thread (Django's sync views) changed the table meanwhile
        pass


async def _limited(scope: Scope, send: Send, name: str | None = None) -> bool:
    """Count this request against the rate limits (core/ratelimit.py) of the route `name`
    (default: the board's or my rank's); answer 429 and return True when over. Marks the scope
    as counted, so Django's middleware does not count it again."""
    if not settings.RATE_LIMITS_ENABLED:
        return False
    from core import ratelimit

    if name is None:
        name = ROUTE_ME if _me_path(scope.get("path", "")) else ROUTE_BOARD
    client = scope.get("client") or ("unknown", 0)
    meta = {"REMOTE_ADDR": client[0]}
    forwarded = _header(scope, b"x-forwarded-for")
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded.decode("latin-1")
    cookie = _header(scope, b"cookie")
    token = ratelimit.request_token(
        {"X-Participant-Token": _header(scope, b"x-participant-token").decode("latin-1")},
        parse_cookie(cookie.decode("latin-1")) if cookie else {},
    )
    address = ratelimit.client_address(meta)
    wait = await ratelimit.check_async(name, address=address, token=token)
    scope[ratelimit.CHECKED_KEY] = True
    if wait is None:
        return False
    from django.utils import translation

    from core.errors import too_many

    language = _language(scope)
    with translation.override(language):
        response = too_many(wait)
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [
                *((k.encode("latin-1"), v.encode("latin-1")) for k, v in response.items()),
                # The body's language, as every other reply says it (a black-box tester).
                (b"Content-Language", language.encode("latin-1")),
                (b"Content-Length", str(len(response.content)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": response.content})
    return True


# For the other fast paths (contest/attempt_fastpath.py): one copy of these checks.
header = _header
request_key = _request_key
limited = _limited


class BoardReplay:
    """Wraps Django's ASGI application (see config/asgi.py)."""

    def __init__(self, app):
        self.app = app
        # key -> (fresh until, response start, body, (row version, board version), private,
        # replayable until): a private entry (organisers see another board: frozen, hidden) is
        # not replayed to a signed-in user, who may be an organiser; Django answers them. Past
        # "fresh until" and before "replayable until" (leaderboards.body_limits) the entry is
        # replayed while Django renders the next one (refreshing: key -> that task).
        self.entries: OrderedDict[
            tuple, tuple[float, dict, bytes, tuple[int, int], bool, float]
        ] = OrderedDict()
        self.refreshing: dict[tuple, asyncio.Future] = {}
        self.me_headers: OrderedDict[tuple, list] = OrderedDict()
        self._redis: tuple[Any, Any] | None = None  # (event loop, asyncio client)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        if (
            scope.get("type") == "http"
            and (_board_path(scope.get("path", "")) or _me_path(scope.get("path", "")))
            and await _limited(scope, send)
        ):
            return
        key = _key(scope)
        if key is None:
            me = _me_path(scope.get("path", "")) if scope.get("type") == "http" else None
            if me is None or scope.get("method") != "GET" or _header(scope, b"authorization"):
                await self.app(scope, receive, send)
                return
            await self._my_rank(int(me["round_id"]), scope, receive, send)
            return
        entry = self.entries.get(key)
        now = time.monotonic()
        if (
            entry is not None
            and now < entry[5]
            and not (entry[4] and _signed_in(scope))
            and await self._current(key, entry)
        ):
            if now >= entry[0]:
                # Past its second: replayed while Django renders the next body in the background
                # (once per key at a time), so no reader waits behind the writes for it.
                self._refresh(key, scope)
            self.entries.move_to_end(key)
            await send(logs.with_request_id(entry[1], scope))
            await send({"type": "http.response.body", "body": entry[2]})
            metrics.request_done(ROUTE_BOARD, "GET", entry[1]["status"], started, "fastpath")
            return
        await self.app(scope, receive, self._recorder(key, scope, send))

    def _recorder(self, key: tuple, scope: Scope, send: Send | None):
        """A send() that remembers Django's answer for `key` (if the view marked it) and passes
        every message on to `send` (None: to nobody, a background render)."""
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self._remember(key, scope.get(REPLAY_KEY), start, b"".join(chunks))
            if send is not None:
                await send(message)

        return capture

    def _refresh(self, key: tuple, scope: Scope) -> None:
        if key in self.refreshing:
            return
        task = asyncio.ensure_future(self._render(key, dict(scope)))
        self.refreshing[key] = task  # a strong reference until it is done
        task.add_done_callback(lambda _task: self.refreshing.pop(key, None))

    async def _render(self, key: tuple, scope: Scope) -> None:
        """Django renders the board for a copy of a reader's request (already counted by the
        rate limits); the answer is remembered, sent to nobody."""
        scope.pop(REPLAY_KEY, None)
        asked = False

        async def receive() -> dict:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no disconnect: Django stops listening when it is done
            raise AssertionError("unreachable")

        try:
            await self.app(scope, receive, self._recorder(key, scope, None))
        except Exception:  # noqa: BLE001 - the next reader past the limit asks Django itself
            logger.exception("board refresh failed")

    async def _current(self, key: tuple, entry: tuple) -> bool:
        """The round and its board have not changed since Django rendered the entry (closing,
        corrections and round edits show at once, as they do through Django)."""
        from contest import boards

        client = self._client()
        if client is None:
            return False
        round_id = key[0]
        try:
            row, board = await client.mget(boards.version_keys(round_id))
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
        until, stamp, private, stale_until = marked
        remember(self.entries, key, (until, dict(start), body, stamp, private, stale_until))

    # --- My rank ----------------------------------------------------------------------------

    def _client(self):
        from contest import boards

        if boards.redis_client() is None:
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

        from contest import boards, selectors
        from contest.services.registration import cached_token_state, token_claims
        from contest.shared_keys import scores_withheld_known
        from core.errors import ApplicationError

        token = _header(scope, b"x-participant-token")
        ids = token_claims(token.decode("latin-1")) if token else None
        client = self._client() if ids else None
        if client is None or ids is None:
            return None
        row_version, _board = await client.mget(boards.version_keys(round_id))
        round_ = selectors.round_copy(round_id, int(row_version or 0))
        if (
            round_ is None
            or round_.contest_id != ids[1]
            or not round_.contest.is_published
            or round_.needs_finalizing()
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
        if not scores_withheld_known(round_.pk):
            return None  # what the round's scores may show needs a query: Django's
        board = boards.round_scope(round_)
        if board.hidden:  # scores kept until the close: the same reply for every participant
            return JSONRenderer().render(boards.my_rank_payload(board, None))
        ready, row, total = await boards.rank_row_async(client, board, ids[0])
        if not ready or row is None:
            return None
        me = boards.my_rank_row(board, row, total)
        return JSONRenderer().render(boards.my_rank_payload(board, me))

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
                remember(
                    self.me_headers,
                    key,
                    [
                        (k, v)
                        for k, v in message.get("headers", ())
                        if k.lower() != b"content-length"
                    ],
                )
            await send(message)

        await self.app(scope, receive, capture)
