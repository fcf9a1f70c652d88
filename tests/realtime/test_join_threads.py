"""The join threads (realtime/threads.py off_thread, core/threads.py db_call, which the attempt
threads of the contest fast path share): a phone's look-up, join and hello run
there. What they log is filed under the phone's socket, and what they refuse reaches it."""

from __future__ import annotations

import logging

import pytest

from core import logs
from core.errors import ApplicationError
from realtime.threads import off_thread


async def test_a_line_logged_on_the_join_threads_carries_the_sockets_request_id_and_game(caplog):
    def join_step():
        logging.getLogger("realtime.join").warning("joining")

    logs.bind_socket({"headers": [(b"x-request-id", b"phone-42")]}, 7)
    with caplog.at_level(logging.WARNING, logger="realtime.join"):
        caplog.handler.addFilter(logs.ContextFilter())
        await off_thread(join_step)()
    record = next(r for r in caplog.records if r.getMessage() == "joining")
    assert (record.request_id, record.game_id) == ("phone-42", 7)
    assert record.threadName.startswith("join")  # logged on the join threads, not the loop


async def test_a_refusal_raised_on_the_join_threads_reaches_the_socket():
    def refuse(pin):
        raise ApplicationError("game_not_found", f"no game {pin}", status=404)

    with pytest.raises(ApplicationError) as refused:
        await off_thread(refuse)("123456")
    assert (refused.value.code, refused.value.status) == ("game_not_found", 404)


async def test_what_the_join_threads_bind_stays_theirs():
    """Each call runs in a copy of the socket's context: a thread binding another game (a
    step that logs under it) leaves the socket's own fields as they were."""
    logs.bind_socket({"headers": [(b"x-request-id", b"phone-43")]}, 8)

    def rebind():
        logs.game_id.set(9)
        return logs.game_id.get()

    assert await off_thread(rebind)() == 9
    assert (logs.request_id.get(), logs.game_id.get()) == ("phone-43", 8)


async def test_a_batch_gives_each_call_its_own_answer_its_own_refusal_and_its_own_context():
    """The look-ups, joins and hellos of a burst run in batches (realtime.threads.Batches): each
    phone still gets its own reply or refusal, logged under its own socket, and a refusal does
    not stop the calls after it in the batch."""
    import asyncio
    import threading

    from realtime.threads import Batches, _executor

    batches = Batches(_executor, lanes=1, most=8, most_lanes=1, stuck=5)
    hold = threading.Event()

    def step(n):
        hold.wait(5)  # the first call holds its lane while the others queue: one batch
        if n % 3 == 0:
            raise ApplicationError("game_not_found", f"no game {n}", status=404)
        return (n, logs.request_id.get(), threading.current_thread().name)

    async def phone(n):
        logs.bind_socket({"headers": [(b"x-request-id", f"phone-{n}".encode())]}, n)
        return await batches.call(step, n)

    calls = [asyncio.ensure_future(phone(n)) for n in range(1, 11)]
    await asyncio.sleep(0.05)
    hold.set()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    for n, outcome in enumerate(outcomes, start=1):
        if n % 3 == 0:
            assert isinstance(outcome, ApplicationError)
            assert outcome.message == f"no game {n}"
        else:
            assert outcome[:2] == (n, f"phone-{n}")
            assert outcome[2].startswith("join")
    assert batches.running == 0


async def test_a_burst_takes_at_most_its_lanes_of_join_threads():
    import asyncio
    import threading

    from realtime.threads import Batches, _executor

    batches = Batches(_executor, lanes=2, most=4, most_lanes=2, stuck=5)
    busy, most_busy, lock = [0], [0], threading.Lock()

    def step(n):
        with lock:
            busy[0] += 1
            most_busy[0] = max(most_busy[0], busy[0])
        threading.Event().wait(0.01)
        with lock:
            busy[0] -= 1
        return n

    assert await asyncio.gather(*(batches.call(step, n) for n in range(40))) == list(range(40))
    assert most_busy[0] <= 2


async def test_calls_behind_stuck_lanes_get_another_lane():
    """Two calls stuck in the database, each holding one of the two lanes: a phone's call that
    comes next still gets through, on a lane started once none has moved for `stuck` seconds."""
    import asyncio
    import threading

    from realtime.threads import Batches, _executor

    batches = Batches(_executor, lanes=2, most=8, most_lanes=3, stuck=0.1)
    release = threading.Event()
    stuck = []
    for _lane in range(2):  # each call is taken by a lane before the next one comes
        taken = threading.Event()

        def stuck_in_the_database(taken=taken):
            taken.set()
            return release.wait(10)

        stuck.append(asyncio.ensure_future(batches.call(stuck_in_the_database)))
        assert await asyncio.to_thread(taken.wait, 5)
    try:
        assert batches.running == 2
        assert await asyncio.wait_for(batches.call(lambda: "found"), 2) == "found"
        assert batches.running <= 3
    finally:
        release.set()
    assert await asyncio.gather(*stuck) == [True, True]


@pytest.mark.django_db(transaction=True)
async def test_a_call_that_broke_its_connection_does_not_break_the_next_calls_of_its_batch():
    """A batch borrows its database connection once for all its calls; a call that raised with
    its connection broken (PostgreSQL restarted under it) leaves the next phone of the same batch
    a working connection, not the broken one."""
    import asyncio
    import threading

    from django.db import connection

    from realtime.models import Game
    from realtime.threads import Batches, _executor

    batches = Batches(_executor, lanes=1, most=8, most_lanes=1, stuck=5)
    hold = threading.Event()

    def first():
        hold.wait(5)  # holds the lane while the others queue: one batch
        return Game.objects.count()

    def broken():
        connection.ensure_connection()
        connection.connection.close()  # as a restart would leave it
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def after():
        return Game.objects.count()

    calls = [asyncio.ensure_future(batches.call(first))]
    calls += [asyncio.ensure_future(batches.call(fn)) for fn in (broken, after, after)]
    await asyncio.sleep(0.05)
    hold.set()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert outcomes[0] == 0
    assert isinstance(outcomes[1], Exception)
    assert outcomes[2:] == [0, 0]
