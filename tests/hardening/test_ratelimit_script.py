"""The Redis script and the in-memory backend are the same rate limits (core/ratelimit.py): on any
sequence of checks, outcomes and clock ticks, they let the same requests through and answer the
same waits. A server without Redis (dev, tests) limits exactly like a cluster, and the ASGI fast
paths' check on the event loop (check_async) exactly like a thread's (check)."""

from __future__ import annotations

import asyncio
import uuid

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core import ratelimit
from realtime.challenge import CODE_WRONG

ROUTES = ["game-join", "game-join", "game-lookup", "round-attempt-start", "attempt-submit"]
ADDRESSES = ["203.0.113.7", "2001:db8:1:2::/64"]
TOKENS = [None, "token-a", "token-b"]
PINS = ["", "123456", "654321"]
STATUSES = [200, 201, 404, 409]

check_call = st.tuples(
    st.just("check"),
    st.sampled_from(ROUTES),
    st.sampled_from(ADDRESSES),
    st.sampled_from(TOKENS),
    st.sampled_from(PINS),
)
result_call = st.tuples(
    st.just("result"),
    st.sampled_from(ROUTES),
    st.sampled_from(ADDRESSES),
    st.sampled_from(STATUSES),
    st.sampled_from(["", CODE_WRONG]),
    st.sampled_from(PINS),
)
tick = st.tuples(st.just("tick"), st.integers(min_value=1, max_value=8))


class _Clock:
    # Whole eighths of a second from a whole second: every token count stays exact in binary and
    # in the script's 14-digit numbers, so the two backends compute the very same floats.
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# A join refused by its game's bucket gives its address's token back (it is not in flight).
@example(
    calls=[("check", "game-join", ADDRESSES[0], None, PINS[1])] * 3
    + [("check", "game-join", ADDRESSES[0], None, PINS[2])] * 2
)
@given(
    calls=st.lists(
        st.one_of(check_call, check_call, check_call, result_call, tick), min_size=10, max_size=60
    )
)
def test_redis_script_and_memory_backend_agree_on_every_sequence(settings, monkeypatch, calls):
    settings.RATE_LIMIT_JOIN = "3/0.25"
    settings.RATE_LIMIT_JOIN_GAME = "3/0.125"
    settings.RATE_LIMIT_JOIN_ADDRESS = "2/0.125"
    settings.RATE_LIMIT_LOOKUP = "2/0.25"
    settings.RATE_LIMIT_PIN_MISSES = "2/600"
    settings.RATE_LIMIT_REGISTER = "2/0.25"
    settings.RATE_LIMIT_ATTEMPT = "2/0.5"
    settings.RATE_LIMIT_ANSWER = "3/2"
    settings.RATE_LIMIT_TOKEN = "3/0.5"
    clock = _Clock()
    monkeypatch.setattr(ratelimit, "time", clock)
    # The script needs a real Redis: the configured one, else the local default (never a skip).
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    redis_backend = ratelimit._RedisBackend(url, f"cqprop{uuid.uuid4().hex[:8]}")
    on_loop = ratelimit._RedisBackend(url, f"cqprop{uuid.uuid4().hex[:8]}")
    backends = {"memory": ratelimit._MemoryBackend(), "redis": redis_backend, "loop": on_loop}
    loop = asyncio.new_event_loop()
    current = ["memory"]
    monkeypatch.setattr(ratelimit, "backend", lambda: backends[current[0]])
    start = clock.now
    try:
        for call in calls:
            if call[0] == "tick":
                clock.now += call[1] / 8
                continue
            answers = {}
            for name in backends:
                current[0] = name
                if call[0] == "check" and name == "loop":
                    _, route, address, token, pin = call
                    answers[name] = loop.run_until_complete(
                        ratelimit.check_async(route, address=address, token=token, pin=pin)
                    )
                elif call[0] == "check":
                    _, route, address, token, pin = call
                    answers[name] = ratelimit.check(route, address=address, token=token, pin=pin)
                else:
                    _, route, address, status, code, pin = call
                    ratelimit.record_result(
                        route, address=address, status=status, code=code, pin=pin
                    )
                    answers[name] = None
            memory, redis = answers["memory"], answers["redis"]
            assert answers["loop"] == redis, call
            assert (memory is None) == (redis is None), call
            if memory is not None and redis is not None and memory > 100:
                # A lockout's wait is its window's end: Redis counts it down on its own clock
                # (real seconds), the memory backend on the test's clock.
                assert abs(memory - redis) <= 1 + clock.now - start, call
            else:
                assert memory == redis, call
    finally:
        redis_backend.clear()
        on_loop.clear()
        for checks in on_loop._async.values():
            loop.run_until_complete(checks.client.aclose())
        loop.close()
