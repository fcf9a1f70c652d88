"""Garbage over the game WebSocket: hypothesis-generated frames of every shape and raw junk
(not JSON, 1 MiB frames, deep nesting, wrong types, lone surrogates). Every frame gets an error
frame or nothing, the socket stays usable (a ping still gets its pong) or closes cleanly, and no
handler raises (the consumer logs "live socket handler failed" when one does)."""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import async_to_sync
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_user
from tests.realtime.conftest import Socket, create_game, join, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)

TYPES = ["hello", "answer", "ping", "host", "nope", "", None, 1, [], {}]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={
        "q": json_values,
        "answer_id": json_values,
        "response": json_values,
        "action": st.sampled_from(["start", "next", "kick", "add_time", "x"]) | json_values,
        "role": st.sampled_from(["player", "host", "screen", "admin"]) | json_values,
        "token": json_values,
        "key": json_values,
        "seconds": json_values,
        "player": json_values,
        "t": json_values,
        "v": json_values,
    },
)

RAW = [
    "not json",
    "{",
    "[]",
    "null",
    '"hello"',
    "1e999999",
    '{"type": "ping", "t": NaN}',
    "x" * (1024 * 1024),
    '{"type": "answer", "response": "' + "a" * (1024 * 1024) + '"}',
    "[" * 10_000 + "]" * 10_000,
    '{"a":' * 10_000 + "1" + "}" * 10_000,
    '{"type": "\\ud800"}',  # an escaped lone surrogate inside valid JSON
    "\x00\x01\x02",
    "\ufeff{}",
]


@pytest.fixture
def live_player():
    host = make_user("fuzzhost", roles=["teacher"])
    game = create_game(host, make_quiz(host, ["single", "text"]), time_limit=60)
    _, token = join(game, "Fuzzer")
    return game, token


async def exercise(game_id: int, token: str, payloads: list, as_bytes: bool = False) -> None:
    sock = await Socket(game_id).connect()
    try:
        state = await sock.hello(role="player", token=token)
        assert state["type"] == "state"
        for payload in payloads:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            if as_bytes:
                await sock.comm.send_to(bytes_data=text.encode("utf-8", "surrogatepass"))
            else:
                await sock.send(text)
        await sock.send({"type": "ping", "t": 7})
        while True:
            frame = await sock.recv(10)
            assert frame["type"] != "__closed__" or frame["code"] in {4000, 4001, 4003}, frame
            if frame["type"] == "__closed__":
                return
            if frame["type"] == "error":
                assert frame["code"] != "busy", frame  # "busy" = a handler raised
            if frame["type"] == "pong" and frame["t"] == 7:
                return
    finally:
        await sock.close()


def test_raw_garbage_gets_error_frames_and_never_an_unhandled_exception(live_player, caplog):
    game, token = live_player
    with caplog.at_level(logging.ERROR):
        for payload in RAW:
            async_to_sync(exercise)(game.id, token, [payload])
            async_to_sync(exercise)(game.id, token, [payload], as_bytes=True)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_generated_frames_get_error_frames_and_never_an_unhandled_exception(live_player, caplog):
    game, token = live_player
    batches: list[list[dict]] = []

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(frames, min_size=1, max_size=8))
    def collect(batch):
        batches.append(batch)

    collect()
    with caplog.at_level(logging.ERROR):
        for batch in batches:
            async_to_sync(exercise)(game.id, token, batch)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
