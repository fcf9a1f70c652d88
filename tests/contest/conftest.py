from __future__ import annotations

import pytest


def clear_boards() -> None:
    """Leaderboards are caches keyed by round id; ids restart with each test database."""
    from django.conf import settings
    from django.core.cache import cache

    from contest import leaderboards

    backend = leaderboards.backend()
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
