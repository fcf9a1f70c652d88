"""One game served by TWO Daphne processes sharing Redis and PostgreSQL, over real sockets."""

from __future__ import annotations

import asyncio
import collections
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from realtime.models import Answer, Game
from tests.browser.conftest import AsgiServer, child_env, free_port
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz, session_cookie
from tests.realtime.sim import SimHost, SimPlayer, answer_keys, http_join, recompute, ws_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PLAYERS = 200


def start_server(tmp_path, name: str, port: int | None = None) -> AsgiServer:
    assert settings.REDIS_URL, "multi-process tests need REDIS_URL (the shared store and bus)"
    env = child_env({"LIVE_STORE": "redis", "ANSWER_GRACE_SECONDS": "0.5"})
    return AsgiServer(port or free_port(), tmp_path / f"{name}.log", env)


@pytest.fixture
def servers(transactional_db, tmp_path):
    started = [start_server(tmp_path, "a"), start_server(tmp_path, "b")]
    yield started
    for server in started:
        server.stop()


@sync_to_async
def setup_game(types, **settings_):
    host = make_user("mphost", roles=["teacher"])
    quiz = make_quiz(host, types)
    game = create_game(host, quiz, **settings_)
    return host, game, answer_keys(game), session_cookie(host)[1].decode()


async def join_all(servers, game, keys, count):
    """Join over HTTP (alternating servers) and connect each player to 'its' process."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(8) as pool:
        joined = await asyncio.gather(
            *[
                loop.run_in_executor(
                    pool, http_join, servers[i % 2].url, game.pin, f"Player {i:03d}"
                )
                for i in range(count)
            ]
        )
    urls = [ws_url(s.url, game.id) for s in servers]
    origins = {ws_url(s.url, game.id): s.url for s in servers}
    players = [
        SimPlayer(
            index=i,
            player_id=j["player"],
            token=j["token"],
            urls=[urls[i % 2], urls[(i + 1) % 2]],
            origin_for=origins,
            keys=keys,
        )
        for i, j in enumerate(joined)
    ]
    for batch in range(0, count, 50):
        await asyncio.gather(*[p.start() for p in players[batch : batch + 50]])
    return players


@sync_to_async
def stored_answers(game_id):
    return {
        (a.player_id, a.q): str(a.submission_id) for a in Answer.objects.filter(game_id=game_id)
    }


def assert_acked_answers_counted_once(players, stored):
    acked = {(p.player_id, q): sid for p in players for q, sid in p.acked.items()}
    missing = {k: v for k, v in acked.items() if stored.get(k) != v}
    assert missing == {}
    assert len(stored) == len(set(stored))


async def test_a_game_across_two_server_processes_counts_every_acked_answer_once(servers):
    host, game, keys, cookie = await setup_game(
        ["single", "truefalse", "single"],
        time_limit=20,
        auto_advance=True,
        show_leaderboard=False,
    )
    host_ws = SimHost(ws_url(servers[0].url, game.id), servers[0].url, cookie)
    players = []
    try:
        await host_ws.start()
        players = await join_all(servers, game, keys, PLAYERS)
        await host_ws.until("lobby", where=lambda f: f["players"] == PLAYERS)
        await host_ws.command("start")
        for q in range(len(keys)):
            # auto_advance: the window closes once all 200 (on both processes) have answered
            await host_ws.until("reveal", where=lambda f, q=q: f["q"] == q)
            await asyncio.wait_for(_until(lambda q=q: all(q in p.results for p in players)), 20)
            await host_ws.command("next")
        await host_ws.until("podium")
        await host_ws.command("next")
        await host_ws.until("ended")
    finally:
        await host_ws.stop()
        await asyncio.gather(*[p.stop() for p in players])

    stored = await stored_answers(game.id)
    per_q = sorted(collections.Counter(q for _p, q in stored).items())
    errors = [e for p in players for e in p.errors][:5]
    assert len(stored) == PLAYERS * len(keys), (
        per_q,
        errors,
        [len(p.results) for p in players][:20],
    )
    assert_acked_answers_counted_once(players, stored)
    assert [e for p in players for e in p.errors] == []
    scores, problems = await sync_to_async(recompute)(game.id)
    assert problems == []
    final = {p.player_id: p.results[len(keys) - 1]["score"] for p in players}
    assert final == scores


async def test_a_killed_server_loses_no_acked_answer_and_the_question_closes_on_time(
    servers, tmp_path
):
    host, game, keys, cookie = await setup_game(
        ["single", "single"], time_limit=12, show_leaderboard=False
    )
    # The host (who drove the game) is on server B, which gets killed.
    host_ws = SimHost(ws_url(servers[1].url, game.id), servers[1].url, cookie)
    players = []
    try:
        await host_ws.start()
        players = await join_all(servers, game, keys, PLAYERS)
        late = asyncio.Event()
        for p in players[PLAYERS // 2 :]:
            p.hold = late  # half answers before the crash, half after
        await host_ws.command("start")
        question = await host_ws.until("question")
        deadline = question["ends_at"]
        early = players[: PLAYERS // 2]
        await asyncio.wait_for(_until(lambda: all(0 in p.acked for p in early)), 20)
        scores_before = {p.player_id: p.states[-1]["you"]["score"] for p in players}

        servers[1].process.send_signal(signal.SIGKILL)
        servers[1].process.wait(10)
        servers[1].stop()
        await host_ws.stop()
        killed_at = time.time()
        servers[1] = await asyncio.to_thread(start_server, tmp_path, "b2", servers[1].port)
        late.set()

        host_ws = SimHost(ws_url(servers[0].url, game.id), servers[0].url, cookie)
        await host_ws.start()
        moved = [p for p in players if p.reconnects]
        assert moved, "players of the killed process reconnect"
        # Back within 10 s of the kill (issue 8), with their state (checked below).
        await asyncio.wait_for(
            _until(lambda: all(p.reconnects == 0 or len(p.states) > 1 for p in players)),
            max(0.1, 10 - (time.time() - killed_at)),
        )
        for p in moved:
            you = p.states[-1]["you"]
            assert you["score"] == scores_before[p.player_id]
            if p.index < PLAYERS // 2:
                assert you["answered"]
                assert you["submission_id"] == p.acked[0]
        await asyncio.wait_for(_until(lambda: all(0 in p.acked for p in players)), 20)

        closed = await host_ws.until("closed", timeout=30)
        closed_at = time.time() * 1000
        assert closed["q"] == 0
        assert abs(closed_at - (deadline + 500)) < 1500
        assert killed_at * 1000 < deadline
        await host_ws.until("reveal")
        await asyncio.wait_for(_until(lambda: all(0 in p.results for p in players)), 20)
        row = await sync_to_async(Game.objects.get)(id=game.id)
        assert row.state["ends_at"] == deadline
        await host_ws.command("end_game")
        await host_ws.until("ended")
    finally:
        await host_ws.stop()
        await asyncio.gather(*[p.stop() for p in players])

    stored = await stored_answers(game.id)
    assert_acked_answers_counted_once(players, stored)
    assert len(stored) == PLAYERS
    scores, problems = await sync_to_async(recompute)(game.id)
    assert problems == []


async def _until(predicate, interval: float = 0.05):
    """Wait for a condition that frames arriving on many sockets make true."""
    # Polling on purpose (ASYNC110): the condition is read off frames that many sockets' reader
    # tasks append; no single place could set an Event for it.
    while not predicate():  # noqa: ASYNC110
        await asyncio.sleep(interval)
