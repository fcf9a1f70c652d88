"""Live engine test helpers: quizzes of every type, games, players and WebSocket clients."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from quizzes.models import Quiz, QuizItem
from tests.factories import make_question

ORIGIN = (b"origin", b"http://testserver")
ALL_TYPES = ["single", "multi", "truefalse", "text", "numeric", "order", "poll", "slide"]


@pytest.fixture(autouse=True)
def _fresh_hub():
    yield
    from realtime.hub import reset_hubs

    reset_hubs()


def make_quiz(author, types=("single",), *, title="Secret quiz title") -> Quiz:
    quiz = Quiz.objects.create(title=title, author=author)
    for position, qtype in enumerate(types):
        extra = {}
        if qtype == "text":
            extra["answer"] = {"accepted": ["Hanoi zebra"], "ignore_case": True}
        if qtype == "numeric":
            extra["answer"] = {"value": 1945.25, "tolerance": 0}
        if qtype == "multi":
            extra["choices"] = [("A", 0.5), ("B", 0.5), ("C", 0.0), ("D", -0.5)]
        question = make_question(
            type=qtype,
            text_en=f"Question {position} ({qtype})",
            explanation_en=f"Because explained-secret-{position}.",
            **extra,
        )
        QuizItem.objects.create(quiz=quiz, question=question, position=position)
    return quiz


def create_game(host, quiz, *, time_limit=None, **settings):
    from realtime.services import game_create

    game = game_create(host=host, quiz_id=quiz.id, settings={"read_seconds": 0, **settings})
    if time_limit is not None:
        game.plan = [{**item, "time_limit": time_limit} for item in game.plan]
        game.save(update_fields=["plan"])
    return game


def join(game, nickname):
    from realtime.services import player_join

    player, token = player_join(pin=game.pin, nickname=nickname)
    return player.id, token


def session_cookie(user) -> tuple[bytes, bytes]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


class Socket:
    """A WebsocketCommunicator that records every frame it receives."""

    def __init__(self, game_id: int, headers=()):
        from config.asgi import application

        self.comm = WebsocketCommunicator(
            application, f"/ws/game/{game_id}/", headers=[ORIGIN, *headers]
        )
        self.frames: list[dict] = []
        self.raw: list[str] = []

    async def connect(self):
        connected, _ = await self.comm.connect()
        assert connected
        return self

    async def send(self, frame) -> None:
        if isinstance(frame, str):
            await self.comm.send_to(text_data=frame)
        else:
            await self.comm.send_to(text_data=orjson.dumps(frame).decode())

    async def recv(self, timeout: float = 5) -> dict:
        message = await self.comm.receive_output(timeout)
        if message["type"] == "websocket.close":
            frame = {"type": "__closed__", "code": message.get("code")}
        else:
            self.raw.append(message["text"])
            frame = orjson.loads(message["text"])
        self.frames.append(frame)
        return frame

    async def until(self, kind: str, timeout: float = 10) -> dict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.recv(max(0.05, deadline - loop.time()))
            if frame["type"] == kind:
                return frame

    async def hello(self, **fields) -> dict:
        await self.send({"type": "hello", "v": 1, **fields})
        return await self.recv()

    async def close(self) -> None:
        await self.comm.disconnect()


async def player_socket(game_id, token, **extra) -> Socket:
    sock = await Socket(game_id).connect()
    state = await sock.hello(role="player", token=token, **extra)
    assert state["type"] == "state", state
    return sock


async def host_socket(game_id, user) -> Socket:
    cookie = await sync_to_async(session_cookie)(user)
    sock = await Socket(game_id, headers=[cookie]).connect()
    state = await sock.hello(role="host")
    assert state["type"] == "state", state
    return sock


async def screen_socket(game) -> Socket:
    sock = await Socket(game.id).connect()
    state = await sock.hello(role="screen", key=game.screen_key)
    assert state["type"] == "state", state
    return sock


@pytest.fixture(scope="session", autouse=True)
def _clean_live_keys():
    """Game ids restart with each test database: drop live keys a previous run left in Redis."""
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        client = redis.from_url(settings.REDIS_URL)
        keys = list(client.scan_iter(f"{settings.CHANNEL_PREFIX}:live:*"))
        if keys:
            client.delete(*keys)
    return


@pytest.fixture(scope="session", autouse=True)
def _close_worker_connections(django_db_setup, django_db_blocker):
    """Worker threads (answer batcher, sync_to_async) keep DB sessions open; end them before the
    test database is dropped."""
    yield
    from django.db import DatabaseError, connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            try:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
            except DatabaseError:
                pass
