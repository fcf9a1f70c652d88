from __future__ import annotations

import pytest


def clear_boards() -> None:
    """Leaderboards are caches keyed by round id; ids restart with each test database."""
    from django.conf import settings
    from django.core.cache import cache

    from contest import boards

    backend = boards.backend()
    if settings.REDIS_URL:
        keys = list(backend.client.scan_iter(match=backend.prefix + "*", count=1000))
        if keys:
            backend.client.delete(*keys)
    else:
        backend.boards.clear()
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_boards():
    clear_boards()
    yield


@pytest.fixture
def setup(db):
    """A contest with an open round of 3 questions, and a school to register from."""
    from tests.contest.helpers import make_contest, make_school

    contest, round_, questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    return contest, round_, questions, units
