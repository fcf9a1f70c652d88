"""Sockets that have not said who they are (no hello, no join) are bounded: each for a time
(WS_HELLO_SECONDS on the game's socket, whose pages say hello on opening; WS_JOIN_IDLE_SECONDS on
the join socket, where a phone sits at the form), and by number per address in each process
(WS_PENDING_PER_ADDRESS): one machine cannot hold thousands of sockets open to starve a ceremony
of its server's files, while a school's hundreds of phones behind one address all get in."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from realtime.services import player_join
from tests.realtime.conftest import Socket, screen_socket
from tests.realtime.test_join_socket import JoinPhone, _world

pytestmark = pytest.mark.django_db(transaction=True)

CLOSE_NOT_IDENTIFIED = 4008
CLOSE_TOO_MANY = 4029


async def _closed(sock, timeout: float = 5) -> int:
    """The close code of a socket expected to close (frames before it are skipped)."""
    while True:
        frame = await sock.recv(timeout)
        if frame["type"] == "__closed__":
            return frame["code"]


async def _pong(sock) -> dict:
    await sock.send({"type": "ping", "t": 1})
    return await sock.until("pong")


async def test_a_join_socket_that_never_joins_is_closed_and_one_that_joined_stays(settings):
    settings.WS_JOIN_IDLE_SECONDS = 0.3
    _host, game = await sync_to_async(_world)()
    idle = await JoinPhone(client="203.0.113.90").connect()
    await idle.send({"type": "lookup", "pin": game.pin})
    assert (await idle.recv())["type"] == "found"  # a look-up is not a join
    playing = await JoinPhone(client="203.0.113.90").connect()
    assert (await playing.join(pin=game.pin, nickname="Lan"))["type"] == "joined"
    assert await _closed(idle) == CLOSE_NOT_IDENTIFIED
    await asyncio.sleep(0.4)
    assert (await _pong(playing))["type"] == "pong"
    await playing.close()


async def test_a_game_socket_without_a_hello_is_closed_and_one_that_said_hello_stays(settings):
    settings.WS_HELLO_SECONDS = 0.3
    _host, game = await sync_to_async(_world)()
    silent = await Socket(game.id).connect()
    screen = await screen_socket(game)
    assert await _closed(silent) == CLOSE_NOT_IDENTIFIED
    await asyncio.sleep(0.4)
    assert (await _pong(screen))["type"] == "pong"
    await screen.close()


async def test_one_address_holds_a_bounded_number_of_sockets_that_have_not_joined(settings):
    settings.WS_PENDING_PER_ADDRESS = 3
    _host, game = await sync_to_async(_world)()
    waiting = [await JoinPhone(client="203.0.113.91").connect() for _ in range(3)]
    silent = Socket(game.id)
    silent.comm.scope["client"] = ("203.0.113.91", 41000)
    await silent.connect()
    refused = await silent.recv()
    assert refused["type"] == "error"
    assert refused["code"] == "rate_limited"
    assert refused["message"] == (  # the handshake's language (the tests' default: English)
        "Too many connections from your network are waiting to join. Please try again in a moment."
    )
    assert await _closed(silent) == CLOSE_TOO_MANY
    # Another address is not held back ...
    elsewhere = await JoinPhone(client="198.51.100.20").connect()
    assert (await elsewhere.join(pin=game.pin, nickname="Elsewhere"))["type"] == "joined"
    # ... and a phone that joined no longer counts: the address may open one more.
    assert (await waiting[0].join(pin=game.pin, nickname="Lan"))["type"] == "joined"
    another = await JoinPhone(client="203.0.113.91").connect()
    assert (await another.join(pin=game.pin, nickname="Minh"))["type"] == "joined"
    # A player's hello on the game socket counts as saying who they are, too.
    _player, token = await sync_to_async(player_join)(pin=game.pin, nickname="Hoa")
    player = Socket(game.id)
    player.comm.scope["client"] = ("203.0.113.91", 41001)
    await player.connect()
    assert (await player.hello(role="player", token=token))["type"] == "state"
    # A closed one frees its place: one waits (waiting[2]), so two more may wait, not three.
    await waiting[1].close()
    late = [await JoinPhone(client="203.0.113.91").connect() for _ in range(3)]
    assert (await late[2].recv())["code"] == "rate_limited"
    assert (await late[0].join(pin=game.pin, nickname="Nam"))["type"] == "joined"
    for sock in (waiting[0], waiting[2], elsewhere, another, player, late[0], late[1]):
        await sock.close()


@pytest.mark.parametrize("lang", ["en", "vi"])
async def test_a_game_socket_refused_before_its_hello_answers_in_the_browsers_language(
    settings, lang
):
    """Before a hello says its "lang", a socket answers in its handshake's language (the
    language cookie, then Accept-Language), as the join socket and the API do."""
    settings.WS_PENDING_PER_ADDRESS = 0
    _host, game = await sync_to_async(_world)()
    sock = Socket(game.id, headers=[(b"accept-language", lang.encode())])
    sock.comm.scope["client"] = ("203.0.113.95", 41000)
    await sock.connect()
    refused = await sock.recv()
    assert refused["code"] == "rate_limited"
    assert (
        refused["message"]
        == {
            "en": "Too many connections from your network are waiting to join. Please try again "
            "in a moment.",
            "vi": "Có quá nhiều kết nối từ mạng của bạn đang chờ vào. Vui lòng thử lại sau giây lát.",
        }[lang]
    )
    assert await _closed(sock) == CLOSE_TOO_MANY
