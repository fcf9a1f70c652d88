"""bench/live.py --chaos: one game, faults injected while players answer, nothing may be lost.

Two server processes behind nginx, each under a supervisor that restarts it like systemd's
`Restart=always` (docs/deploy.md), a redis-server of our own (bench/faults.py: never the system
Redis) and a TCP proxy between the servers and PostgreSQL. Questions close at their deadline
(no auto-advance); players answer spread over the first seconds of each window, and:

- question 1: SIGKILL of server 1 while answers arrive (the supervisor restarts it 100 ms later);
- question 2: Redis killed and restarted empty mid-window;
- question 3: PostgreSQL unreachable for 3 s (the proxy cuts every connection) during the burst;
- question 4: nothing: a clean question to show the recovery.

Simulated phones behave like frontend/live/static/frontend_live/ws.js and play.js: they reconnect
with ws.js's backoff and jitter (read from that file: `client_timing()`), say hello again, resend an
unacknowledged answer with the same answer_id when the state shows it unanswered, resend on `busy`
after play.js's delay, and keep playing.

The host's socket goes straight to server 0 (never killed), so the harness always sees the frames.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import time
import uuid
from pathlib import Path

from bench.live import (
    ROOT,
    SOURCE_ADDRESSES,
    Host,
    LeanSocket,
    Servers,
    check_ours,
    create_game,
    die_with_parent,
    dumps_text,
    now_ms,
    percentiles,
    raise_nofile,
    rest_join,
    server_env,
)

WS_JS = ROOT / "frontend/live/static/frontend_live/ws.js"
PLAY_JS = ROOT / "frontend/live/static/frontend_live/play.js"
FAULTS = ("server_kill", "redis_restart", "postgres_cut")
BACK_WITHIN_MS = 10_000
REDIS_DOWN_S = 1.0
POSTGRES_CUT_S = 3.0


def client_timing() -> dict:
    """The real client's reconnect backoff (ws.js) and busy-resend delay (play.js), in ms, read
    from the files the browser runs, so the simulated phones cannot drift from them."""
    ws = WS_JS.read_text()
    timing = {
        name: int(re.search(rf"^const {name} = (\d+);", ws, re.M).group(1))
        for name in ("MIN_DELAY", "BASE_DELAY", "MAX_DELAY")
    }
    play = PLAY_JS.read_text()
    busy = re.search(r'msg\.code === "busy"[^\n]*\n(?:[^\n]*\n){0,2}?[^\n]*\}\), (\d+)\);', play)
    timing["BUSY_RETRY"] = int(busy.group(1))
    return timing


def reconnect_delay_ms(attempt: int, timing: dict, rnd=random.random) -> float:
    """ws.js `retry()`: full jitter over a capped exponential, above a floor."""
    cap = min(timing["MAX_DELAY"], timing["BASE_DELAY"] * 2**attempt)
    return timing["MIN_DELAY"] + rnd() * cap


# --- simulated phones (a generator process) -------------------------------------------------


class Phone:
    __slots__ = (
        "i",
        "player_id",
        "token",
        "ws",
        "live",
        "down_at",
        "outages",
        "resyncs",
        "attempt",
        "pending",
        "acked",
        "timer",
        "ready",
        "ended",
    )

    def __init__(self, i: int):
        self.i = i
        self.player_id = 0
        self.token = ""
        self.ws: PhoneSocket | None = None
        self.live = False
        self.down_at: float | None = None
        self.outages: list[tuple[float, float | None]] = []
        self.resyncs: list[float] = []  # a full state while the socket stayed open (Redis back)
        self.attempt = 0
        self.pending: dict[int, list] = {}  # q -> [answer_id, choice, sent_at]
        self.acked: dict[int, str] = {}
        self.timer: tuple[int, asyncio.TimerHandle] | None = None
        self.ready: asyncio.Future | None = None
        self.ended = False


class PhoneSocket(LeanSocket):
    """LeanSocket whose every frame (the first state too) goes to the generator, and whose loss
    is reported once instead of counted as an error."""

    def __init__(self, gen, phone: Phone):
        super().__init__(gen, phone.i, phone.player_id)
        self.phone = phone

    def connection_lost(self, exc) -> None:
        for future in (self.handshake, self.first):
            if not future.done():
                future.set_exception(ConnectionError("closed"))
                future.exception()  # retrieved: no "never retrieved" noise
        self.gen.lost(self)
        if not self.done.done():
            self.done.set_result(None)


class ChaosGenerator:
    def __init__(self, cfg: dict, conn):
        self.cfg = cfg
        self.conn = conn
        self.timing = cfg["timing"]
        self.phones = [Phone(i) for i in cfg["indices"]]
        self.errors: dict[str, int] = {}
        self.refused: dict[str, int] = {}
        self.acked: list[tuple[int, int, str]] = []
        self.acked_by_state = 0
        self.ack_ms: dict[int, list[float]] = {}
        self.ack_at: list[float] = []
        self.scores: dict[int, int] = {}
        self.ready = 0
        self.failed = 0
        self.done = asyncio.Event()

    # same pipe protocol as bench.live.Generator
    def tell(self, *message) -> None:
        os.set_blocking(self.conn.fileno(), True)
        self.conn.send(message)

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def _on_command(self) -> None:
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            asyncio.get_running_loop().remove_reader(self.conn.fileno())
            self.done.set()
            return
        if message[0] == "stop":
            self.done.set()

    def _progress(self) -> None:
        if self.ready + self.failed == len(self.phones):
            self.tell("ready", self.ready, self.failed)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.conn.fileno(), self._on_command)
        self.sem = asyncio.Semaphore(self.cfg["concurrency"])
        tasks = [asyncio.create_task(self.phone(ph)) for ph in self.phones]
        await self.done.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tell(
            "data",
            {
                "acked": self.acked,
                "acked_by_state": self.acked_by_state,
                "ack_ms": self.ack_ms,
                "ack_at": self.ack_at,
                "scores": self.scores,
                "errors": self.errors,
                "refused": self.refused,
                "failed": self.failed,
                "outages": [o for ph in self.phones for o in ph.outages]
                + [(ph.down_at, None) for ph in self.phones if ph.down_at is not None],
                "resyncs": [t for ph in self.phones for t in ph.resyncs],
                "never_acked": sum(
                    1 for ph in self.phones for q in ph.pending if q not in ph.acked
                ),
            },
        )

    async def phone(self, ph: Phone) -> None:
        cfg = self.cfg
        server = cfg["urls"][ph.i % len(cfg["urls"])]
        local_ip = f"127.0.0.{2 + ph.i % SOURCE_ADDRESSES}"
        try:
            status, joined = await rest_join(self, server, ph.i, local_ip)
            if status != 201:
                raise RuntimeError(f"join {status} {joined}")
            ph.player_id, ph.token = joined["player"], joined["token"]
            ph.ready = asyncio.get_running_loop().create_future()
            async with self.sem:
                await self.connect(ph, server, local_ip)
                await asyncio.wait_for(asyncio.shield(ph.ready), 120)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - counted and reported
            self.failed += 1
            self.error(f"join: {type(exc).__name__}: {str(exc)[:80]}")
            self._progress()
            return
        self.ready += 1
        self._progress()
        try:
            while not ph.ended:
                await ph.ws.done
                if ph.ended:
                    return
                while not ph.ended:  # ws.js: retry with backoff until a socket opens
                    delay = reconnect_delay_ms(ph.attempt, self.timing)
                    ph.attempt += 1
                    await asyncio.sleep(delay / 1000)
                    try:
                        await self.connect(ph, server, local_ip)
                        break
                    except (TimeoutError, OSError, ConnectionError):
                        continue
        finally:
            if ph.ws is not None:
                ph.ws.abort()

    async def connect(self, ph: Phone, server: str, local_ip: str) -> None:
        ws = PhoneSocket(self, ph)
        ph.ws = ws
        try:
            await ws.open(server, self.cfg["ws_path"], local_ip)
        except BaseException:
            ws.abort()
            raise
        ph.attempt = 0  # ws.js onopen
        ws.first.set_result(b"")  # every frame, the first state too, goes to on_frame
        ws.send(dumps_text({"type": "hello", "v": 1, "role": "player", "token": ph.token}).encode())

    def lost(self, ws: PhoneSocket) -> None:
        ph = ws.phone
        if ph.ws is ws and not ph.ended and ph.down_at is None and ph.ready and ph.ready.done():
            ph.live = False
            ph.down_at = now_ms()

    # -- frames --

    def on_frame(self, ws: PhoneSocket, raw: bytes, received: float) -> None:
        import orjson

        ph = ws.phone
        frame = orjson.loads(raw)
        kind = frame.get("type")
        if kind == "state":
            self.on_state(ph, frame, received)
        elif kind == "question":
            self.think(ph, frame["q"], frame["question"]["choices"], frame["opens_at"])
        elif kind == "ack":
            self.on_ack(ph, frame["submission_id"], received)
        elif kind == "error":
            code = frame.get("code") or "?"
            self.refused[code] = self.refused.get(code, 0) + 1
            if code == "busy" and ph.pending:  # play.js: resend its one pending answer
                q = max(ph.pending)  # (an older unacknowledged one is not resent: wrong_question)
                if q not in ph.acked:
                    loop = asyncio.get_running_loop()
                    loop.call_later(self.timing["BUSY_RETRY"] / 1000, self.send_answer, ph, q)
        elif kind == "result":
            if frame["q"] == self.cfg["questions"] - 1:
                self.scores[ph.player_id] = frame["score"]
        elif kind == "ended":
            ph.ended = True
            ws.finish()

    def on_state(self, ph: Phone, frame: dict, received: float) -> None:
        if ph.live:
            ph.resyncs.append(received)
        else:
            ph.live = True
            if ph.down_at is not None:
                ph.outages.append((ph.down_at, received))
                ph.down_at = None
        if ph.ready is not None and not ph.ready.done():
            ph.ready.set_result(None)
        game, you, question = frame["game"], frame.get("you") or {}, frame.get("question")
        q = game["q"]
        if game["phase"] == "ended":
            ph.ended = True
            ph.ws.finish()
            return
        if q is None or question is None:
            return
        if q == self.cfg["questions"] - 1 and game["phase"] in ("reveal", "leaderboard"):
            self.scores[ph.player_id] = you.get("score", 0)
        if game["phase"] not in ("read", "open"):
            return
        if you.get("answered"):
            sid = you.get("submission_id")
            if q in ph.pending and ph.pending[q][0] == sid and q not in ph.acked:
                self.acked_by_state += 1  # stored before the crash, its ack lost with the socket
                self.on_ack(ph, sid, received)
            elif q not in ph.pending or ph.pending[q][0] != sid:
                self.error("state: answered with a submission this phone never sent")
        elif q in ph.pending:
            self.send_answer(ph, q)  # play.js: unacknowledged -> resend, same answer_id
        else:
            self.think(ph, q, question["question"]["choices"], question["opens_at"])

    def think(self, ph: Phone, q: int, choices: list, opens_at: int) -> None:
        if q in ph.pending or (ph.timer is not None and ph.timer[0] == q):
            return
        choice = choices[(ph.i + q) % len(choices)]["id"]
        rnd = random.Random(ph.i * 1009 + q)
        at = opens_at + rnd.uniform(0, self.cfg["think_ms"])  # server clock = ours (one machine)
        delay = max(0.0, at - now_ms()) / 1000

        def fire() -> None:
            ph.timer = None
            if q not in ph.pending:
                ph.pending[q] = [str(uuid.uuid4()), choice, 0.0]
            self.send_answer(ph, q)

        ph.timer = (q, asyncio.get_running_loop().call_later(delay, fire))

    def send_answer(self, ph: Phone, q: int) -> None:
        if q in ph.acked or ph.ended:
            return
        pending = ph.pending[q]
        pending[2] = now_ms()
        ws = ph.ws
        if (
            ph.live
            and ws is not None
            and ws.transport is not None
            and not ws.transport.is_closing()
        ):
            import orjson

            ws.send(
                orjson.dumps(
                    {
                        "type": "answer",
                        "q": q,
                        "answer_id": pending[0],
                        "response": {"choice": pending[1]},
                    }
                )
            )
        # else: resent when the next state shows it unanswered

    def on_ack(self, ph: Phone, sid: str, received: float) -> None:
        q = next((q for q, pending in ph.pending.items() if pending[0] == sid), None)
        if q is None:
            self.error("ack: for an answer this phone never sent")
            return
        pending = ph.pending[q]
        if q in ph.acked:
            return  # a resend acknowledged again: same answer, counted once
        ph.acked[q] = sid
        self.acked.append((ph.player_id, q, sid))
        self.ack_ms.setdefault(q, []).append(received - pending[2])
        self.ack_at.append(received)


def chaos_generator_main(cfg: dict, conn) -> None:
    raise_nofile()
    die_with_parent()
    try:
        import uvloop

        uvloop.run(ChaosGenerator(cfg, conn).run())
    except ImportError:
        asyncio.run(ChaosGenerator(cfg, conn).run())


# --- the orchestrator (bench/live.py's process) ---------------------------------------------


class ChaosHost(Host):
    """The host of bench/live.py, keeping every frame (closed, answers...) with its arrival."""

    async def _read(self) -> None:
        import orjson

        async for raw in self.ws:
            frame = orjson.loads(raw)
            frame["_at"] = now_ms()
            await self.frames.put(frame)

    async def until_any(self, kinds: set, q: int, timeout: float) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.frames.get()
                if frame["type"] in kinds and frame.get("q") == q:
                    return frame
                if (
                    frame["type"] == "state"
                    and (frame["game"]["q"] == q)
                    and (frame["game"]["phase"] in kinds)
                ):
                    return frame


class Faults:
    """Injects the faults of FAULTS; records when each was injected and cleared (epoch ms)."""

    def __init__(self, servers: Servers, redis, proxy):
        self.servers, self.redis, self.proxy = servers, redis, proxy
        self.log: list[dict] = []

    async def inject(self, fault: str, q: int) -> dict:
        entry: dict = {"fault": fault, "q": q + 1, "at": round(now_ms())}
        if fault == "server_kill":
            supervisor = self.servers.supervisors[1]
            victim = supervisor.process
            os.kill(victim.pid, signal.SIGKILL)
            entry["cleared"] = entry["at"]  # players may reconnect to server 0 at once
            deadline = time.monotonic() + 60
            while supervisor.process is victim and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            entry["restarted_after_ms"] = round(now_ms() - entry["at"])
            port = self.servers.ports[1]
            from bench.live import wait_http

            await asyncio.to_thread(wait_http, f"http://127.0.0.1:{port}/healthz", None, 60)
            entry["serving_again_after_ms"] = round(now_ms() - entry["at"])
        elif fault == "redis_restart":
            self.redis.kill()
            await asyncio.sleep(REDIS_DOWN_S)
            await asyncio.to_thread(self.redis.start)
            entry["cleared"] = round(now_ms())
        elif fault == "postgres_cut":
            self.proxy.cut()
            await asyncio.sleep(POSTGRES_CUT_S)
            self.proxy.restore()
            entry["cleared"] = round(now_ms())
        entry["down_ms"] = round(entry["cleared"] - entry["at"])
        self.log.append(entry)
        return entry


def duplicates(game_id: int, acked: list) -> int:
    """Answers stored twice for one player and question, or two different acknowledged
    submissions for one player and question."""
    from django.db.models import Count

    from realtime.models import Answer

    stored_twice = sum(
        row["n"] - 1
        for row in Answer.objects.filter(game_id=game_id)
        .values("player_id", "q")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    sids: dict[tuple, set] = {}
    for pid, q, sid in acked:
        sids.setdefault((pid, q), set()).add(sid)
    return stored_twice + sum(len(s) - 1 for s in sids.values())


def stored_per_question(game_id: int) -> dict:
    from django.db.models import Count

    from realtime.models import Answer

    rows = Answer.objects.filter(game_id=game_id).values("q").annotate(n=Count("id"))
    return {row["q"] + 1: row["n"] for row in rows}


def per_fault(faults: list[dict], outages: list, resyncs: list, joined: int, end: float) -> list:
    """reconnect_ms and players_back for each fault: a phone's outage belongs to the fault whose
    window (injection .. next injection) it started in; it is back once a state frame arrived on
    a new socket. players_back: share of joined players not still out 10 s after the fault
    cleared (the kill clears at once: server 0 and the restarted server take the reconnects)."""
    out = []
    for n, fault in enumerate(faults):
        start = fault["at"] - 200
        stop = faults[n + 1]["at"] - 200 if n + 1 < len(faults) else end
        mine = [(down, back) for down, back in outages if start <= down < stop]
        back = [b - d for d, b in mine if b is not None]
        limit = fault["cleared"] + BACK_WITHIN_MS
        out_late = sum(1 for d, b in mine if b is None or b > limit)
        resent = [t for t in resyncs if start <= t < stop]
        out.append(
            {
                **fault,
                "disconnected": len(mine),
                "never_back": sum(1 for _d, b in mine if b is None),
                "reconnect_ms": percentiles(back, (50, 99)),
                "players_back": round((joined - out_late) / joined, 4) if joined else None,
                "state_resent": len(resent),
            }
        )
    return out


async def run_chaos(args, logdir: Path, log) -> tuple[dict, dict]:
    """One chaos game; returns the JSON document's body and the plot's series."""
    import multiprocessing

    from asgiref.sync import sync_to_async
    from django.db import connection

    from bench.faults import CuttableProxy, PrivateRedis

    timing = client_timing()
    plan = [f for f in args.chaos_faults.split(",") if f and f != "none"]
    if set(plan) - set(FAULTS):
        raise SystemExit(f"--chaos-faults: one of {FAULTS[:3]}")
    redis = PrivateRedis(logdir)
    await asyncio.to_thread(redis.start)
    args.redis_url = redis.url
    db = connection.settings_dict
    proxy = CuttableProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    await proxy.start()
    env = server_env(args, "ours")
    base = args.database_url.rsplit("@", 1)[0]
    env["DATABASE_URL"] = f"{base}@127.0.0.1:{proxy.port}/{db['NAME']}"
    env["REDIS_URL"] = redis.url
    servers = await asyncio.to_thread(
        Servers, args, app="config.asgi:application", env=env, logdir=logdir / "ours"
    )
    grace_ms = int(float(env.get("ANSWER_GRACE_SECONDS", "0.5")) * 1000)
    game = await sync_to_async(create_game)(
        args.questions, time_limit=args.chaos_time_limit, auto_advance=False
    )
    ctx = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()
    gens = []
    ws_path = f"/ws/game/{game['id']}/"
    per = [list(range(g, args.players, args.generators)) for g in range(args.generators)]

    def readable(conn) -> None:
        try:
            inbox.put_nowait(conn.recv())
        except (EOFError, OSError):
            loop.remove_reader(conn.fileno())

    for g in range(args.generators):
        parent, child = ctx.Pipe()
        cfg = {
            "indices": per[g],
            "urls": servers.urls,
            "ws_path": ws_path,
            "pin": game["pin"],
            "concurrency": args.concurrency,
            "timing": timing,
            "questions": args.questions,
            "think_ms": args.chaos_think * 1000,
        }
        proc = ctx.Process(target=chaos_generator_main, args=(cfg, child), daemon=True)
        proc.start()
        gens.append((proc, parent))
        loop.add_reader(parent.fileno(), readable, parent)
    faults = Faults(servers, redis, proxy)
    host = ChaosHost(
        servers.direct_urls[0].replace("http://", "ws://") + ws_path,
        game["cookie"],
        "ours",
        args.questions,
    )
    questions: list[dict] = []
    datas: list[dict] = []
    t0 = now_ms()
    try:
        await host.start()
        ready = []
        async with asyncio.timeout(args.join_timeout):
            while len(ready) < len(gens):
                message = await inbox.get()
                if message[0] == "ready":
                    ready.append(message)
        joined = sum(m[1] for m in ready)
        log(f"  chaos: {joined}/{args.players} players joined in {(now_ms() - t0) / 1000:.1f} s")
        t_game = now_ms()
        for q in range(args.questions):
            fault = plan[q] if q < len(plan) else None
            await host.command("start" if q == 0 else "next")
            frame = await host.until("question", 60, q)
            opens_at, ends_at = frame["opens_at"], frame["ends_at"]
            entry = None
            if fault:
                await asyncio.sleep(
                    max(0.0, opens_at + args.chaos_fault_at * 1000 - now_ms()) / 1000
                )
                entry = await faults.inject(fault, q)
                log(f"  chaos: question {q + 1}: {fault} ({entry['down_ms']} ms)")
            closed = await host.until_any({"closed", "reveal"}, q, args.question_timeout)
            late = closed["_at"] - (ends_at + grace_ms)
            await host.until_any({"reveal"}, q, args.question_timeout)
            questions.append(
                {
                    "q": q + 1,
                    "fault": fault,
                    "opens_at": opens_at,
                    "ends_at": ends_at,
                    "closed_on_time": late <= 1000,
                    "late_ms": round(late),
                }
            )
            log(f"  chaos: question {q + 1} closed {late:.0f} ms after its deadline (+grace)")
            await asyncio.sleep(1.5)  # results reach the phones
        await host.command("next")  # -> podium
        await host.until("podium", 60)
        await host.command("next")  # -> ended
        await host.until("ended", 60)
        await asyncio.sleep(1.0)
        game_s = (now_ms() - t_game) / 1000
    finally:
        for _proc, conn in gens:
            conn.send(("stop",))
        try:
            async with asyncio.timeout(90):
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
            restarts = [len(s.started) - 1 for s in servers.supervisors]
            await asyncio.to_thread(servers.stop)
            await proxy.stop()
            redis.kill()
    end = now_ms()
    acked = [tuple(a) for d in datas for a in d["acked"]]
    scores = {int(k): v for d in datas for k, v in d["scores"].items()}
    checks = await sync_to_async(check_ours)(game["id"], acked, scores)
    dups = await sync_to_async(duplicates)(game["id"], acked)
    stored_q = await sync_to_async(stored_per_question)(game["id"])
    refused: dict[str, int] = {}
    errors: dict[str, int] = {}
    for d in datas:
        for code, n in d["refused"].items():
            refused[code] = refused.get(code, 0) + n
        for code, n in d["errors"].items():
            errors[code] = errors.get(code, 0) + n
    outages = [tuple(o) for d in datas for o in d["outages"]]
    resyncs = [t for d in datas for t in d["resyncs"]]
    ack_q: dict[int, list] = {}
    for d in datas:
        for q, values in d["ack_ms"].items():
            ack_q.setdefault(int(q), []).extend(values)
    for entry in questions:
        entry["ack_ms"] = percentiles(ack_q.get(entry["q"] - 1, []), (50, 99))
        entry["stored"] = stored_q.get(entry["q"], 0)
    fault_rows = per_fault(faults.log, outages, resyncs, joined, end)
    doc = {
        "chaos": True,
        "players": args.players,
        "joined": joined,
        "questions": args.questions,
        "time_limit_s": args.chaos_time_limit,
        "fault_at_s": args.chaos_fault_at,
        "think_s": args.chaos_think,
        "game_s": round(game_s, 1),
        "lost_answers": checks["lost_answers"],
        "duplicate_answers": dups,
        "score_mismatches": checks["score_mismatches"],
        "acked_answers": checks["acked_answers"],
        "stored_answers": checks["stored_answers"],
        "acked_by_state": sum(d["acked_by_state"] for d in datas),
        "never_acked": sum(d["never_acked"] for d in datas),
        "final_scores_seen": len(scores),
        "answers_refused": refused,
        "errors": errors,
        "faults": fault_rows,
        "reconnect_ms": {f["fault"]: f["reconnect_ms"] for f in fault_rows},
        "players_back": {f["fault"]: f["players_back"] for f in fault_rows},
        "per_question": questions,
        "server_restarts": restarts,
        "client_timing_ms": timing,
        "supervisor": "systemd Restart=always, RestartSec=100ms (systemd's default)",
        "host": "direct to server 0 (the one never killed)",
    }
    series = {
        "t0": t_game,
        "ack_at": sorted(a for d in datas for a in d["ack_at"]),
        "outages": outages,
        "questions": questions,
        "faults": faults.log,
    }
    return doc, series


def compare_clean(doc: dict, reference: dict) -> dict:
    """The last clean question's ack p99 against the same question of a run without faults."""
    mine = [q for q in doc["per_question"] if not q["fault"]][-1]
    theirs = next(q for q in reference["per_question"] if q["q"] == mine["q"])
    a, b = mine["ack_ms"]["p99"], theirs["ack_ms"]["p99"]
    return {
        "q": mine["q"],
        "ack_p99_ms": a,
        "reference_ack_p99_ms": b,
        "ratio": round(a / b, 2) if a and b else None,
        "reference_command": reference.get("command"),
        "reference_load_avg": reference.get("machine", {}).get("load_avg_at_start"),
    }


def table(doc: dict) -> str:
    rows = [
        (
            "fault",
            "q",
            "closed late ms",
            "on time",
            "ack p50/p99 ms",
            "dropped",
            "reconnect p50/p99/max ms",
            "back ≤10 s",
        )
    ]
    faults = {f["q"]: f for f in doc["faults"]}
    for entry in doc["per_question"]:
        f = faults.get(entry["q"])
        rc = f["reconnect_ms"] if f else None
        rows.append(
            (
                entry["fault"] or "clean",
                str(entry["q"]),
                str(entry["late_ms"]),
                "yes" if entry["closed_on_time"] else "NO",
                f"{entry['ack_ms']['p50']}/{entry['ack_ms']['p99']}",
                str(f["disconnected"]) if f else "-",
                f"{rc['p50']}/{rc['p99']}/{rc['max']}" if rc else "-",
                f"{f['players_back'] * 100:.2f} %" if f else "-",
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    body = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
    head = (
        f"chaos: players={doc['players']} joined={doc['joined']} lost_answers={doc['lost_answers']}"
        f" duplicate_answers={doc['duplicate_answers']} score_mismatches={doc['score_mismatches']}"
        f" acked={doc['acked_answers']} stored={doc['stored_answers']}"
        f" refused={doc['answers_refused']}"
    )
    if doc.get("reference"):
        ref = doc["reference"]
        body += (
            f"\nclean question {ref['q']}: ack p99 {ref['ack_p99_ms']} ms, without faults"
            f" {ref['reference_ack_p99_ms']} ms: {ref['ratio']}x"
        )
    return head + "\n" + body


def plot(doc: dict, series: dict, path: Path) -> None:
    """Timeline: acknowledgements per 250 ms and phones without a socket, faults marked."""
    from PIL import Image, ImageDraw

    width, height, pad = 1200, 520, 60
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    t0 = series["t0"]
    end = max([t0 + 1000, *series["ack_at"], *(q["ends_at"] + 1500 for q in series["questions"])])
    span = end - t0
    bucket = 250
    n = int(span // bucket) + 1
    acks = [0] * n
    for t in series["ack_at"]:
        if t >= t0:
            acks[int((t - t0) // bucket)] += 1
    down = [0] * n
    for d, b in series["outages"]:
        first = max(0, int((d - t0) // bucket))
        last = n - 1 if b is None else min(n - 1, int((b - t0) // bucket))
        for k in range(first, last + 1):
            down[k] += 1
    x0, x1, y0, y1 = pad, width - pad, pad, height - pad
    draw.rectangle([x0, y0, x1, y1], outline="black")
    draw.text(
        (x0, y0 - 40),
        f"chaos, {doc['players']} players: acks per 250 ms (green), phones without a socket "
        "(red); faults (red lines), deadlines (grey)",
        fill="black",
    )
    top = max([1, *acks, *down])

    def x(t: float) -> float:
        return x0 + (t - t0) / span * (x1 - x0)

    for q in series["questions"]:
        draw.line([x(q["ends_at"]), y0, x(q["ends_at"]), y1], fill=(170, 170, 170))
        draw.text((x(q["opens_at"]) + 3, y0 + 4), f"Q{q['q']}", fill="black")
    for f in series["faults"]:
        draw.line([x(f["at"]), y0, x(f["at"]), y1], fill=(220, 40, 40), width=2)
        draw.text((x(f["at"]) + 3, y0 + 20), f["fault"], fill=(220, 40, 40))
    for values, color in ((acks, (11, 110, 79)), (down, (200, 60, 40))):
        pts = [(x(t0 + k * bucket), y1 - v / top * (y1 - y0)) for k, v in enumerate(values)]
        draw.line(pts, fill=color, width=2)
    for frac in (0.5, 1.0):
        draw.text((x0 - 50, y1 - frac * (y1 - y0) - 6), f"{top * frac:.0f}", fill="black")
    for k in range(0, int(span / 1000) + 1, 10):
        draw.text((x(t0 + k * 1000) - 8, y1 + 8), f"{k} s", fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
