"""bench/floor.py at a small size: the shipped server (config.serve) with an application that
does nothing answers every request and every join frame. Counts only, never times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_floor_bench_answers_every_request_and_every_join(tmp_path):
    out = tmp_path / "floor.json"
    subprocess.run(
        [
            sys.executable,
            "bench/floor.py",
            "--requests",
            "400",
            "--connections",
            "20",
            "--joins",
            "100",
            "--concurrency",
            "20",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )
    doc = json.loads(out.read_text())
    assert doc["http"]["requests"] == 400
    assert doc["websocket"]["joins"] == 100
    assert doc["http"]["server_cpu_ms_per_request"] > 0
    assert doc["websocket"]["server_cpu_ms_per_join"] > 0
