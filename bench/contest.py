"""Contest benchmark: 100,000 registered participants, 50 concurrent attempt sessions over HTTP
against a real server process, leaderboard reads at that size. Prints figures; asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cq_contest_bench \
    REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python bench/contest.py

The database is created if missing and the bench contest is rebuilt on every run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cq_contest_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("CHANNEL_PREFIX", "cqbench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "ERROR")

SLUG = "bench-contest"


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_data(participants: int, questions: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from contest import boards
    from contest.models import Contest, Participant, Round, RoundResult
    from contest.services.registration import participant_token
    from quizzes.models import Choice, Question, Quiz, QuizItem, Unit

    Contest.objects.filter(slug=SLUG).delete()
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
    # Everyone but the live sessions already has a result, so the boards are full size.
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
        for k, pid in enumerate(pids[1000:])
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
    tokens = [participant_token(Participant(pk=pid, contest_id=contest.pk)) for pid in pids[:1000]]
    ranked_tokens = [
        participant_token(Participant(pk=pid, contest_id=contest.pk)) for pid in pids[1000:1200]
    ]
    return {
        "round": round_.pk,
        "tokens": tokens,
        "ranked_tokens": ranked_tokens,
        "create_s": created,
        "rebuild_s": rebuild,
        "results": len(results),
    }


class Client(threading.local):
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def request(client, method, path, token=None, body=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["X-Participant-Token"] = token
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    for attempt in range(2):
        try:
            client.conn.request(method, path, body=data, headers=headers)
            response = client.conn.getresponse()
            payload = response.read()
            break
        except (http.client.HTTPException, OSError):
            client.conn.close()
            if attempt:
                raise
    elapsed = (time.perf_counter() - start) * 1000
    return response.status, payload, elapsed


def p95(values):
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=50, help="concurrent attempt sessions")
    parser.add_argument("--attempts", type=int, default=200, help="attempts in total")
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument(
        "--read-clients", type=int, default=4, help="concurrent leaderboard readers"
    )
    parser.add_argument(
        "--server",
        choices=("daphne", "uvicorn"),
        default="daphne",
        help="daphne: the product's server (as `make run` starts it); uvicorn: for comparison",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--profile", metavar="PATH", help="record the server with py-spy (raw format) to PATH"
    )
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    data = setup_data(args.participants, args.questions)
    print(
        f"setup: {args.participants} participants + {data['results']} results in {data['create_s']:.1f} s; "
        f"leaderboards rebuilt in {data['rebuild_s']:.1f} s"
    )

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    if args.server == "daphne":
        # The product's server, started as `make run` starts it.
        command = [
            str(Path(sys.executable).with_name("daphne")),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL,  # Daphne's access log (still written, as by `make run`)
    )
    profiler = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        if args.profile:
            # Sample the server (all threads) during the whole measured run.
            profiler = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "100",
                    "--nonblocking",  # pausing 50 threads per sample stalls the server
                    "--gil",  # only the thread holding the GIL: where the CPU time goes
                    "--output",
                    args.profile,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        run(args, data, port)
    finally:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)
        server.terminate()
        server.wait(timeout=15)


def run(args, data, port) -> None:
    client = Client(port)
    round_id = data["round"]
    timings = {"autosave": [], "submit": [], "start": [], "top100": [], "myrank": []}
    errors = []
    lock = threading.Lock()

    def session(token):
        status, payload, ms = request(
            client, "POST", f"/api/rounds/{round_id}/attempts/", token, {}
        )
        if status != 201:
            errors.append((status, payload[:200]))
            return
        state = json.loads(payload)
        local = {"autosave": [], "submit": [], "start": [ms]}
        for q in state["questions"]:
            choice = random.choice(q["choices"])["id"]
            status, payload, ms = request(
                client,
                "POST",
                f"/api/attempts/{state['id']}/answers/",
                token,
                {"answers": [{"question": q["id"], "response": {"choice": choice}}]},
            )
            if status != 200:
                errors.append((status, payload[:200]))
            local["autosave"].append(ms)
        status, payload, ms = request(
            client, "POST", f"/api/attempts/{state['id']}/submit/", token, {"prediction": 42}
        )
        if status != 200:
            errors.append((status, payload[:200]))
        local["submit"].append(ms)
        with lock:
            for k, v in local.items():
                timings[k].extend(v)

    tokens = data["tokens"][: args.attempts]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.sessions) as pool:
        list(pool.map(session, tokens))
    wall = time.perf_counter() - t0
    requests_done = sum(len(timings[k]) for k in ("autosave", "submit", "start"))

    def reads(token):
        status, _p, ms = request(client, "GET", f"/api/rounds/{round_id}/leaderboard/?n=100")
        with lock:
            timings["top100"].append(ms)
        status, payload, ms = request(
            client, "GET", f"/api/rounds/{round_id}/leaderboard/me/", token
        )
        if status != 200 or not json.loads(payload)["me"]:
            errors.append((status, payload[:200]))
        with lock:
            timings["myrank"].append(ms)

    # Leaderboard reads after the attempt load, by a few concurrent readers (a ceremony screen
    # and participants checking their rank): the latency of a read, not of a queue.
    with ThreadPoolExecutor(max_workers=args.read_clients) as pool:
        list(pool.map(reads, data["ranked_tokens"] * 2))

    print(
        f"{len(tokens)} attempts by {args.sessions} concurrent sessions, {args.questions} questions each, "
        f"{args.server}{f' x{args.workers}' if args.server == 'uvicorn' else ''}: {requests_done} requests in {wall:.1f} s = {requests_done / wall:.0f} req/s"
    )
    print(
        f"  (top100 and myrank: {args.read_clients} concurrent readers, board of {data['results']} rows)"
    )
    for name in ("start", "autosave", "submit", "top100", "myrank"):
        values = timings[name]
        if values:
            print(
                f"  {name:9s} n={len(values):5d}  median {statistics.median(values):6.1f} ms  p95 {p95(values):6.1f} ms"
            )
    print(
        f"  autosave throughput: {len(timings['autosave']) / wall:.0f} req/s; submit: {len(timings['submit']) / wall:.1f} req/s"
    )
    print(f"  errors: {len(errors)}" + (f" e.g. {errors[0]}" if errors else ""))
    close_round(port, round_id, data["ranked_tokens"][0])


def close_round(port, round_id, token) -> None:
    """Close the round and time the first board read: it computes the final ranks of every
    result and rebuilds the boards (once), then reads of the final board."""
    from django.utils import timezone

    from contest.models import Round

    round_ = Round.objects.get(pk=round_id)
    round_.closes_at = timezone.now()
    round_.save(update_fields=["closes_at"])  # every server process hears of it (apps.py)
    client = Client(port)
    client.conn.timeout = 300
    status, payload, first = request(client, "GET", f"/api/rounds/{round_id}/leaderboard/?n=100")
    board = json.loads(payload)["board"] if status == 200 else status
    top, mine = [], []
    for _ in range(50):
        top.append(request(client, "GET", f"/api/rounds/{round_id}/leaderboard/?n=100")[2])
        mine.append(request(client, "GET", f"/api/rounds/{round_id}/leaderboard/me/", token)[2])
    print(
        f"round closed: first read (final ranks + boards rebuilt) {first / 1000:.1f} s, board {board!r}; "
        f"then one reader: top100 median {statistics.median(top):.1f} ms, "
        f"myrank median {statistics.median(mine):.1f} ms"
    )


if __name__ == "__main__":
    main()
