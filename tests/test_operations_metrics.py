"""/metrics: who may read it, and a short live game whose counts the scrape must repeat exactly."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from realtime.models import Answer
from tests.factories import make_user
from tests.realtime.conftest import (  # noqa: F401 (fixtures: hub reset, DB sessions ended)
    _close_worker_connections,
    _fresh_hub,
    create_game,
    host_socket,
    join,
    make_quiz,
    player_socket,
    screen_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


def scrape(client: Client | None = None, **extra) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before: dict, after: dict, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# --- access ------------------------------------------------------------------------------------


def test_metrics_are_served_to_loopback_in_prometheus_text_format():
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE cq_answers_stored_total counter" in response.content
    assert b"# TYPE cq_answer_ack_seconds histogram" in response.content


def test_metrics_are_hidden_from_an_outside_address():
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 404
    assert b"cq_" not in response.content


def test_metrics_through_an_untrusted_proxy_are_not_internal(settings):
    # nginx on the same machine: REMOTE_ADDR is loopback, the real client is in X-Forwarded-For.
    settings.TRUSTED_PROXY_COUNT = 0
    response = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert response.status_code == 404


def test_metrics_through_a_trusted_proxy_use_the_real_client_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.METRICS_ALLOW_CIDRS = "10.0.0.0/8"
    inside = Client().get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3")
    outside = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert inside.status_code == 200
    assert outside.status_code == 404


def test_a_bearer_token_opens_metrics_from_anywhere_and_a_wrong_one_is_refused(settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    right = Client().get(
        "/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    wrong = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer guess")
    accented = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-đoán")
    assert accented.status_code == 403
    assert right.status_code == 200
    assert b"cq_joins_total" in right.content
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "permission_denied"
    assert b"cq_" not in wrong.content


def test_without_a_configured_token_no_bearer_header_opens_metrics(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_CIDRS = ""
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert Client().get("/metrics").status_code == 404


# --- requests by route ---------------------------------------------------------------------------


def test_contest_requests_are_counted_by_url_pattern_name_not_by_raw_path():
    before = scrape()
    Client().get("/api/rounds/987654/")
    Client().get("/api/rounds/987655/")
    Client().get("/api/contests/")
    after = scrape()
    by_route = dict(route="round-detail", method="GET", status="404", via="django")
    assert delta(before, after, "cq_requests_total", **by_route) == 2
    assert delta(before, after, "cq_request_seconds_count", route="round-detail", via="django") == 2
    listed = dict(route="contest-list", method="GET", status="200", via="django")
    assert delta(before, after, "cq_requests_total", **listed) == 1
    assert not any("987654" in str(labels) for _name, labels in after)


# --- a short live game ---------------------------------------------------------------------------


@sync_to_async
def setup_game():
    host = make_user("opshost", roles=["teacher"])
    quiz = make_quiz(host, ("single", "single"))
    return host, create_game(host, quiz, time_limit=30, show_leaderboard=False, auto_advance=False)


def choices(question_frame) -> list:
    return [c["id"] for c in question_frame["question"]["choices"]]


async def test_a_short_game_is_counted_exactly_in_metrics():
    """Joins, sockets per role, answers stored and refused, acks and broadcasts: each counter
    moves by what the game did, no more."""
    before = await sync_to_async(scrape)()
    host, game = await setup_game()
    joined = [await sync_to_async(join)(game, f"Ops {i}") for i in range(3)]
    host_ws = await host_socket(game.id, host)
    screen = await screen_socket(game)
    players = [await player_socket(game.id, token) for _pid, token in joined]
    try:
        while (await host_ws.until("lobby"))["players"] < 3:
            pass
        during = await sync_to_async(scrape)()
        assert delta(before, during, "cq_sockets", role="player") == 3
        assert delta(before, during, "cq_sockets", role="host") == 1
        assert delta(before, during, "cq_sockets", role="screen") == 1
        assert delta(before, during, "cq_joins_total") == 3
        assert value(during, "cq_live_games", status="lobby") >= 1

        acks = 0
        for q in range(2):
            await host_ws.send({"type": "host", "action": "start" if q == 0 else "next"})
            frames = [await player.until("question") for player in players]
            for player, frame in zip(players, frames, strict=True):
                await player.send(
                    {
                        "type": "answer",
                        "q": q,
                        "answer_id": str(uuid.uuid4()),
                        "response": {"choice": choices(frame)[0]},
                    }
                )
                await player.until("ack")
                acks += 1
            # A retry of a stored answer is acknowledged again but stores nothing new.
            await players[0].send(
                {
                    "type": "answer",
                    "q": q,
                    "answer_id": str(uuid.uuid4()),
                    "response": {"choice": choices(frames[0])[1]},
                }
            )
            await players[0].until("ack")
            acks += 1
            # An answer to another question is refused, by reason.
            await players[1].send(
                {
                    "type": "answer",
                    "q": q + 5,
                    "answer_id": str(uuid.uuid4()),
                    "response": {"choice": choices(frames[1])[0]},
                }
            )
            assert (await players[1].until("error"))["code"] == "wrong_question"
            await host_ws.send({"type": "host", "action": "end_question"})
            await host_ws.until("reveal")
        after = await sync_to_async(scrape)()
        stored = await sync_to_async(Answer.objects.filter(game_id=game.id).count)()
        assert stored == 6
        assert delta(before, after, "cq_answers_stored_total") == stored
        assert delta(before, after, "cq_answer_ack_seconds_count") == acks
        assert delta(before, after, "cq_answers_refused_total", reason="wrong_question") == 2
        assert delta(before, after, "cq_broadcast_seconds_count") > 0
        assert value(after, "cq_live_games", status="running") >= 1
    finally:
        for sock in (*players, screen, host_ws):
            await sock.close()
    closed = await sync_to_async(scrape)()
    for role in ("player", "host", "screen"):
        assert delta(before, closed, "cq_sockets", role=role) == 0


async def test_board_replays_on_the_asgi_fast_path_are_counted_under_the_same_route():
    from channels.testing import HttpCommunicator
    from prometheus_client import REGISTRY

    from config.asgi import django_asgi_app
    from contest.fastpath import BoardReplay
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest

    def count(via: str) -> float:
        labels = {"route": "round-leaderboard", "method": "GET", "status": "200", "via": via}
        return REGISTRY.get_sample_value("cq_requests_total", labels) or 0.0

    await sync_to_async(clear_boards)()
    round_id = await sync_to_async(lambda: make_contest()[1].pk)()
    app = BoardReplay(django_asgi_app)
    before = {via: count(via) for via in ("django", "fastpath")}
    for _ in range(3):
        communicator = HttpCommunicator(
            app, "GET", f"/api/rounds/{round_id}/leaderboard/", headers=[(b"host", b"testserver")]
        )
        assert (await communicator.get_response(timeout=20))["status"] == 200
        await communicator.wait()
    # The first answer is Django's; the next two are replayed without entering it (the replay
    # needs the shared versions in Redis).
    replayed = 2 if settings.REDIS_URL else 0
    assert count("django") - before["django"] == 3 - replayed
    assert count("fastpath") - before["fastpath"] == replayed


def test_a_join_refused_by_the_rate_limit_is_counted_under_its_route(settings):
    from core import ratelimit

    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_JOIN = "1/0.001"
    ratelimit.reset()
    before = scrape()
    client = Client(REMOTE_ADDR="198.51.100.23")
    try:
        statuses = [
            client.post("/api/games/join", {"pin": "000000", "nickname": "X"}, "application/json")
            for _ in range(3)
        ]
    finally:
        ratelimit.reset()
    after = scrape()
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    labels = dict(route="game-join", method="POST", status="429", via="django")
    assert delta(before, after, "cq_requests_total", **labels) == len(limited)


def test_the_job_queue_hooks_feed_the_cq_jobs_family():
    from core import metrics

    before = scrape()
    metrics.job_started("question_import")
    during = scrape()
    metrics.jobs_queued("question_import", 4)
    metrics.job_finished("question_import", "failed", seconds=3.0)
    after = scrape()
    assert delta(before, during, "cq_jobs_running", kind="question_import") == 1
    assert delta(before, after, "cq_jobs_running", kind="question_import") == 0
    assert delta(before, after, "cq_jobs_started_total", kind="question_import") == 1
    failed = dict(kind="question_import", outcome="failed")
    assert delta(before, after, "cq_jobs_finished_total", **failed) == 1
    assert value(after, "cq_jobs_queued", kind="question_import") == 4
    assert delta(before, after, "cq_job_seconds_count", kind="question_import") == 1


def test_metrics_are_still_scraped_when_the_database_does_not_answer(monkeypatch):
    from django.db import OperationalError

    from realtime import live_metrics

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(live_metrics, "live_game_counts", down)
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert b"cq_answers_stored_total" in response.content
    assert b"cq_live_games" not in response.content
