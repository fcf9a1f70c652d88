"""A kicked player stays out of that game under any nickname from the same device (issue 12,
point 8). The device is a signed, HttpOnly cookie set at the first join (realtime.device); join
(REST) and the WebSocket hello both refuse a device kicked from the game. Its limit, by design: a
new browser profile or cleared cookies is a new device (docs/security.md)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from realtime.device import DEVICE_COOKIE, device_new, device_read
from realtime.models import Player
from realtime.services import player_kick
from tests.factories import make_user
from tests.realtime.conftest import Socket, create_game, host_socket, make_quiz


def make_game():
    teacher = make_user("host", roles=["teacher"])
    return teacher, create_game(teacher, make_quiz(teacher, ["single"]))


def join(client: APIClient, game, nickname: str):
    return client.post("/api/games/join", {"pin": game.pin, "nickname": nickname}, format="json")


@pytest.mark.django_db
def test_a_kicked_player_cannot_come_back_under_another_nickname_from_the_same_device():
    _teacher, game = make_game()
    phone = APIClient()
    first = join(phone, game, "Lan")
    assert first.status_code == 201
    cookie = phone.cookies[DEVICE_COOKIE]
    assert cookie["httponly"]
    assert cookie.value
    player_kick(game_id=game.id, player_id=first.json()["player"])
    again = join(phone, game, "Lan khác")
    assert again.status_code == 403
    assert again.json()["code"] == "banned"
    assert again.json()["message"]
    assert not Player.objects.filter(game=game, nickname="Lan khác").exists()


@pytest.mark.django_db
def test_other_devices_still_join_and_a_new_device_is_a_new_device():
    _teacher, game = make_game()
    phone = APIClient()
    kicked = join(phone, game, "Lan").json()["player"]
    player_kick(game_id=game.id, player_id=kicked)
    assert join(APIClient(), game, "Minh").status_code == 201
    # The documented limit: cleared cookies (or another browser profile) make a new device.
    phone.cookies.pop(DEVICE_COOKIE)
    assert join(phone, game, "Lan 2").status_code == 201


@pytest.mark.django_db
def test_a_forged_device_cookie_is_ignored_and_replaced_by_a_signed_one():
    _teacher, game = make_game()
    phone = APIClient()
    phone.cookies[DEVICE_COOKIE] = "made-up-device"
    joined = join(phone, game, "Lan")
    assert joined.status_code == 201
    assert phone.cookies[DEVICE_COOKIE].value != "made-up-device"
    assert Player.objects.get(pk=joined.json()["player"]).device not in {"", "made-up-device"}


@pytest.mark.django_db
def test_a_kicked_account_stays_out_from_a_new_device():
    _teacher, game = make_game()
    student = make_user("student1")
    phone = APIClient()
    phone.force_authenticate(student)
    kicked = join(phone, game, "Lan").json()["player"]
    player_kick(game_id=game.id, player_id=kicked)
    laptop = APIClient()
    laptop.force_authenticate(student)
    assert join(laptop, game, "Lan 3").json()["code"] == "banned"


@pytest.mark.django_db
def test_the_kick_holds_only_in_that_game():
    teacher, game = make_game()
    other = create_game(teacher, make_quiz(teacher, ["single"], title="Another"))
    phone = APIClient()
    player_kick(game_id=game.id, player_id=join(phone, game, "Lan").json()["player"])
    assert join(phone, other, "Lan").status_code == 201


@given(st.text(max_size=250))
def test_a_device_cookie_the_server_did_not_sign_is_ignored(raw):
    assert device_read(raw) is None


@given(st.data())
def test_any_change_to_a_signed_device_cookie_is_refused(data):
    device = device_new()
    signed = signing.Signer(salt="realtime.device").sign(device)
    assert device_read(signed) == device
    at = data.draw(st.integers(0, len(signed) - 1))
    other = data.draw(st.characters(codec="ascii").filter(lambda c: c != signed[at]))
    assert device_read(signed[:at] + other + signed[at + 1 :]) is None


@sync_to_async
def kicked_device_with_a_token_from_elsewhere():
    teacher, game = make_game()
    phone = APIClient()
    player_kick(game_id=game.id, player_id=join(phone, game, "Lan").json()["player"])
    # A token obtained without the device cookie (e.g. with curl), then used on the phone.
    elsewhere = join(APIClient(), game, "Lan bis").json()["token"]
    cookie = (b"cookie", f"{DEVICE_COOKIE}={phone.cookies[DEVICE_COOKIE].value}".encode())
    return teacher, game, elsewhere, cookie


@pytest.mark.django_db(transaction=True)
async def test_a_kicked_device_cannot_play_with_a_token_joined_elsewhere():
    _teacher, game, token, cookie = await kicked_device_with_a_token_from_elsewhere()
    sock = await Socket(game.id, headers=[cookie]).connect()
    try:
        frame = await sock.hello(role="player", token=token)
        assert frame["type"] == "error"
        assert frame["code"] == "kicked"
        assert (await sock.recv()) == {"type": "__closed__", "code": 4003}
    finally:
        await sock.close()
    # The same token from a device that was not kicked still plays.
    sock = await Socket(game.id).connect()
    try:
        assert (await sock.hello(role="player", token=token))["type"] == "state"
    finally:
        await sock.close()


@sync_to_async
def joined_on_a_phone():
    teacher, game = make_game()
    phone = APIClient()
    body = join(phone, game, "Lan").json()
    cookie = (b"cookie", f"{DEVICE_COOKIE}={phone.cookies[DEVICE_COOKIE].value}".encode())
    return teacher, game, body, cookie, phone


@pytest.mark.django_db(transaction=True)
async def test_a_player_kicked_by_the_host_over_the_socket_cannot_rejoin_from_that_phone():
    teacher, game, body, cookie, phone = await joined_on_a_phone()
    player = await Socket(game.id, headers=[cookie]).connect()
    host = await host_socket(game.id, teacher)
    try:
        assert (await player.hello(role="player", token=body["token"]))["type"] == "state"
        await host.send({"type": "host", "action": "kick", "player": body["player"]})
        assert (await player.until("__closed__"))["code"] == 4003
    finally:
        await player.close()
        await host.close()
    rejoin = await sync_to_async(join)(phone, game, "Totally new name")
    assert rejoin.status_code == 403
    assert rejoin.json()["code"] == "banned"


@pytest.mark.django_db(transaction=True)
async def test_a_second_player_joined_from_the_kicked_device_before_the_kick_is_out_too():
    """One phone joins twice (two nicknames); the host kicks one of them. A hello from that phone
    with the other one's token is refused as kicked, as any hello from the device is (found by
    a black-box tester: only the kicked player's own token was refused)."""
    teacher, game, victim, cookie, phone = await joined_on_a_phone()
    buddy = (await sync_to_async(join)(phone, game, "Buddy")).json()
    host = await host_socket(game.id, teacher)
    try:
        await host.send({"type": "host", "action": "kick", "player": victim["player"]})
        await host.until("lobby")
    finally:
        await host.close()
    sock = await Socket(game.id, headers=[cookie]).connect()
    try:
        frame = await sock.hello(role="player", token=buddy["token"])
        assert (frame["type"], frame.get("code")) == ("error", "kicked")
        assert (await sock.recv()) == {"type": "__closed__", "code": 4003}
    finally:
        await sock.close()
    # Buddy's token from another device still plays: the device is out, not the token.
    sock = await Socket(game.id).connect()
    try:
        assert (await sock.hello(role="player", token=buddy["token"]))["type"] == "state"
    finally:
        await sock.close()


@pytest.mark.django_db(transaction=True)
async def test_the_kick_closes_every_open_socket_of_the_kicked_device_at_once():
    """One phone plays under two nicknames, both connected; the host kicks one. Both sockets of
    that phone get `kicked` and close at once (found by a black-box tester: the second nickname
    kept playing on its open socket until its next hello). A player from another phone plays on."""
    teacher, game, victim, cookie, phone = await joined_on_a_phone()
    buddy = (await sync_to_async(join)(phone, game, "Buddy")).json()
    other = (await sync_to_async(join)(APIClient(), game, "Minh")).json()
    first = await Socket(game.id, headers=[cookie]).connect()
    second = await Socket(game.id, headers=[cookie]).connect()
    elsewhere = await Socket(game.id).connect()
    host = await host_socket(game.id, teacher)
    try:
        assert (await first.hello(role="player", token=victim["token"]))["type"] == "state"
        assert (await second.hello(role="player", token=buddy["token"]))["type"] == "state"
        assert (await elsewhere.hello(role="player", token=other["token"]))["type"] == "state"
        await host.send({"type": "host", "action": "kick", "player": victim["player"]})
        for sock in (first, second):
            assert (await sock.until("kicked"))["type"] == "kicked"
            assert (await sock.until("__closed__"))["code"] == 4003
        await host.send({"type": "host", "action": "start"})
        assert (await elsewhere.until("question"))["type"] == "question"
    finally:
        for sock in (first, second, elsewhere, host):
            await sock.close()


@pytest.mark.django_db(transaction=True)
async def test_a_phone_that_joined_again_just_before_its_kick_is_closed_by_it():
    """A phone joins a second nickname over the socket (join frame) and plays; then the host
    kicks its first nickname. The socket that joined from the kicked phone is closed too."""
    from tests.realtime.test_join_socket import JoinPhone

    teacher, game, victim, cookie, _phone = await joined_on_a_phone()
    sock = await JoinPhone(headers=[cookie]).connect()
    host = await host_socket(game.id, teacher)
    try:
        assert (await sock.join(pin=game.pin, nickname="Lan mới"))["type"] == "joined"
        assert (await sock.until("state"))["type"] == "state"
        await host.send({"type": "host", "action": "kick", "player": victim["player"]})
        assert (await sock.until("__closed__"))["code"] == 4003
    finally:
        await sock.close()
        await host.close()


@pytest.mark.django_db(transaction=True)
async def test_a_phone_let_in_the_instant_before_its_device_was_kicked_is_closed_as_it_enters(
    monkeypatch,
):
    """A second nickname's join from the phone is let in by the database, and the host's kick of
    the phone's first nickname goes by before that socket is playing. It is closed as it enters
    (found by a black-box tester: a socket that joined 18 ms before the kick's acknowledgement
    kept playing, the kick having closed the phone's sockets before it was one of them)."""
    import asyncio

    from realtime import join as join_module
    from tests.realtime.test_join_socket import JoinPhone

    teacher, game, victim, cookie, _phone = await joined_on_a_phone()
    kick_done = asyncio.Event()
    let_in = join_module.socket_join

    async def kicked_meanwhile(*args):
        outcome = await let_in(*args)
        await kick_done.wait()  # the kick goes by between the join's statement and the entry
        return outcome

    monkeypatch.setattr(join_module, "socket_join", kicked_meanwhile)
    host = await host_socket(game.id, teacher)
    sock = await JoinPhone(headers=[cookie]).connect()
    try:
        await sock.send({"type": "lookup", "pin": game.pin})
        assert (await sock.recv())["type"] == "found"
        await sock.send({"type": "join", "pin": game.pin, "nickname": "Lan mới"})
        joined = Player.objects.filter(game=game, nickname="Lan mới").exists
        for _ in range(100):
            if await sync_to_async(joined)():
                break
            await asyncio.sleep(0.05)
        await host.send({"type": "host", "action": "kick", "player": victim["player"]})
        assert (await host.until("lobby"))["left"] == victim["player"]
        kick_done.set()
        assert (await sock.until("__closed__"))["code"] == 4003
        assert "kicked" in [frame.get("type") for frame in sock.frames]
    finally:
        await sock.close()
        await host.close()
