"""Non-interference in live games: what a player receives before each reveal never depends on
which option is right or on the authored order.

Two games with the same secret play quizzes that differ only in the key and the authored order
of the options, for all eight question types (tests/key_worlds.py). One player answers the same
texts in both (right in one game, wrong in the other). Every frame the player receives before a
question's reveal must be the same in both games once each game's own names (game id, PIN, player
id) are replaced by labels and each opaque option id by its option's text. Clock fields and the
coalesced lobby and timer frames (timing, not content) are left out. After a reveal the key is
public, so frames up to the next question are not compared.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async

from realtime.models import Game
from realtime.protocol import MAX_MESSAGES_PER_SECOND
from tests.factories import make_user
from tests.key_worlds import QTEXT, RIGHT_IN_A, make_world_quiz
from tests.realtime.conftest import create_game, host_socket, join, player_socket

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "5" * 32
CLOCK = {"now", "shows_at", "opens_at", "ends_at", "remaining_ms"}
TIMING_FRAMES = {"lobby", "timer"}


@sync_to_async
def build(world: str):
    host = make_user(f"host-{world}", roles=["teacher"])
    quiz, _questions = make_world_quiz(world, author=host)
    game = create_game(host, quiz, time_limit=60)
    Game.objects.filter(pk=game.pk).update(secret=SECRET)
    game.refresh_from_db()
    return host, game


def response_for(question_frame: dict) -> dict | None:
    """RIGHT_IN_A for this question, with option texts turned into the ids the player was sent."""
    question = question_frame["question"]
    wanted = RIGHT_IN_A.get(question["type"])
    if wanted is None:
        return None
    ids = {c["text"]["vi"]: c["id"] for c in question["choices"]}
    response = dict(wanted)
    if "choice" in response:
        response["choice"] = ids[response["choice"]]
    for name in ("choices", "order"):
        if name in response:
            response[name] = [ids[t] for t in response[name]]
    return response


async def command(host_ws, action: str) -> None:
    """A host's click, at most 20 a second: faster clicks are refused as "rate_limited" (the
    per-socket limit of realtime.protocol), which is not what this test is about."""
    await asyncio.sleep(1 / MAX_MESSAGES_PER_SECOND)
    await host_ws.send({"type": "host", "action": action})


async def play(world: str) -> list:
    host, game = await build(world)
    pid, token = await sync_to_async(join)(game, "Lan Anh")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    names = {str(game.id): "<game>", game.pin: "<pin>", str(pid): "<player>"}
    try:
        await command(host_ws, "start")
        for q in range(len(QTEXT)):
            frame = await player.until("question")
            for choice in frame["question"]["choices"]:
                names[choice["id"]] = f"<option {choice['text']['vi']}>"
            response = response_for(frame)
            if response is not None:
                answer_id = str(uuid.UUID(int=q + 1))  # the same in both games
                await player.send(
                    {"type": "answer", "q": q, "answer_id": answer_id, "response": response}
                )
                await player.until("ack")
            await command(host_ws, "end_question")
            await player.until("reveal")
            await player.until("result")
            await command(host_ws, "next")
            if q + 1 < len(QTEXT):
                await command(host_ws, "next")
    finally:
        await player.close()
        await host_ws.close()

    before_reveals, revealed = [], False
    for frame in player.frames:
        if frame["type"] == "question":
            revealed = False
        if frame["type"] == "reveal":
            revealed = True
        if not revealed and frame["type"] not in TIMING_FRAMES:
            before_reveals.append(normalise(frame, names))
    return before_reveals


ID_KEYS = {"id", "player"}  # numbers are names only there ("q": 1 is not player 1)


def normalise(value, names: dict[str, str], key: str = ""):
    if isinstance(value, dict):
        return {k: normalise(v, names, k) for k, v in value.items() if k not in CLOCK}
    if isinstance(value, list):
        return [normalise(v, names, key) for v in value]
    if isinstance(value, str) or (isinstance(value, int) and key in ID_KEYS):
        return names.get(str(value), value)
    return value


async def test_what_a_player_receives_before_each_reveal_never_depends_on_the_key():
    seen_a = await play("a")
    seen_b = await play("b")

    questions = [f for f in seen_b if f["type"] == "question"]
    assert sorted(f["question"]["type"] for f in questions) == sorted(QTEXT)
    assert sum(f["type"] == "ack" for f in seen_b) == len(RIGHT_IN_A)
    assert [f["type"] for f in seen_a] == [f["type"] for f in seen_b]
    for a, b in zip(seen_a, seen_b, strict=True):
        assert a == b
