"""Background jobs: long work (imports, exports, recomputes, certificate batches) run outside the
request, with progress, a downloadable result and retries. See docs/jobs.md.

An app adds a kind of job in its own `<app>/jobs.py` with `@job_kind(...)`; callers start one
with `job_enqueue(kind=..., owner=..., params=...)`.
"""

from __future__ import annotations

from quizzes.background.registry import job_kind
from quizzes.background.runner import JobContext
from quizzes.background.services import job_enqueue, job_retry

__all__ = ["JobContext", "job_enqueue", "job_kind", "job_retry"]
