"""Starting, retrying and recovering jobs (writes). Running one attempt is runner.job_run."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from quizzes.background import registry, storage
from quizzes.models import Job

logger = logging.getLogger("citizenquiz.jobs")

MSG_QUEUED = gettext_lazy("Waiting for a worker…")
MSG_REQUEUED = gettext_lazy("The worker running this job stopped; the job will run again.")
MSG_WORKER_LOST = gettext_lazy(
    "The worker running this job stopped %(n)s times. Nothing was published; retry it when the "
    "cause is fixed."
)
MSG_UNKNOWN_KIND = gettext_lazy("Unknown kind of job.")
MSG_NOT_RETRYABLE = gettext_lazy("Only a failed or stalled job can be retried.")
MSG_QUEUE_DOWN = gettext_lazy("The job queue could not be reached. Please retry in a moment.")


def _report(job: Job, event: str, *, ran_here: bool = False) -> None:
    """Every job event leaves the framework here (queued, started, done, failed, requeued):
    the one call site for logs and metrics (docs/jobs.md, docs/operations.md). `ran_here`: the
    event ends an attempt that this process ran (its running gauge goes down)."""
    from core import metrics

    logger.info("job %s kind=%s event=%s attempts=%s", job.pk, job.kind, event, job.attempts)
    if event == "started":
        metrics.job_started(job.kind)
    elif ran_here and event in ("done", "failed"):
        seconds = (timezone.now() - job.started_at).total_seconds() if job.started_at else None
        metrics.job_finished(job.kind, "succeeded" if event == "done" else "failed", seconds)


def job_is_stale(job: Job, now=None) -> bool:
    """A running job whose heartbeat stopped: its worker is gone."""
    if job.status != Job.Status.RUNNING or job.heartbeat_at is None:
        return False
    now = now or timezone.now()
    return job.heartbeat_at < now - timedelta(seconds=settings.JOBS_STALE_SECONDS)


def _dispatch_after_commit(job: Job, delay_seconds: float = 0) -> None:
    from quizzes.background import backends

    def send() -> None:
        try:
            backends.dispatch(job.pk, delay_seconds)
        except Exception:  # noqa: BLE001 - the row must say so, not stay queued forever
            logger.exception("job %s could not be queued", job.pk)
            with translation.override(job.language):
                Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
                    status=Job.Status.FAILED,
                    error_code="queue_unavailable",
                    error=str(MSG_QUEUE_DOWN),
                    finished_at=timezone.now(),
                )
            _report(job, "failed")

    transaction.on_commit(send)


def job_enqueue(
    *,
    kind: str,
    owner,
    params: dict[str, Any] | None = None,
    input_bytes: bytes | None = None,
    input_suffix: str = "",
    delay_seconds: float = 0,
) -> Job:
    """Record a job and queue it once the caller's transaction commits (to start after
    `delay_seconds`, if given: it stays `queued` until then). `input_bytes` (an uploaded file) is
    kept under JOBS_ROOT for the worker, which may be another machine's process sharing the
    folder."""
    if registry.kind_get(kind) is None:
        raise ApplicationError("unknown_job_kind", MSG_UNKNOWN_KIND, {"kind": kind})
    job = Job.objects.create(
        kind=kind,
        owner=owner if getattr(owner, "pk", None) else None,
        params=params or {},
        language=(get_language() or settings.LANGUAGE_CODE)[:10],
        message=str(MSG_QUEUED),
        run_after=timezone.now() + timedelta(seconds=delay_seconds) if delay_seconds > 0 else None,
    )
    if input_bytes is not None:
        path = storage.folder("inputs") / f"{job.pk}-{uuid.uuid4().hex}{input_suffix[:10]}"
        path.write_bytes(input_bytes)
        job.input_path = storage.relative(path)
        job.save(update_fields=["input_path"])
    _report(job, "queued")
    _dispatch_after_commit(job, delay_seconds)
    return job


def job_retry(*, job: Job) -> Job:
    """Run a failed (or stalled) job again from the start; callers check who may."""
    if job.status != Job.Status.FAILED and not job_is_stale(job):
        raise ApplicationError("not_retryable", MSG_NOT_RETRYABLE, status=409)
    with translation.override(job.language):
        updated = Job.objects.filter(pk=job.pk, status=job.status, run_token=job.run_token).update(
            status=Job.Status.QUEUED,
            attempts=0,
            progress=0,
            message=str(MSG_QUEUED),
            error="",
            error_code="",
            finished_at=None,
        )
    if not updated:
        raise ApplicationError("not_retryable", MSG_NOT_RETRYABLE, status=409)
    job.refresh_from_db()
    _report(job, "retried")
    _dispatch_after_commit(job)
    return job


def jobs_waiting(now=None) -> list[tuple[int, float]]:
    """The queued jobs, each with the seconds until it is due (0: now)."""
    now = now or timezone.now()
    return [
        (pk, max(0.0, (run_after - now).total_seconds()) if run_after else 0.0)
        for pk, run_after in Job.objects.filter(status=Job.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", "run_after")
    ]


def jobs_reap_stale() -> int:
    """Jobs whose worker died (no heartbeat for JOBS_STALE_SECONDS) run again, or fail after
    JOBS_MAX_ATTEMPTS. Workers call this periodically; several may at once (each row is
    taken by one conditional update). Returns how many jobs were requeued or failed."""
    now = timezone.now()
    before = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    handled = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=before):
        same = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, run_token=job.run_token)
        with translation.override(job.language):
            if job.attempts >= settings.JOBS_MAX_ATTEMPTS:
                changed = same.update(
                    status=Job.Status.FAILED,
                    error_code="worker_lost",
                    error=_(MSG_WORKER_LOST) % {"n": job.attempts},
                    finished_at=now,
                )
                event = "failed"
            else:
                changed = same.update(status=Job.Status.QUEUED, message=str(MSG_REQUEUED))
                event = "requeued"
        if changed:
            handled += 1
            _report(job, event)
            if event == "requeued":
                _dispatch_after_commit(job)
    return handled
