"""Running one job attempt: claim the row, keep its heartbeat and progress fresh from a writer
thread, call the kind's function, and publish the result only when it is whole."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from dramatiq.middleware.time_limit import TimeLimitExceeded

from core.errors import ApplicationError
from quizzes.background import registry, storage
from quizzes.background.progress import Progress, percent_of
from quizzes.background.services import _report
from quizzes.models import Job

logger = logging.getLogger("citizenquiz.jobs")

MSG_CRASHED = gettext_lazy(
    "The job stopped on an unexpected error. Nothing was published; you can retry it."
)
MSG_UNKNOWN_KIND = gettext_lazy("This kind of job is not known to this server.")
MSG_TIME_LIMIT = gettext_lazy(
    "The job took longer than its time limit and was stopped. Nothing was published."
)
MSG_DONE = gettext_lazy("Done.")
MSG_STARTED = gettext_lazy("Started.")


class JobContext:
    """What a job function gets besides its job row: progress, its input, and one output file."""

    def __init__(self, job: Job, token: str) -> None:
        self.job = job
        self.token = token
        self.progress_state = Progress()
        self.result: dict[str, Any] = {}
        self.done_message = ""
        self._output: tuple[Path, str, str] | None = None

    def progress(self, done: int, total: int, message: str | None = None, start=0, end=100):
        """The job's callback: `done` of `total`, shown as the slice start..end of the bar.
        Cheap to call per row: only memory changes; the writer thread stores it, throttled."""
        self.progress_state.set(percent_of(done, total, start, end), message)

    def step(self, percent: int, message: str) -> None:
        self.progress_state.set(percent, message)

    def input_bytes(self) -> bytes:
        return storage.absolute(self.job.input_path).read_bytes()

    @contextmanager
    def output(self, filename: str, content_type: str):
        """A binary file to write the result into. It is a temporary file until the job function
        returns; only then is it renamed into place and offered for download."""
        path = storage.folder("tmp") / f"{self.job.pk}-{self.token}.part"
        with open(path, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        self._output = (path, filename, content_type)


class _Writer(threading.Thread):
    """Writes heartbeat and progress on its own connection: visible to the job page even while
    the job function holds a long transaction, and at most once per interval."""

    def __init__(self, job_id: int, token: str, progress: Progress) -> None:
        super().__init__(name=f"job-{job_id}-writer", daemon=True)
        self.job_id, self.token, self.progress = job_id, token, progress
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = min(settings.JOBS_PROGRESS_INTERVAL_SECONDS, settings.JOBS_HEARTBEAT_SECONDS)
        last_beat = 0.0
        try:
            while not self.stopping.wait(interval):
                change = self.progress.take()
                now = timezone.now()
                if change is None and now.timestamp() - last_beat < settings.JOBS_HEARTBEAT_SECONDS:
                    continue
                fields: dict[str, Any] = {"heartbeat_at": now}
                if change is not None:
                    fields["progress"], fields["message"] = change
                try:
                    Job.objects.filter(
                        pk=self.job_id, run_token=self.token, status=Job.Status.RUNNING
                    ).update(**fields)
                    last_beat = now.timestamp()
                except Exception:  # noqa: BLE001 - a busy database must not stop the job
                    logger.warning("job %s: heartbeat not written", self.job_id, exc_info=True)
        finally:
            connections.close_all()


def _claim(job_id: int) -> tuple[Job, str] | None:
    """Take a queued job for this attempt, or None when it is done, failed or already running."""
    token = str(uuid.uuid4())
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        attempts=F("attempts") + 1,
        run_token=token,
        started_at=now,
        heartbeat_at=now,
        progress=0,
        error="",
        error_code="",
    )
    if not claimed:
        return None
    return Job.objects.select_related("owner").get(pk=job_id), token


def _settle(job: Job, token: str, **fields) -> bool:
    """Write the attempt's outcome, unless another attempt owns the job by now."""
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job.pk, run_token=token, status=Job.Status.RUNNING).update(
            finished_at=now, heartbeat_at=now, **fields
        )
    )


def job_run(job_id: int) -> None:
    """Run one attempt of a job (worker thread or process). Safe to call twice for one job:
    only the caller that claims the row runs it."""
    claimed = _claim(job_id)
    if claimed is None:
        return
    job, token = claimed
    for stale in storage.temp_files(job.pk):  # partial files of earlier, killed attempts
        stale.unlink(missing_ok=True)
    ctx = JobContext(job, token)
    writer = _Writer(job.pk, token, ctx.progress_state)
    writer.start()
    _report(job, "started")
    try:
        with translation.override(job.language):
            ctx.step(0, str(MSG_STARTED))
            _attempt(job, token, ctx)
    finally:
        writer.stopping.set()
        writer.join()
        # Our own partial file, if the attempt failed before publishing it.
        (storage.folder("tmp") / f"{job.pk}-{token}.part").unlink(missing_ok=True)


def _attempt(job: Job, token: str, ctx: JobContext) -> None:
    kind = registry.kind_get(job.kind)
    try:
        if kind is None:
            raise ApplicationError("unknown_job_kind", MSG_UNKNOWN_KIND)
        kind.run(job, ctx)
    except ApplicationError as error:
        if _settle(
            job, token, status=Job.Status.FAILED, error_code=error.code, error=error.message
        ):
            _report(job, "failed", ran_here=True)
        return
    except Exception:  # noqa: BLE001 - any bug becomes a failed job with a clear message
        logger.exception("job %s (%s) crashed", job.pk, job.kind)
        if _settle(
            job, token, status=Job.Status.FAILED, error_code="crashed", error=str(MSG_CRASHED)
        ):
            _report(job, "failed", ran_here=True)
        return
    except TimeLimitExceeded:
        # Dramatiq stops an attempt past JOBS_TIME_LIMIT_SECONDS with an exception raised in
        # its thread (not an Exception): say so instead of letting it look like a lost worker.
        if _settle(
            job, token, status=Job.Status.FAILED, error_code="time_limit", error=str(MSG_TIME_LIMIT)
        ):
            _report(job, "failed", ran_here=True)
        return
    result_fields: dict[str, Any] = {}
    final: Path | None = None
    if ctx._output is not None:
        temp, filename, content_type = ctx._output
        final = storage.folder("results") / f"{job.pk}-{token}{Path(filename).suffix}"
        os.replace(temp, final)  # atomic: the result file exists whole or not at all
        result_fields = {
            "result_path": storage.relative(final),
            "result_name": filename,
            "result_type": content_type,
        }
    done = _settle(
        job,
        token,
        status=Job.Status.DONE,
        progress=100,
        message=(ctx.done_message or str(MSG_DONE))[:300],
        result=ctx.result,
        **result_fields,
    )
    if not done:
        if final is not None:
            final.unlink(missing_ok=True)  # a newer attempt owns the job: offer nothing of ours
        return
    if job.input_path:
        storage.absolute(job.input_path).unlink(missing_ok=True)
    _report(job, "done", ran_here=True)
