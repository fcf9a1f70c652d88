"""Structured logs: LOG_FORMAT=json gives one JSON object per line with the request, game and
round ids of what was being handled; optional Sentry only when SENTRY_DSN is set."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from config.logs import ContextFilter, JsonFormatter
from tests.factories import make_user
from tests.realtime.conftest import (  # noqa: F401 (fixtures: hub reset, DB sessions ended)
    Socket,
    _close_worker_connections,
    _fresh_hub,
    create_game,
    join,
    make_quiz,
)

ROOT = Path(__file__).resolve().parents[1]


class Records(logging.Handler):
    """Collects records as the console handler sees them (through the context filter)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.addFilter(ContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def records():
    import config.asgi  # noqa: F401 - its django.setup() configures logging afresh: before us

    handler = Records()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.records
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_log_line_carries_the_request_and_round_ids_as_json(records):
    response = Client().get("/api/rounds/424242/", HTTP_X_REQUEST_ID="ceremony-7f3a")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "ceremony-7f3a"
    line = JsonFormatter().format(next(r for r in records if r.name == "django.request"))
    doc = json.loads(line)
    assert doc["request_id"] == "ceremony-7f3a"
    assert doc["round_id"] == 424242
    assert doc["level"] == "WARNING"
    assert "/api/rounds/424242/" in doc["message"]


@pytest.mark.django_db
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_generated_one_in_the_logs(records):
    plain = Client().get("/api/rounds/424243/")
    unsafe = Client().get("/api/rounds/424244/", HTTP_X_REQUEST_ID='x" injected\nline')
    assert "X-Request-ID" not in plain and "X-Request-ID" not in unsafe
    ids = [r.request_id for r in records if r.name == "django.request"]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert all(len(rid) == 32 and rid.isalnum() for rid in ids)


@pytest.mark.django_db(transaction=True)
async def test_a_live_socket_logs_with_its_game_and_request_ids(records, monkeypatch):
    from realtime import actions

    @sync_to_async
    def setup():
        host = make_user("loghost", roles=["teacher"])
        game = create_game(host, make_quiz(host, ("single",)), time_limit=30)
        return game, join(game, "Logger")[1]

    game, token = await setup()

    async def broken(hub, lg, player_id, msg):
        raise RuntimeError("boom")

    monkeypatch.setattr(actions, "answer", broken)
    sock = await Socket(game.id, headers=[(b"x-request-id", b"phone-42")]).connect()
    try:
        assert (await sock.hello(role="player", token=token))["type"] == "state"
        await sock.send({"type": "answer", "q": 0, "answer_id": str(uuid.uuid4()), "response": {}})
        assert (await sock.until("error"))["code"] == "busy"
    finally:
        await sock.close()
    failed = next(r for r in records if r.getMessage() == "live socket handler failed")
    doc = json.loads(JsonFormatter().format(failed))
    assert doc["game_id"] == game.id
    assert doc["request_id"] == "phone-42"
    assert "RuntimeError: boom" in doc["exception"]


def run_settings(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    full.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_log_format_json_makes_every_console_line_a_json_object():
    done = run_settings(
        {"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"},
        "import logging\n"
        "from config import logs\n"
        "logs.request_id.set('req-1'); logs.game_id.set(12)\n"
        "logging.getLogger('realtime.hub').warning('question %s closed late', 3)\n",
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stderr.strip().splitlines()[-1])
    assert doc["message"] == "question 3 closed late"
    assert doc["logger"] == "realtime.hub"
    assert doc["request_id"] == "req-1" and doc["game_id"] == 12
    assert "round_id" not in doc


def test_without_sentry_dsn_nothing_is_initialised():
    done = run_settings(
        {},
        "import sentry_sdk\nprint(sentry_sdk.get_client().is_active(), sentry_sdk.get_client().dsn)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "None"]


def test_with_sentry_dsn_settings_initialise_sentry_without_sending_anything():
    dsn = "http://publickey@127.0.0.1:9/42"
    done = run_settings(
        {"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "ceremony"},
        "import sentry_sdk\n"
        "client = sentry_sdk.get_client()\n"
        "print(client.is_active(), client.dsn, client.options['environment'],"
        " client.options['send_default_pii'])",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", dsn, "ceremony", "False"]


def test_sentry_init_is_called_with_the_dsn(monkeypatch):
    import sentry_sdk

    from config.sentry import sentry_init

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    sentry_init(dsn="http://k@127.0.0.1:9/1", environment="dev", traces_sample_rate=0.0)
    assert len(calls) == 1
    assert calls[0]["dsn"] == "http://k@127.0.0.1:9/1"
    assert calls[0]["send_default_pii"] is False


@pytest.mark.django_db(transaction=True)
async def test_the_process_hub_logs_without_the_ids_of_the_socket_that_created_it(records):
    """The hub's bus listener serves every game: its lines must not carry the game and request
    ids of whichever socket happened to start it."""
    import asyncio

    import orjson

    from realtime.hub import get_hub

    @sync_to_async
    def setup():
        host = make_user("hubhost", roles=["teacher"])
        game = create_game(host, make_quiz(host, ("single",)), time_limit=30)
        return game, join(game, "First")[1]

    game, token = await setup()
    logged = asyncio.Event()
    handler = logging.Handler()
    handler.emit = lambda record: logged.set() if record.getMessage() == "bad live event" else None
    logging.getLogger("realtime.hub").addHandler(handler)
    sock = await Socket(game.id, headers=[(b"x-request-id", b"first-socket")]).connect()
    try:
        assert (await sock.hello(role="player", token=token))["type"] == "state"  # starts the hub
        hub = await get_hub()
        await hub.store.publish(orjson.dumps({"not": "an envelope"}))
        await asyncio.wait_for(logged.wait(), 10)
    finally:
        logging.getLogger("realtime.hub").removeHandler(handler)
        await sock.close()
    bad = next(r for r in records if r.getMessage() == "bad live event")
    assert bad.game_id is None
    assert bad.request_id is None


@example('req-1\n{"level": "forged"}')
@example("trailing-newline\n")
@given(st.text(max_size=200))
def test_a_request_id_is_always_one_short_plain_token(raw):
    from config.logs import request_id_from

    rid = request_id_from(raw)
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", rid)
    if re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", raw):
        assert rid == raw  # the caller's id is kept, so its lines can be followed


@pytest.mark.django_db(transaction=True)
async def test_a_replayed_board_answers_with_its_own_request_id_never_the_first_ones():
    from channels.testing import HttpCommunicator

    from config.asgi import django_asgi_app
    from contest.fastpath import BoardReplay
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest

    await sync_to_async(clear_boards)()
    round_id = await sync_to_async(lambda: make_contest()[1].pk)()
    app = BoardReplay(django_asgi_app)

    async def get(*extra):
        headers = [(b"host", b"testserver"), *extra]
        communicator = HttpCommunicator(
            app, "GET", f"/api/rounds/{round_id}/leaderboard/", headers=headers
        )
        response = await communicator.get_response(timeout=20)
        await communicator.wait()
        assert response["status"] == 200
        return [v for k, v in response["headers"] if k.lower() == b"x-request-id"]

    assert await get((b"x-request-id", b"screen-1")) == [b"screen-1"]
    assert await get((b"x-request-id", b"phone-2")) == [b"phone-2"]
    assert await get() == []
