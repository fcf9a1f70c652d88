"""The server as shipped (config/serve.py): `make run-cluster` and the live benchmark start the
same command, Daphne on uvloop, so the figures in bench/README.md are the product's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from config import serve
from core.heap import GC_THRESHOLDS
from deploy import cluster

ROOT = Path(__file__).resolve().parents[1]
DJANGO_ENV = {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}


def run_python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter at the repository's root (a launcher's process-wide setup
    must not leak into the test process): by default with the product's development settings."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **(env if env is not None else DJANGO_ENV)},
        capture_output=True,
        text=True,
        timeout=120,
    )


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
        out = run_python(code, env)
        assert out.stdout.strip() == expected, out.stderr


def test_the_launcher_freezes_the_startup_heap_and_collects_young_objects_less_often():
    """bench/README.md "Garbage collection": the application is imported, then everything alive
    is moved out of the collector's reach, and young collections wait for 10,000 objects. A
    wrong application path is left for Daphne to report."""
    code = (
        "import gc, sys; from config import serve; before = gc.get_freeze_count(); "
        "serve.tune_gc('no.such.module:application'); "
        "serve.tune_gc('config.asgi:application'); "
        "print(gc.get_threshold(), 'config.asgi' in sys.modules, gc.get_freeze_count() > before)"
    )
    out = run_python(code)
    assert out.stdout.strip() == "(10000, 10, 10) True True", out.stderr
    assert GC_THRESHOLDS == (10_000, 10, 10)


def test_the_launcher_loads_the_url_configuration_before_the_first_request():
    """The first request of a join burst must not import every URLconf on the event loop (it
    stalled every socket of the process for 0.28 s). A wrong application path is left for
    Daphne to report."""
    code = (
        "import sys; from config import serve; "
        "serve.warm_up('no.such.module:application'); "
        "print('config.urls' in sys.modules, end=' '); "
        "serve.warm_up('config.asgi:application'); "
        "from django.urls import get_resolver; "
        "print('config.urls' in sys.modules, get_resolver()._populated)"
    )
    out = run_python(code)
    assert out.stdout.strip() == "False True True", out.stderr


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


def test_autobahn_formats_its_debug_lines_only_while_debug_logging_is_on():
    """The launcher's lean pformat may only stand in where autobahn feeds a debug line: every
    other call of the module's `pformat` (a new autobahn release may add one) fails this test."""
    import ast
    import inspect

    import txaio
    from autobahn.websocket import protocol

    tree = ast.parse(inspect.getsource(protocol))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def in_debug_call(node) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "debug":
                return True
        return False

    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "pformat"
    ]
    outside = [node.lineno for node in calls if not in_debug_call(node)]
    timings_str = inspect.getsource(protocol.Timings.__str__)
    assert len(outside) == 1, outside  # Timings.__str__ only
    assert "pformat" in timings_str

    original_pformat, original_str = protocol.pformat, protocol.Timings.__str__
    level = txaio.get_global_log_level()
    try:
        serve.lean_connection_setup()
        serve.lean_connection_setup()  # twice: wrapped once
        attrs = [("openHandshakeTimeout", 60, "Factory")]
        txaio.set_global_log_level("info")
        assert protocol.pformat(attrs) == ""
        timings = protocol.Timings()
        timings.track("open")
        assert "open" in str(timings)  # not a log line: still the real text
        txaio.set_global_log_level("debug")
        assert "openHandshakeTimeout" in protocol.pformat(attrs)
    finally:
        txaio.set_global_log_level(level)
        protocol.pformat, protocol.Timings.__str__ = original_pformat, original_str


def test_daphne_requests_skip_twisteds_form_parse_and_keep_the_body():
    """Twisted no longer parses a POST's form body into request.args, which Daphne never reads
    (it hands the raw body to Django: the browser tests sign in through forms on the shipped
    server)."""
    from daphne.http_protocol import WebRequest
    from twisted.internet.testing import StringTransport
    from twisted.web import http

    class Server:
        def protocol_connected(self, protocol) -> None:
            pass

    class Factory:
        server = Server()

    original = WebRequest.__init__
    try:
        serve.lean_connection_setup()
        channel = http.HTTPChannel()
        channel.factory = Factory()
        channel.makeConnection(StringTransport())
        assert WebRequest(channel)._parsePOSTFormSubmission is False
    finally:
        WebRequest.__init__ = original  # type: ignore[method-assign]


def test_twisteds_access_line_is_built_only_when_the_server_logs_at_info():
    """The combined-log line Twisted makes for every request is written to `daphne.server` at
    INFO: a quiet server (-v 0, as shipped) no longer formats it; a verbose one still logs it."""
    import logging

    from daphne.http_protocol import HTTPFactory

    lines: list[object] = []
    original = HTTPFactory.log
    logger = logging.getLogger("daphne.server")
    level = logger.level
    try:
        serve.lean_connection_setup()
        serve.lean_connection_setup()  # twice: wrapped once
        factory = HTTPFactory.__new__(HTTPFactory)
        factory._logFile = type("LogFile", (), {"write": lambda self, line: lines.append(line)})()
        factory._logDateTime = "-"
        factory._logFormatter = lambda timestamp, request: f"line for {request}"
        logger.setLevel(logging.WARNING)
        factory.log("GET /quiet")
        assert lines == []
        logger.setLevel(logging.INFO)
        factory.log("GET /verbose")
        assert lines == ["line for GET /verbose\n"]
    finally:
        logger.setLevel(level)
        HTTPFactory.log = original  # type: ignore[method-assign]


def test_a_burst_waiting_while_the_server_is_busy_is_answered_not_reset():
    """300 connections arrive while the server accepts none (stopped here; in life, warming up
    after a restart or busy with a join burst): each is held in the kernel's listen queue and
    answered once the server runs again. With Twisted's queue of 50, those past it were reset
    without a reply (a tester lost hand-ins that way after a restart)."""
    import os
    import signal
    import socket

    sys.path.insert(0, str(ROOT / "bench"))
    from floor import REPLY, start_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_server(port)
    sockets = []
    try:
        os.kill(server.pid, signal.SIGSTOP)
        for _n in range(300):
            sock = socket.socket()
            sock.settimeout(5)
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}")
            sockets.append(sock)
        os.kill(server.pid, signal.SIGCONT)
        answered = 0
        for sock in sockets:
            reply = b""
            try:
                while REPLY not in reply:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:  # reset: never answered
                pass
            answered += reply.startswith(b"HTTP/1.1 200") and REPLY in reply
        assert answered == len(sockets)
    finally:
        os.kill(server.pid, signal.SIGCONT)
        for sock in sockets:
            sock.close()
        server.kill()
        server.wait()
