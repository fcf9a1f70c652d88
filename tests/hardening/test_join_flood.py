"""Join flood against a real Daphne server: one address sends 50 joins/s for 20 s with a forged
X-Forwarded-For on every request; 40 players from 40 other loopback addresses join meanwhile.

Successful joins of one address into one game are bounded (RATE_LIMIT_JOIN_ADDRESS, default 600
then 1/s: a school behind one NAT gets in), so the attacker gets at most 600 + 20 (+1 for timing)
of 1000, and the 40 others all get in.
"""

from __future__ import annotations

import http.client
import json
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async

from realtime.models import Player
from tests.browser.conftest import AsgiServer, child_env, free_port
from tests.factories import make_user
from tests.hardening.conftest import STRICT_ENV
from tests.realtime.conftest import create_game, make_quiz

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RATE = 50  # joins per second from the attacker
SECONDS = 20
LEGIT = 40
ATTACKER = "127.0.0.200"


def post_join(port: int, source: str, pin: str, nickname: str, headers=None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(
            "POST",
            "/api/games/join",
            body=json.dumps({"pin": pin, "nickname": nickname}),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.fixture
def strict_server(transactional_db, tmp_path):
    server = AsgiServer(free_port(), tmp_path / "flood.log", child_env(STRICT_ENV))
    yield server
    server.stop()


@pytest.fixture
def tight_server(transactional_db, tmp_path):
    env = {**STRICT_ENV, "RATE_LIMIT_JOIN_ADDRESS": "10/1"}
    server = AsgiServer(free_port(), tmp_path / "flood.log", child_env(env))
    yield server
    server.stop()


def _burst() -> int:
    return int(float(STRICT_ENV["RATE_LIMIT_JOIN_ADDRESS"].split("/")[0]))


def test_one_address_flooding_joins_is_contained_while_forty_others_all_join(strict_server):
    host = make_user("floodhost", roles=["teacher"])
    game = create_game(host, make_quiz(host))
    port = strict_server.port
    attacker: list[int] = []
    legit: list[int] = []
    lock = threading.Lock()

    def attack(i: int) -> None:
        forged = {"X-Forwarded-For": f"{random.randint(1, 223)}.{i % 256}.{i // 256}.7"}
        status = post_join(port, ATTACKER, game.pin, f"Flood {i:04d}", forged)
        with lock:
            attacker.append(status)

    def player(i: int) -> None:
        status = post_join(port, f"127.0.0.{i + 2}", game.pin, f"Student {i:02d}")
        with lock:
            legit.append(status)

    with ThreadPoolExecutor(24) as pool:
        started = time.monotonic()
        futures = []
        for i in range(RATE * SECONDS):
            # Paced submissions: request i leaves at i/RATE seconds; a legit player every 0.45 s.
            delay = started + i / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(attack, i))
            if i % 22 == 0 and i // 22 < LEGIT:
                futures.append(pool.submit(player, i // 22))
        for future in futures:
            future.result()
        elapsed = time.monotonic() - started
    accepted = attacker.count(201)
    print(f"attacker: {accepted} accepted of {len(attacker)} in {elapsed:.1f}s")
    assert len(attacker) == RATE * SECONDS
    assert accepted <= _burst() + math.ceil(elapsed) + 1  # burst + what refilled meanwhile
    assert set(attacker) <= {201, 429}
    assert legit == [201] * LEGIT
    names = set(Player.objects.filter(game=game).values_list("nickname", flat=True))
    assert {f"Student {i:02d}" for i in range(LEGIT)} <= names
    assert len([n for n in names if n.startswith("Flood")]) == accepted


async def test_the_flood_limit_is_shared_by_every_request_of_the_address(tight_server):
    """Concurrent bursts from one address cannot race far past its bucket in one game."""
    host = await sync_to_async(make_user)("burst", roles=["teacher"])
    game = await sync_to_async(create_game)(host, await sync_to_async(make_quiz)(host))
    started = time.monotonic()
    with ThreadPoolExecutor(50) as pool:
        statuses = list(
            pool.map(
                lambda i: post_join(tight_server.port, "127.0.0.201", game.pin, f"Burst {i}"),
                range(100),
            )
        )
    elapsed = time.monotonic() - started
    assert statuses.count(201) <= 10 + math.ceil(elapsed) + 1  # burst + what refilled meanwhile
    assert statuses.count(201) >= 10
    assert set(statuses) <= {201, 429}
