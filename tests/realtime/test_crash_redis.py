"""Redis restarted mid-question (it keeps nothing on disk) under two real server processes and 200
players: no acknowledged answer is lost, every player has their state back within 10 s, the
question closes at its original deadline and the game goes on with correct counters."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from bench.faults import PrivateRedis
from realtime.models import Game
from tests.browser.conftest import AsgiServer, child_env, free_port
from tests.realtime.sim import SimHost, recompute, ws_url
from tests.realtime.test_multiprocess import (
    _until,
    assert_acked_answers_counted_once,
    join_all,
    setup_game,
    stored_answers,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PLAYERS = 200
BACK_WITHIN_S = 10.0


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def servers(transactional_db, tmp_path, redis_server):
    env = child_env(
        {"REDIS_URL": redis_server.url, "LIVE_STORE": "redis", "ANSWER_GRACE_SECONDS": "0.5"}
    )
    started = [AsgiServer(free_port(), tmp_path / f"{n}.log", env) for n in "ab"]
    yield started
    for server in started:
        server.stop()


async def test_redis_restart_mid_question_loses_no_acked_answer_and_the_game_goes_on(
    servers, redis_server
):
    host, game, keys, cookie = await setup_game(
        ["single", "single"], time_limit=12, show_leaderboard=False
    )
    host_ws = SimHost(ws_url(servers[0].url, game.id), servers[0].url, cookie)
    players = []
    try:
        await host_ws.start()
        players = await join_all(servers, game, keys, PLAYERS)
        await host_ws.until("lobby", where=lambda f: f["players"] == PLAYERS)
        late = asyncio.Event()
        for p in players[PLAYERS // 2 :]:
            p.hold = late  # half answer before Redis goes away, half while it is down
        await host_ws.command("start")
        question = await host_ws.until("question")
        deadline = question["ends_at"]
        early = players[: PLAYERS // 2]
        await asyncio.wait_for(_until(lambda: all(0 in p.acked for p in early)), 20)
        scores_before = {p.player_id: p.states[-1]["you"]["score"] for p in players}
        states_before = {p.player_id: len(p.states) for p in players}

        redis_server.kill()
        late.set()  # answers go to PostgreSQL, not Redis: they are acknowledged meanwhile
        await asyncio.sleep(1.0)
        await asyncio.to_thread(redis_server.start)
        back_at = time.monotonic()
        assert time.time() * 1000 < deadline

        # Every player gets its full state again (resent after the bus comes back).
        await asyncio.wait_for(
            _until(lambda: all(len(p.states) > states_before[p.player_id] for p in players)),
            BACK_WITHIN_S,
        )
        back_after = time.monotonic() - back_at
        for p in players:
            you = p.states[-1]["you"]
            assert you["score"] == scores_before[p.player_id]
            if p.index < PLAYERS // 2:
                assert you["answered"] and you["submission_id"] == p.acked[0]
        await asyncio.wait_for(_until(lambda: all(0 in p.acked for p in players)), 20)

        closed = await host_ws.until("closed", timeout=30)
        closed_at = time.time() * 1000
        assert closed["q"] == 0
        assert abs(closed_at - (deadline + 500)) < 1500  # the original deadline (+ grace)
        await host_ws.until("reveal")
        await asyncio.wait_for(_until(lambda: all(0 in p.results for p in players)), 20)
        row = await sync_to_async(Game.objects.get)(id=game.id)
        assert row.state["ends_at"] == deadline

        # The game goes on; the counters rebuilt from PostgreSQL are right.
        await host_ws.command("next")
        await host_ws.until("question", where=lambda f: f["q"] == 1)
        answers = await host_ws.until(
            "answers", timeout=30, where=lambda f: f["q"] == 1 and f["count"] == PLAYERS
        )
        assert answers["total"] == PLAYERS
        await host_ws.until("reveal", timeout=30, where=lambda f: f["q"] == 1)
        await asyncio.wait_for(_until(lambda: all(1 in p.results for p in players)), 20)
        await host_ws.command("end_game")
        await host_ws.until("ended")
    finally:
        await host_ws.stop()
        await asyncio.gather(*[p.stop() for p in players])

    stored = await stored_answers(game.id)
    assert_acked_answers_counted_once(players, stored)
    assert len(stored) == 2 * PLAYERS
    assert [e for p in players for e in p.errors] == []
    scores, problems = await sync_to_async(recompute)(game.id)
    assert problems == []
    assert {p.player_id: p.results[1]["score"] for p in players} == scores
    print(f"redis restart: {PLAYERS} players, state back after {back_after:.2f} s")


@sync_to_async
def _game_with_players(seen: int, answered: int):
    from realtime.models import Answer, Player
    from tests.factories import make_user
    from tests.realtime.conftest import create_game, join, make_quiz

    host = make_user("counterhost", roles=["teacher"])
    game = create_game(host, make_quiz(host, ["single"]))
    ids = [join(game, f"Player {i}")[0] for i in range(seen + 1)]
    Player.objects.filter(id__in=ids[:seen]).update(seen=True)
    for pid in ids[:answered]:
        Answer.objects.create(
            game=game,
            player_id=pid,
            q=0,
            question_id=game.plan[0]["question"],
            received_ms=0,
            elapsed_ms=0,
        )
    return game, ids[seen]


async def test_counters_lost_with_redis_are_rebuilt_from_postgres(redis_server):
    """A counter that vanished with Redis restarts from PostgreSQL's count, not from zero (which
    would let auto-advance close a question once one player answered)."""
    from realtime.models import Player
    from realtime.store import RedisStore

    game, newcomer = await _game_with_players(seen=30, answered=12)
    store = RedisStore(redis_server.url)
    await store.players_set(game.id, 30)
    await store.answered_incr(game.id, 0, 12)
    redis_server.kill()
    await asyncio.to_thread(redis_server.start)  # back, and empty
    assert await store.players_get(game.id) is None
    await sync_to_async(Player.objects.filter(id=newcomer).update)(seen=True)
    assert await store.players_incr(game.id, 1) == 31  # not 1
    await store.reseed()  # what the bus listener does when it is back
    assert await store.answered_get(game.id, 0) == 12
    assert await store.players_get(game.id) == 31
    await store.forget(game.id)
    assert await store.players_get(game.id) is None  # the game ended: its counters are gone
    assert await store.answered_get(game.id, 0) == 0
    await store.client.aclose()
