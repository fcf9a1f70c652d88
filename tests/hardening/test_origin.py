"""WebSocket handshakes from a foreign page or with no Origin are refused; our own origin works."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


def _game():
    host = make_user("originhost", roles=["teacher"])
    return create_game(host, make_quiz(host))


@pytest.mark.parametrize(
    "headers",
    [
        [(b"origin", b"https://evil.example")],
        [(b"origin", b"http://testserver.evil.example")],
        [(b"origin", b"null")],
        [],
    ],
    ids=["foreign", "suffix-trick", "null", "missing"],
)
async def test_websocket_handshake_with_a_foreign_or_missing_origin_is_rejected(headers):
    from asgiref.sync import sync_to_async

    from config.asgi import application

    game = await sync_to_async(_game)()
    comm = WebsocketCommunicator(application, f"/ws/game/{game.id}/", headers=headers)
    connected, _ = await comm.connect()
    assert connected is False
    await comm.disconnect()


async def test_websocket_handshake_from_our_own_origin_is_accepted():
    from asgiref.sync import sync_to_async

    from config.asgi import application

    game = await sync_to_async(_game)()
    comm = WebsocketCommunicator(
        application, f"/ws/game/{game.id}/", headers=[(b"origin", b"http://testserver")]
    )
    connected, _ = await comm.connect()
    assert connected is True
    await comm.disconnect()


async def test_real_server_refuses_foreign_and_missing_origins_over_a_real_socket(asgi_server):
    from asgiref.sync import sync_to_async

    game = await sync_to_async(_game)()
    url = asgi_server.url.replace("http://", "ws://") + f"/ws/game/{game.id}/"
    for origin in ("https://evil.example", None):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, origin=origin, open_timeout=5, proxy=None):
                pass
        assert refused.value.response.status_code == 403
    async with connect(url, origin=asgi_server.url, open_timeout=5, proxy=None) as ws:
        await ws.send('{"type": "ping", "t": 1}')
        assert '"pong"' in await ws.recv()
