"""Contest rush: S concurrent attempt sessions (start, 10 autosaves, submit with a prediction)
against a round of N registered participants, through the cluster `make run-cluster` starts
(deploy/cluster.py: K Daphne processes behind nginx), with the top 100 and my rank polled during
the rush, then the round closed. Prints figures and writes --json; asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cq_contest_bench \
    REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/contest.py \
        --participants 100000 --sessions 1000 --servers 2 --json bench/results/contest-rush.json

The database is created if missing and the bench contest is rebuilt on every run. The load
generator is one asyncio process (uvloop, a minimal keep-alive HTTP/1.1 client); sessions come
from 250 loopback addresses (127.0.0.2-251), as many schools' labs would, so the per-address
rate limits apply as shipped (nginx forwards the address: TRUSTED_PROXY_COUNT=1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cq_contest_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("CHANNEL_PREFIX", "cqbench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
# The participants' tokens are signed here (setup) and checked by the servers: one key for both.
os.environ.setdefault("SECRET_KEY", "bench-contest-secret-key-" + "k" * 40)
os.environ.setdefault("LOG_LEVEL", "ERROR")

SLUG = "bench-contest"
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 252)]


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_data(participants: int, questions: int, sessions: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from contest import boards
    from contest.models import Contest, Participant, Round, RoundResult
    from contest.services.registration import participant_token
    from quizzes.models import Choice, Question, Quiz, QuizItem, Unit

    old = Contest.objects.filter(slug=SLUG).first()
    if old is not None:
        # The last run's boards (about 90 MB of Redis a run): its round and contest go now.
        b = boards.backend()
        client = getattr(b, "client", None)
        if client is not None:
            scopes = [f"r{pk}" for pk in old.rounds.values_list("pk", flat=True)]
            for scope in [*scopes, f"c{old.pk}"]:
                for pattern in (f"{b.prefix}{scope}", f"{b.prefix}{scope}:*"):
                    stale = list(client.scan_iter(match=pattern, count=1000))
                    if stale:
                        client.delete(*stale)
        old.delete()
    t0 = time.perf_counter()
    province, _ = Unit.objects.get_or_create(
        code="BENCH", defaults={"name": "Bench province", "level": "province"}
    )
    schools = []
    if not Unit.objects.filter(code__startswith="BENCH-D").exists():
        districts = Unit.objects.bulk_create(
            [
                Unit(code=f"BENCH-D{i}", name=f"District {i}", level="district", parent=province)
                for i in range(20)
            ]
        )
        Unit.objects.bulk_create(
            [
                Unit(
                    code=f"BENCH-D{d.pk}-S{j}", name=f"School {d.pk}-{j}", level="school", parent=d
                )
                for d in districts
                for j in range(10)
            ]
        )
    schools = list(
        Unit.objects.filter(level="school", parent__parent=province).select_related("parent")
    )
    quiz = Quiz.objects.create(title="Bench quiz", mode="fixed", shuffle_options=True)
    qs = []
    for i in range(questions):
        q = Question.objects.create(
            type="single", text_en=f"Bench question {i}?", text_vi=f"Câu {i}?", status="published"
        )
        Choice.objects.bulk_create(
            [
                Choice(question=q, position=p, text_en=f"Option {p}", weight=1.0 if p == 0 else 0.0)
                for p in range(4)
            ]
        )
        QuizItem.objects.create(quiz=quiz, question=q, position=i)
        qs.append(q)
    contest = Contest.objects.create(slug=SLUG, title_vi="Bench", title_en="Bench")
    now = timezone.now()
    round_ = Round.objects.create(
        contest=contest,
        title_vi="Bench round",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        time_limit_seconds=3600,
        max_attempts=0,
        quiz=quiz,
        prediction_text_en="How many?",
        # Boards and my rank with scores (the default keeps them hidden until the close).
        scores_while_open=True,
    )
    rng = random.Random(1)
    batch = []
    for i in range(participants):
        school = schools[i % len(schools)]
        batch.append(
            Participant(
                contest=contest,
                full_name=f"Người Thi {i}",
                name_key=f"nguoi thi {i}",
                public_name=f"Người T. {i} ({school.name})",
                email=f"p{i}@bench.example",
                unit=school,
                school=school,
                district=school.parent,
                province=province,
                consent_at=now,
            )
        )
    Participant.objects.bulk_create(batch, batch_size=5000)
    created = time.perf_counter() - t0
    pids = list(
        Participant.objects.filter(contest=contest).order_by("pk").values_list("pk", flat=True)
    )
    # Everyone but the rush's sessions already has a result, so the boards are full size.
    results = [
        RoundResult(
            round=round_,
            participant_id=pid,
            unit_id=schools[k % len(schools)].pk,
            score=rng.randrange(0, questions + 1) * 1000,
            time_ms=rng.randrange(60_000, 3_600_000),
            submitted_at=now - timedelta(seconds=rng.randrange(0, 3600)),
            prediction=float(rng.randrange(0, 5000)),
        )
        for k, pid in enumerate(pids[sessions:])
    ]
    RoundResult.objects.bulk_create(results, batch_size=5000)
    from django.db import connection

    # After the bulk load, so autovacuum does not start on these tables during the measurement.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE contest_participant, contest_roundresult")
    t1 = time.perf_counter()
    for suffix in ("live", "final", "frozen"):
        boards.backend().drop(f"r{round_.pk}:{suffix}")
    boards.round_rebuild_all(round_)
    rebuild = time.perf_counter() - t1
    tokens = [
        participant_token(Participant(pk=pid, contest_id=contest.pk)) for pid in pids[:sessions]
    ]
    ranked_tokens = [
        participant_token(Participant(pk=pid, contest_id=contest.pk))
        for pid in pids[sessions : sessions + 200]
    ]
    return {
        "round": round_.pk,
        "tokens": tokens,
        "ranked_tokens": ranked_tokens,
        "create_s": created,
        "rebuild_s": rebuild,
        "results": len(results),
    }


# --- A minimal keep-alive HTTP/1.1 client (the generator must not be the bottleneck) ------------


class Http:
    """One keep-alive connection from one source address; reopened when the server closed it."""

    def __init__(self, port: int, source: str) -> None:
        self.port = port
        self.source = source
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", self.port, local_addr=(self.source, 0)
        )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, token: str | None = None, body: dict | None = None
    ) -> tuple[int, bytes, float]:
        data = b"" if body is None else json.dumps(body).encode()
        head = [
            f"{method} {path} HTTP/1.1",
            "Host: 127.0.0.1",
            "Accept: application/json",
            f"Content-Length: {len(data)}",
        ]
        if body is not None:
            head.append("Content-Type: application/json")
        if token:
            head.append(f"X-Participant-Token: {token}")
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + data
        started = time.perf_counter()
        for attempt in range(2):
            fresh = self.writer is None
            if fresh:
                await self._open()
            try:
                self.writer.write(raw)
                status, payload, keep = await self._response()
                break
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.close()
                # Only a reused connection the server had closed is retried (nothing was read).
                if attempt or fresh:
                    raise
        if not keep:
            self.close()
        return status, payload, (time.perf_counter() - started) * 1000

    async def _response(self) -> tuple[int, bytes, bool]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            payload = b"".join(chunks)
        else:
            payload = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, payload, headers.get("connection", "").lower() != "close"


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "n": len(ordered),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 1),
    }


# --- The rush ------------------------------------------------------------------------------------


async def rush(args, data: dict, port: int) -> dict:
    round_id = data["round"]
    timings: dict[str, list[float]] = {k: [] for k in ("start", "autosave", "submit")}
    reads: dict[str, list[float]] = {"top100": [], "myrank": []}
    errors: list = []
    acked: list[tuple[int, int, str]] = []  # (attempt, question, opaque choice) acknowledged
    events: list[tuple[float, str, float]] = []  # (seconds since the rush began, kind, ms)
    attempts: list[int] = []
    done = asyncio.Event()
    rng = random.Random(7)

    def think() -> float:
        return args.think * rng.uniform(0.5, 1.5)

    async def session(i: int, token: str) -> None:
        http = Http(port, ADDRESSES[i % len(ADDRESSES)])
        try:
            await asyncio.sleep(args.ramp * i / max(1, len(data["tokens"])))
            status, payload, ms = await http.request(
                "POST", f"/api/rounds/{round_id}/attempts/", token, {}
            )
            timings["start"].append(ms)
            events.append((time.perf_counter() - t0, "start", ms))
            if status != 201:
                errors.append(("start", status, payload[:200].decode("utf-8", "replace")))
                return
            state = json.loads(payload)
            attempts.append(state["id"])
            for q in state["questions"]:
                await asyncio.sleep(think())
                choice = rng.choice(q["choices"])["id"]
                body = {"answers": [{"question": q["id"], "response": {"choice": choice}}]}
                status, payload, ms = await http.request(
                    "POST", f"/api/attempts/{state['id']}/answers/", token, body
                )
                timings["autosave"].append(ms)
                events.append((time.perf_counter() - t0, "autosave", ms))
                if status == 200:
                    acked.append((state["id"], q["id"], choice))
                else:
                    errors.append(("autosave", status, payload[:200].decode("utf-8", "replace")))
            await asyncio.sleep(think())
            status, payload, ms = await http.request(
                "POST", f"/api/attempts/{state['id']}/submit/", token, {"prediction": 42}
            )
            timings["submit"].append(ms)
            events.append((time.perf_counter() - t0, "submit", ms))
            if status != 200:
                errors.append(("submit", status, payload[:200].decode("utf-8", "replace")))
        except Exception as exc:  # noqa: BLE001 - counted, never hidden
            errors.append(("session", 0, repr(exc)[:200]))
        finally:
            http.close()

    async def reader(j: int) -> None:
        # A ceremony screen or a phone polling the board: its own address (never a session's).
        http = Http(port, f"127.0.1.{2 + j}")
        tokens = data["ranked_tokens"]
        k = j
        while not done.is_set():
            try:
                status, _p, ms = await http.request(
                    "GET", f"/api/rounds/{round_id}/leaderboard/?n=100"
                )
                reads["top100"].append(ms)
                if status != 200:
                    errors.append(("top100", status, _p[:200].decode("utf-8", "replace")))
                status, payload, ms = await http.request(
                    "GET", f"/api/rounds/{round_id}/leaderboard/me/", tokens[k % len(tokens)]
                )
                reads["myrank"].append(ms)
                if status != 200 or not json.loads(payload).get("me"):
                    errors.append(("myrank", status, payload[:200].decode("utf-8", "replace")))
            except Exception as exc:  # noqa: BLE001
                errors.append(("read", 0, repr(exc)[:200]))
            k += args.read_clients
            await asyncio.sleep(args.read_interval)
        http.close()

    t0 = time.perf_counter()
    readers = [asyncio.create_task(reader(j)) for j in range(args.read_clients)]
    await asyncio.gather(*(session(i, t) for i, t in enumerate(data["tokens"])))
    wall = time.perf_counter() - t0
    done.set()
    await asyncio.gather(*readers)
    total = sum(len(v) for v in timings.values())
    return {
        "wall_s": round(wall, 2),
        "requests": total,
        "requests_per_s": round(total / wall, 1),
        **{f"{k}_ms": percentiles(v) for k, v in timings.items()},
        **{f"{k}_ms": percentiles(v) for k, v in reads.items()},
        "errors": len(errors),
        "error_samples": errors[:5],
        "acked_autosaves": len(acked),
        "_acked": acked,
        "_events": events,
        "_attempts": attempts,
    }


def lost_answers(acked: list[tuple[int, int, str]], attempt_ids: list[int]) -> dict:
    """Acknowledged autosaves missing from the final score: the attempt was handed in, the
    answer is stored with the choice that was acknowledged, it was graded, and the attempt's
    score (and the participant's result) is the sum of its answers' points."""
    from django.db.models import Sum

    from contest.models import Answer, Attempt, RoundResult
    from contest.services.attempts import paper_option_ids

    found = {a.pk: a for a in Attempt.objects.filter(pk__in=attempt_ids)}
    stored = {
        (a.attempt_id, a.question_id): a
        for a in Answer.objects.filter(attempt_id__in=attempt_ids).only(
            "attempt_id", "question_id", "response", "fraction"
        )
    }
    opaque = {pk: paper_option_ids(a) for pk, a in found.items()}
    lost = 0
    for attempt_id, qid, choice in acked:
        attempt = found.get(attempt_id)
        answer = stored.get((attempt_id, qid))
        real = (answer.response or {}).get("choice") if answer else None
        if (
            attempt is None
            or attempt.status != Attempt.Status.SUBMITTED
            or answer is None
            or answer.fraction is None
            or opaque[attempt_id].get(qid, {}).get(str(real)) != choice
        ):
            lost += 1
    points = dict(
        Answer.objects.filter(attempt_id__in=attempt_ids)
        .values_list("attempt_id")
        .annotate(total=Sum("points"))
    )
    results = dict(
        RoundResult.objects.filter(
            participant_id__in=[a.participant_id for a in found.values()]
        ).values_list("participant_id", "score")
    )
    mismatches = sum(
        1
        for a in found.values()
        if a.score != points.get(a.pk, 0) or results.get(a.participant_id) != a.score
    )
    return {"lost_answers": lost, "score_mismatches": mismatches}


async def close_round(port: int, round_id: int, timeout: float = 600) -> dict:
    """Close the round and time it: from the close until a board read answers the final board
    (the round_finalize job, queued for closes_at as round_update queues it, computes the final
    ranks of every result and rebuilds the boards on a job worker), polling every 0.1 s; and how
    long the first read after the close takes (it answers at once, marked "closing")."""
    from asgiref.sync import sync_to_async
    from django.utils import timezone

    from contest.models import Round
    from contest.services import round_close_schedule

    def close() -> None:
        round_ = Round.objects.get(pk=round_id)
        round_.closes_at = timezone.now()
        round_.save(update_fields=["closes_at"])  # every server process hears of it (apps.py)
        round_close_schedule(round_)  # what round_update does when closes_at changes

    http = Http(port, "127.0.2.2")
    started = time.perf_counter()
    await sync_to_async(close)()
    url = f"/api/rounds/{round_id}/leaderboard/?n=100"
    status, payload, first_ms = await http.request("GET", url)
    first_board = json.loads(payload).get("board") if status == 200 else status
    board: object = first_board
    reads = 1
    while board != "final" and time.perf_counter() - started < timeout:
        await asyncio.sleep(0.1)
        status, payload, _ms = await http.request("GET", url)
        board = json.loads(payload).get("board") if status == 200 else status
        reads += 1
    close_s = time.perf_counter() - started
    after = [(await http.request("GET", url))[2] for _ in range(20)]
    http.close()
    return {
        "close_s": round(close_s, 2),
        "close_board": board,
        "close_first_read_ms": round(first_ms, 1),
        "close_first_board": first_board,
        "close_reads": reads,
        "top100_after_close_ms": percentiles(after),
    }


def cpu_seconds(procs) -> list[float]:
    import psutil

    out = []
    for proc in procs:
        try:
            t = psutil.Process(proc.pid).cpu_times()
            out.append(t.user + t.system)
        except psutil.Error:
            out.append(0.0)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument(
        "--sessions", type=int, default=1000, help="concurrent attempt sessions (one each)"
    )
    parser.add_argument("--servers", type=int, default=2, help="server processes (nginx in front)")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument(
        "--ramp", type=float, default=5.0, help="seconds over which the sessions start"
    )
    parser.add_argument(
        "--think", type=float, default=0.5, help="mean seconds a participant waits between requests"
    )
    parser.add_argument("--read-clients", type=int, default=4, help="board pollers during the rush")
    parser.add_argument("--read-interval", type=float, default=0.1, help="seconds between polls")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    parser.add_argument("--plot", metavar="PATH", help="write a PNG: throughput and p95 per second")
    parser.add_argument(
        "--profile", metavar="PATH", help="record the first server with py-spy (raw) to PATH"
    )
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.participants < args.sessions + 200:
        raise SystemExit("--participants must exceed --sessions by at least 200 (board readers)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    ensure_database(os.environ["DATABASE_URL"])
    data = setup_data(args.participants, args.questions, args.sessions)
    if not args.quiet:
        print(
            f"setup: {args.participants} participants + {data['results']} results in "
            f"{data['create_s']:.1f} s; leaderboards rebuilt in {data['rebuild_s']:.1f} s",
            flush=True,
        )
    from deploy.cluster import Cluster, free_port

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT))
    # The servers run as docs/deploy.md's production environment does (DEBUG=0: no query log on
    # every statement), on plain HTTP behind the cluster's nginx, as bench/live.py's do.
    env.update(DEBUG="0", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="0")
    cluster = Cluster(
        args.servers,
        free_port(),
        backend_ports=[free_port() for _n in range(args.servers)],
        env=env,
        stdout=subprocess.DEVNULL,  # Daphne's access log (still written, as by `make run`)
        workers=1,  # the round's close runs on a job worker (round_finalize)
    )
    profiler = None
    try:
        if args.profile:
            profiler = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(cluster.procs[0].pid),
                    "--format",
                    "raw",
                    "--rate",
                    "100",
                    "--nonblocking",
                    "--gil",
                    "--output",
                    args.profile,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        cpu0 = cpu_seconds(cluster.procs)
        result = asyncio.run(rush(args, data, cluster.port))
        cpu1 = cpu_seconds(cluster.procs)
        events = result.pop("_events")
        result.update(lost_answers(result.pop("_acked"), result.pop("_attempts")))
        result.update(asyncio.run(close_round(cluster.port, data["round"])))
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
        cluster.stop()
    doc = {
        "participants": args.participants,
        "sessions": args.sessions,
        "servers": args.servers,
        "questions": args.questions,
        "ramp_s": args.ramp,
        "think_s": args.think,
        "read_clients": args.read_clients,
        "board_rows": data["results"],
        **result,
        "server_cpu_s": [round(b - a, 1) for a, b in zip(cpu0, cpu1, strict=True)],
        "loadavg": list(os.getloadavg()),
        "setup_s": round(data["create_s"] + data["rebuild_s"], 1),
    }
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    if args.plot:
        plot(doc, events, Path(args.plot))
    if not args.quiet:
        print(table(doc))
    return 0


def plot(doc: dict, events: list[tuple[float, str, float]], path: Path) -> None:
    """Per second of the rush: requests answered (by kind) and their p95 latency (Pillow only)."""
    from PIL import Image, ImageDraw

    width, height, pad = 1200, 560, 70
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    colors = {"start": (40, 90, 200), "autosave": (11, 110, 79), "submit": (200, 60, 40)}
    seconds = int(max((e[0] for e in events), default=0)) + 1
    per: dict[str, list[list[float]]] = {k: [[] for _s in range(seconds)] for k in colors}
    for at, kind, ms in events:
        per[kind][int(at)].append(ms)
    panel_w = (width - 3 * pad) // 2
    panels = [
        ("requests answered per second", lambda v: len(v), "req/s"),
        ("p95 latency of the requests answered in that second", _p95, "ms"),
    ]
    for n, (title, measure, unit) in enumerate(panels):
        x0 = pad + n * (panel_w + pad)
        y0, y1 = pad, height - pad
        series = {k: [measure(v) if v else None for v in rows] for k, rows in per.items()}
        if n == 0:
            series["all"] = [sum(len(per[k][i]) for k in per) for i in range(seconds)]
        top = max((x for vals in series.values() for x in vals if x), default=1) or 1
        draw.rectangle([x0, y0, x0 + panel_w, y1], outline="black")
        draw.text(
            (x0, y0 - 45),
            f"{title}\n{doc['sessions']} sessions, {doc['servers']} processes, "
            f"{doc['participants']} participants",
            fill="black",
        )
        for frac in (0.25, 0.5, 0.75, 1.0):
            y = y1 - frac * (y1 - y0)
            draw.line([x0, y, x0 + panel_w, y], fill=(220, 220, 220))
            draw.text((x0 - 62, y - 6), f"{top * frac:.0f} {unit}", fill="black")
        for t in range(0, seconds + 1, max(1, seconds // 10)):
            x = x0 + t / seconds * panel_w
            draw.text((x - 6, y1 + 8), f"{t}s", fill="black")
        for k, (name, values) in enumerate(series.items()):
            pts = [
                (x0 + (i + 0.5) / seconds * panel_w, y1 - v / top * (y1 - y0))
                for i, v in enumerate(values)
                if v is not None
            ]
            color = colors.get(name, (0, 0, 0))
            if len(pts) > 1:
                draw.line(pts, fill=color, width=2)
            draw.text((x0 + 10, y0 + 10 + 16 * k), name, fill=color)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def table(doc: dict) -> str:
    lines = [
        f"{doc['sessions']} sessions x ({doc['questions']} autosaves + start + submit), "
        f"{doc['servers']} server process(es) behind nginx, {doc['participants']} participants",
        f"  requests: {doc['requests']} in {doc['wall_s']} s = {doc['requests_per_s']} req/s",
    ]
    for name in ("start", "autosave", "submit", "top100", "myrank"):
        d = doc[f"{name}_ms"]
        if d.get("n"):
            lines.append(
                f"  {name:9s} n={d['n']:6d}  p50 {d['p50']:7.1f}  p95 {d['p95']:7.1f}  "
                f"p99 {d['p99']:7.1f}  max {d['max']:7.1f} ms"
            )
    lines.append(
        f"  errors {doc['errors']}  lost answers {doc['lost_answers']}  "
        f"score mismatches {doc['score_mismatches']}  acked autosaves {doc['acked_autosaves']}"
    )
    if doc["error_samples"]:
        lines.append(f"  e.g. {doc['error_samples'][0]}")
    lines.append(
        f"  close: {doc['close_s']} s until the board is {doc['close_board']!r} (first read "
        f"{doc['close_first_read_ms']} ms, {doc['close_first_board']!r}); "
        f"server CPU s per process {doc['server_cpu_s']}; load {doc['loadavg']}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
