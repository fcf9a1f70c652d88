"""A background job worker: runs queued jobs from Redis (Dramatiq) in a few threads, and puts
jobs whose worker died back in the queue. `make worker` runs one; `make run-cluster` several."""

from __future__ import annotations

import os
import signal
import socket
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from core.heap import freeze_startup_heap

WORKER_TIMEOUT_MS = 100  # see handle()


class Command(BaseCommand):
    help = "Run background jobs (needs REDIS_URL; see docs/jobs.md)."

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=settings.JOBS_THREADS)
        parser.add_argument(
            "--import",
            dest="modules",
            action="append",
            default=[],
            help="also register the job kinds of this module (besides every app's jobs.py)",
        )
        parser.add_argument("--reap-seconds", type=float, default=None)

    def handle(self, *args, threads: int, modules: list[str], reap_seconds, **options):
        if settings.JOBS_BACKEND != "dramatiq":
            raise CommandError("jobs_worker needs REDIS_URL (JOBS_BACKEND=dramatiq).")
        import dramatiq

        from quizzes.background import backends, registry
        from quizzes.background.services import jobs_reap_stale

        for module in modules:
            registry.kind_import(module)
        registry.kind_names()  # import every app's jobs.py before the first message
        freeze_startup_heap()  # as a server does (config/serve.py tune_gc): jobs build big heaps
        broker = backends.broker()
        # An idle consumer wakes every worker_timeout ms, and only then moves a delayed message
        # whose time has come to its queue: Dramatiq's default (1 s) started a round's close up
        # to a second after closed_at. 100 ms: ten cheap Redis polls a second per queue.
        worker = dramatiq.Worker(
            broker,
            queues={backends.QUEUE_NAME},
            worker_threads=threads,
            worker_timeout=WORKER_TIMEOUT_MS,
        )
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        worker.start()
        self.stdout.write(f"jobs worker ready: {threads} threads, kinds {registry.kind_names()}")
        self.stdout.flush()
        interval = reap_seconds or max(1.0, settings.JOBS_STALE_SECONDS / 3)
        name = f"{socket.gethostname()}:{os.getpid()}"
        try:
            while True:
                try:
                    backends.worker_heartbeat(name)
                    jobs_reap_stale()
                finally:
                    connections.close_all()
                if stopping.wait(interval):
                    break
        finally:
            worker.stop(timeout=10_000)
