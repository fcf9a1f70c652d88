"""The server as shipped (config/serve.py): `make run-cluster` and the live benchmark start the
same command, Daphne on uvloop, so the figures in bench/README.md are the product's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from config import serve
from deploy import cluster

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


def test_the_launcher_still_hands_every_received_chunk_to_the_websocket_parser():
    """The lean receive (no debug-log arguments built while debug is off) changes no delivery,
    and with debug logging on the debug line is still written."""
    from autobahn.twisted.websocket import WebSocketAdapterProtocol
    from txaio.tx import _no_op

    original = WebSocketAdapterProtocol.dataReceived
    try:
        serve.lean_websocket_receive()
        serve.lean_websocket_receive()  # twice (a second server in one process): wrapped once

        class Protocol(WebSocketAdapterProtocol):
            peer = "tcp:127.0.0.1:5000"

            def __init__(self, debug):
                self.chunks: list[bytes] = []
                self.logged: list[dict] = []

                class Log:
                    pass

                self.log = Log()
                self.log.debug = (lambda fmt, **kw: self.logged.append(kw)) if debug else _no_op

            def _dataReceived(self, data):
                self.chunks.append(data)

        quiet, verbose = Protocol(debug=False), Protocol(debug=True)
        for proto in (quiet, verbose):
            proto.dataReceived(b"\x81\x85abcd")
            proto.dataReceived(b"more")
            assert proto.chunks == [b"\x81\x85abcd", b"more"]
        assert quiet.logged == []
        assert len(verbose.logged) == 2
        assert all("data_len" in kw for kw in verbose.logged)
    finally:
        WebSocketAdapterProtocol.dataReceived = original  # type: ignore[method-assign]
