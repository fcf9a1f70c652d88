"""Joining on the join socket (/ws/join/, realtime/consumers.py JoinSocket): a phone sends one
`join` frame instead of POST /api/games/join and a hello, and plays on the same socket. It is the
API's join behind the API's limits: the same refusals (code, message, details, language), the same
reply body, the same kicked-device rule, one miss counter for PIN guessing."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator

from realtime.challenge import challenge_current
from realtime.device import DEVICE_COOKIE
from realtime.models import Game, Player
from tests.factories import make_user
from tests.realtime.conftest import ORIGIN, Socket, create_game, host_socket, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


class JoinPhone(Socket):
    """A phone on the join socket (Socket's helpers, another path)."""

    def __init__(self, *, client="203.0.113.5", headers=()):
        from config.asgi import application

        self.comm = WebsocketCommunicator(application, "/ws/join/", headers=[ORIGIN, *headers])
        self.comm.scope["client"] = (client, 40000)
        self.frames = []
        self.raw = []

    async def join(self, **fields) -> dict:
        await self.send({"type": "join", **fields})
        return await self.recv()


async def _api_join(body: dict, *, client="203.0.113.5", headers=()):
    """POST /api/games/join through Django (the API's view): status and JSON body."""
    from config.asgi import django_asgi_app
    from tests.hardening.test_join_fastpath import _post

    status, reply, _headers, _raw = await _post(
        django_asgi_app, body, client=client, headers=headers
    )
    return status, reply


def _world(**settings):
    host = make_user(f"sockhost{Game.objects.count()}", roles=["teacher"])
    return host, create_game(host, make_quiz(host), **settings)


def _error(frame: dict) -> dict:
    assert frame["type"] == "error", frame
    return {k: v for k, v in frame.items() if k != "type"}


async def test_a_phone_joins_with_one_frame_gets_the_apis_body_then_the_state_and_plays():
    host, game = await sync_to_async(_world)()
    hosting = await host_socket(game.id, host)
    phone = await JoinPhone().connect()
    joined = await phone.join(pin=game.pin, nickname="Lan", lang="en")
    assert joined["type"] == "joined"
    assert set(joined) - {"type"} == {
        "game", "player", "nickname", "team", "venue", "practice", "token", "ws_url",
    }  # fmt: skip
    assert joined["game"] == game.id
    assert joined["nickname"] == "Lan"
    state = await phone.recv()
    assert state["type"] == "state"
    assert state["you"]["player"] == joined["player"]
    # The host's lobby counts them in, as after a hello.
    lobby = await hosting.until("lobby")
    assert lobby["players"] == 1
    # One join per socket: it is the player's socket from here on.
    await phone.send({"type": "join", "pin": game.pin, "nickname": "Lan again"})
    assert (await phone.until("error"))["code"] == "invalid_action"
    # The token is a player's token: a hello on the game's socket resumes them there.
    again = await Socket(game.id).connect()
    resumed = await again.hello(role="player", token=joined["token"])
    assert resumed["type"] == "state"
    assert resumed["you"]["player"] == joined["player"]
    assert (await phone.until("__closed__"))["code"] == 4000  # replaced by the newer socket
    await again.close()
    await hosting.close()
    assert await sync_to_async(Player.objects.filter(game=game).count)() == 1


async def test_every_refusal_is_the_apis_error_body_and_the_socket_stays_open_for_the_next_try(
    settings,
):
    settings.RATE_LIMIT_JOIN = "100000/100000"
    _host, game = await sync_to_async(_world)(capacity=2)
    await _api_join({"pin": game.pin, "nickname": "Lan"}, client="198.51.100.1")
    other_pin = "0000001" if game.pin != "0000001" else "0000002"
    cases = [
        {"pin": game.pin, "nickname": "  lan "},  # nickname taken (folded)
        {"pin": other_pin, "nickname": "Nam"},  # wrong PIN
        {"pin": game.pin, "nickname": "\u200b"},  # invalid nickname
        {"pin": game.pin},  # the serializer refuses it: the API's 400 body
        {"pin": game.pin, "nickname": "x" * 201},
        {"pin": ["1"], "nickname": "Nam"},
    ]
    for lang in ("vi", "en"):
        phone = await JoinPhone(client="198.51.100.7").connect()
        for case in cases:
            frame = await phone.join(**case, lang=lang)
            status, body = await _api_join(
                case, client="198.51.100.8", headers=[(b"accept-language", lang.encode())]
            )
            assert status >= 400
            assert _error(frame) == body, (case, frame, body)
        # Still open: the next try on the same socket joins.
        assert (await phone.join(pin=game.pin, nickname="Minh", lang=lang))["type"] == "joined"
        assert (await phone.recv())["type"] == "state"
        await phone.close()
        await sync_to_async(Player.objects.filter(game=game, nickname="Minh").delete)()
        await sync_to_async(Game.objects.filter(id=game.id).update)(active_players=1)
    # A full game: the same refusal on both doors.
    await _api_join({"pin": game.pin, "nickname": "Hoa"}, client="198.51.100.1")
    phone = await JoinPhone().connect()
    frame = await phone.join(pin=game.pin, nickname="Full", lang="en")
    assert _error(frame) == (await _api_join({"pin": game.pin, "nickname": "Full"}))[1]
    assert frame["code"] == "game_full"
    await phone.close()


async def test_the_join_code_and_venues_are_asked_as_the_api_asks_them(settings):
    from realtime.venues import venues_add

    settings.RATE_LIMIT_JOIN = "100000/100000"
    _host, game = await sync_to_async(_world)(join_challenge=True)
    hanoi, hue = await sync_to_async(venues_add)(game=game, names=["Hà Nội", "Huế"])
    code = (await sync_to_async(challenge_current)(game=game, venue_id=hanoi.id))["code"]  # its own
    wrong = "0000" if code != "0000" else "1111"
    phone = await JoinPhone().connect()
    for case in (
        {"pin": game.pin, "nickname": "An", "venue": hue.id},  # no code
        {"pin": game.pin, "nickname": "An", "venue": hue.id, "challenge": wrong},
        {"pin": game.pin, "nickname": "An", "challenge": code},  # no venue
        {"pin": game.pin, "nickname": "An", "challenge": code, "venue": hue.id + 1000},
    ):
        frame = await phone.join(**case, lang="en")
        assert _error(frame) == (await _api_join(case, client="198.51.100.3"))[1], case
    joined = await phone.join(pin=game.pin, nickname="An", challenge=code, venue=hanoi.id)
    assert joined["type"] == "joined"
    assert joined["venue"] == "Hà Nội"
    state = await phone.recv()
    assert state["type"] == "state"
    await phone.close()


async def test_a_kicked_device_stays_out_on_the_join_socket_too():
    _host, game = await sync_to_async(_world)()
    status, first = await _api_join({"pin": game.pin, "nickname": "Lan"})
    assert status == 201
    device = await sync_to_async(lambda: Player.objects.get(pk=first["player"]).device)()
    from django.core import signing

    signed = signing.Signer(salt="realtime.device").sign(device)
    cookie = (b"cookie", f"{DEVICE_COOKIE}={signed}".encode())
    from realtime.services import player_kick

    await sync_to_async(player_kick)(game_id=game.id, player_id=first["player"])
    phone = await JoinPhone(headers=[cookie]).connect()
    frame = await phone.join(pin=game.pin, nickname="Lan khác", lang="vi")
    api = await _api_join(
        {"pin": game.pin, "nickname": "Lan 2"}, headers=[cookie, (b"accept-language", b"vi")]
    )
    assert _error(frame) == api[1]
    assert frame["code"] == "banned"
    await phone.close()
    # Another device joins; the socket's device is the player's (the hello's rule holds later).
    other = await JoinPhone().connect()
    joined = await other.join(pin=game.pin, nickname="Minh")
    assert joined["type"] == "joined"
    stored = await sync_to_async(lambda: Player.objects.get(pk=joined["player"]).device)()
    assert stored
    assert stored != device
    await other.close()


async def _api_lookup(pin, *, client="203.0.113.5", lang="en"):
    """GET /api/games/lookup through Django (the API's view): status and JSON body."""
    from config.asgi import django_asgi_app

    communicator = HttpCommunicator(
        django_asgi_app,
        "GET",
        "/api/games/lookup",
        headers=[(b"host", b"testserver"), (b"accept-language", lang.encode())],
    )
    communicator.scope["client"] = (client, 40000)
    communicator.scope["query_string"] = f"pin={pin}".encode()
    response = await communicator.get_response(timeout=30)
    await communicator.wait()
    return response["status"], json.loads(response["body"] or b"null")


async def test_a_pin_look_up_on_the_join_socket_answers_as_the_api_then_the_same_socket_joins():
    from realtime.venues import venues_add

    _host, game = await sync_to_async(_world)(join_challenge=True)
    hanoi, _hue = await sync_to_async(venues_add)(game=game, names=["Hà Nội", "Huế"])
    other_pin = "0000001" if game.pin != "0000001" else "0000002"
    phone = await JoinPhone().connect()
    for lang in ("vi", "en"):
        for pin in (game.pin, other_pin, "", "12ab"):
            await phone.send({"type": "lookup", "pin": pin, "lang": lang})
            frame = await phone.recv()
            status, body = await _api_lookup(pin, lang=lang)
            if status == 200:
                assert frame["type"] == "found"
                assert {k: v for k, v in frame.items() if k != "type"} == body
                assert body["challenge"] is True
                assert body["venues"][0]["id"] == hanoi.id
            else:
                assert _error(frame) == body
    code = (await sync_to_async(challenge_current)(game=game, venue_id=hanoi.id))["code"]  # its own
    joined = await phone.join(pin=game.pin, nickname="An", challenge=code, venue=hanoi.id)
    assert joined["type"] == "joined"
    assert (await phone.recv())["type"] == "state"
    # Once it plays, it looks nothing up.
    await phone.send({"type": "lookup", "pin": game.pin})
    assert (await phone.until("error"))["code"] == "invalid_action"
    await phone.close()


async def test_a_player_who_joins_a_game_no_one_opened_yet_is_counted_once():
    """The first join of a game no process holds yet (no host, no screen connected): the host
    then sees one player, and the answers count towards one, with or without a look-up."""
    for look_up_first in (False, True):
        host, game = await sync_to_async(_world)()
        phone = await JoinPhone().connect()
        if look_up_first:
            await phone.send({"type": "lookup", "pin": game.pin})
            assert (await phone.recv())["type"] == "found"
        joined = await phone.join(pin=game.pin, nickname="Solo")
        assert joined["type"] == "joined"
        assert (await phone.recv())["type"] == "state"
        hosting = await host_socket(game.id, host)
        assert hosting.frames[-1]["game"]["players"] == 1
        await phone.close()
        await hosting.close()


async def test_odd_language_values_and_paths_are_refused_cleanly():
    _host, game = await sync_to_async(_world)()
    phone = await JoinPhone(headers=[(b"accept-language", b"en")]).connect()
    english = (await _api_lookup("0000001", lang="en"))[1]["message"]
    for lang in (["en"], {}, 7):
        await phone.send({"type": "lookup", "pin": "0000001", "lang": lang})
        frame = await phone.recv()
        # Not a server failure ("busy"): the answer, in the handshake's language.
        assert frame["code"] == "game_not_found"
        assert frame["message"] == english
    # A PIN is text, as in the API's query string: anything else is refused as the join refuses
    # it, and is not a wrong guess: sent more often than the lockout's misses, it does not lock
    # the phone's network out (found by a black-box tester: 20 numbers locked it out for 10
    # minutes).
    join_refusal = await phone.join(pin=int(game.pin), nickname="Lan")
    assert join_refusal["code"] == "invalid"
    for pin in [int(game.pin), None] * 12:
        await asyncio.sleep(0.06)  # within the socket's frames per second
        await phone.send({"type": "lookup", "pin": pin})
        frame = await phone.recv()
        assert _error(frame) == _error(join_refusal)
    await phone.send({"type": "lookup", "pin": game.pin})
    assert (await phone.recv())["type"] == "found"
    await phone.close()
    from config.asgi import application

    for path in ("/ws/join", "/ws/join/1/", "/ws/nothing/"):
        comm = WebsocketCommunicator(application, path, headers=[ORIGIN])
        connected, code = await comm.connect()
        assert not connected
        assert code == 4004


async def test_a_regional_language_code_in_a_frame_is_read_as_its_language():
    """`lang` takes a code as Accept-Language does: "en-US" or "EN" is English on a phone whose
    handshake said Vietnamese; an unknown code leaves the handshake's language (found by a
    black-box tester: only exactly "vi" and "en" were read)."""
    from django.utils import translation

    from realtime.services import MSG_GAME_NOT_FOUND

    await sync_to_async(_world)()
    phone = await JoinPhone(headers=[(b"accept-language", b"vi")]).connect()
    try:
        for lang, language in (("en-US", "en"), ("EN", "en"), ("vi-VN", "vi"), ("xx-YY", "vi")):
            await phone.send({"type": "lookup", "pin": "1", "lang": lang})
            frame = await phone.recv()
            assert frame["code"] == "game_not_found"
            with translation.override(language):
                assert frame["message"] == str(MSG_GAME_NOT_FOUND), lang
    finally:
        await phone.close()


def test_a_player_counted_in_by_their_join_is_the_player_a_hello_reads_and_is_counted_once():
    """On the join socket of a game its process holds, the join's own statement counts the
    player in (the hello it saves would only have marked them seen): the socket plays with the
    player as a hello would read them, and a later hello does not count them in again. A join
    for a game the process does not hold leaves the count to the hello, as before."""
    from realtime.access import player_hello
    from realtime.join import socket_join_sync

    _host, game = _world()
    scope = {"client": ("203.0.113.9", 40000), "headers": [], "cookies": {}}
    status, body, device, player, arrived = socket_join_sync(
        scope, {"pin": game.pin, "nickname": "Lan"}, "en", game.id
    )
    assert (status, arrived) == (201, True)
    stored = Player.objects.get(pk=body["player"])
    fields = [f.attname for f in Player._meta.concrete_fields]
    assert {f: getattr(player, f) for f in fields} == {f: getattr(stored, f) for f in fields}
    assert stored.seen
    assert player_hello(game.id, stored.id, device)[1] is False  # counted in once

    status, body, device, player, arrived = socket_join_sync(
        scope, {"pin": game.pin, "nickname": "Minh"}, "en", None
    )
    assert (status, player, arrived) == (201, None, False)
    assert not Player.objects.get(pk=body["player"]).seen
    assert player_hello(game.id, body["player"], device)[1] is True


async def test_joins_that_share_one_read_of_their_game_still_stop_at_its_capacity():
    """A batch's joins of one game take the game as its first call read it; each seat is still
    taken against the game row as it is then, so a game with room for two lets two of five in
    and tells the other three it is full, in the order they came."""
    import asyncio
    import threading

    from realtime import services
    from realtime.join import socket_join_sync
    from realtime.threads import Batches, _executor

    _host, game = await sync_to_async(_world)(capacity=2)
    reads = []
    read = services._game_by_pin
    services._game_by_pin = lambda pin: reads.append(pin) or read(pin)
    batches = Batches(_executor, lanes=1, most=8, most_lanes=1, stuck=5)
    hold = threading.Event()

    def first():
        hold.wait(5)  # holds the lane while the five joins queue behind it: one batch

    try:
        held = asyncio.ensure_future(batches.call(first))
        scope = {"client": ("203.0.113.10", 40000), "headers": [], "cookies": {}}
        joins = [
            asyncio.ensure_future(
                batches.call(
                    socket_join_sync, scope, {"pin": game.pin, "nickname": f"P{n}"}, "en", None
                )
            )
            for n in range(5)
        ]
        await asyncio.sleep(0.05)
        hold.set()
        await held
        outcomes = await asyncio.gather(*joins)
    finally:
        services._game_by_pin = read
    assert [o[0] for o in outcomes] == [201, 201, 400, 400, 400]
    assert [o[1].get("code") for o in outcomes[2:]] == ["game_full"] * 3
    assert reads == [game.pin]  # one read for the batch
    assert await sync_to_async(Player.objects.filter(game=game).count)() == 2
