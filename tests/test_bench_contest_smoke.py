"""bench/contest.py at a tiny size: the contest rush runs end to end through the cluster that
`make run-cluster` starts (two processes behind nginx) and its correctness checks hold: no
request fails, every acknowledged autosave is in the final score. Never a timing assertion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
KEYS = {
    "requests_per_s",
    "start_ms",
    "autosave_ms",
    "submit_ms",
    "top100_ms",
    "myrank_ms",
    "close_s",
    "errors",
    "lost_answers",
}


def bench_database_url() -> str:
    """A separate database for the benchmark's own server processes (never the test database)."""
    url = settings.DATABASE_URL or "postgres://postgres@127.0.0.1:5432/citizenquiz"
    base, name = url.rsplit("/", 1)
    return f"{base}/{name}_contest_smoke"


def test_the_contest_rush_loses_no_acknowledged_autosave_and_fails_no_request(tmp_path):
    # `make test` installs nginx and starts PostgreSQL and Redis: missing, this is a failure.
    assert settings.DATABASE_URL, "the cluster needs PostgreSQL"
    assert settings.REDIS_URL, "the cluster needs Redis"
    assert shutil.which("nginx") or Path("/usr/sbin/nginx").exists(), "the cluster needs nginx"
    out = tmp_path / "contest.json"
    env = {
        **os.environ,
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_PREFIX": "cqsmoke",
    }
    completed = subprocess.run(
        [
            sys.executable,
            "bench/contest.py",
            "--participants",
            "300",
            "--sessions",
            "20",
            "--servers",
            "2",
            "--questions",
            "4",
            "--ramp",
            "0.2",
            "--think",
            "0.02",
            "--json",
            str(out),
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert KEYS <= doc.keys()
    assert doc["errors"] == 0, doc["error_samples"]
    assert doc["lost_answers"] == 0
    assert doc["score_mismatches"] == 0
    assert doc["acked_autosaves"] == 20 * 4
    assert doc["requests"] == 20 * (4 + 2)
    for name in ("start", "autosave", "submit"):
        assert {"p50", "p95", "p99"} <= doc[f"{name}_ms"].keys()
    assert doc["close_board"] == "final"
    assert len(doc["server_cpu_s"]) == doc["servers"] == 2
