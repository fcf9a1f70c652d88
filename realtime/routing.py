"""WebSocket routes."""

from __future__ import annotations

from django.urls import path

from realtime.consumers import GameSocket

websocket_urlpatterns: list = [
    path("ws/game/<int:game_id>/", GameSocket.as_asgi()),
]
