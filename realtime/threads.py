"""The live path's database threads: joins, look-ups and the hello's reads run here, not on
Django's one global sync thread.

A join is a few round trips to PostgreSQL and Redis, and on one thread a 10,000-player burst
waited for them one player at a time (the server sat mostly idle: bench/README.md "Joining").
Each thread borrows its own pooled connection (DB_POOL_MAX, 12 per process, leaves room for
the rest).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async

JOIN_THREADS = 4
_executor = ThreadPoolExecutor(max_workers=JOIN_THREADS, thread_name_prefix="join")


def off_thread(fn: Callable) -> Callable[..., Awaitable[Any]]:
    """`fn` as a coroutine on the join threads, with Django's connection handling around it
    (as channels' database_sync_to_async does): for the join, the look-up and the hello."""
    from django.db import close_old_connections

    def run(*args, **kwargs):
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False, executor=_executor)
