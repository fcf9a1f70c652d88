"""A bench game on two server processes, then /metrics: every process reports the whole cluster
(prometheus_client's multiprocess mode) and its counters equal the bench's own counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def bench_database_url() -> str:
    """The benchmark's own database (never the test database)."""
    url = settings.DATABASE_URL or "postgres://postgres@127.0.0.1:5432/citizenquiz"
    base, name = url.rsplit("/", 1)
    return f"{base}/{name}_bench_ops"


def test_metrics_scraped_after_a_bench_game_equal_the_bench_counts(tmp_path):
    out = tmp_path / "live.json"
    sample = tmp_path / "metrics.txt"
    completed = subprocess.run(
        [
            sys.executable,
            "bench/live.py",
            "--players",
            "20",
            "--questions",
            "2",
            "--servers",
            "2",
            "--baseline",
            "no",
            "--metrics",
            "--metrics-sample",
            str(sample),
            "--json",
            str(out),
            "--database-url",
            bench_database_url(),
            "--redis-url",
            settings.REDIS_URL or "redis://127.0.0.1:6379/0",
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["joined"] == 20
    assert doc["acked_answers"] == doc["stored_answers"] == 40
    metrics = doc["metrics"]
    assert metrics["mismatches"] == []
    assert metrics["match"] is True
    assert metrics["aggregated"] is True
    ended, joined = metrics["scrapes"]["ended"], metrics["scrapes"]["joined"]
    assert len(ended) == len(joined) == 2  # each process answered for both
    for scraped in ended:
        assert scraped["joins"] == 20
        assert scraped["answers_stored"] == 40
        assert scraped["acks"] == 40
    for scraped in joined:
        assert scraped["sockets"] == {"player": 20, "host": 1}
    text = sample.read_text()
    assert "cq_answers_stored_total 40.0" in text
    assert "/metrics == bench counts" in completed.stdout
