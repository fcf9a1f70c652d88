"""The shipped server's floor: what Daphne costs with an application that does nothing.

One server process started exactly as `make run-cluster` starts each of its own
(config.serve.command: Daphne on uvloop, the same flags, the same garbage-collector tuning), but
serving `bench.floor:app`, an ASGI application that answers at once and touches no database,
Redis or Django. Against it, from this process:

- `--requests N` HTTP POSTs of a 200-byte JSON body over `--connections C` keep-alive
  connections (an autosave's shape), each answered with a 120-byte JSON body;
- `--joins N` WebSocket connections, `--concurrency C` opening at once, each doing what a phone
  does to join on /ws/join/: the handshake, two frames sent (look-up, join) and two answered, then
  the socket kept open until the end (the lobby).

It prints the server's CPU per request and per join (psutil, user + system), and the wall time:
the part of the product's own per-request and per-join cost (bench/contest.py, bench/live.py)
that no change to CitizenQuiz's code can remove while Daphne serves it. Never run by the suite
for time; tests/test_bench_floor.py runs a small one for its counts.

    .venv/bin/python bench/floor.py --requests 20000 --joins 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPLY = json.dumps({"saved": True, "time_left_ms": 812345, "server_now": "x" * 64}).encode()


async def app(scope, receive, send) -> None:
    """Answers every request and every frame at once; nothing else."""
    if scope["type"] == "http":
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(REPLY))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": REPLY})
    elif scope["type"] == "websocket":
        while True:
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif message["type"] == "websocket.receive":
                await send({"type": "websocket.send", "text": REPLY.decode()})
            else:
                return


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    sys.path.insert(0, str(ROOT))
    from config.serve import command

    # config.serve sets Django up (for the job queue's resume); the app never uses Django. The
    # baseline's settings (no CitizenQuiz app installed) keep the resume out.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env["DJANGO_SETTINGS_MODULE"] = "bench.baseline.settings"
    proc = subprocess.Popen(command("127.0.0.1", port, "bench.floor:app"), cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def cpu(proc: subprocess.Popen) -> float:
    import psutil

    t = psutil.Process(proc.pid).cpu_times()
    return t.user + t.system


async def requests(port: int, total: int, connections: int) -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    from contest import Http

    body = {"answers": [{"question": 123456, "response": {"choice": 987654}}], "pad": "x" * 120}
    done = 0

    async def one(i: int) -> None:
        nonlocal done
        http = Http(port, "127.0.0.1")
        for _ in range(total // connections):
            status, _payload, _ms = await http.request(
                "POST", f"/api/attempts/{i}/answers/", body=body
            )
            done += status == 200
        http.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return done


async def joins(port: int, total: int, concurrency: int) -> tuple[int, list]:
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(concurrency)
    sockets: list = []

    async def one() -> bool:
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/join/",
                compression=None,
                ping_interval=None,
                proxy=None,
                open_timeout=120,
            )
            sockets.append(ws)
            for frame in (
                {"type": "lookup", "pin": "4819203"},
                {"type": "join", "nickname": "Lan"},
            ):
                await ws.send(json.dumps(frame))
                await ws.recv()
            return True

    ok = await asyncio.gather(*(one() for _ in range(total)), return_exceptions=True)
    return sum(r is True for r in ok), sockets


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--joins", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = _free_port()
    proc = start_server(port)
    doc: dict = {
        "server": "config.serve (Daphne, as make run-cluster starts it)",
        "app": "bench.floor:app",
    }
    try:
        if args.requests:
            c0, t0 = cpu(proc), time.perf_counter()
            ok = asyncio.run(requests(port, args.requests, args.connections))
            c1, t1 = cpu(proc), time.perf_counter()
            doc["http"] = {
                "requests": ok,
                "connections": args.connections,
                "wall_s": round(t1 - t0, 2),
                "requests_per_s": round(ok / (t1 - t0), 1),
                "server_cpu_ms_per_request": round((c1 - c0) / max(ok, 1) * 1000, 3),
            }
        if args.joins:

            async def run_joins() -> tuple[int, float, float, float]:
                c0, t0 = cpu(proc), time.perf_counter()
                ok, sockets = await joins(port, args.joins, args.concurrency)
                c1, t1 = cpu(proc), time.perf_counter()
                await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
                return ok, t1 - t0, c0, c1

            ok, wall, c0, c1 = asyncio.run(run_joins())
            doc["websocket"] = {
                "joins": ok,
                "concurrency": args.concurrency,
                "wall_s": round(wall, 2),
                "server_cpu_ms_per_join": round((c1 - c0) / max(ok, 1) * 1000, 3),
            }
    finally:
        proc.terminate()
        proc.wait(10)
    text = json.dumps(doc, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
