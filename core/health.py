"""/healthz: the status of the database, the channel layer and the live store.
/readyz: may this process take traffic? PostgreSQL, Redis and the background workers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "healthz.ping"})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("type") != "healthz.ping":
        raise RuntimeError("unexpected message")


# Pluggable: an app adds the health of what it owns (realtime: the live store) from its ready().
HEALTH_CHECKS: dict[str, Callable[[], object]] = {
    "database": _check_database,
    "channel_layer": async_to_sync(_check_channel_layer),
}


def register_health_check(name: str, check: Callable[[], object]) -> None:
    """A /healthz check: returns when the component is up, raises when it is down."""
    HEALTH_CHECKS[name] = check


@never_cache
def healthz(request):
    """200 with every component's status, or 503 naming what is down."""
    status: dict[str, str] = {}
    for name, check in list(HEALTH_CHECKS.items()):
        try:
            check()
            status[name] = "ok"
        except Exception as exc:  # any failure means "down"; the name says where
            status[name] = f"down: {exc.__class__.__name__}"
    down = [name for name, value in status.items() if value != "ok"]
    return JsonResponse(
        {"status": "ok" if not down else "down", "down": down, "checks": status},
        status=503 if down else 200,
    )


# --- readiness ---------------------------------------------------------------------------------

NOT_CONFIGURED = "not configured"
_redis_clients: dict[str, Any] = {}  # redis.Redis per URL


def check_database() -> str:
    _check_database()
    return "ok"


def check_redis() -> str:
    """PING on REDIS_URL (the live store, bus, cache and job queue); none with embedded defaults."""
    url = settings.REDIS_URL
    if not url:
        return NOT_CONFIGURED
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _redis_clients[url] = client
    client.ping()
    return "ok"


def check_workers() -> str:
    """The job queue's own check (settings.READYZ_WORKERS_CHECK: a dotted path to a callable
    that returns "ok" or raises, e.g. on a stale worker heartbeat); "not configured" without one."""
    path = getattr(settings, "READYZ_WORKERS_CHECK", "")
    if not path:
        return NOT_CONFIGURED
    return str(import_string(path)())


# Pluggable: another part of the product adds its check with register_readiness_check.
READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "workers": check_workers,
}


def register_readiness_check(name: str, check: Callable[[], str]) -> None:
    """A check returns its status ("ok", "not configured"...) or raises when not ready."""
    READINESS_CHECKS[name] = check


@never_cache
def readyz(request):
    """200 when every check passes (or is not configured), else 503; one entry per check."""
    checks: dict[str, str] = {}
    for name, check in list(READINESS_CHECKS.items()):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure means "not ready"; the name says where
            checks[name] = f"down: {type(exc).__name__}"
    down = [name for name, value in checks.items() if value.startswith("down")]
    return JsonResponse(
        {"status": "ready" if not down else "not ready", "down": down, "checks": checks},
        status=503 if down else 200,
    )
