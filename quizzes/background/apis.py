"""Job endpoints: state (polled by the job page), the finished file, and retry."""

from __future__ import annotations

from django.http import FileResponse
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from quizzes.background.selectors import job_get_for_user, job_public, job_result_file
from quizzes.background.services import job_retry


class JobDetailApi(APIView):
    """A job's status, progress, message, error and result link (owner or staff only)."""

    permission_classes = [IsAuthenticated]

    def get(self, request, job_id: int):
        return Response(job_public(job_get_for_user(job_id=job_id, user=request.user)))


class JobResultApi(APIView):
    """Download a finished job's file; 409 while it is not finished (never a partial file)."""

    permission_classes = [IsAuthenticated]

    def get(self, request, job_id: int):
        job = job_get_for_user(job_id=job_id, user=request.user)
        path = job_result_file(job=job)
        return FileResponse(
            open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
            as_attachment=True,
            filename=job.result_name,
            content_type=job.result_type or "application/octet-stream",
        )


class JobRetryApi(APIView):
    """Run a failed or stalled job again."""

    permission_classes = [IsAuthenticated]

    def post(self, request, job_id: int):
        job = job_retry(job=job_get_for_user(job_id=job_id, user=request.user))
        return Response(job_public(job), status=202)
