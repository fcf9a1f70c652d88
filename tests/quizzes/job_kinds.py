"""Job kinds used only by the tests (registered with kind_import or a worker's --import)."""

from __future__ import annotations

import threading

import redis
from django.conf import settings
from django.db import transaction

from quizzes.background import job_kind
from quizzes.models import Theme

RELEASE = threading.Event()  # the in-process blocking job waits on this


@job_kind("test_write", label="Test file")
def write_job(job, ctx):
    lines = job.params.get("lines", 3)
    with ctx.output("numbers.txt", "text/plain; charset=utf-8") as handle:
        for n in range(lines):
            handle.write(f"{n}\n".encode())
            ctx.progress(n + 1, lines)
    ctx.result = {"lines": lines}


@job_kind("test_hold", label="Test hold")
def hold_job(job, ctx):
    """Half the progress, then wait for the test, inside an open transaction."""
    with transaction.atomic():
        Theme.objects.create(slug=f"held-{job.pk}", name_vi="x", name_en="x")
        with ctx.output("held.txt", "text/plain") as handle:
            handle.write(b"first half\n")
            ctx.progress(1, 2, "half way")
            assert RELEASE.wait(30)
            handle.write(b"second half\n")


@job_kind("test_half_then_crash", label="Test crash")
def crash_job(job, ctx):
    with ctx.output("broken.csv", "text/csv") as handle:
        handle.write(b"a,b\n1,2\n")
        raise ValueError("disk on fire")


@job_kind("test_redis_blocker", label="Test blocker")
def redis_blocker_job(job, ctx):
    """For the worker-kill test: write half, tell the test (Redis list), wait to be released."""
    client = redis.from_url(settings.REDIS_URL)
    keys = job.params
    with ctx.output("export.csv", "text/csv; charset=utf-8") as handle:
        handle.write(b"".join(f"row {n}\n".encode() for n in range(500)))
        ctx.progress(1, 2, "half way")
        client.rpush(keys["started"], job.attempts)
        if client.blpop([keys["release"]], timeout=60) is None:
            raise TimeoutError("never released")
        handle.write(b"".join(f"row {n}\n".encode() for n in range(500, 1000)))
    client.incr(keys["finished"])


@job_kind("test_too_long", label="Test too long")
def too_long_job(job, ctx):
    from dramatiq.middleware.time_limit import TimeLimitExceeded

    with ctx.output("late.csv", "text/csv") as handle:
        handle.write(b"a,b\n")
        raise TimeLimitExceeded()  # what Dramatiq raises in the job's thread past its limit
