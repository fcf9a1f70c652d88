"""The event loop's rate-limit checks (core/ratelimit.check_async) that arrive in one loop turn go
to Redis together. Each caller must still get exactly the answer it would have got alone, in the
order the checks came: a burst from one address is cut at its limit, its neighbours are not, and
a token's bucket is shared by its addresses. Redis losing its scripts costs nobody an answer."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core import ratelimit

ROUTES = ["attempt-autosave", "attempt-submit", "round-attempt-start", "game-lookup"]
ADDRESSES = ["203.0.113.7", "203.0.113.8", "2001:db8:1:2::/64"]
TOKENS = [None, "token-a", "token-b"]

check_call = st.tuples(st.sampled_from(ROUTES), st.sampled_from(ADDRESSES), st.sampled_from(TOKENS))


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


def _small_limits(settings) -> None:
    settings.RATE_LIMIT_ATTEMPT = "2/0.5"
    settings.RATE_LIMIT_ANSWER = "3/2"
    settings.RATE_LIMIT_TOKEN = "4/0.5"
    settings.RATE_LIMIT_LOOKUP = "2/0.25"
    settings.RATE_LIMIT_PIN_MISSES = "2/600"


def _backends(settings):
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    return (
        ratelimit._RedisBackend(url, f"cqturn{uuid.uuid4().hex[:8]}"),
        ratelimit._RedisBackend(url, f"cqturn{uuid.uuid4().hex[:8]}"),
    )


def _close(loop, *backends) -> None:
    for chosen in backends:
        chosen.clear()
        for checks in chosen._async.values():
            loop.run_until_complete(checks.client.aclose())
    loop.close()


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    calls=st.lists(
        st.tuples(check_call, st.integers(min_value=0, max_value=6)), min_size=1, max_size=40
    )
)
def test_checks_made_together_answer_as_the_same_checks_made_one_by_one(
    settings, monkeypatch, calls
):
    """Checks arrive in the same loop turn or a few turns apart (some while a pipeline is on its
    way): each gets the answer the same check gets alone, in the order they arrived."""
    _small_limits(settings)
    monkeypatch.setattr(ratelimit, "time", _Clock())
    alone, together = _backends(settings)
    current = [together]
    monkeypatch.setattr(ratelimit, "backend", lambda: current[0])
    loop = asyncio.new_event_loop()
    arrived: list[int] = []

    async def one(i: int, route: str, address: str, token: str | None, turns: int):
        for _ in range(turns):
            await asyncio.sleep(0)
        arrived.append(i)
        return await ratelimit.check_async(route, address=address, token=token)

    async def all_of_them():
        return await asyncio.gather(
            *(one(i, *call, turns) for i, (call, turns) in enumerate(calls))
        )

    try:
        answers = loop.run_until_complete(all_of_them())
        current[0] = alone
        for i in arrived:
            route, address, token = calls[i][0]
            assert answers[i] == ratelimit.check(route, address=address, token=token), i
    finally:
        _close(loop, alone, together)


def test_a_burst_from_one_address_is_cut_at_its_limit_and_its_neighbours_are_not(
    settings, monkeypatch
):
    _small_limits(settings)
    monkeypatch.setattr(ratelimit, "time", _Clock())
    chosen, spare = _backends(settings)
    monkeypatch.setattr(ratelimit, "backend", lambda: chosen)
    loop = asyncio.new_event_loop()
    try:

        async def burst():
            flood = [
                ratelimit.check_async("attempt-autosave", address="203.0.113.7", token=None)
                for _ in range(20)
            ]
            others = [
                ratelimit.check_async("attempt-autosave", address=f"198.51.100.{i}", token=None)
                for i in range(1, 11)
            ]
            return await asyncio.gather(*flood), await asyncio.gather(*others)

        flood, others = loop.run_until_complete(burst())
        assert flood[:3] == [None, None, None], "the bucket's burst gets through"
        assert all(wait is not None and wait >= 1 for wait in flood[3:]), flood
        assert others == [None] * 10, "one address's flood costs its neighbours nothing"
    finally:
        _close(loop, chosen, spare)


def test_redis_losing_its_scripts_costs_nobody_an_answer(settings, monkeypatch):
    _small_limits(settings)
    monkeypatch.setattr(ratelimit, "time", _Clock())
    chosen, reference = _backends(settings)
    current = [chosen]
    monkeypatch.setattr(ratelimit, "backend", lambda: current[0])
    loop = asyncio.new_event_loop()
    calls = [("attempt-autosave", f"203.0.113.{i % 3}", None) for i in range(9)]
    try:

        async def turn():
            return await asyncio.gather(
                *(ratelimit.check_async(r, address=a, token=t) for r, a, t in calls)
            )

        loop.run_until_complete(turn())  # the loop's client exists
        (checks,) = chosen._async.values()
        checks.sha = "0" * 40  # a script Redis does not know: as after a restart or a flush
        answers = loop.run_until_complete(turn())
        current[0] = reference
        expected = [ratelimit.check(r, address=a, token=t) for r, a, t in calls * 2][len(calls) :]
        assert answers == expected
        assert checks.sha != "0" * 40, "the script is loaded again, once"
    finally:
        _close(loop, chosen, reference)


def test_redis_unreachable_the_loop_decides_from_this_process_memory(settings, monkeypatch):
    _small_limits(settings)
    monkeypatch.setattr(ratelimit, "time", _Clock())
    down = ratelimit._RedisBackend("redis://127.0.0.1:1/0", f"cqturn{uuid.uuid4().hex[:8]}")
    monkeypatch.setattr(ratelimit, "backend", lambda: down)
    ratelimit._memory.clear()
    loop = asyncio.new_event_loop()
    try:

        async def burst():
            return await asyncio.gather(
                *(
                    ratelimit.check_async("attempt-autosave", address="203.0.113.9", token=None)
                    for _ in range(5)
                )
            )

        answers = loop.run_until_complete(burst())
        assert answers[:3] == [None, None, None]
        assert all(wait is not None for wait in answers[3:])
        # The failed pipeline left nothing stuck: the next checks are answered too.
        assert all(wait is not None for wait in loop.run_until_complete(burst()))
    finally:
        ratelimit._memory.clear()
        for checks in down._async.values():
            loop.run_until_complete(checks.client.aclose())
        loop.close()


@pytest.fixture(autouse=True)
def _limits_on(settings):
    settings.RATE_LIMITS_ENABLED = True
