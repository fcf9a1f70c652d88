"""Background job helpers shared by the job tests: run jobs in this process's threads, in a
temporary JOBS_ROOT, and wait for one. Import the fixture into a test module to use it."""

from __future__ import annotations

import time

import pytest

from quizzes.background import backends
from quizzes.background.registry import kind_import
from quizzes.models import Job

kind_import("tests.quizzes.job_kinds")  # the test kinds (blocking, failing...)


@pytest.fixture
def jobs_in_threads(settings, tmp_path):
    """The embedded backend (what `make run` uses), fast heartbeats, files in a temp folder."""
    settings.JOBS_BACKEND = "thread"
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_HEARTBEAT_SECONDS = 0.2
    settings.JOBS_PROGRESS_INTERVAL_SECONDS = 0.05
    return settings.JOBS_ROOT


def finish(job_id: int, timeout: float = 60) -> Job:
    """Wait for a job run by this process's threads, then read its row."""
    backends.wait_local(job_id, timeout)
    return Job.objects.get(pk=job_id)


def until(predicate, timeout: float = 30, what: str = "condition"):
    """Poll a condition that another thread or process makes true (with a deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
