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
