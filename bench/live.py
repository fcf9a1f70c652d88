"""Live game benchmark: N simulated players in one game, over real WebSockets, from separate processes.

Starts K server processes (Daphne by default, or uvicorn), optionally behind a generated nginx,
creates a teacher, a quiz of Q questions and a game in its own PostgreSQL database, and connects N
players from G load-generator processes (asyncio + the `websockets` client). Every player follows
docs/protocol.md: the join socket's look-up and join frames -> state; on each question it answers choice
(i + q) % k at once and waits for the ack. The host (this process) starts the game and moves on
when every player has its ack and its result. Then the same harness plays the same game against
the stock-Channels baseline (bench/baseline/), and everything is checked against the database:
every acknowledged answer stored (lost_answers), every score equal to a recomputation from the
stored answers (score_mismatches).

    .venv/bin/python bench/live.py --players 2000 --questions 5 --json bench/results/live.json

--venues V: the game has V venues; players are spread evenly over them and one simulated screen
per venue (its own key) records when each question arrives; one screen is killed and restarted
mid-question. --json adds venue_skew_ms (p50/p99 of each question's arrival spread across the
venue screens), venue_mismatches (venue board rows different from a recomputation from the stored
answers) and screens (bench/venue_screens.py).

Prints a table; --json writes the whole document; --plot draws the latency distributions (PNG).
Figures are printed, never asserted (tests/test_bench_smoke.py checks correctness only).

--metrics: our servers run with PROMETHEUS_MULTIPROC_DIR (as `make run-cluster`); every server's
/metrics is scraped once all players joined and again when the game ended, and the counters are
compared with the bench's own counts (JSON key "metrics"; --metrics-sample FILE keeps the last
scrape's text).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cq_bench_live"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
PREFIX = os.environ.get("CHANNEL_PREFIX", "cqbench")
SECRET = "bench-live-secret-key-" + "k" * 40
CHOICES = 4
# Players connect from 127.0.0.2..33: ephemeral ports per source address, and at 10,000 players
# about 300 per address, like schools behind one NAT each (RATE_LIMIT_JOIN_ADDRESS is 600).
SOURCE_ADDRESSES = 32


def now_ms() -> float:
    return time.time() * 1000


def dumps_text(obj) -> str:
    """One JSON text frame (the protocol uses text frames)."""
    import orjson

    return orjson.dumps(obj).decode()


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def joins_per_second(joined_at: list[float], start_ms: float) -> list[int]:
    """How many players got their state frame in each second since the join phase began."""
    if not joined_at:
        return []
    counts = [0] * (int((max(joined_at) - start_ms) // 1000) + 1)
    for t in joined_at:
        counts[max(0, int((t - start_ms) // 1000))] += 1
    return counts


def percentiles(values: list[float], keys=(50, 95, 99)) -> dict:
    if not values:
        return {**{f"p{k}": None for k in keys}, "max": None, "n": 0}
    ordered = sorted(values)
    out = {}
    for k in keys:
        index = min(len(ordered) - 1, max(0, round(k / 100 * len(ordered)) - 1))
        out[f"p{k}"] = round(ordered[index], 1)
    out["max"] = round(ordered[-1], 1)
    out["n"] = len(ordered)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- load generator (a separate process) ------------------------------------------------------


class HttpClient:
    """One phone's HTTP/1.1 connection, kept alive between its requests like a browser's (the
    look-up and the join share it); reopened when the server closes it. Source address spread
    over 127.0.0.x."""

    def __init__(self, local_ip: str):
        self.local_ip = local_ip
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, url: str, payload: dict | None) -> tuple[int, dict]:
        """One POST (a GET when payload is None)."""
        rest = url.split("://", 1)[1]
        hostport, _, path = rest.partition("/")
        if self.writer is None or self.writer.is_closing():
            host, _, port = hostport.partition(":")
            self.reader, self.writer = await asyncio.open_connection(
                host, int(port or 80), local_addr=(self.local_ip, 0)
            )
        if payload is None:
            head = f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\n\r\n".encode()
            body = b""
        else:
            body = json.dumps(payload).encode()
            head = (
                f"POST /{path} HTTP/1.1\r\nHost: {hostport}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
        try:
            self.writer.write(head + body)
            return await self._response()
        except BaseException:
            self.close()
            raise

    async def _response(self) -> tuple[int, dict]:
        reader = self.reader
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            content = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            content = b""
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                content += chunk[:-2]
        else:
            content = await reader.read()
            headers["connection"] = "close"
        if headers.get("connection") == "close":
            self.close()
        return status, json.loads(content) if content else {}


async def http_post_json(url: str, payload: dict | None, local_ip: str) -> tuple[int, dict]:
    """One request on a fresh connection."""
    client = HttpClient(local_ip)
    try:
        return await client.request(url, payload)
    finally:
        client.close()


async def rest_join(gen, server: str, i: int, local_ip: str) -> tuple[int, dict]:
    """POST /api/games/join as player i; a real client honours 429 + retry_after (the per-game
    join limit). `gen` gives the pin (cfg), the join semaphore (sem) and the error counter."""
    while True:
        async with gen.sem:
            status, joined = await http_post_json(
                f"{server}/api/games/join",
                {
                    "pin": gen.cfg["pin"],
                    "nickname": f"P{i:05d}",
                    # --venues: players spread evenly over the venues
                    **(
                        {"venue": gen.cfg["venues"][i % len(gen.cfg["venues"])]}
                        if gen.cfg.get("venues")
                        else {}
                    ),
                },
                local_ip,
            )
        if status != 429:
            return status, joined
        gen.error("join: 429 (retried)")
        wait = (joined.get("details") or {}).get("retry_after", 1)
        await asyncio.sleep(wait * random.uniform(0.2, 1.0))


class Generator:
    """Plays a slice of the players; talks to the orchestrator through a multiprocessing pipe."""

    def __init__(self, cfg: dict, conn):
        self.cfg = cfg
        self.conn = conn
        self.indices: list[int] = cfg["indices"]
        self.join_ms: list[float] = []
        self.joined_at: list[float] = []  # wall-clock ms when each player had its state
        self.broadcast_ms: list[float] = []
        self.ack_ms: list[float] = []
        self.acked: list[tuple[int, int, str]] = []  # (player, q, submission id)
        self.scores: dict[int, int] = {}
        self.errors: dict[str, int] = {}
        self.acks_per_q: dict[int, int] = {}
        self.results_per_q: dict[int, int] = {}
        self.questions_seen: dict[int, int] = {}
        self.ready = 0
        self.failed = 0
        self.done = asyncio.Event()

    def tell(self, *message) -> None:
        # uvloop's add_reader made the pipe non-blocking: a large final message would fail.
        os.set_blocking(self.conn.fileno(), True)
        self.conn.send(message)

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.conn.fileno(), self._on_command)
        self.sem = asyncio.Semaphore(self.cfg["concurrency"])
        tasks = [asyncio.create_task(self.player(i)) for i in self.indices]
        await self.done.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tell(
            "data",
            {
                "join_ms": self.join_ms,
                "joined_at": self.joined_at,
                "broadcast_ms": self.broadcast_ms,
                "ack_ms": self.ack_ms,
                "acked": self.acked,
                "scores": self.scores,
                "errors": self.errors,
                "failed": self.failed,
            },
        )

    def _on_command(self) -> None:
        try:
            message = self.conn.recv()
        except (EOFError, OSError):  # the orchestrator is gone: stop instead of spinning
            asyncio.get_running_loop().remove_reader(self.conn.fileno())
            self.done.set()
            return
        if message[0] == "stop":
            self.done.set()

    def _progress(self) -> None:
        if self.ready + self.failed == len(self.indices):
            self.tell("ready", self.ready, self.failed)

    async def player(self, i: int) -> None:
        import orjson

        cfg = self.cfg
        server = cfg["urls"][i % len(cfg["urls"])]
        local_ip = f"127.0.0.{2 + i % SOURCE_ADDRESSES}"
        started = now_ms()
        ws: LeanSocket | None = None
        # One phone does its steps in a row: a player keeps its slot (--concurrency per
        # generator) from the look-up to its state frame, and gives it up only while it waits
        # out a 429's retry_after, like a browser.
        await self.sem.acquire()
        held = True
        http = HttpClient(local_ip)  # the look-up and the join share one kept-alive connection

        async def request(url: str, payload: dict | None, what: str) -> tuple[int, dict]:
            nonlocal held
            while True:
                status, body = await http.request(url, payload)
                if status != 429:
                    return status, body
                self.error(f"{what}: 429 (retried)")
                wait = (body.get("details") or {}).get("retry_after", 1)
                self.sem.release()
                held = False
                await asyncio.sleep(wait * random.uniform(0.2, 1.0))
                await self.sem.acquire()
                held = True

        try:
            payload = {"pin": cfg["pin"], "nickname": f"P{i:05d}"}
            if cfg.get("venues"):  # --venues: players spread evenly over the venues
                payload["venue"] = cfg["venues"][i % len(cfg["venues"])]
            if cfg["kind"] == "ours":
                # The documented flow (play.js): the join socket, where a frame looks the PIN up,
                # one frame joins, and the game is played.
                http.close()
                ws = LeanSocket(self, i, 0)
                await ws.open(server, "/ws/join/", local_ip)

                async def ask(frame: dict, what: str) -> dict:
                    nonlocal held
                    while True:
                        reply = ws.expect()
                        ws.send(dumps_text(frame).encode())
                        answer = orjson.loads(await asyncio.wait_for(reply, 120))
                        if answer.get("code") != "rate_limited":
                            return answer
                        self.error(f"{what}: rate_limited (retried)")
                        self.sem.release()
                        held = False
                        wait = answer["details"]["retry_after"]
                        await asyncio.sleep(wait * random.uniform(0.2, 1.0))
                        await self.sem.acquire()
                        held = True

                found = await ask({"type": "lookup", "pin": cfg["pin"]}, "lookup")
                if found.get("type") != "found":
                    raise RuntimeError(f"lookup {found}")
                joined = await ask({"type": "join", "v": 1, **payload}, "join")
                if joined.get("type") != "joined":
                    raise RuntimeError(f"join {joined}")
                ws.player_id = joined["player"]
            else:
                status, joined = await request(f"{server}/api/games/join", payload, "join")
                http.close()
                if status != 201:
                    raise RuntimeError(f"join {status} {joined}")
                ws = LeanSocket(self, i, joined["player"])
                await ws.open(server, cfg["ws_path"], local_ip)
                ws.send(
                    dumps_text(
                        {"type": "hello", "v": 1, "role": "player", "token": joined["token"]}
                    ).encode()
                )
            state = orjson.loads(await asyncio.wait_for(ws.first, 120))
            if state.get("type") != "state":
                raise RuntimeError(f"hello answered {state}")
            self.sem.release()
            held = False
        except asyncio.CancelledError:
            if ws is not None:
                ws.abort()
            raise
        except Exception as exc:  # noqa: BLE001 - counted and reported
            self.failed += 1
            self.error(f"join: {type(exc).__name__}: {str(exc)[:80]}")
            self._progress()
            if ws is not None:
                ws.abort()
            return
        finally:
            http.close()
            if held:
                self.sem.release()
        self.joined_at.append(now_ms())
        self.join_ms.append(self.joined_at[-1] - started)
        self.ready += 1
        self._progress()
        try:
            await ws.done
        finally:
            ws.abort()

    def on_frame(self, ws: LeanSocket, raw: bytes, received: float) -> None:
        """One server frame during the game: parse only what the measurement needs."""
        import orjson

        head = raw[:20]  # the type comes first (orjson, or json.dumps with a space)
        if b'"question"' in head:
            frame = orjson.loads(raw)
            self.broadcast_ms.append(received - frame["now"])
            ws.q = q = frame["q"]
            choices = frame["question"]["choices"]
            choice = choices[(ws.i + q) % len(choices)]["id"]
            ws.sent_at = now_ms()
            ws.send(
                orjson.dumps(
                    {
                        "type": "answer",
                        "q": q,
                        "answer_id": str(uuid.uuid4()),
                        "response": {"choice": choice},
                    }
                )
            )
        elif b'"ack"' in head:
            frame = orjson.loads(raw)
            self.ack_ms.append(received - ws.sent_at)
            self.acked.append((ws.player_id, ws.q, frame["submission_id"]))
            count = self.acks_per_q[ws.q] = self.acks_per_q.get(ws.q, 0) + 1
            if count == len(self.indices) - self.failed:
                self.tell("acked", ws.q)
        elif b'"result"' in head:
            frame = orjson.loads(raw)
            self.scores[ws.player_id] = frame["score"]
            q = frame["q"]
            count = self.results_per_q[q] = self.results_per_q.get(q, 0) + 1
            if count == len(self.indices) - self.failed:
                self.tell("results", q)
        elif b'"error"' in head:
            self.error(f"frame: {orjson.loads(raw).get('code')}")
        elif b'"ended"' in head:
            ws.finish()


class LeanSocket(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455) for the load generator: no task, queue or future per
    frame. Server frames are parsed in data_received and handled inline; client frames carry a
    zero mask key (valid framing; the server unmasks them as usual). The generator shares the 2
    cores with the server, so every microsecond it spends per frame is taken from the server."""

    def __init__(self, gen: Generator, i: int, player_id: int):
        loop = asyncio.get_running_loop()
        self.gen, self.i, self.player_id = gen, i, player_id
        self.q = -1
        self.sent_at = 0.0
        self.buffer = b""
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.handshake = loop.create_future()
        self.first = loop.create_future()
        self.waiting: asyncio.Future | None = None  # expect(): the reply to a frame sent first
        self.done = loop.create_future()
        self.transport: asyncio.Transport | None = None

    async def open(self, server: str, path: str, local_ip: str) -> None:
        import base64
        import os as _os

        hostport = server.split("://", 1)[1]
        host, _, port = hostport.partition(":")
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, host, int(port or 80), local_addr=(local_ip, 0))
        key = base64.b64encode(_os.urandom(16)).decode()
        self.transport.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {server}\r\n\r\n"
            ).encode()
        )
        await asyncio.wait_for(self.handshake, 120)

    def connection_made(self, transport) -> None:
        self.transport = transport

    def expect(self) -> asyncio.Future:
        """The next frame, before the first (the join socket's reply to a join frame)."""
        self.waiting = asyncio.get_running_loop().create_future()
        return self.waiting

    def connection_lost(self, exc) -> None:
        for future in (self.handshake, self.first, self.waiting):
            if future is not None and not future.done():
                future.set_exception(ConnectionError("closed"))
        if not self.done.done():
            self.gen.error("socket: closed by server")
            self.done.set_result(None)

    def send(self, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = bytes((0x81, 0x80 | n))
        elif n < 65536:
            header = bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
        else:
            header = bytes((0x81, 0x80 | 127)) + n.to_bytes(8, "big")
        self.transport.write(header + b"\0\0\0\0" + payload)

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"\x88\x82\0\0\0\0\x03\xe8")  # close 1000
            self.transport.close()

    def abort(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        received = now_ms()
        buf = self.buffer + data if self.buffer else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.handshake.set_exception(ConnectionError(buf[:40].decode("latin1")))
                self.transport.close()
                return
            self.upgraded = True
            self.handshake.set_result(None)
            buf = buf[end + 4 :]
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            start = pos + 2
            if length == 126:
                if size - start < 2:
                    break
                length = int.from_bytes(buf[start : start + 2], "big")
                start += 2
            elif length == 127:
                if size - start < 8:
                    break
                length = int.from_bytes(buf[start : start + 8], "big")
                start += 8
            if size - start < length:
                break
            payload = buf[start : start + length]
            pos = start + length
            opcode = b0 & 0x0F
            if opcode == 0 or not b0 & 0x80:  # fragmented message
                self.fragments.append(payload)
                if not b0 & 0x80:
                    continue
                payload, self.fragments = b"".join(self.fragments), []
                opcode = 1
            if opcode in (1, 2):
                if self.waiting is not None and not self.waiting.done():
                    self.waiting.set_result(payload)
                elif not self.first.done():
                    self.first.set_result(payload)
                else:
                    self.gen.on_frame(self, payload, received)
            elif opcode == 8:
                self.finish()
                return
            elif opcode == 9:  # ping -> pong
                self.transport.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
        self.buffer = buf[pos:]


def die_with_parent() -> None:
    """Linux: SIGTERM this process when its parent dies (no orphan servers or generators)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort, other platforms
        pass


def child_setup() -> None:
    raise_nofile()
    die_with_parent()


def generator_main(cfg: dict, conn) -> None:
    raise_nofile()
    die_with_parent()
    try:
        import uvloop

        uvloop.run(Generator(cfg, conn).run())
    except ImportError:
        asyncio.run(Generator(cfg, conn).run())


# --- servers ----------------------------------------------------------------------------------


def server_command(args, app: str, port: int) -> list[str]:
    if args.server == "uvicorn":
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets-sansio",
            "--loop",
            "uvloop",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            "--backlog",
            "4096",
        ]
    else:
        # The server as shipped (config/serve.py: Daphne on uvloop, the same flags as `make
        # run-cluster`); --loop asyncio runs it on the stock loop (`env` execs it: same pid).
        from config.serve import command

        cmd = ["env", f"CQ_LOOP={args.loop}", *command("127.0.0.1", port, app)]
    return cmd


class Servers:
    """K ASGI server processes (and optionally nginx in front of them)."""

    def __init__(self, args, *, app: str, env: dict, logdir: Path):
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []
        self.logs: list = []
        self.nginx: subprocess.Popen | None = None
        self.nginx_dir: Path | None = None
        # Every process's /metrics reports the whole cluster (prometheus_client multiprocess).
        self.metrics_aggregated = bool(env.get("PROMETHEUS_MULTIPROC_DIR"))
        # --chaos: each process under a supervisor that restarts it like systemd's Restart=always.
        self.supervisors: list = []
        for n in range(args.servers):
            port = free_port()
            cmd = server_command(args, app, port)
            logpath = logdir / f"server-{n}.log"

            def spawn(cmd=cmd, logpath=logpath) -> subprocess.Popen:
                log = open(logpath, "ab")
                self.logs.append(log)
                return subprocess.Popen(
                    cmd,
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=child_setup,
                )

            if getattr(args, "chaos", False):
                from bench.faults import Supervised

                self.supervisors.append(Supervised(spawn))
                self.procs.append(self.supervisors[-1].process)
            else:
                self.procs.append(spawn())
            self.ports.append(port)
        for port, proc in zip(self.ports, self.procs, strict=True):
            wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        self.direct_urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.urls = self.direct_urls
        if args.nginx:
            from deploy.cluster import nginx_start

            self.nginx_dir = logdir / "nginx"
            self.nginx, nginx_port = nginx_start(self.nginx_dir, self.ports)
            self.urls = [f"http://127.0.0.1:{nginx_port}"]
            wait_http(self.urls[0] + "/healthz", self.nginx)

    def processes(self):
        import psutil

        return [psutil.Process(p.pid) for p in self.procs]

    def nginx_processes(self):
        import psutil

        if self.nginx is None:
            return []
        master = psutil.Process(self.nginx.pid)
        return [master, *master.children()]

    def stop(self) -> None:
        if self.nginx is not None:
            from deploy.cluster import nginx_stop

            nginx_stop(self.nginx, self.nginx_dir)
        for n, supervisor in enumerate(self.supervisors):
            supervisor.stop()
            self.procs[n] = supervisor.process
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in self.logs:
            log.close()


def wait_http(url: str, proc=None, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:  # noqa: BLE001
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def cpu_seconds(procs) -> list[float]:
    out = []
    for p in procs:
        try:
            t = p.cpu_times()
            out.append(t.user + t.system)
        except Exception:  # noqa: BLE001
            out.append(0.0)
    return out


def rss_mb(procs) -> list[float]:
    out = []
    for p in procs:
        try:
            out.append(round(p.memory_info().rss / 2**20, 1))
        except Exception:  # noqa: BLE001
            out.append(0.0)
    return out


def redis_process(redis_url: str):
    try:
        import psutil
        import redis

        pid = redis.from_url(redis_url).info("server")["process_id"]
        return psutil.Process(pid)
    except Exception:  # noqa: BLE001
        return None


# --- database setup (this process, Django ORM) ------------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["SECRET_KEY"] = SECRET
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def create_game(
    questions: int, *, time_limit: int = 120, auto_advance: bool = True, venues: int = 0
) -> dict:
    """A teacher, a quiz of single-choice questions (4 choices each) and a game, via the ORM.
    auto_advance: each question closes once everyone answered (else at its deadline); venues:
    the game's venues (--venues)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from quizzes.models import Choice, Question, Quiz, QuizItem
    from realtime.services import game_create

    teacher, _ = get_user_model().objects.get_or_create(username="bench-live-teacher")
    teacher.groups.add(Group.objects.get_or_create(name="teacher")[0])
    quiz = Quiz.objects.create(title=f"Bench {questions} questions", author=teacher)
    for q in range(questions):
        question = Question.objects.create(
            type="single",
            text_vi=f"Câu hỏi số {q + 1}: mục tiêu phát triển bền vững nào nói về giáo dục?",
            text_en=f"Question {q + 1}: which sustainable development goal is about education?",
            author=teacher,
            status="published",
        )
        for c in range(CHOICES):
            Choice.objects.create(
                question=question,
                position=c,
                text_vi=f"Lựa chọn {c + 1}",
                text_en=f"Choice {c + 1}",
                weight=1 if c == q % CHOICES else 0,
            )
        QuizItem.objects.create(quiz=quiz, question=question, position=q)
    game = game_create(
        host=teacher,
        quiz_id=quiz.id,
        settings={
            "read_seconds": 0,
            "auto_advance": auto_advance,
            "show_leaderboard": False,
            "capacity": 100_000,
        },
    )
    game.plan = [{**item, "time_limit": time_limit} for item in game.plan]
    game.save(update_fields=["plan"])
    made = []
    if venues:  # --venues: one game, many venues (bench/venue_screens.py)
        from realtime.venues import venues_add

        made = venues_add(game=game, names=[f"Venue {v + 1}" for v in range(venues)])
    client = Client()
    client.force_login(teacher)
    return {
        "id": game.id,
        "pin": game.pin,
        "cookie": f"sessionid={client.cookies['sessionid'].value}",
        "venues": [{"id": v.id, "key": v.screen_key} for v in made],
    }


def check_ours(game_id: int, acked: list, client_scores: dict) -> dict:
    """lost_answers: acknowledged but not stored as acknowledged; score_mismatches: stored points,
    player totals or the score a client was told differ from a recomputation from stored answers."""
    from realtime.models import Answer
    from realtime.results import score_audit

    stored = {
        (a.player_id, a.q): a
        for a in Answer.objects.filter(game_id=game_id).only(
            "player_id", "q", "submission_id", "response", "elapsed_ms", "points"
        )
    }
    lost = sum(
        1 for pid, q, sid in acked if str(getattr(stored.get((pid, q)), "submission_id", "")) != sid
    )
    scores, problems = score_audit(game_id)
    mismatches = len(problems) + sum(
        1 for pid, told in client_scores.items() if pid in scores and told != scores[pid]
    )
    return {
        "lost_answers": lost,
        "score_mismatches": mismatches,
        "stored_answers": len(stored),
        "acked_answers": len(acked),
    }


def venue_board_rebuilt(game_id: int) -> list[dict]:
    """--venues: the venue board recomputed from the stored answers alone."""
    from realtime.models import Game
    from realtime.venues import venue_board_recomputed

    return venue_board_recomputed(game=Game.objects.get(id=game_id))


def check_baseline(acked: list) -> dict:
    from django.db import connection

    from bench.baseline.schema import stored_answers

    stored = stored_answers(connection)
    lost = sum(1 for pid, q, sid in acked if stored.get((pid, q)) != sid)
    return {
        "lost_answers": lost,
        "score_mismatches": None,  # the baseline does not score
        "stored_answers": len(stored),
        "acked_answers": len(acked),
    }


# --- /metrics (--metrics) -----------------------------------------------------------------------

# What the bench counts itself, and the Prometheus sample that must say the same.
METRIC_SAMPLES = {
    "joins": "cq_joins_total",
    "answers_stored": "cq_answers_stored_total",
    "acks": "cq_answer_ack_seconds_count",
}


def metrics_scrape(urls: list[str], sample: Path | None = None) -> list[dict]:
    """The bench's figures from each server's /metrics (loopback: no token needed)."""
    from prometheus_client.parser import text_string_to_metric_families

    scraped = []
    for url in urls:
        with urllib.request.urlopen(url + "/metrics", timeout=20) as response:
            text = response.read().decode()
        if sample is not None:
            sample.parent.mkdir(parents=True, exist_ok=True)
            sample.write_text(text)
        values: dict = {"url": url, "sockets": {}, "refused": {}, "live_games": {}}
        names = {sample_name: key for key, sample_name in METRIC_SAMPLES.items()}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name in names:
                    values[names[s.name]] = int(s.value)
                elif s.name == "cq_sockets":
                    values["sockets"][s.labels["role"]] = int(s.value)
                elif s.name == "cq_answers_refused_total":
                    values["refused"][s.labels["reason"]] = int(s.value)
                elif s.name == "cq_live_games":
                    values["live_games"][s.labels["status"]] = int(s.value)
        scraped.append(values)
    return scraped


def metrics_compare(
    scrapes: dict[str, list[dict]], counts: dict, sockets: dict, *, aggregated: bool
) -> dict:
    """Each server's counters (multiprocess: every one reports the cluster) or their sum must
    equal the bench's counts: joins and answers at the end, sockets once everyone joined."""

    def views(scraped: list[dict]) -> list[dict]:
        if aggregated:
            return scraped
        total: dict = {"url": "sum", "sockets": {}}
        for one in scraped:
            for key in METRIC_SAMPLES:
                total[key] = total.get(key, 0) + one.get(key, 0)
            for role, n in one["sockets"].items():
                total["sockets"][role] = total["sockets"].get(role, 0) + n
        return [total]

    mismatches = []
    for view in views(scrapes.get("ended", [])):
        for key, expected in counts.items():
            if view.get(key, 0) != expected:
                mismatches.append({"at": "ended", "url": view["url"], key: view.get(key, 0)})
    for view in views(scrapes.get("joined", [])):
        for role, expected in sockets.items():
            if view["sockets"].get(role, 0) != expected:
                got = view["sockets"].get(role, 0)
                mismatches.append({"at": "joined", "url": view["url"], f"sockets.{role}": got})
    return {
        "expected": {**counts, "sockets": sockets},
        "aggregated": aggregated,
        "scrapes": scrapes,
        "mismatches": mismatches,
        "match": not mismatches,
    }


# --- one measured run -------------------------------------------------------------------------


class Host:
    def __init__(self, url: str, cookie: str | None, kind: str, total: int):
        self.url, self.cookie, self.kind, self.total = url, cookie, kind, total
        self.frames: asyncio.Queue = asyncio.Queue()

    async def start(self) -> None:
        from websockets.asyncio.client import connect

        headers = {"Cookie": self.cookie} if self.cookie else {}
        origin = self.url.split("/ws/")[0].replace("ws://", "http://")
        self.ws = await connect(
            self.url,
            origin=origin,
            additional_headers=headers,
            compression=None,
            max_queue=None,
            ping_interval=None,
            proxy=None,
        )
        await self.ws.send(dumps_text({"type": "hello", "v": 1, "role": "host"}))
        self.reader = asyncio.create_task(self._read())
        await self.until("state", 30)

    async def _read(self) -> None:
        import orjson

        async for raw in self.ws:
            frame = orjson.loads(raw)
            if frame["type"] in {"state", "question", "reveal", "podium", "ended", "error"}:
                await self.frames.put(frame)

    async def until(self, kind: str, timeout: float, q: int | None = None) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if frame["type"] == "error":
                    raise RuntimeError(f"host got {frame}")
                if frame["type"] == kind and (q is None or frame.get("q") == q):
                    return frame

    async def command(self, action: str) -> None:

        await self.ws.send(dumps_text({"type": "host", "action": action, "total": self.total}))

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


async def play(args, *, kind: str, servers: Servers, game: dict, log) -> dict:
    """Run one game: generators join, the host plays every question, generators report."""
    import psutil

    ctx = multiprocessing.get_context("spawn")
    gens = []
    ws_path = f"/ws/game/{game['id']}/"
    per = [list(range(g, args.players, args.generators)) for g in range(args.generators)]
    redis_proc = (
        redis_process(args.redis_url) if kind == "baseline" or args.layer == "redis" else None
    )
    server_procs = servers.processes()
    nginx_procs = servers.nginx_processes()
    cpu0 = cpu_seconds(server_procs)
    nginx0 = sum(cpu_seconds(nginx_procs))
    redis0 = cpu_seconds([redis_proc])[0] if redis_proc else 0.0
    t_join = time.monotonic()
    t_join_wall = now_ms()
    for g in range(args.generators):
        parent, child = ctx.Pipe()
        cfg = {
            "indices": per[g],
            "urls": servers.urls,
            "ws_path": ws_path,
            "pin": game["pin"],
            "kind": kind,
            "concurrency": args.concurrency,
            "venues": [v["id"] for v in game.get("venues", [])],
        }
        proc = ctx.Process(target=generator_main, args=(cfg, child), daemon=True)
        proc.start()
        gens.append((proc, parent))
    gen_procs = [psutil.Process(proc.pid) for proc, _conn in gens]
    gen_cpu = {"start": cpu_seconds(gen_procs)}
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def readable(conn) -> None:
        try:
            inbox.put_nowait(conn.recv())
        except (EOFError, OSError):  # the generator exited after sending its data
            loop.remove_reader(conn.fileno())

    for _proc, conn in gens:
        loop.add_reader(conn.fileno(), readable, conn)

    async def wait_all(kind_: str, q: int | None, timeout: float) -> list:
        got = []
        async with asyncio.timeout(timeout):
            while len(got) < len(gens):
                message = await inbox.get()
                if message[0] == kind_ and (q is None or message[1] == q):
                    got.append(message)
        return got

    host = Host(
        servers.urls[0].replace("http://", "ws://") + ws_path,
        game.get("cookie"),
        kind,
        args.questions,
    )
    result: dict = {}
    scrapes: dict[str, list] = {}
    screens = None
    if game.get("venues"):
        from bench.venue_screens import VenueScreens

        screens = VenueScreens(
            servers.urls[-1].replace("http://", "ws://") + ws_path, game["venues"]
        )
    try:
        await host.start()
        if screens:
            await screens.open()
        ready = await wait_all("ready", None, args.join_timeout)
        joined = sum(m[1] for m in ready)
        join_s = time.monotonic() - t_join
        log(f"  {kind}: {joined}/{args.players} players joined in {join_s:.1f} s")
        if kind == "ours" and args.metrics:
            scrapes["joined"] = await asyncio.to_thread(metrics_scrape, servers.direct_urls)
        cpu_joined = cpu_seconds(server_procs)
        gen_cpu["joined"] = cpu_seconds(gen_procs)
        rss_joined = rss_mb(server_procs)
        t_game = time.monotonic()
        for q in range(args.questions):
            await host.command("start" if q == 0 else "next")
            if screens and q == args.questions // 2:
                await host.until("question", args.question_timeout, q)
                await screens.restart_one(q)  # a venue screen killed and restarted mid-question
            await wait_all("acked", q, args.question_timeout)
            if kind == "ours":
                await host.until("reveal", args.question_timeout, q)
                await wait_all("results", q, args.question_timeout)
            log(f"  {kind}: question {q + 1}/{args.questions} answered and acknowledged")
        if kind == "ours":
            await host.command("next")  # -> podium
            await host.until("podium", 60)
            if screens:
                await screens.final_board()
            await host.command("next")  # -> ended
            await host.until("ended", 60)
        else:
            await host.command("next")  # -> ended
        game_s = time.monotonic() - t_game
        if kind == "ours" and args.metrics:
            scrapes["ended"] = await asyncio.to_thread(
                metrics_scrape, servers.direct_urls, args.metrics_sample
            )
        gen_cpu["end"] = cpu_seconds(gen_procs)
    finally:
        for _proc, conn in gens:
            conn.send(("stop",))
        datas = []
        try:
            async with asyncio.timeout(60):
                while len(datas) < len(gens):
                    message = await inbox.get()
                    if message[0] == "data":
                        datas.append(message[1])
        finally:
            for proc, conn in gens:
                if not conn.closed:
                    loop.remove_reader(conn.fileno())
                proc.join(10)
                if proc.is_alive():
                    proc.kill()
            try:
                await host.close()
            except Exception:  # noqa: BLE001
                pass
            if screens:
                await screens.close()
    cpu1 = cpu_seconds(server_procs)
    merged: dict = {
        "join_ms": [],
        "joined_at": [],
        "broadcast_ms": [],
        "ack_ms": [],
        "acked": [],
        "scores": {},
    }
    errors: dict[str, int] = {}
    failed = 0
    for data in datas:
        for key in ("join_ms", "joined_at", "broadcast_ms", "ack_ms", "acked"):
            merged[key].extend(data[key])
        merged["scores"].update({int(k): v for k, v in data["scores"].items()})
        for code, n in data["errors"].items():
            errors[code] = errors.get(code, 0) + n
        failed += data["failed"]
    acked = [tuple(x) for x in merged["acked"]]
    from asgiref.sync import sync_to_async

    if kind == "ours":
        checks = await sync_to_async(check_ours)(game["id"], acked, merged["scores"])
        if screens:
            checks.update(
                screens.report(await sync_to_async(venue_board_rebuilt)(game["id"]), args.questions)
            )
    else:
        checks = await sync_to_async(check_baseline)(acked)
    generator_cpu = generator_cpu_game = None
    if "end" in gen_cpu:
        generator_cpu = round(sum(gen_cpu["end"]) - sum(gen_cpu["start"]), 2)
        generator_cpu_game = round(sum(gen_cpu["end"]) - sum(gen_cpu["joined"]), 2)
    result.update(
        {
            "players": args.players,
            "joined": joined,
            "failed_joins": failed,
            "questions": args.questions,
            "join_s": round(join_s, 2),
            "game_s": round(game_s, 2),
            "join_ms": percentiles(merged["join_ms"], (50, 95, 99)),
            # Server CPU per join: every server process's CPU time from the first join to the
            # last player's state frame, over the players who joined (REST join, WebSocket,
            # hello, state; the host's socket and an idle game add a little).
            "join_cpu_ms": round((sum(cpu_joined) - sum(cpu0)) * 1000 / max(1, joined), 2),
            "server_cpu_join_s": [round(b - a, 2) for a, b in zip(cpu0, cpu_joined, strict=True)],
            "joins_per_s": joins_per_second(merged["joined_at"], t_join_wall),
            "broadcast_ms": percentiles(merged["broadcast_ms"], (50, 95, 99)),
            "ack_ms": percentiles(merged["ack_ms"], (50, 95, 99)),
            **checks,
            "errors": errors,
            "server_cpu_s": [round(b - a, 2) for a, b in zip(cpu0, cpu1, strict=True)],
            "server_cpu_game_s": [round(b - a, 2) for a, b in zip(cpu_joined, cpu1, strict=True)],
            "server_rss_mb": rss_mb(server_procs),
            "server_rss_joined_mb": rss_joined,
            "nginx_cpu_s": round(sum(cpu_seconds(nginx_procs)) - nginx0, 2)
            if nginx_procs
            else None,
            "redis_cpu_s": round(cpu_seconds([redis_proc])[0] - redis0, 2) if redis_proc else None,
            "generator_cpu_s": generator_cpu,
            "generator_cpu_game_s": generator_cpu_game,
            "_samples": {k: merged[k] for k in ("broadcast_ms", "ack_ms", "join_ms", "joined_at")},
        }
    )
    if scrapes:
        result["metrics"] = metrics_compare(
            scrapes,
            {"joins": joined, "answers_stored": len(acked), "acks": len(acked)},
            {"player": joined, "host": 1, "screen": 0},
            aggregated=servers.metrics_aggregated,
        )
    del psutil
    return result


def server_env(args, kind: str) -> dict:
    env = os.environ.copy()
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": SECRET,
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CHANNEL_PREFIX": PREFIX,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # The product's default limits: players come from SOURCE_ADDRESSES loopback
            # addresses, a few hundred behind each, like schools behind NATs.
        }
    )
    if args.join_game_rate:
        env["RATE_LIMIT_JOIN_GAME"] = args.join_game_rate
    if getattr(args, "nginx", False) or getattr(args, "chaos", False):
        # Behind nginx, as `make run-cluster` (deploy/cluster.py) ships it: the server reads the
        # player's address from the one X-Forwarded-For hop nginx adds (else every player would
        # be nginx's 127.0.0.1, one address for the per-address limits).
        env.setdefault("TRUSTED_PROXY_COUNT", "1")
    if kind == "baseline":
        env["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"
        env["REDIS_URL"] = args.redis_url
    elif args.layer == "redis":
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        env["REDIS_URL"] = args.redis_url
        env["LIVE_STORE"] = "redis"
    else:
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        env["REDIS_URL"] = ""
        env["LIVE_STORE"] = "memory"
    return env


async def run_kind(args, kind: str, logdir: Path, log) -> dict:
    from asgiref.sync import sync_to_async

    if kind == "ours":
        if args.url:
            servers = External(args.url)
        else:
            env = server_env(args, kind)
            if args.metrics:
                env["PROMETHEUS_MULTIPROC_DIR"] = str(logdir / kind / "prometheus")
                folder = Path(env["PROMETHEUS_MULTIPROC_DIR"])
                await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            servers = Servers(args, app="config.asgi:application", env=env, logdir=logdir / kind)
        game = await sync_to_async(create_game)(args.questions, venues=args.venues)
    else:
        from django.db import connection

        from bench.baseline.schema import reset

        await sync_to_async(reset)(connection)
        servers = Servers(
            args,
            app="bench.baseline.asgi:application",
            env=server_env(args, kind),
            logdir=logdir / kind,
        )
        game = {"id": 1, "pin": "1", "cookie": None}
    try:
        return await play(args, kind=kind, servers=servers, game=game, log=log)
    finally:
        servers.stop()


class External:
    """--url: a server someone else started (its processes are found by their listening port)."""

    def __init__(self, url: str):
        import psutil

        self.urls = [url.rstrip("/")]
        self.direct_urls = self.urls
        self.metrics_aggregated = False
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        pids = {
            c.pid
            for c in psutil.net_connections("tcp")
            if c.laddr.port == port and c.status == "LISTEN" and c.pid
        }
        self._procs = [psutil.Process(pid) for pid in pids]

    def processes(self):
        return self._procs

    def nginx_processes(self):
        return []

    def stop(self) -> None:
        return None


# --- output -----------------------------------------------------------------------------------


def machine() -> dict:
    import channels
    import daphne
    import psutil
    import uvicorn
    import websockets

    pg = ""
    try:
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    except Exception:  # noqa: BLE001
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "versions": {
            "django": __import__("django").get_version(),
            "channels": channels.__version__,
            "daphne": daphne.__version__,
            "uvicorn": uvicorn.__version__,
            "websockets": websockets.__version__,
            "postgresql": pg,
        },
    }


def ratios(ours: dict, base: dict) -> dict:
    out = {}
    for metric in ("broadcast_ms", "ack_ms"):
        for p in ("p50", "p95", "p99"):
            a, b = ours[metric].get(p), base[metric].get(p)
            if a and b:
                out[f"{metric}_{p}_ours_over_baseline"] = round(a / b, 3)
                out[f"{metric}_{p}_speedup"] = round(b / a, 1)
    a, b = sum(ours["server_cpu_game_s"]), sum(base["server_cpu_game_s"])
    if a and b:
        out["server_cpu_game_ours_over_baseline"] = round(a / b, 3)
    return out


def table(doc: dict) -> str:
    rows = [("", "ours")]
    base = doc.get("baseline")
    if base:
        rows[0] = ("", "ours", "baseline", "speedup")

    def fmt(d):
        return "/".join("-" if v is None else f"{v:g}" for v in d)

    def line(label, a, b=None, s=""):
        rows.append((label, a, b, s) if base else (label, a))

    for metric, ps in (
        ("join_ms", ("p50", "p95", "p99", "max")),
        ("broadcast_ms", ("p50", "p95", "p99", "max")),
        ("ack_ms", ("p50", "p95", "p99")),
    ):
        label = f"{metric} {'/'.join(ps)}"
        a = fmt([doc[metric].get(p) for p in ps])
        if base:
            b = fmt([base[metric].get(p) for p in ps])
            sp = doc["ratios"].get(f"{metric}_p99_speedup", "")
            line(label, a, b, f"{sp}x p99" if sp else "")
        else:
            line(label, a)
    for key in (
        "joined",
        "lost_answers",
        "score_mismatches",
        "acked_answers",
        "stored_answers",
        "join_s",
        "join_cpu_ms",
        "game_s",
    ):
        line(key, str(doc.get(key)), str(base.get(key)) if base else None)
    line(
        "server_cpu_s (per process)",
        fmt(doc["server_cpu_s"]),
        fmt(base["server_cpu_s"]) if base else None,
    )
    line(
        "server_cpu_game_s",
        fmt(doc["server_cpu_game_s"]),
        fmt(base["server_cpu_game_s"]) if base else None,
    )
    line("server_rss_mb", fmt(doc["server_rss_mb"]), fmt(base["server_rss_mb"]) if base else None)
    line("nginx_cpu_s", str(doc.get("nginx_cpu_s")), str(base.get("nginx_cpu_s")) if base else None)
    line(
        "generator_cpu_s / game",
        f"{doc.get('generator_cpu_s')} / {doc.get('generator_cpu_game_s')}",
        f"{base.get('generator_cpu_s')} / {base.get('generator_cpu_game_s')}" if base else None,
    )
    line("redis_cpu_s", str(doc.get("redis_cpu_s")), str(base.get("redis_cpu_s")) if base else None)
    line("errors", json.dumps(doc["errors"]) or "{}", json.dumps(base["errors"]) if base else None)
    if doc.get("screens"):  # --venues
        skew = doc["venue_skew_ms"]
        line("venue_skew_ms p50/p99", f"{skew.get('p50')}/{skew.get('p99')}")
        line("venue_mismatches", str(doc["venue_mismatches"]))
        line("screens", json.dumps(doc["screens"]))
    if doc.get("metrics"):
        m = doc["metrics"]
        line(
            "/metrics == bench counts",
            f"{m['match']} {json.dumps(m['mismatches'])}",
            "" if base else None,
        )
    widths = [max(len(str(r[c])) for r in rows) for c in range(len(rows[0]))]
    head = (
        f"players={doc['players']} questions={doc['questions']} servers={doc['servers']} "
        f"server={doc['server']} layer={doc['layer']} nginx={doc['nginx']}"
    )
    body = "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows
    )
    return head + "\n" + body


def _plot_joins(draw, doc: dict, x0: int, y0: int, panel_w: int, y1: int, colors: dict) -> None:
    """Joins per second over the join phase, ours vs baseline."""
    series = {"ours": doc.get("joins_per_s") or []}
    if doc.get("baseline"):
        series["baseline"] = doc["baseline"].get("joins_per_s") or []
    seconds = max((len(v) for v in series.values()), default=1) or 1
    top = max((max(v) for v in series.values() if v), default=1) or 1
    draw.rectangle([x0, y0, x0 + panel_w, y1], outline="black")
    title = f"joins per second, {doc['players']} players (join_s {doc.get('join_s')})"
    draw.text((x0, y0 - 40), title, fill="black")
    for frac in (0.25, 0.5, 0.75, 1.0):
        x = x0 + frac * panel_w
        draw.line([x, y1, x, y1 + 5], fill="black")
        draw.text((x - 10, y1 + 8), f"{seconds * frac:.0f} s", fill="black")
        y = y1 - frac * (y1 - y0)
        draw.line([x0, y, x0 + panel_w, y], fill=(220, 220, 220))
        draw.text((x0 - 45, y - 6), f"{top * frac:.0f}/s", fill="black")
    for k, (name, values) in enumerate(series.items()):
        if not values:
            continue
        pts = [
            (x0 + (i + 0.5) / seconds * panel_w, y1 - v / top * (y1 - y0))
            for i, v in enumerate(values)
        ]
        draw.line(pts if len(pts) > 1 else pts * 2, fill=colors.get(name, "blue"), width=2)
        draw.text((x0 + 10, y0 + 10 + 16 * k), name, fill=colors.get(name, "blue"))


def plot(doc: dict, samples: dict, path: Path) -> None:
    """CDFs of broadcast and ack latency, ours vs baseline (Pillow only)."""
    from PIL import Image, ImageDraw

    width, height, pad = 1800, 520, 60
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    colors = {"ours": (11, 110, 79), "baseline": (200, 60, 40)}
    panels = [
        ("broadcast_ms", "question broadcast (server send -> client receive)"),
        ("ack_ms", "answer -> ack"),
    ]
    panel_w = (width - 4 * pad) // 3
    _plot_joins(draw, doc, pad + 2 * (panel_w + pad), pad, panel_w, height - pad, colors)
    for n, (metric, title) in enumerate(panels):
        x0 = pad + n * (panel_w + pad)
        y0, y1 = pad, height - pad
        series = {k: sorted(v[metric]) for k, v in samples.items() if v.get(metric)}
        top = max((s[-1] for s in series.values()), default=1) or 1
        draw.rectangle([x0, y0, x0 + panel_w, y1], outline="black")
        draw.text((x0, y0 - 40), f"{title}: CDF, {doc['players']} players", fill="black")
        for frac in (0.25, 0.5, 0.75, 1.0):
            x = x0 + frac * panel_w
            draw.line([x, y1, x, y1 + 5], fill="black")
            draw.text((x - 20, y1 + 8), f"{top * frac:.0f} ms", fill="black")
        for frac in (0.5, 0.95, 0.99):
            y = y1 - frac * (y1 - y0)
            draw.line([x0, y, x0 + panel_w, y], fill=(220, 220, 220))
            draw.text((x0 - 40, y - 6), f"p{round(frac * 100)}", fill="black")
        for k, (name, values) in enumerate(series.items()):
            step = max(1, len(values) // 600)
            pts = [
                (x0 + values[i] / top * panel_w, y1 - (i + 1) / len(values) * (y1 - y0))
                for i in range(0, len(values), step)
            ] + [(x0 + values[-1] / top * panel_w, y0)]
            draw.line(pts, fill=colors.get(name, "blue"), width=2)
            draw.text((x0 + 10, y0 + 10 + 16 * k), name, fill=colors.get(name, "blue"))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--players", type=int, help="default 500 (2,000 with --chaos)")
    parser.add_argument("--questions", type=int, help="default 3 (4 with --chaos)")
    parser.add_argument("--servers", type=int, default=1, help="server processes sharing Redis")
    parser.add_argument("--layer", choices=["memory", "redis"], default="redis")
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne")
    parser.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="Daphne's event loop (Twisted's asyncio reactor runs on it)",
    )
    parser.add_argument("--nginx", action="store_true", help="put a generated nginx in front")
    parser.add_argument("--url", help="target an existing server (ours only; same database)")
    parser.add_argument("--baseline", choices=["yes", "no", "only"], default="yes")
    parser.add_argument("--generators", type=int, default=2, help="load-generator processes")
    parser.add_argument("--concurrency", type=int, default=16, help="joins in flight per generator")
    parser.add_argument(
        "--join-game-rate",
        help="override RATE_LIMIT_JOIN_GAME (burst/refill per second; default: the product's own, "
        "config/settings.py)",
    )
    parser.add_argument("--join-timeout", type=float, default=600)
    parser.add_argument("--question-timeout", type=float, default=180)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="scrape every server's /metrics and compare its counters with the bench's counts",
    )
    parser.add_argument("--metrics-sample", type=Path, help="keep the last /metrics text here")
    parser.add_argument(
        "--venues",
        type=int,
        default=0,
        help="venues in the game: players spread evenly, one simulated screen per venue (ours only)",
    )
    parser.add_argument(
        "--chaos",
        action="store_true",
        help="one game on 2 servers behind nginx with faults in questions 1-3 (bench/chaos.py)",
    )
    parser.add_argument(
        "--chaos-faults",
        default="server_kill,redis_restart,postgres_cut",
        help="faults of questions 1, 2, 3... in order; 'none': a reference run without faults",
    )
    parser.add_argument(
        "--chaos-reference",
        type=Path,
        help="the JSON of a --chaos-faults none run: compare the clean question's ack p99 to it",
    )
    parser.add_argument("--chaos-time-limit", type=int, default=20, help="seconds per question")
    parser.add_argument(
        "--chaos-fault-at", type=float, default=2.0, help="fault this long after a question opens"
    )
    parser.add_argument(
        "--chaos-think", type=float, default=6.0, help="players answer within this many seconds"
    )
    args = parser.parse_args(argv)
    if args.players is None:
        args.players = 2000 if args.chaos else 500
    if args.questions is None:
        args.questions = 4 if args.chaos else 3
    if args.chaos:
        if args.url or args.layer != "redis":
            parser.error("--chaos starts its own servers on Redis")
        args.servers, args.nginx, args.baseline = max(2, args.servers), True, "no"
    if args.venues:
        args.baseline = "no" if args.baseline == "yes" else args.baseline
        if args.baseline == "only" or args.chaos:
            parser.error("--venues measures our server only, without --chaos")
    if args.servers > 1 and args.layer == "memory":
        parser.error("several server processes share the live store: use --layer redis")
    if args.url and args.baseline == "only":
        parser.error("--url targets our server")

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    raise_nofile()
    setup_django(args.database_url)
    os.environ["CHANNEL_PREFIX"] = PREFIX
    info = machine()
    logdir = Path(tempfile.mkdtemp(prefix="cq-bench-live-"))
    (logdir / "ours").mkdir()
    (logdir / "baseline").mkdir()
    log(f"bench/live.py: {args.players} players, {args.questions} questions, logs in {logdir}")

    if args.chaos:
        return chaos_main(args, argv, info, logdir, log)

    async def everything() -> tuple[dict | None, dict | None]:
        ours = base = None
        if args.baseline != "only":
            ours = await run_kind(args, "ours", logdir, log)
        if args.baseline != "no" and not args.url:
            base = await run_kind(args, "baseline", logdir, log)
        return ours, base

    ours, base = asyncio.run(everything())
    samples = {}
    doc: dict = {}
    if ours:
        samples["ours"] = ours.pop("_samples")
        doc.update(ours)
    if base:
        samples["baseline"] = base.pop("_samples")
        if not ours:
            doc.update(base)
    doc.update(
        {
            "servers": args.servers if not args.url else len(ours["server_cpu_s"]),
            "server": args.server if not args.url else "external",
            "loop": args.loop if args.server == "daphne" and not args.url else None,
            "layer": args.layer,
            "nginx": bool(args.nginx),
            "command": " ".join([".venv/bin/python", "bench/live.py", *(argv or sys.argv[1:])]),
            "machine": info,
        }
    )
    if ours and base:
        base.update({"servers": args.servers, "server": args.server, "layer": "channels_redis"})
        doc["baseline"] = base
        doc["ratios"] = ratios(ours, base)
    else:
        doc["baseline"] = None
        doc["ratios"] = {}
    print(table(doc))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2))
    if args.plot:
        plot(doc, samples, args.plot)
    shutil.rmtree(logdir, ignore_errors=True) if doc.get("lost_answers") == 0 else None
    return 0


def chaos_main(args, argv, info: dict, logdir: Path, log) -> int:
    from bench import chaos

    doc, series = asyncio.run(chaos.run_chaos(args, logdir, log))
    doc.update(
        {
            "servers": args.servers,
            "server": args.server,
            "nginx": True,
            "command": " ".join([".venv/bin/python", "bench/live.py", *(argv or sys.argv[1:])]),
            "machine": {**info, "load_avg_at_end": [round(x, 2) for x in os.getloadavg()]},
        }
    )
    if args.chaos_reference:
        doc["reference"] = chaos.compare_clean(doc, json.loads(args.chaos_reference.read_text()))
    print(chaos.table(doc))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(doc, indent=2))
    if args.plot:
        chaos.plot(doc, series, args.plot)
    if not (doc["lost_answers"] or doc["duplicate_answers"]):
        shutil.rmtree(logdir, ignore_errors=True)
    else:
        log(f"logs kept in {logdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
