"""WebSocket routes."""

from __future__ import annotations

from django.urls import path, re_path

from realtime.ceremony import CeremonySocket
from realtime.consumers import GameSocket, JoinSocket
from realtime.feed import FeedSocket


async def no_such_socket(scope, receive, send) -> None:
    """Any other WebSocket path (a typo such as /ws/join without its slash): refused at the
    handshake, as a 403, where Channels' router raised for it (a 500 and a traceback)."""
    if (await receive())["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4004})


websocket_urlpatterns: list = [
    path("ws/game/<int:game_id>/", GameSocket.as_asgi()),
    # A phone joins with a frame and plays on the same socket (docs/protocol.md "Joining").
    path("ws/join/", JoinSocket.as_asgi()),
    # Read-only: the screen's frames for overlays and TV graphics (docs/broadcast.md).
    path("ws/feed/game/<int:game_id>/", FeedSocket.as_asgi()),
    path("ws/feed/game/<int:game_id>", FeedSocket.as_asgi()),
    path("ws/ceremony/<int:ceremony_id>/", CeremonySocket.as_asgi()),
    # Last: every other path.
    re_path(r"", no_such_socket),  # type: ignore[arg-type]  # an ASGI app, as Channels routes
]
