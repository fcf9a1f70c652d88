"""Prometheus metrics: what an operator watches during a ceremony (docs/operations.md).

The hot path only counts and observes (prometheus_client's own lock, no I/O): an answer
acknowledged, a frame fanned out, a socket opened. What needs a query (live games) is read when
/metrics is scraped.

Several server processes (`make run-cluster`): with PROMETHEUS_MULTIPROC_DIR set before the
process starts, every process writes its values to files in that folder and any process's /metrics
reports the whole cluster (counters summed, socket gauges summed over live processes). Without it
(`make run`, tests) /metrics reports this process, plus Python's process and GC metrics.

The job queue feeds the `cq_jobs_*` family through job_started / job_finished / jobs_queued.
"""

from __future__ import annotations

import atexit
import glob
import hmac
import ipaddress
import logging
import os
import time

from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

logger = logging.getLogger(__name__)
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# Seconds. The live targets are an ack p99 under 250 ms and a broadcast p99 under 300 ms.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

JOINS = Counter("cq_joins", "Players who joined a live game (first arrival in its lobby).")
SOCKETS = Gauge(
    "cq_sockets",
    "Connected live-game sockets, by role (after their hello).",
    ["role"],
    multiprocess_mode="livesum",
)
ANSWERS_STORED = Counter("cq_answers_stored", "Live answers stored (new rows in PostgreSQL).")
ANSWERS_REFUSED = Counter(
    "cq_answers_refused", "Live answers refused, by error code (late, busy...).", ["reason"]
)
ANSWER_ACK = Histogram(
    "cq_answer_ack_seconds",
    "Server side: an answer frame received until its ack is written.",
    buckets=LATENCY_BUCKETS,
)
BROADCAST = Histogram(
    "cq_broadcast_seconds",
    "Fan-out of one live frame to this process's sockets of a game.",
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "cq_requests",
    "HTTP requests by route (URL pattern name), method and status; via django or fastpath.",
    ["route", "method", "status", "via"],
)
REQUEST_SECONDS = Histogram(
    "cq_request_seconds",
    "HTTP request latency by route (URL pattern name).",
    ["route", "via"],
    buckets=LATENCY_BUCKETS,
)
JOBS_STARTED = Counter("cq_jobs_started", "Background jobs started, by kind.", ["kind"])
JOBS_FINISHED = Counter(
    "cq_jobs_finished", "Background jobs finished, by kind and outcome.", ["kind", "outcome"]
)
JOBS_RUNNING = Gauge(
    "cq_jobs_running",
    "Background jobs running now, by kind.",
    ["kind"],
    multiprocess_mode="livesum",
)
JOBS_QUEUED = Gauge(
    "cq_jobs_queued",
    "Background jobs waiting in the queue, by kind (as last reported).",
    ["kind"],
    multiprocess_mode="mostrecent",
)
JOB_SECONDS = Histogram(
    "cq_job_seconds", "Background job duration, by kind.", ["kind"], buckets=JOB_BUCKETS
)

UNMATCHED = "unmatched"


# --- the live path (single calls from realtime/) ---------------------------------------------


def player_joined() -> None:
    JOINS.inc()


def socket_opened(sock, role: str) -> None:
    """A socket said hello as `role` (a second hello on the same socket moves it)."""
    old = getattr(sock, "metrics_role", None)
    if old == role:
        return
    if old is not None:
        SOCKETS.labels(old).dec()
    SOCKETS.labels(role).inc()
    sock.metrics_role = role


def socket_closed(sock) -> None:
    """A socket left its game (closed, replaced, kicked); counted once however often called."""
    role = getattr(sock, "metrics_role", None)
    if role is not None:
        sock.metrics_role = None
        SOCKETS.labels(role).dec()


def answers_stored(n: int) -> None:
    if n:
        ANSWERS_STORED.inc(n)


def answer_replied(frame: dict, received: float) -> None:
    """The reply to one answer frame went out: an ack (latency observed) or a refusal."""
    if frame.get("type") == "error":
        ANSWERS_REFUSED.labels(str(frame.get("code"))).inc()
    else:
        ANSWER_ACK.observe(time.perf_counter() - received)


def broadcast_done(started: float) -> None:
    BROADCAST.observe(time.perf_counter() - started)


def request_done(route: str, method: str, status: int, started: float, via: str) -> None:
    REQUESTS.labels(route, method, str(status), via).inc()
    REQUEST_SECONDS.labels(route, via).observe(time.perf_counter() - started)


# --- background jobs (fed by the job queue) ---------------------------------------------------


def job_started(kind: str) -> None:
    JOBS_STARTED.labels(kind).inc()
    JOBS_RUNNING.labels(kind).inc()


def job_finished(kind: str, outcome: str, seconds: float | None = None) -> None:
    """outcome: "succeeded", "failed", "retried", "cancelled"... (a small fixed set)."""
    JOBS_FINISHED.labels(kind, outcome).inc()
    JOBS_RUNNING.labels(kind).dec()
    if seconds is not None:
        JOB_SECONDS.labels(kind).observe(seconds)


def jobs_queued(kind: str, count: int) -> None:
    JOBS_QUEUED.labels(kind).set(count)


# --- HTTP -------------------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Counts every request by its URL pattern name (never the raw path) and times it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        request_done(_route(request), request.method, response.status_code, started, "django")
        return response


def _route(request) -> str:
    """The URL pattern's name; resolved here when a middleware answered first (a 429 join)."""
    from django.urls import Resolver404, resolve

    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    return match.view_name or UNMATCHED


# --- scraping ---------------------------------------------------------------------------------


# Scrape-time collectors an app adds from its ready() (realtime: cq_live_games, read from the
# database): core knows no app, the app knows what to count.
SCRAPE_COLLECTORS: list = []


def register_scrape_collector(collector) -> None:
    """Add a prometheus collector read at each /metrics scrape (once per collector type)."""
    if not any(type(c) is type(collector) for c in SCRAPE_COLLECTORS):
        SCRAPE_COLLECTORS.append(collector)


class _ThisProcess:
    """The default registry (this process's metrics, Python's process and GC collectors)."""

    def describe(self):
        return []

    def collect(self):
        return REGISTRY.collect()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead_processes(directory: str) -> None:
    """Live gauges (sockets, running jobs) of a process that died without saying so."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        try:
            pid = int(os.path.basename(path).rsplit("_", 1)[1].split(".")[0])
        except ValueError:
            continue
        if not _pid_alive(pid):
            multiprocess.mark_process_dead(pid, directory)


def render() -> bytes:
    """The Prometheus text exposition of this process, or of the cluster (multiprocess mode)."""
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        _forget_dead_processes(MULTIPROC_DIR)
        multiprocess.MultiProcessCollector(registry, MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    for collector in SCRAPE_COLLECTORS:
        registry.register(collector)
    return generate_latest(registry)


if MULTIPROC_DIR:
    atexit.register(multiprocess.mark_process_dead, os.getpid(), MULTIPROC_DIR)


# --- access -----------------------------------------------------------------------------------


def _networks(spec: str) -> list:
    networks = []
    for item in spec.split(","):
        item = item.strip()
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return networks


def access(request) -> int:
    """200 when the scrape may read the metrics, 403 for a wrong token, 404 otherwise.

    A Bearer token (METRICS_TOKEN) always works; without one, the client address must be in
    METRICS_ALLOW_CIDRS (loopback by default). A request that came through a proxy
    (X-Forwarded-For) while no proxy is trusted (TRUSTED_PROXY_COUNT=0) is not internal: behind
    nginx on the same machine every public request would otherwise come from 127.0.0.1.
    """
    from django.conf import settings

    from core.ratelimit import client_address

    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _sep, given = header.partition(" ")
        given_bytes = given.strip().encode("utf-8", "surrogateescape")
        if (
            token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(given_bytes, token.encode())
        ):
            return 200
        return 403
    meta = request.META
    if not int(settings.TRUSTED_PROXY_COUNT or 0) and meta.get("HTTP_X_FORWARDED_FOR"):
        return 404
    try:
        address = ipaddress.ip_address(client_address(meta))
    except ValueError:
        return 404
    if any(address in network for network in _networks(settings.METRICS_ALLOW_CIDRS)):
        return 200
    return 404


@never_cache
def metrics_view(request):
    """GET /metrics: Prometheus text format, for a token holder or an internal address."""
    from django.http import Http404, HttpResponse, JsonResponse
    from django.utils.translation import gettext as _

    from core.errors import error_body

    allowed = access(request)
    if allowed == 404:
        raise Http404
    if allowed == 403:
        return JsonResponse(
            error_body("permission_denied", _("You do not have permission to do this.")),
            status=403,
        )
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
