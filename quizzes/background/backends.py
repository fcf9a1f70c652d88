"""How a queued job reaches a worker: Dramatiq on Redis (worker processes, `make worker`), or a
thread pool inside the web process (the embedded default, nothing to install or start)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import connections

logger = logging.getLogger("citizenquiz.jobs")

_executor: ThreadPoolExecutor | None = None
_futures: dict[int, Future] = {}
_brokers: dict[tuple[str, str], object] = {}
_lock = threading.Lock()

ACTOR_NAME = "citizenquiz_job"
QUEUE_NAME = "jobs"


def _run(job_id: int) -> None:
    from quizzes.background.runner import job_run

    try:
        job_run(job_id)
    finally:
        connections.close_all()  # this thread's connections: back to the pool


def _thread_pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.JOBS_THREADS, thread_name_prefix="job"
            )
            # This process just started: jobs that a previous one left running get their turn.
            _executor.submit(_reap)
    return _executor


def _reap() -> None:
    from quizzes.background.services import jobs_reap_stale

    try:
        jobs_reap_stale()
    finally:
        connections.close_all()


def server_started() -> threading.Timer | None:
    """A web server process started. The embedded queue is the server's memory: the jobs a
    stopped server had queued (an import not started yet) or held for later (a round's close, due
    at its time: Job.run_after) are sent again, each for when it is due, and the jobs it left
    running are reaped now and once more when their heartbeat is surely stale. Several servers
    sending one job is harmless: only the one that claims the row runs it. With Dramatiq the
    queue is Redis' and outlives servers: nothing to do."""
    if settings.JOBS_BACKEND == "dramatiq":
        return None
    from quizzes.background.services import jobs_waiting

    try:
        waiting = jobs_waiting()
    finally:
        connections.close_all()  # this thread's connections: back to the pool
    pool = _thread_pool()
    pool.submit(_reap)
    for job_id, delay_seconds in waiting:
        dispatch(job_id, delay_seconds)
    again = threading.Timer(settings.JOBS_STALE_SECONDS + 1, pool.submit, args=(_reap,))
    again.daemon = True
    again.start()
    return again


def broker():
    """The Dramatiq Redis broker and its one actor (built once per REDIS_URL and prefix)."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    key = (settings.REDIS_URL, settings.CHANNEL_PREFIX)
    with _lock:
        if key not in _brokers:
            redis_broker = RedisBroker(
                url=settings.REDIS_URL,
                namespace=f"{settings.CHANNEL_PREFIX}-jobs",
                # Messages held by a dead worker go back to the queue after this long.
                heartbeat_timeout=int(settings.JOBS_STALE_SECONDS * 1000),
            )
            dramatiq.actor(
                _run,
                actor_name=ACTOR_NAME,
                queue_name=QUEUE_NAME,
                broker=redis_broker,
                max_retries=0,  # retries are the job row's business (runner, reaper)
                time_limit=settings.JOBS_TIME_LIMIT_SECONDS * 1000,
            )
            _brokers[key] = redis_broker
        return _brokers[key]


def dispatch(job_id: int, delay_seconds: float = 0) -> None:
    """Hand a job to whoever runs jobs here, to start at once or after `delay_seconds` (Dramatiq's
    delay queue; a timer thread in the embedded mode, lost with the process: callers of delayed
    jobs keep a safety net, see contest.services.rounds.round_close_ensure)."""
    if settings.JOBS_BACKEND == "dramatiq":
        actor = broker().get_actor(ACTOR_NAME)
        if delay_seconds > 0:
            actor.send_with_options(args=(job_id,), delay=int(delay_seconds * 1000))
        else:
            actor.send(job_id)
    elif delay_seconds > 0:
        timer = threading.Timer(delay_seconds, dispatch, args=(job_id,))
        timer.daemon = True
        timer.start()
    else:
        if len(_futures) > 1000:
            _futures.pop(next(iter(_futures)))
        _futures[job_id] = _thread_pool().submit(_run, job_id)


def wait_local(job_id: int, timeout: float) -> None:
    """Wait for a job dispatched to this process's threads (tests and management commands)."""
    future = _futures.get(job_id)
    if future is not None:
        future.result(timeout=timeout)


def _workers_key() -> str:
    return f"{settings.CHANNEL_PREFIX}-jobs:workers"


def worker_heartbeat(name: str) -> None:
    """A worker process says it is alive (jobs_worker, every few seconds): /readyz reads it."""
    import time

    import redis

    try:
        client = redis.from_url(settings.REDIS_URL, socket_timeout=2)
        now = time.time()
        client.zadd(_workers_key(), {name: now})
        client.zremrangebyscore(_workers_key(), 0, now - 10 * settings.JOBS_STALE_SECONDS)
    except redis.RedisError as exc:  # Redis away: /readyz says so; the worker keeps going
        logger.warning("worker heartbeat not written: %s", exc)


def workers_ready() -> str:
    """/readyz's workers check (settings.READYZ_WORKERS_CHECK): "ok" when a worker reported in
    the last JOBS_STALE_SECONDS (or jobs run in the server's own threads); raises otherwise."""
    if settings.JOBS_BACKEND != "dramatiq":
        return "ok (in-process)"
    import time

    import redis

    client = redis.from_url(settings.REDIS_URL, socket_timeout=2)
    alive = client.zcount(_workers_key(), time.time() - settings.JOBS_STALE_SECONDS, "+inf")
    if not alive:
        raise RuntimeError("no job worker reported in the last %s s" % settings.JOBS_STALE_SECONDS)
    return f"ok ({alive})"
