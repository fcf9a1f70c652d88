"""Hardening tests: the rate limits are ON here (the rest of the suite turns them off)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _rate_limits_on(settings):
    from config import ratelimit

    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_JOIN = "200/2"
    settings.RATE_LIMIT_JOIN_GAME = "2000/500"
    settings.RATE_LIMIT_JOIN_ADDRESS = "600/1"
    settings.RATE_LIMIT_LOOKUP = "200/2"
    settings.RATE_LIMIT_PIN_MISSES = "20/600"
    settings.RATE_LIMIT_REGISTER = "30/0.5"
    settings.RATE_LIMIT_ATTEMPT = "60/1"
    settings.RATE_LIMIT_ANSWER = "300/50"
    settings.RATE_LIMIT_RESULTS = "120/10"
    settings.RATE_LIMIT_BOARD = "300/50"
    settings.RATE_LIMIT_TOKEN = "60/2"
    settings.TRUSTED_PROXY_COUNT = 0
    ratelimit.reset()
    yield
    ratelimit.reset()


# Limits a real server child process runs with (production defaults, stated explicitly).
STRICT_ENV = {
    "RATE_LIMITS_ENABLED": "1",
    "RATE_LIMIT_JOIN": "200/2",
    "RATE_LIMIT_JOIN_GAME": "2000/500",
    "RATE_LIMIT_JOIN_ADDRESS": "600/1",
    "RATE_LIMIT_LOOKUP": "200/2",
    "RATE_LIMIT_PIN_MISSES": "20/600",
    "RATE_LIMIT_REGISTER": "30/0.5",
    "RATE_LIMIT_ATTEMPT": "60/1",
    "RATE_LIMIT_ANSWER": "300/50",
    "RATE_LIMIT_RESULTS": "120/10",
    "RATE_LIMIT_BOARD": "300/50",
    "RATE_LIMIT_TOKEN": "60/2",
    "TRUSTED_PROXY_COUNT": "0",
}


# Shared fixtures: real Daphne server and Chromium (browser tests), live-engine hygiene.
from tests.browser.conftest import artifacts, asgi_server, browser  # noqa: E402, F401
from tests.realtime.conftest import (  # noqa: E402, F401
    _clean_live_keys,
    _close_worker_connections,
    _fresh_hub,
)
