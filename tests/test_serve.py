"""The server as shipped (config/serve.py): `make run-cluster` and the live benchmark start the
same command, Daphne on uvloop, so the figures in bench/README.md are the product's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import cluster
from config import serve

ROOT = Path(__file__).resolve().parents[1]


def test_run_cluster_and_the_benchmark_start_the_shipped_server_command():
    shipped = serve.command("127.0.0.1", 9001)
    assert cluster.server_command("daphne", 9001) == shipped
    assert shipped[1:3] == ["-m", "config.serve"]
    assert shipped[-1] == "config.asgi:application"
    bench_source = (ROOT / "bench" / "live.py").read_text()
    assert "from config.serve import command" in bench_source
    makefile = (ROOT / "Makefile").read_text()
    assert "-m config.serve" in makefile


def test_the_launcher_runs_daphne_on_uvloop_unless_told_otherwise():
    code = "from config import serve; import asyncio; print(serve.install_loop())"
    for env, expected in (({}, "uvloop"), ({"CQ_LOOP": "asyncio"}, "asyncio")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.stdout.strip() == expected, out.stderr
