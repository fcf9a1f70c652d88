"""The server as shipped: Daphne on uvloop, with the flags `make run`, `make run-cluster`,
docs/deploy.md and bench/live.py all use (one copy of the server configuration).

    .venv/bin/python -m config.serve -b 127.0.0.1 -p 9001 config.asgi:application

Daphne has no event-loop option: the loop policy must be set before daphne.server creates its
loop (at import) and installs Twisted's asyncio reactor on it. On uvloop, Twisted's per-frame
writer registration and the socket reads run in C instead of asyncio's Python selector
(bench/README.md: about 10-30% less server CPU under a join burst and an answer burst).
`CQ_LOOP=asyncio` runs the stock loop (bench/live.py --loop asyncio compares them).

SERVER_FLAGS: a WebSocket handshake may wait up to 60 s (Daphne's default of 5 s drops phones
queued behind a 10,000-player join burst), and no per-request access log (nginx writes one).
"""

from __future__ import annotations

import os
import sys

from core.heap import freeze_startup_heap

SERVER_FLAGS = ["--websocket_connect_timeout", "60", "-v", "0"]


def install_loop() -> str:
    """Install the event loop policy named by CQ_LOOP (default uvloop, if installed)."""
    import asyncio

    if os.environ.get("CQ_LOOP", "uvloop") == "asyncio":
        return "asyncio"
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


def command(bind: str, port: int, app: str = "config.asgi:application") -> list[str]:
    """The command line of one server process."""
    return [sys.executable, "-m", "config.serve", "-b", bind, "-p", str(port), *SERVER_FLAGS, app]


def lean_websocket_receive() -> None:
    """Skip autobahn's debug-log line on every chunk a WebSocket receives while debug is off.

    `WebSocketAdapterProtocol.dataReceived` builds that line's arguments before the logger drops
    them: `hltype` (inspect + ANSI colouring) and two `hlval`. In a 2,000-player answer burst that
    was ~10 % of the server's CPU on the answer path (py-spy, bench/README.md "Acks at 2,000").
    With debug logging on (txaio's `debug` is a real method, not its no-op), the line is kept.
    """
    from autobahn.twisted.websocket import WebSocketAdapterProtocol
    from txaio.tx import _no_op

    def data_received(self, data: bytes) -> None:
        if self.log.debug is _no_op:
            self._dataReceived(data)
        else:
            verbose(self, data)

    verbose = WebSocketAdapterProtocol.dataReceived
    if getattr(verbose, "lean", False):
        return
    data_received.lean = True  # type: ignore[attr-defined]
    WebSocketAdapterProtocol.dataReceived = data_received  # type: ignore[method-assign]


def lean_connection_setup() -> None:
    """Two costs Twisted and autobahn pay on every connection that Daphne never uses.

    - autobahn formats its whole configuration with `pprint.pformat` for a debug line on every
      new WebSocket (and the transport's details at the handshake), before the logger drops them
      while debug is off: about 3 % of the server's CPU in a join burst (py-spy, bench/README.md
      "Joining"). The module's `pformat` now formats only while txaio logs at debug or trace;
      the one non-log use, `Timings.__str__`, keeps the real one.
    - Twisted parses every POST's Content-Type through the email package (another ~3 %) to fill
      `request.args` from a form body; Daphne hands the raw body to the application and never
      reads `args`, so its requests skip that parse.
    - Twisted formats a combined-log line for every HTTP request and hands it to its logger,
      which Daphne sends to Python's `daphne.server` logger at INFO: dropped unless the server
      runs verbose (`-v 1` or more), yet formatted first (1.4 % of a server's CPU in a contest
      rush). The line is now formatted only when that logger would write it.
    """
    import logging

    import txaio
    from autobahn.websocket import protocol
    from daphne.http_protocol import HTTPFactory, WebRequest

    if not getattr(protocol.pformat, "lean", False):
        real = protocol.pformat

        def pformat(obj, *args, **kwargs) -> str:
            if txaio.get_global_log_level() in ("debug", "trace"):
                return real(obj, *args, **kwargs)
            return ""

        pformat.lean = True  # type: ignore[attr-defined]
        protocol.pformat = pformat
        protocol.Timings.__str__ = lambda self: real(self._timings)  # type: ignore[method-assign]

    init = WebRequest.__init__
    if not getattr(init, "lean", False):

        def request_init(self, *args, **kwargs) -> None:
            kwargs["parsePOSTFormSubmission"] = False
            init(self, *args, **kwargs)

        request_init.lean = True  # type: ignore[attr-defined]
        WebRequest.__init__ = request_init  # type: ignore[method-assign]
    access_line = HTTPFactory.log
    if not getattr(access_line, "lean", False):
        daphne_logger = logging.getLogger("daphne.server")

        def log(self, request) -> None:
            if daphne_logger.isEnabledFor(logging.INFO):
                access_line(self, request)

        log.lean = True  # type: ignore[attr-defined]
        HTTPFactory.log = log  # type: ignore[method-assign]


# Connections the kernel may hold for the server before it accepts them (capped by
# net.core.somaxconn, 4096 on current Linux).
LISTEN_BACKLOG = 4096


def deep_listen_queue() -> None:
    """Listen with a queue of LISTEN_BACKLOG connections instead of Twisted's 50.

    A burst that arrives while the process is busy (just started and warming up, or in a join
    burst's garbage collection) waits in the kernel's queue until the event loop accepts it.
    With 50 places, a tester's 170 requests fired at a server just restarted lost up to 18 of
    them: the connections past the queue were reset without a reply (valid hand-ins among them).
    Daphne builds its TCP endpoint string from -b/-p; the backlog is added to it."""
    import daphne.cli

    build = daphne.cli.build_endpoint_description_strings
    if getattr(build, "deep_queue", False):
        return

    def with_backlog(*args, **kwargs) -> list[str]:
        return [
            f"{d}:backlog={LISTEN_BACKLOG}" if d.startswith("tcp:") else d
            for d in build(*args, **kwargs)
        ]

    with_backlog.deep_queue = True  # type: ignore[attr-defined]
    daphne.cli.build_endpoint_description_strings = with_backlog


def resume_jobs() -> None:
    """The embedded job queue (`make run`) is the server's memory: what a stopped server left
    queued or held for later (a round's close) is sent again (backends.server_started)."""
    import threading

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.apps import apps

    if not apps.is_installed("quizzes"):  # another application on this server (the bench's)
        return
    from quizzes.background import backends

    threading.Thread(target=backends.server_started, name="jobs-resume", daemon=True).start()


def import_app(app: str) -> bool:
    """Import Daphne's application argument ("module:attribute"); False when it cannot be
    imported, which is left for Daphne to report when it imports it next."""
    import importlib

    module = app.partition(":")[0]
    if not module or module.startswith("-"):
        return False
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def warm_up(app: str) -> None:
    """Import the application and its URL configuration before the first connection.

    Django imports every app's URLconf on the first request that resolves or reverses a path,
    and the fast paths read their routes from it (contest/fastpath.py route_regex) on the event
    loop: 0.28 s of CPU during which no socket of the process is served. That was the first
    request's lot: a health check's, or the first phones' of a join burst when nothing checked
    the server first. Loaded here, it is also part of the startup heap that tune_gc freezes.
    A wrong application path is left for Daphne to report."""
    if not import_app(app):
        return
    from django.conf import settings

    if settings.configured and getattr(settings, "ROOT_URLCONF", None):  # the bench's has none
        from django.urls import get_resolver

        get_resolver().reverse_dict  # noqa: B018 - imports every URLconf, builds the table


def tune_gc(app: str) -> None:
    """Keep the cyclic garbage collector off the join burst's back.

    A server process holds its startup heap (Django, the apps, the routing: every module) for
    its life, and a join burst adds hundreds of objects per socket. With CPython's defaults a
    full collection walks all of it each time the heap has grown by a quarter: a 10,000-player
    join on one process ran 24 of them, 6.5 s of CPU in all, each pausing the event loop for up
    to 0.8 s, and the young collections cost 2.3 s more (bench/README.md "Garbage collection").
    So the startup heap is frozen out of the collector's reach once the application is imported
    (`app`, Daphne's argument: it is imported here, then Daphne finds it loaded), and a young
    collection waits for 10,000 new objects instead of 700. Cycles are still freed: later and
    in bigger, fewer steps. The hub freezes a running game's objects too (realtime/hub.py)."""
    import_app(app)
    freeze_startup_heap()


def main() -> None:
    install_loop()
    lean_websocket_receive()
    lean_connection_setup()
    deep_listen_queue()
    resume_jobs()
    warm_up(sys.argv[-1])
    tune_gc(sys.argv[-1])
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
