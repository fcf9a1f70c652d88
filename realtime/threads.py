"""The live path's database threads: joins, look-ups and the hello's reads run here, not on
Django's one global sync thread.

A join is a few round trips to PostgreSQL and Redis, and on one thread a 10,000-player burst
waited for them one player at a time (the server sat mostly idle: bench/README.md "Joining").
Each thread borrows its own pooled connection (DB_POOL_MAX, 12 per process, leaves room for
the rest).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from core.threads import db_call

JOIN_THREADS = 4
_executor = ThreadPoolExecutor(max_workers=JOIN_THREADS, thread_name_prefix="join")


def off_thread(fn: Callable) -> Callable[..., Awaitable[Any]]:
    """`fn` as a coroutine on the join threads (core.threads.db_call): for the join, the
    look-up and the hello."""

    async def hop(*args, **kwargs):
        return await db_call(_executor, fn, *args, **kwargs)

    return hop


class Turns:
    """At most `limit` calls in flight per key (a client's address); the others wait their turn
    here, in order, without taking a thread. The database threads are few and served in order:
    one machine flooding look-ups of a valid PIN (each one succeeds, so no rate limit holds it
    back) kept every other school's look-ups and joins waiting behind its own for seconds."""

    def __init__(self, limit: int):
        self.limit = limit
        self.busy: dict[str, int] = {}
        self.waiting: dict[str, deque[asyncio.Future]] = {}

    def in_flight(self, key: str) -> int:
        return self.busy.get(key, 0)

    async def acquire(self, key: str) -> None:
        if self.busy.get(key, 0) < self.limit:
            self.busy[key] = self.busy.get(key, 0) + 1
            return
        turn = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(key, deque()).append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release(key)  # handed over just as it was cancelled: pass it on
            else:  # still queued, unless a release already passed it over
                queue = self.waiting.get(key)
                if queue is not None and turn in queue:
                    queue.remove(turn)
                    if not queue:
                        del self.waiting[key]
            raise

    def release(self, key: str) -> None:
        queue = self.waiting.get(key)
        while queue:
            turn = queue.popleft()
            if not queue:
                del self.waiting[key]
            if not turn.done():
                turn.set_result(None)  # handed over: still one in flight for this key
                return
            queue = self.waiting.get(key)
        left = self.busy.get(key, 1) - 1
        if left > 0:
            self.busy[key] = left
        else:
            self.busy.pop(key, None)

    @contextlib.asynccontextmanager
    async def turn(self, key: str):
        await self.acquire(key)
        try:
            yield
        finally:
            self.release(key)


class Batches:
    """Calls queued on the event loop and run on the join threads in batches: each hop takes
    every call queued so far (up to `most`), runs them one after another and hands each its own
    result or exception, each in its own copy of its caller's context, as off_thread runs one.

    At most `lanes` hops are in flight, so a burst does not put every join thread to work on one
    phone each. A 2,000-phone join burst (bench/live.py) spent a quarter of the server's CPU more
    on the join threads than the same steps took on one thread alone: four threads taking the
    interpreter lock from each other after every round trip, and two hops a phone. The server
    runs one lane (_batches below): since a batch's checks, game read and connection are shared
    by its calls, one lane keeps up with a 10,000-phone burst as two did, for 10-15 % less of the
    server's CPU per join (bench/README.md, session 19). While the threads keep up, a call waits
    for nothing: it has a lane to itself.

    A lane stuck in the database (a call waiting on a lock, or an address's look-ups held up:
    tests/hardening/test_address_turns.py) must not hold every other phone back: while calls
    wait and no lane has finished a batch for `stuck` seconds, another lane starts, up to
    `most_lanes` (one address holds at most ADDRESS_IN_FLIGHT of them: realtime/join.py)."""

    def __init__(self, executor: Executor, *, lanes: int, most: int, most_lanes: int, stuck: float):
        self.executor = executor
        self.lanes = lanes
        self.most = most
        self.most_lanes = most_lanes
        self.stuck = stuck
        self.queue: deque[tuple[contextvars.Context, Callable, tuple, asyncio.Future]] = deque()
        self.running = 0
        self.progress = 0.0  # the loop's time when a lane last started or finished a batch
        self.watching: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def call(self, fn: Callable, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a server has one loop for its life; tests start new ones
            self.loop, self.running, self.watching = loop, 0, None
            self.queue.clear()
        done = loop.create_future()
        self.queue.append((contextvars.copy_context(), fn, args, done))
        if self.running < self.lanes:
            self._start(loop)
        elif self.watching is None:
            self.watching = loop.call_later(self.stuck, self._unstick, loop)
        return await done

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.running += 1
        self.progress = loop.time()
        loop.create_task(self._lane())

    def _unstick(self, loop: asyncio.AbstractEventLoop) -> None:
        self.watching = None
        if not self.queue:
            return
        waited = loop.time() - self.progress
        if waited >= self.stuck and self.running < self.most_lanes:
            self._start(loop)
        self.watching = loop.call_later(max(self.stuck - waited, 0.01), self._unstick, loop)

    async def _lane(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.queue:
                batch = [self.queue.popleft() for _ in range(min(self.most, len(self.queue)))]
                try:
                    outcomes = await loop.run_in_executor(self.executor, _run_batch, batch)
                except BaseException as exc:  # noqa: BLE001 - every caller hears of it
                    outcomes = [(False, exc)] * len(batch)
                self.progress = loop.time()
                for (_context, _fn, _args, done), (ok, value) in zip(batch, outcomes, strict=True):
                    if done.done():
                        continue  # its caller went away (the socket closed)
                    if ok:
                        done.set_result(value)
                    else:
                        done.set_exception(value)
        finally:
            self.running -= 1


_batch = threading.local()


def batch_memo() -> dict | None:
    """What the calls of the batch running on this thread share (None outside a batch): the
    games their PIN look-ups read (realtime.services.game_for_pin)."""
    return getattr(_batch, "memo", None)


def _run_batch(batch: list) -> list[tuple[bool, Any]]:
    """A batch's calls, in order, with Django's connection handling around the batch (db_call's
    around one call): the batch borrows its pooled connection once, where each call borrowed
    and gave back its own (an eighth of a look-up and join's CPU on the join threads). A call
    that raised may have left its connection broken (PostgreSQL restarted): the handling runs
    again after it, so the next call gets a working one. Their rate limits' checks are asked for
    ahead in one round trip (core.ratelimit.checks_ahead: a call's `rate_limit_of(*args)` names
    its check) and their records sent together (core.ratelimit.records_deferred)."""
    from django.db import close_old_connections

    from core.ratelimit import checks_ahead, records_deferred

    asked = []
    for _context, fn, args, done in batch:
        ask = getattr(fn, "rate_limit_of", None)
        if ask is not None and not done.cancelled():
            asked.append(ask(*args))
    outcomes: list[tuple[bool, Any]] = []
    _batch.memo = {}
    try:
        with records_deferred(), checks_ahead(asked):
            close_old_connections()
            for context, fn, args, done in batch:
                if done.cancelled():
                    outcomes.append((False, asyncio.CancelledError()))
                    continue
                try:
                    outcomes.append((True, context.run(fn, *args)))
                except Exception as exc:  # noqa: BLE001 - raised in its caller
                    outcomes.append((False, exc))
                    close_old_connections()
    finally:
        _batch.memo = None
        close_old_connections()
    return outcomes


_batches = Batches(_executor, lanes=1, most=32, most_lanes=JOIN_THREADS, stuck=0.25)


def batched(fn: Callable) -> Callable[..., Awaitable[Any]]:
    """`fn` as a coroutine run in a batch on the join threads (Batches): for a phone's look-up,
    join and hello."""

    async def hop(*args):
        return await _batches.call(fn, *args)

    return hop
