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
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
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
