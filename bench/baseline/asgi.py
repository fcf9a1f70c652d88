"""ASGI app of the baseline: a tiny join endpoint (HTTP) and the stock consumer (WebSocket)."""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")

import django  # noqa: E402

django.setup()

from channels.db import database_sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402

from bench.baseline.consumers import GameConsumer  # noqa: E402


def create_player(nickname: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_baseline_player (nickname) VALUES (%s) RETURNING id", [nickname]
        )
        return cursor.fetchone()[0]


async def http_app(scope, receive, send):
    """POST /api/games/join -> {"game": 1, "player": id, "token": "<id>"}; GET /healthz."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/api/games/join" and scope["method"] == "POST":
        data = json.loads(body)
        player = await database_sync_to_async(create_player)(str(data.get("nickname", "")))
        status, payload = 201, {"game": 1, "player": player, "token": str(player)}
    elif scope["path"] == "/healthz":
        status, payload = 200, {"status": "ok"}
    else:
        status, payload = 404, {"code": "not_found"}
    raw = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": AllowedHostsOriginValidator(
            URLRouter([path("ws/game/<int:game_id>/", GameConsumer.as_asgi())])
        ),
    }
)
