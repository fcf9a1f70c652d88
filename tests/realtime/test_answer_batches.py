"""The answer batcher with several batches in flight (PostgreSQL, one connection each): a player
whose answer and its retry land in two batches at once is stored once, both replies carry the
same submission id, and the hub is told about each stored answer exactly once, also after a
restart (a new batcher) replays them. On SQLite the batches run one at a time: the same holds."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async

from realtime import engine
from realtime.answer_store import AnswerBatcher
from realtime.models import Answer, Game
from tests.factories import make_user
from tests.realtime.conftest import create_game, join, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)

PLAYERS = 30


@sync_to_async
def open_question() -> tuple[Game, list[int], int]:
    host = make_user("host1", roles=["teacher"])
    game = create_game(host, make_quiz(host, ("single",)))
    players = [join(game, f"Player {i:02d}")[0] for i in range(PLAYERS)]
    Game.objects.filter(id=game.id).update(phase=engine.QUESTION, current_q=0)
    return game, players, game.plan[0]["question"]


def row(game: Game, player_id: int, question_id: int) -> dict:
    return {
        "game_id": game.id,
        "player_id": player_id,
        "q": 0,
        "question_id": question_id,
        "submission_id": uuid.uuid4(),
        "response": {"choice": "x"},
        "received_ms": 1,
        "elapsed_ms": 1,
    }


async def test_an_answer_and_its_retry_in_concurrent_batches_are_stored_and_counted_once():
    game, players, question_id = await open_question()
    counted: list[int] = []

    async def on_stored(game_id: int, q: int, n: int) -> None:
        counted.append(n)

    batcher = AnswerBatcher(on_stored, max_wait=0)
    try:
        first = [asyncio.ensure_future(batcher.submit(row(game, p, question_id))) for p in players]
        await asyncio.sleep(0.001)  # the first batch is on its way
        retries = [
            asyncio.ensure_future(batcher.submit(row(game, p, question_id))) for p in players
        ]
        results = await asyncio.wait_for(asyncio.gather(*first, *retries), 20)
        await asyncio.sleep(0.05)  # the on_stored tasks
    finally:
        batcher.close()

    answers, again = results[:PLAYERS], results[PLAYERS:]
    assert all(status == "ok" for status, _, _ in results)
    for (_, sid_a, new_a), (_, sid_b, new_b) in zip(answers, again, strict=True):
        assert sid_a is not None
        assert sid_a == sid_b
        assert new_a + new_b == 1
    stored = await sync_to_async(
        lambda: dict(
            Answer.objects.filter(game_id=game.id).values_list("player_id", "submission_id")
        )
    )()
    assert {str(sid) for sid in stored.values()} == {sid for _, sid, _ in answers}
    assert len(stored) == PLAYERS
    assert sum(counted) == PLAYERS

    # A restart: the clients send the same answers again to a new batcher; none counts twice.
    counted.clear()
    restarted = AnswerBatcher(on_stored, max_wait=0)
    try:
        replays = await asyncio.wait_for(
            asyncio.gather(*[restarted.submit(row(game, p, question_id)) for p in players]), 20
        )
        await asyncio.sleep(0.05)
    finally:
        restarted.close()
    assert [sid for _, sid, _ in replays] == [sid for _, sid, _ in answers]
    assert not any(new for _, _, new in replays)
    assert sum(counted) == 0
