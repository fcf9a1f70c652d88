"""Calls made on one event loop, sent on together: one batch on its way at a time; the calls that
come meanwhile wait and go in the next one, in the order they came. Each call gets its own
outcome. The rate limits' Redis checks (core/ratelimit.py) and the contest's autosaves
(contest/attempt_fastpath.py) go this way: under load a batch carries what piled up during the
previous round trip, and a lone call waits for nothing but the end of its loop turn."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Pick = Callable[[list[Any]], tuple[list[Any], list[Any]]]


def take_all(queued: list[Any]) -> tuple[list[Any], list[Any]]:
    return queued, []


class LoopBatches:
    """`send(items)` sends a batch and returns one outcome per item (an exception instance fails
    that item's caller); if it raises, every caller of the batch hears of it. `pick(queued)`
    splits what waits into (this batch, later): by default all of it."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        send: Callable[[list[Any]], Awaitable[list[Any]]],
        pick: Pick = take_all,
    ) -> None:
        self.loop = loop
        self.send = send
        self.pick = pick
        self.queue: list[tuple[Any, asyncio.Future]] = []
        self.busy = False  # a batch is on its way: calls queue up for the next one
        self.tasks: set[asyncio.Task] = set()

    def call(self, item: Any) -> asyncio.Future:
        future = self.loop.create_future()
        self.queue.append((item, future))
        if len(self.queue) == 1 and not self.busy:
            self.loop.call_soon(self._start)  # at the end of this loop turn
        return future

    def _start(self) -> None:
        batch, later = self.pick(self.queue)
        self.queue = later
        if not batch:
            return
        self.busy = True
        task = self.loop.create_task(self._run(batch))
        self.tasks.add(task)  # held until done (the loop keeps only weak references)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, batch: list[tuple[Any, asyncio.Future]]) -> None:
        try:
            outcomes = list(await self.send([item for item, _future in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError("a batch's outcomes do not match its calls")
        except Exception as exc:  # noqa: BLE001 - every caller hears of it
            outcomes = [exc] * len(batch)
        except BaseException:  # cancelled (the loop is closing): nobody waits for ever
            self.busy = False
            for _item, future in batch + self.queue:
                future.cancel()
            self.queue = []
            raise
        self.busy = False
        if self.queue:
            self._start()  # what came meanwhile
        for (_item, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue  # its caller went away
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
