"""An ASGI fast path for the hottest contest write: autosave (POST /api/attempts/<id>/answers/).

In a contest rush autosave is 10 of every 12 attempt requests. Through Django each one costs
several milliseconds of CPU in Daphne, Django's ASGI handler, the middleware and the sync/async
hops, for one SQL statement (bench/README.md, "Contest rush", profile). This wrapper answers it on
the event loop when everything it needs is already at hand, with THE SAME rules and THE SAME
statement as the service it shortcuts (contest.services.attempts.answers_save):

- the request's shape is checked by the API's own serializer (apis.AnswersSerializer);
- the participant comes from the token header (token_claims), as apis._fast_participant_id does;
- answers and the prediction are cleaned and the statement's item built by
  attempts.autosave_statement (this process's copy of the paper and the answer keys), and the
  statement is attempts.AUTOSAVES_SQL, run on an asyncio psycopg pool for all the autosaves that
  came together (_Autosaves): it checks each token's version, each attempt's owner, status and
  deadline in the database, as Django's path does (its own autosave alone, in the same statement);
- the reply body is autosave_reply, which the API view uses too, with the headers Django gave the
  last autosave answer for the same host and language.

Anything else goes to Django unchanged (the body is replayed): no token header, a cookie (the
pages' participants: CSRF is Django's), an Authorization header, a body the serializer refuses,
an attempt whose paper this process has not seen, a statement that refused the save (finished,
late, revoked token, someone else's attempt): Django then answers as always, with its reasons.
The request is rate-limited here, once (contest/fastpath.py's check), like every entry point.
tests/contest/test_attempt_fastpath.py proves the two paths answer identically.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.utils import timezone

from contest import fastpath
from core import jsonbody, logs, metrics

ROUTE_AUTOSAVE = "attempt-autosave"
ROUTE_START = "round-attempt-start"
ROUTE_SUBMIT = "attempt-submit"
# The attempt writes (start, submit, and autosaves the fast path passes on): the paths Django
# routes to these names (contest/urls.py), read from its resolver.
WRITE_ROUTES = (ROUTE_START, ROUTE_AUTOSAVE, ROUTE_SUBMIT)

# Start and submit run the service on these threads (each borrows a pooled Django connection,
# and at most as many run at once as the process has connections: AttemptWrites._slots).
WRITE_THREADS = 8
_executor = ThreadPoolExecutor(max_workers=WRITE_THREADS, thread_name_prefix="attempt")


def _autosave_path(path: str) -> re.Match[str] | None:
    return fastpath.route_regex(ROUTE_AUTOSAVE).match(path)


def _write_path(path: str) -> bool:
    return any(fastpath.route_regex(name).match(path) for name in WRITE_ROUTES)


def _start_or_submit_path(path: str) -> tuple[str, int] | None:
    """(route name, round or attempt id) of a start or a submit."""
    for name in (ROUTE_START, ROUTE_SUBMIT):
        match = fastpath.route_regex(name).match(path)
        if match is not None:
            return name, int(match[1])
    return None


# How long an autosaves' statement waits for a locked attempt row (ms): see _connections.
LOCK_TIMEOUT_MS = 500

# How long a request waits for the one learning its route's headers through Django (_learnt).
LEARN_WAIT = 5.0

MAX_BODY = 256 * 1024  # larger bodies go to Django (its own limits answer them)


def autosave_reply(attempt, now=None) -> dict[str, Any]:
    """The answer to a successful autosave (the API view and the fast path): never whether an
    answer is right."""
    now = now or timezone.now()
    return {
        "saved": True,
        "time_left_ms": attempt.time_left_ms(now),
        "server_now": now.isoformat(),
    }


def start_reply(attempt) -> dict[str, Any]:
    """The answer to a start (the API view and the fast path): the attempt's state."""
    from contest import selectors

    return selectors.attempt_state(attempt)


def submit_reply(attempt) -> dict[str, Any]:
    """The answer to a hand-in (the API view and the fast path): never the score."""
    return {
        "status": attempt.status,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "time_ms": attempt.time_ms,
    }


def start_or_submit(
    route: str,
    object_id: int,
    claims: tuple[int, int, int],
    language: str,
    data: dict[str, Any] | None,
) -> tuple[int, bytes]:
    """A start or a submit as its API view does it (contest/apis/attempts.py) for a participant
    known by a valid token: the same selectors, access check and service, the reply or the
    error in the shared body (core.error_handler), rendered as DRF's JSONRenderer does.
    `data`: a submit's validated AnswersSerializer data. Runs on a worker thread."""
    from django.utils import translation
    from rest_framework.renderers import JSONRenderer

    from contest import selectors, services
    from contest.services.registration import MSG_NOT_REGISTERED, participant_for_claims
    from core.errors import ApplicationError, ForbiddenError, error_body

    with translation.override(language):
        try:
            if route == ROUTE_START:
                # The process's copy of the round while it is current (the board reads' one):
                # the same check as round_get for a participant (published), without a query.
                round_, _version = selectors.round_get_published(round_id=object_id)
                participant = participant_for_claims(claims, round_.contest, round_=round_)
                if participant is None:
                    raise ForbiddenError("not_registered", MSG_NOT_REGISTERED)
                attempt = services.attempt_start(participant=participant, round_=round_)
                status, reply = 201, start_reply(attempt)
            else:
                data = data or {}
                attempt = services.attempt_submit(
                    participant_id=claims[0],
                    token_version=claims[2],
                    attempt_id=object_id,
                    answers=data.get("answers"),
                    prediction=data.get("prediction"),
                )
                status, reply = 200, submit_reply(attempt)
        except ApplicationError as exc:
            status, reply = exc.status, error_body(exc.code, exc.message, exc.details)
        return status, JSONRenderer().render(reply)


def _on_thread(fn, *args):
    """`fn(*args)` on the attempt threads (core.threads.db_call)."""
    from core.threads import db_call

    return db_call(_executor, fn, *args)


def _reject_constant(name: str):
    raise ValueError(name)  # NaN, Infinity: Django's JSON parser refuses them too


class AttemptWrites:
    """Wraps Django's ASGI application (config/asgi.py, inside contest.fastpath.BoardReplay)."""

    def __init__(self, app):
        self.app = app
        self.headers: OrderedDict[tuple, list] = OrderedDict()
        self._pool: tuple[Any, Any] | None = None  # (event loop, psycopg AsyncConnectionPool)
        self._semaphore: tuple[Any, asyncio.Semaphore] | None = None
        self._batches: _Autosaves | None = None
        # Per (route, host, language): the request learning its headers through Django, if any
        # (its event loop, and a future done once its answer is sent).
        self._learning: dict[tuple, tuple[Any, asyncio.Future]] = {}

    async def __call__(self, scope, receive, send) -> None:
        write = scope.get("type") == "http" and scope.get("method") == "POST"
        match = _autosave_path(scope.get("path", "")) if write else None
        if match is None:
            other = _start_or_submit_path(scope.get("path", "")) if write else None
            if other is not None:
                await self._start_or_submit(*other, scope, receive, send)
            elif write and _write_path(scope.get("path", "")):
                await self._django(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if await fastpath.limited(scope, send, ROUTE_AUTOSAVE):
            return
        body, more = await _read_body(receive)
        if more is None:
            return  # the client went away before its request was complete
        replay = _replaying(body, more, receive)
        reply = None
        key = (ROUTE_AUTOSAVE, *fastpath.request_key(scope))
        headers = self.headers.get(key) or await self._learnt(key)
        if headers is not None and more is False and _postgres() and _eligible(scope, body):
            try:
                reply = await self._autosave(int(match[1]), scope, body)
            except Exception:  # noqa: BLE001 - any doubt: Django answers, as always
                reply = None
        if reply is None:
            await self._learn(key, scope, replay, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    *logs.with_request_id({"headers": headers}, scope)["headers"],
                    (b"Content-Length", str(len(reply)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply})
        metrics.request_done(ROUTE_AUTOSAVE, "POST", 200, started, "fastpath")

    async def _start_or_submit(self, route: str, object_id: int, scope, receive, send) -> None:
        """A start or a submit with a token header: the view's work on a worker thread, without
        Django's handler, middleware and DRF (start_or_submit); anything else through Django."""
        from contest.services.registration import token_claims

        key = (route, *fastpath.request_key(scope))
        headers = self.headers.get(key) or await self._learnt(key)
        claims = None
        if headers is not None and _eligible(scope, None):
            token = fastpath.header(scope, b"x-participant-token").decode("latin-1")
            claims = token_claims(token)
        if claims is None:
            await self._learn(key, scope, receive, send)
            return
        started = time.perf_counter()
        if await fastpath.limited(scope, send, route):
            return
        body, more = await _read_body(receive)
        if more is None:
            return  # the client went away before its request was complete
        replay = _replaying(body, more, receive)
        outcome = None
        if more is False and _eligible(scope, body):
            try:
                data = None if route == ROUTE_START else _answers_data(body)
                if route == ROUTE_START or data is not None:
                    async with self._slots():
                        outcome = await _on_thread(
                            start_or_submit,
                            route,
                            object_id,
                            claims,
                            fastpath.request_key(scope)[1],
                            data,
                        )
            except Exception:  # noqa: BLE001 - any doubt: Django answers, as always
                outcome = None
        if outcome is None:
            await self._learn(key, scope, replay, send)
            return
        status, reply = outcome
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    *logs.with_request_id({"headers": headers}, scope)["headers"],
                    (b"Content-Length", str(len(reply)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": reply})
        metrics.request_done(route, "POST", status, started, "fastpath")

    async def _django(self, scope, receive, send) -> None:
        """An attempt write through Django, at most as many at a time as the process has
        database connections: in a rush the others wait here, on the event loop, in order,
        instead of each taking a thread that waits for a connection (and fails after
        DB_POOL_TIMEOUT) while every running request competes with it for the GIL."""
        async with self._slots():
            await self.app(scope, receive, send)

    def _slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore[0] is not loop:
            from django.db import connections

            options = connections["default"].settings_dict.get("OPTIONS") or {}
            pool = options.get("pool") if isinstance(options, dict) else None
            size = pool.get("max_size", 12) if isinstance(pool, dict) else 12
            self._semaphore = (loop, asyncio.Semaphore(max(1, int(size))))
        return self._semaphore[1]

    async def _autosave(self, attempt_id: int, scope, body: bytes) -> bytes | None:
        from rest_framework.renderers import JSONRenderer

        from contest.services.attempts import (
            PAPER_COPY_SQL,
            autosave_saved,
            autosave_statement,
            paper_known,
            remember_paper_row,
        )
        from contest.services.registration import token_claims

        claims = token_claims(fastpath.header(scope, b"x-participant-token").decode("latin-1"))
        if claims is None:
            return None
        data = _answers_data(body)
        if data is None:
            return None
        if not paper_known(attempt_id):
            # Another process started this attempt: read its paper once, as start kept it there.
            pool = await self._connections()
            async with pool.connection() as conn:
                cursor = await conn.execute(PAPER_COPY_SQL, {"attempt": attempt_id})
                row = await cursor.fetchone()
            if row is None:
                return None
            remember_paper_row(attempt_id, row)
        now = timezone.now()
        prepared = autosave_statement(
            claims[0],
            attempt_id,
            data.get("answers"),
            data.get("prediction"),
            now,
            claims[2],
            cached_only=True,
        )
        if prepared is None:
            return None
        item, attempt = prepared
        saved = autosave_saved(attempt, await self._autosaves().save(item))
        if saved is None:
            return None
        return JSONRenderer().render(autosave_reply(saved))

    def _autosaves(self) -> _Autosaves:
        loop = asyncio.get_running_loop()
        if self._batches is None or self._batches.loop is not loop:
            self._batches = _Autosaves(loop, self._connections)
        return self._batches

    async def _connections(self):
        """This event loop's small psycopg pool (autocommit: the statement is its own
        transaction, as on Django's connection)."""
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool[0] is not loop:
            from django.db import connections
            from psycopg_pool import AsyncConnectionPool

            params = connections["default"].settings_dict
            kwargs = {
                "dbname": params["NAME"],
                "user": params.get("USER"),
                "password": params.get("PASSWORD"),
                "host": params.get("HOST"),
                "port": params.get("PORT"),
                "autocommit": True,
                # An attempt's row locked by a long transaction (a hand-in held up, an expiry)
                # must not hold up every other autosave of its statement, nor those queued
                # behind it: past this wait the statement fails and Django answers each of
                # its autosaves, the locked one waiting for its row alone.
                "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}",
            }
            pool = AsyncConnectionPool(
                kwargs={k: v for k, v in kwargs.items() if v not in (None, "")},
                min_size=1,
                max_size=4,
                open=False,
            )
            self._pool = (loop, pool)
            await pool.open()
        return self._pool[1]

    async def close(self) -> None:
        """Close this event loop's connections (tests; a server process just exits)."""
        if self._pool is not None:
            pool, self._pool = self._pool[1], None
            await pool.close()

    async def _learn(self, key: tuple, scope, receive, send) -> None:
        """Django answers; a successful answer's headers are remembered for the fast path
        (_capture). The first such request of a route, host and language is the one the others
        wait for (_learnt) until its answer is sent."""
        loop = asyncio.get_running_loop()
        learning = self._learning.get(key)
        mine = None
        if learning is None or learning[0] is not loop or learning[1].done():
            mine = self._learning[key] = (loop, loop.create_future())
        try:
            await self._django(scope, receive, self._capture(key, send))
        finally:
            if mine is not None:
                if self._learning.get(key) is mine:
                    del self._learning[key]
                mine[1].set_result(None)

    async def _learnt(self, key: tuple) -> list | None:
        """The headers for `key` once the request learning them has been answered (None if it
        learnt none, or after LEARN_WAIT seconds: Django then answers this one too). Without a
        request learning them, None at once. In a rush's first second every autosave and start
        went through Django until the first answer came back: a hundred of them, each holding
        one of the process's database slots for Django's whole path (~0.6 s), and the starts
        queued behind them for seconds (bench/README.md, "Issue #15: session 18")."""
        learning = self._learning.get(key)
        if learning is None or learning[0] is not asyncio.get_running_loop():
            return None
        try:
            await asyncio.wait_for(asyncio.shield(learning[1]), LEARN_WAIT)
        except TimeoutError:
            return None
        return self.headers.get(key)

    def _capture(self, key: tuple, send):
        """Remember the headers of Django's successful answers (per route, host and language):
        the fast path answers with exactly those."""

        async def capture(message: dict) -> None:
            if (
                message["type"] == "http.response.start"
                and message.get("status") in (200, 201)
                and not any(k.lower() == b"set-cookie" for k, _v in message.get("headers", ()))
            ):
                fastpath.remember(
                    self.headers,
                    key,
                    [
                        (k, v)
                        for k, v in message.get("headers", ())
                        if k.lower() != b"content-length"
                    ],
                )
            await send(message)

        return capture


class _Autosaves:
    """The autosaves of one event loop, to the database together (core.loopbatch): one
    statement (attempts.AUTOSAVES_SQL) for all those that came while the previous one was on its
    way. Each autosave gets its own row back (None: refused, and Django then says why). An
    attempt is in a statement at most once, so a second autosave of the same attempt waits for
    the next one, in the order they came. A statement that fails fails each of its autosaves
    (Django then answers them, as before)."""

    MOST = 100  # autosaves in one statement

    def __init__(self, loop, connections) -> None:
        from core.loopbatch import LoopBatches

        self.loop = loop
        self.connections = connections  # the loop's psycopg pool (AttemptWrites._connections)
        self.batches = LoopBatches(loop, self._statement, self._pick)

    def save(self, item: dict) -> asyncio.Future:
        return self.batches.call(item)

    @classmethod
    def _pick(cls, queued: list) -> tuple[list, list]:
        batch: list = []
        later: list = []
        attempts: set[int] = set()
        for entry in queued:
            attempt = entry[0]["attempt"]
            if len(batch) < cls.MOST and attempt not in attempts:
                batch.append(entry)
                attempts.add(attempt)
            else:
                later.append(entry)
        return batch, later

    async def _statement(self, items: list[dict]) -> list[Any]:
        from contest.services.attempts import AUTOSAVES_SQL, autosaves_params, autosaves_rows

        pool = await self.connections()
        async with pool.connection() as conn:
            cursor = await conn.execute(AUTOSAVES_SQL, autosaves_params(items))
            return autosaves_rows(await cursor.fetchall(), len(items))


def _answers_data(body: bytes) -> dict[str, Any] | None:
    """An autosave's or a submit's body as the view validates it (AnswersSerializer; a plain
    body by answers_input, its checks without DRF's fields); None when refused (Django then
    says why)."""
    from contest.apis.attempts import AnswersSerializer, answers_input

    parsed = jsonbody.loads(body, parse_constant=_reject_constant)
    data = answers_input(parsed)
    if data is not None:
        return data
    serializer = AnswersSerializer(data=parsed)
    if not serializer.is_valid():
        return None
    return dict(serializer.validated_data)


# The JSON renderer is the one DRF picks for these Accept headers (others may pick the browsable
# API, or ask for an indent: Django answers them).
_JSON_ACCEPTS = (b"", b"*/*", b"application/json")


@functools.cache
def _postgres() -> bool:
    """The statement and the pool are PostgreSQL's: on the embedded defaults (SQLite, `make
    run`) every autosave is Django's (the pool waited 30 s for a connection it could not open,
    then handed the request to Django: a save near the deadline came back refused). A process
    has one database for its life."""
    from django.db import connections

    return connections["default"].vendor == "postgresql"


def _eligible(scope, body: bytes | None) -> bool:
    """Token header only: cookies (CSRF), sessions and Authorization are Django's. The body is
    what Django reads too: as long as its Content-Length says (Django reads no further); None:
    not read yet."""
    return bool(
        (body is None or fastpath.header(scope, b"content-length") == str(len(body)).encode())
        and fastpath.header(scope, b"accept").strip().lower() in _JSON_ACCEPTS
        and fastpath.header(scope, b"x-participant-token")
        and not fastpath.header(scope, b"cookie")
        and not fastpath.header(scope, b"authorization")
        and fastpath.header(scope, b"content-type").split(b";")[0].strip().lower()
        == b"application/json"
    )


async def _read_body(receive) -> tuple[bytes, bool | None]:
    """The request body, up to MAX_BODY; `more` is True when it was cut there, None when the
    client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), False
        if size > MAX_BODY:
            return b"".join(chunks), True


def _replaying(body: bytes, more: bool, receive):
    """A receive() that gives Django the body already read, then the rest of the request."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay
