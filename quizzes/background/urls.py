"""REST routes of background jobs (mounted under /api/)."""

from __future__ import annotations

from django.urls import path

from quizzes.background.apis import JobDetailApi, JobResultApi, JobRetryApi

urlpatterns = [
    path("jobs/<int:job_id>/", JobDetailApi.as_view(), name="job-detail"),
    path("jobs/<int:job_id>/result", JobResultApi.as_view(), name="job-result"),
    path("jobs/<int:job_id>/retry/", JobRetryApi.as_view(), name="job-retry"),
]
