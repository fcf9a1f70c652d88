"""/readyz: one JSON entry per check (PostgreSQL, Redis, workers), 200 only when all are ready."""

from __future__ import annotations

import pytest
from django.test import Client

from core import health

pytestmark = pytest.mark.django_db


def workers_heartbeat_fresh() -> str:
    return "ok"


def workers_heartbeat_stale() -> str:
    raise TimeoutError("last heartbeat 93 s ago")


def test_readyz_reports_each_check_and_is_ready_with_no_job_queue(settings):
    settings.READYZ_WORKERS_CHECK = ""
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == ("ok" if settings.REDIS_URL else "not configured")
    assert body["checks"]["workers"] == "not configured"
    assert body["down"] == []
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_503_and_names_redis_when_redis_is_unreachable(settings):
    settings.READYZ_WORKERS_CHECK = ""  # the job queue's own check is tested below
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["down"] == ["redis"]
    assert body["checks"]["redis"].startswith("down: ")
    assert body["checks"]["database"] == "ok"


def test_readyz_asks_the_job_queue_for_its_workers(settings):
    settings.READYZ_WORKERS_CHECK = f"{__name__}.workers_heartbeat_fresh"
    assert Client().get("/readyz").json()["checks"]["workers"] == "ok"
    settings.READYZ_WORKERS_CHECK = f"{__name__}.workers_heartbeat_stale"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == "down: TimeoutError"
    assert response.json()["down"] == ["workers"]


def test_a_registered_readiness_check_takes_part(monkeypatch):
    monkeypatch.setattr(health, "READINESS_CHECKS", dict(health.READINESS_CHECKS))

    def disk_full() -> str:
        raise OSError("no space left")

    health.register_readiness_check("media_disk", disk_full)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["media_disk"] == "down: OSError"


def test_healthz_is_unchanged_beside_readyz():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "channel_layer", "live_store"}


def test_readyz_sees_a_job_worker_only_while_it_reports(settings):
    """With workers on Redis, /readyz is ready only while a worker process has reported lately
    (jobs_worker writes its heartbeat every few seconds)."""
    import uuid

    from quizzes.background import backends

    settings.READYZ_WORKERS_CHECK = "quizzes.background.backends.workers_ready"
    settings.JOBS_BACKEND = "dramatiq"
    settings.CHANNEL_PREFIX = f"cqready-{uuid.uuid4().hex[:8]}"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"].startswith("down")
    backends.worker_heartbeat("worker-1")
    response = Client().get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["workers"] == "ok (1)"
