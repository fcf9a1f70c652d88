"""Reading jobs: who may see one, and its public shape for the job page and the API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError, NotFoundError
from quizzes.background import registry, storage
from quizzes.background.services import job_is_stale
from quizzes.models import Job

MSG_NOT_FOUND = gettext_lazy("Not found.")
MSG_NOT_READY = gettext_lazy("This job has no result to download yet.")


def can_see_job(user, job: Job) -> bool:
    """Its owner, or site staff."""
    if not getattr(user, "is_authenticated", False):
        return False
    return job.owner_id == user.pk or user.is_staff or user.is_superuser


def job_get_for_user(*, job_id: int, user) -> Job:
    """The job, or the same 404 whether it does not exist or belongs to someone else."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or not can_see_job(user, job):
        raise NotFoundError("not_found", MSG_NOT_FOUND)
    return job


def job_result_file(*, job: Job):
    """The finished result's path: only a done job with a published (whole) file has one."""
    if job.status != Job.Status.DONE or not job.result_path:
        raise ApplicationError("not_ready", MSG_NOT_READY, status=409)
    path = storage.absolute(job.result_path)
    if not path.exists():
        raise NotFoundError("not_found", MSG_NOT_FOUND)
    return path


def job_public(job: Job) -> dict[str, Any]:
    kind = registry.kind_get(job.kind)
    stalled = job_is_stale(job)
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": str(kind.label) if kind else job.kind,
        "status": job.status,
        "status_label": str(Job.Status(job.status).label),
        "stalled": stalled,
        "progress": job.progress,
        "message": job.message,
        "error_code": job.error_code,
        "error": job.error,
        "attempts": job.attempts,
        "result": job.result,
        "result_name": job.result_name if job.result_path else "",
        "result_url": (
            reverse("job-result", args=[job.pk])
            if job.status == Job.Status.DONE and job.result_path
            else None
        ),
        "retryable": job.status == Job.Status.FAILED or stalled,
        "page_url": reverse("job-page", args=[job.pk]),
        "api_url": reverse("job-detail", args=[job.pk]),
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
