"""bench/live.py at a tiny size: the harness runs end to end and its correctness checks hold.

A real check of the live engine under the benchmark's load pattern (every acknowledged answer is
stored, every score equals a recomputation from the stored answers), never a timing assertion.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
KEYS = {
    "players",
    "servers",
    "layer",
    "join_ms",
    "broadcast_ms",
    "ack_ms",
    "lost_answers",
    "score_mismatches",
    "server_cpu_s",
    "server_rss_mb",
    "baseline",
    "ratios",
}


def bench_database_url() -> str:
    """A separate database for the benchmark's own server processes (never the test database)."""
    url = settings.DATABASE_URL or "postgres://postgres@127.0.0.1:5432/citizenquiz"
    base, name = url.rsplit("/", 1)
    return f"{base}/{name}_bench_smoke"


def test_the_live_benchmark_loses_no_acknowledged_answer_and_recomputes_every_score(tmp_path):
    out = tmp_path / "live.json"
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    completed = subprocess.run(
        [
            sys.executable,
            "bench/live.py",
            "--players",
            "20",
            "--questions",
            "2",
            "--json",
            str(out),
            "--database-url",
            bench_database_url(),
            "--redis-url",
            redis_url,
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert KEYS <= doc.keys()
    assert doc["players"] == 20
    assert doc["joined"] == 20
    assert doc["lost_answers"] == 0
    assert doc["score_mismatches"] == 0
    assert doc["acked_answers"] == doc["stored_answers"] == 40
    assert {"p50", "p95", "p99", "max"} <= doc["join_ms"].keys()
    # The join path as shipped (PIN look-up and join on the fast path, the product's default
    # limits, Daphne on uvloop): every player in, the figures present (never their size).
    assert doc["failed_joins"] == 0 and doc["errors"] == {}
    assert doc["join_cpu_ms"] > 0 and doc["join_s"] > 0
    assert sum(doc["joins_per_s"]) == 20
    assert doc["loop"] == "uvloop"
    assert {"p50", "p95", "p99", "max"} <= doc["broadcast_ms"].keys()
    assert {"p50", "p95", "p99"} <= doc["ack_ms"].keys()
    assert doc["broadcast_ms"]["n"] == 40 and doc["ack_ms"]["n"] == 40
    assert len(doc["server_cpu_s"]) == len(doc["server_rss_mb"]) == doc["servers"] == 1
    baseline = doc["baseline"]
    assert baseline["lost_answers"] == 0
    assert baseline["acked_answers"] == baseline["stored_answers"] == 40
    assert "broadcast_ms_p99_speedup" in doc["ratios"]
    assert "players" in completed.stdout and "lost_answers" in completed.stdout
