"""Soak (reliability plan T19): a real server process and its own Redis carry 300 players through
60 questions, three games in a row. The server's memory grows under 10 % from the warmed-up point to the end, every
acknowledged answer is stored once, and afterwards nothing is left behind: no socket in the server
process, no Redis key without an expiry, no channel-layer group, one bus subscription per process.

SOAK_PLAYERS / SOAK_QUESTIONS / SOAK_GAMES scale it up (bench/soak.py runs the long version)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from bench.faults import PrivateRedis
from tests.browser.conftest import AsgiServer, child_env, free_port
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz, session_cookie
from tests.realtime.sim import SimHost, answer_keys, recompute, ws_url
from tests.realtime.test_multiprocess import (
    _until,
    assert_acked_answers_counted_once,
    join_all,
    stored_answers,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PLAYERS = int(os.environ.get("SOAK_PLAYERS", "300"))
QUESTIONS = int(os.environ.get("SOAK_QUESTIONS", "60"))
GAMES = int(os.environ.get("SOAK_GAMES", "3"))
WARM_UP = 5  # questions before the memory reference point (caches, pools, allocator arenas)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def client_connections(port: int) -> int:
    """Established TCP connections to the server's port (players, host), from /proc/net/tcp."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                count += 1
    return count


def redis_cli(port: int, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def soak_server(transactional_db, tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = child_env(
        {
            "REDIS_URL": redis.url,
            "LIVE_STORE": "redis",
            "ANSWER_GRACE_SECONDS": "0.5",
            # Production settings: with DEBUG on, Django keeps the last 9,000 queries of every
            # connection in memory, which a soak would measure instead of the product.
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,  # the host's session cookie is signed with it
            "SECURE_SSL_REDIRECT": "0",
        }
    )
    server = AsgiServer(free_port(), tmp_path / "soak.log", env)
    yield server, redis
    server.stop()
    redis.kill()


@sync_to_async
def setup_game():
    from django.contrib.auth import get_user_model

    host = get_user_model().objects.filter(username="soakhost").first()
    host = host or make_user("soakhost", roles=["teacher"])
    types = ["single", "truefalse"] * (QUESTIONS // 2) + ["single"] * (QUESTIONS % 2)
    game = create_game(
        host, make_quiz(host, types), time_limit=30, auto_advance=True, show_leaderboard=False
    )
    return game, answer_keys(game), session_cookie(host)[1].decode()


async def play_one_game(server) -> dict:
    game, keys, cookie = await setup_game()
    pid = server.process.pid
    host_ws = SimHost(ws_url(server.url, game.id), server.url, cookie)
    players = []
    figures: dict = {"game": game.id}
    try:
        await host_ws.start()
        # One server process: both "servers" of the join helper are the same one.
        players = await join_all([server, server], game, keys, PLAYERS)
        await host_ws.until("lobby", where=lambda f: f["players"] == PLAYERS)
        figures["rss_joined_kib"] = rss_kib(pid)
        await host_ws.command("start")
        for q in range(QUESTIONS):
            # auto_advance: the window closes as soon as all players have answered
            await host_ws.until("reveal", timeout=60, where=lambda f, q=q: f["q"] == q)
            await asyncio.wait_for(_until(lambda q=q: all(q in p.results for p in players)), 30)
            if q + 1 == WARM_UP:
                figures["rss_warm_kib"] = rss_kib(pid)
            # A breath between questions: without it a question lasts ~0.2 s here and the
            # players' nervous double answers pass 20 frames/s (the per-socket rate limit).
            await asyncio.sleep(0.15)
            await host_ws.command("next")
        await host_ws.until("podium")
        await host_ws.command("next")
        await host_ws.until("ended")
        figures["rss_end_kib"] = rss_kib(pid)
    finally:
        await host_ws.stop()
        await asyncio.gather(*[p.stop() for p in players])
    # Everyone has gone: the server keeps no connection of theirs open.
    await asyncio.wait_for(_until(lambda: client_connections(server.port) == 0, 0.2), 20)
    figures["connections_after"] = client_connections(server.port)

    stored = await stored_answers(game.id)
    assert_acked_answers_counted_once(players, stored)
    answered = sum(1 for k in keys if k["type"] != "slide")
    assert len(stored) == PLAYERS * answered
    assert [e for p in players for e in p.errors] == []
    scores, problems = await sync_to_async(recompute)(game.id)
    assert problems == []
    assert {p.player_id: p.results[QUESTIONS - 1]["score"] for p in players} == scores
    return figures


async def test_soak_memory_is_bounded_and_nothing_is_left_behind(soak_server):
    server, redis = soak_server
    started = time.monotonic()
    games = [await play_one_game(server) for _ in range(GAMES)]
    elapsed = time.monotonic() - started
    first, last = games[0], games[-1]
    growth = (last["rss_end_kib"] - first["rss_warm_kib"]) / first["rss_warm_kib"]
    print(
        f"\nsoak: {GAMES} game(s) x {PLAYERS} players x {QUESTIONS} questions in {elapsed:.0f} s; "
        f"server RSS joined {first['rss_joined_kib'] / 1024:.1f} MiB, warm "
        f"{first['rss_warm_kib'] / 1024:.1f} MiB, end {last['rss_end_kib'] / 1024:.1f} MiB "
        f"({growth:+.1%}); end of each game (MiB): "
        f"{[round(g['rss_end_kib'] / 1024, 1) for g in games]}; "
        f"client connections after {last['connections_after']}"
    )
    assert growth < 0.10

    # Redis: every key left expires (the ended games' last state, for late reconnects); no
    # channel-layer group or counter lingers; one bus subscriber (the one server process).
    prefix = settings.CHANNEL_PREFIX
    keys = sorted(redis_cli(redis.port, "--scan").split())
    forever = [k for k in keys if int(redis_cli(redis.port, "ttl", k)) < 0]
    assert forever == []
    assert sorted(keys) == sorted(f"{prefix}:live:state:{g['game']}" for g in games)
    subscribers = redis_cli(redis.port, "pubsub", "numsub", f"{prefix}:live:bus").split()
    assert subscribers[-1] == "1"
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
