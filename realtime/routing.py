"""WebSocket routes."""

from __future__ import annotations

from django.urls import path

from realtime.ceremony import CeremonySocket
from realtime.consumers import GameSocket

websocket_urlpatterns: list = [
    path("ws/game/<int:game_id>/", GameSocket.as_asgi()),
    path("ws/ceremony/<int:ceremony_id>/", CeremonySocket.as_asgi()),
]
