"""/healthz: the status of the database, the channel layer and the live store."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from realtime.store import get_store


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


@never_cache
def healthz(request):
    """200 with every component's status, or 503 naming what is down."""
    checks = {
        "database": _check_database,
        "channel_layer": async_to_sync(_check_channel_layer),
        "live_store": lambda: async_to_sync(get_store().ping)(),
    }
    status: dict[str, str] = {}
    for name, check in checks.items():
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
