"""The read-only broadcast feed of a live game (docs/broadcast.md): WebSocket and REST.

What a holder of the overlay key gets: the screen's snapshot and frames, never the host's data or
the answer key before the reveal; it can never drive the game; the host's rotation stops old
URLs and open sockets at once.
"""

from __future__ import annotations

import uuid

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from realtime.models import Game
from tests.factories import make_user
from tests.realtime.conftest import (
    ORIGIN,
    Socket,
    create_game,
    host_socket,
    join,
    make_quiz,
    player_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_limits():
    from core import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()


class Feed(Socket):
    """A feed socket (`/ws/feed/game/<id>/?key=`) that records every frame."""

    def __init__(self, game_id: int, key: str):
        from config.asgi import application

        self.comm = WebsocketCommunicator(
            application, f"/ws/feed/game/{game_id}/?key={key}", headers=[ORIGIN]
        )
        self.frames = []
        self.raw = []


@sync_to_async
def setup_game(types=("single",), **settings):
    host = make_user("feedhost", roles=["teacher"])
    quiz = make_quiz(host, types)
    game = create_game(host, quiz, **settings)
    return host, game


def ratelimit_reset():
    from core import ratelimit

    ratelimit.reset()


def login_client(user) -> AsyncClient:
    client = AsyncClient()
    client.force_login(user)
    return client


async def test_feed_socket_gets_the_screen_snapshot_and_frames_but_no_key_before_the_reveal():
    host, game = await setup_game(time_limit=30)
    pid, token = await sync_to_async(join)(game, "Minh Khoa")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    feed = await Feed(game.id, game.overlay_key).connect()
    try:
        state = await feed.recv()
        assert state["type"] == "state"
        assert state["role"] == "screen"
        assert state["game"]["pin"] == game.pin
        assert "key" not in state
        assert "title" not in state["game"]
        await host_ws.send({"type": "host", "action": "start"})
        question = await feed.until("question")
        assert question["question"]["text"]
        host_key = await host_ws.until("key")  # the host console gets the key at once...
        choice = question["question"]["choices"][0]["id"]
        await player.send(
            {
                "type": "answer",
                "q": 0,
                "answer_id": str(uuid.uuid4()),
                "response": {"choice": choice},
            }
        )
        await player.until("ack")
        await host_ws.send({"type": "host", "action": "end_question"})
        reveal = await feed.until("reveal")
        before_reveal = feed.raw[: len(feed.raw) - 1]
        # ...the feed never: no key frame, and the right option appears only in the reveal.
        assert all(orjson.loads(text)["type"] != "key" for text in feed.raw)
        assert all('"correct"' not in text for text in before_reveal)
        assert reveal["correct"] == host_key["correct"]
        assert sum(reveal["distribution"].values()) == 1
    finally:
        for sock in (feed, player, host_ws):
            await sock.close()


async def test_feed_refuses_a_wrong_key_and_the_screen_key():
    _host, game = await setup_game()
    for key in ("", "nope", game.screen_key, game.secret):
        feed = await Feed(game.id, key).connect()
        try:
            error = await feed.recv()
            assert error["type"] == "error"
            assert error["code"] == "not_authorised"
            assert (await feed.recv())["code"] == 4001
        finally:
            await feed.close()


async def test_feed_socket_can_never_drive_the_game_or_answer():
    _host, game = await setup_game()
    await sync_to_async(join)(game, "Thu Trang")
    feed = await Feed(game.id, game.overlay_key).connect()
    try:
        await feed.until("state")
        for frame in (
            {"type": "host", "action": "start"},
            {"type": "hello", "v": 1, "role": "host"},
            {"type": "hello", "v": 1, "role": "screen", "key": game.screen_key},
            {"type": "answer", "q": 0, "answer_id": str(uuid.uuid4()), "response": {}},
        ):
            await feed.send(frame)
            error = await feed.recv()
            assert error["type"] == "error"
            assert error["code"] == "not_authorised"
        await feed.send({"type": "ping", "t": 1})
        assert (await feed.recv())["type"] == "pong"
        fresh = await sync_to_async(Game.objects.get)(id=game.id)
        assert fresh.seq == 0
        assert fresh.phase == "lobby"
    finally:
        await feed.close()


async def test_overlay_key_does_not_open_the_screen_or_host_roles_on_the_game_socket():
    _host, game = await setup_game()
    for hello in ({"role": "screen", "key": game.overlay_key}, {"role": "host"}):
        sock = await Socket(game.id).connect()
        try:
            error = await sock.hello(**hello)
            assert error["code"] == "not_authorised"
        finally:
            await sock.close()


async def test_rotating_the_key_closes_open_feed_sockets_and_old_urls_at_once():
    host, game = await setup_game()
    old = game.overlay_key
    feed = await Feed(game.id, old).connect()
    client = await sync_to_async(login_client)(host)
    try:
        await feed.until("state")
        assert (await client.get(f"/api/feed/game/{game.id}?key={old}")).status_code == 200
        response = await client.post(f"/api/games/{game.id}/overlays")
        assert response.status_code == 200
        new = response.json()["key"]
        assert new != old
        assert all(new in item["url"] for item in response.json()["overlays"])
        error = await feed.recv()
        assert error["code"] == "not_authorised"
        assert (await feed.recv()) == {"type": "__closed__", "code": 4001}
        assert (await client.get(f"/api/feed/game/{game.id}?key={old}")).status_code == 404
        fresh = await Feed(game.id, new).connect()
        try:
            assert (await fresh.recv())["type"] == "state"
        finally:
            await fresh.close()
    finally:
        await feed.close()


async def test_rest_feed_is_the_screen_snapshot_for_the_key_only():
    host, game = await setup_game()
    client = AsyncClient()
    response = await client.get(f"/api/feed/game/{game.id}?key={game.overlay_key}")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "state"
    assert body["role"] == "screen"
    assert body["game"]["phase"] == "lobby"
    assert "key" not in body
    for key in ("", game.screen_key, "x" * 32):
        missing = await client.get(f"/api/feed/game/{game.id}?key={key}")
        assert missing.status_code == 404
        assert missing.json()["code"] == "not_found"


async def test_only_the_host_sees_and_rotates_the_overlay_urls():
    host, game = await setup_game()
    other = await sync_to_async(make_user)("otherteacher", roles=["teacher"])
    stranger = await sync_to_async(login_client)(other)
    assert (await stranger.get(f"/api/games/{game.id}/overlays")).status_code == 404
    assert (await stranger.post(f"/api/games/{game.id}/overlays")).status_code == 404
    assert (await AsyncClient().post(f"/api/games/{game.id}/overlays")).status_code in {401, 403}
    fresh = await sync_to_async(Game.objects.get)(id=game.id)
    assert fresh.overlay_key == game.overlay_key
    mine = await sync_to_async(login_client)(host)
    listed = (await mine.get(f"/api/games/{game.id}/overlays")).json()
    assert [o["kind"] for o in listed["overlays"]] == [
        "lower-third",
        "ticker",
        "join",
        "distribution",
    ]
    assert listed["feed"]["ws"].endswith(f"/ws/feed/game/{game.id}/?key={game.overlay_key}")


async def test_feed_polls_and_connects_are_rate_limited(settings):
    settings.RATE_LIMITS_ENABLED = True  # the rest of the suite turns them off
    settings.RATE_LIMIT_FEED = "2/0.001"
    _host, game = await setup_game()
    client = AsyncClient()
    url = f"/api/feed/game/{game.id}?key={game.overlay_key}"
    statuses = [(await client.get(url)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    ratelimit_reset()
    frames = []
    for _ in range(3):
        feed = await Feed(game.id, game.overlay_key).connect()
        try:
            frames.append(await feed.recv())
        finally:
            await feed.close()
    assert [f["type"] for f in frames] == ["state", "state", "error"]
    assert frames[2]["code"] == "rate_limited"
    # It says how long to wait for a new connection (it sent no message to slow down).
    wait = frames[2]["details"]["retry_after"]
    assert wait >= 1
    assert frames[2]["message"].startswith("Too many requests. Please try again in")
