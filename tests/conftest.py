"""Shared fixtures. With CQ_REQUIRE_SERVICES or CI set, a missing PostgreSQL/Redis/Chromium is
a failure, never a skip."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# Join/PIN rate limits (core/ratelimit.py) are off for the suite, whose tests join many players
# from 127.0.0.1; tests/hardening turns them on and tests them. Server child processes inherit this.
os.environ["RATE_LIMITS_ENABLED"] = "0"
settings.RATE_LIMITS_ENABLED = False

# Properties are about results, not speed: on a loaded machine (CI shares two cores with
# PostgreSQL, Redis and Chromium) generating inputs may be slow, which must not fail a test.
hypothesis_settings.register_profile(
    "citizenquiz", suppress_health_check=[HealthCheck.too_slow], deadline=None
)
hypothesis_settings.load_profile("citizenquiz")

REQUIRE_SERVICES = bool(os.environ.get("CQ_REQUIRE_SERVICES") or os.environ.get("CI"))
CHROMIUM = "/usr/bin/chromium"


def pytest_sessionstart(session):
    _forget_live_state_of_earlier_runs()
    if not REQUIRE_SERVICES:
        return
    problems = []
    if not settings.DATABASE_URL.startswith("postgres"):
        problems.append("DATABASE_URL must point at PostgreSQL")
    if not settings.REDIS_URL:
        problems.append("REDIS_URL must be set")
    else:
        import redis

        try:
            redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except Exception as exc:
            problems.append(f"Redis is not reachable: {exc}")
    if not shutil.which(CHROMIUM):
        problems.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    if problems:
        pytest.exit("Required services are missing: " + "; ".join(problems), returncode=3)


def _forget_live_state_of_earlier_runs():
    """The test database is created afresh each run, so game ids restart: live state that an
    earlier run left in Redis under our prefix must go too."""
    if not settings.REDIS_URL:
        return
    import redis

    try:
        client = redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        keys = list(client.scan_iter(match=f"{settings.CHANNEL_PREFIX}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    except redis.RedisError:
        pass  # a missing Redis is reported by the service check below


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read English messages unless they ask for Vietnamese (the product defaults to vi)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_shared_keys_remembered():
    """Each test works out afresh which rounds' scores wait for another round to close: the
    product trusts what it found for seconds, longer than a test takes to change it."""
    from contest.shared_keys import forget_withheld

    forget_withheld()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def teacher(db):
    from tests.factories import make_user

    return make_user("teacher1", roles=["teacher"])


@pytest.fixture
def reviewer(db):
    from tests.factories import make_user

    return make_user("reviewer1", roles=["reviewer", "teacher"])


@pytest.fixture
def organiser(db):
    from tests.factories import make_user

    return make_user("organiser1", roles=["organiser"])


@pytest.fixture
def student(db):
    from tests.factories import make_user

    return make_user("student1", roles=[])
