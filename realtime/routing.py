"""WebSocket routes."""

from __future__ import annotations

from django.urls import path

from realtime.ceremony import CeremonySocket
from realtime.consumers import GameSocket, JoinSocket
from realtime.feed import FeedSocket

websocket_urlpatterns: list = [
    path("ws/game/<int:game_id>/", GameSocket.as_asgi()),
    # A phone joins with a frame and plays on the same socket (docs/protocol.md "Joining").
    path("ws/join/", JoinSocket.as_asgi()),
    # Read-only: the screen's frames for overlays and TV graphics (docs/broadcast.md).
    path("ws/feed/game/<int:game_id>/", FeedSocket.as_asgi()),
    path("ws/feed/game/<int:game_id>", FeedSocket.as_asgi()),
    path("ws/ceremony/<int:ceremony_id>/", CeremonySocket.as_asgi()),
]
