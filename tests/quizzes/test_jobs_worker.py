"""Real worker processes on Redis (Dramatiq): a worker SIGKILLed in the middle of an export-like
job leaves it retryable; another worker runs it to the end once, and only the whole file is
ever offered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from quizzes.background import job_enqueue, storage
from quizzes.models import Job, Question
from tests.browser.conftest import child_env
from tests.job_fixtures import until

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
WHOLE = b"".join(f"row {n}\n".encode() for n in range(1000))


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "jobs_worker",
            "--threads",
            "1",
            "--import",
            "tests.quizzes.job_kinds",
            "--reap-seconds",
            "0.3",
        ],
        cwd=ROOT,
        env=env,
        stdout=open(log, "ab"),  # noqa: SIM115 - the child owns it
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL reaches every thread at once
    )


def test_a_worker_killed_mid_job_leaves_it_retryable_and_it_completes_once_whole(
    settings, tmp_path, api_client, teacher
):
    prefix = f"cqh-jobs-{uuid.uuid4().hex[:8]}"
    settings.JOBS_BACKEND = "dramatiq"
    settings.CHANNEL_PREFIX = prefix
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_STALE_SECONDS = 3
    env = child_env(
        {
            "CHANNEL_PREFIX": prefix,
            "JOBS_BACKEND": "dramatiq",
            "JOBS_ROOT": str(settings.JOBS_ROOT),
            "JOBS_STALE_SECONDS": "3",
            "JOBS_HEARTBEAT_SECONDS": "0.2",
            "JOBS_PROGRESS_INTERVAL_SECONDS": "0.1",
        }
    )
    # blpop waits up to 90 s for a worker to start: redis-py 8 would cut the read at 5 s.
    client = redis.from_url(settings.REDIS_URL, socket_timeout=None)
    keys = {name: f"{prefix}:test:{name}" for name in ("started", "release", "finished")}
    log = tmp_path / "workers.log"
    first = start_worker(env, log)
    second = None
    try:
        job = job_enqueue(kind="test_redis_blocker", owner=teacher, params=keys)
        started = client.blpop([keys["started"]], timeout=90)
        assert started is not None, log.read_text()[-3000:]
        assert started[1] == b"1"
        api_client.force_authenticate(teacher)
        mid = api_client.get(f"/api/jobs/{job.pk}/").json()
        assert mid["status"] == "running"
        assert mid["result_url"] is None
        assert api_client.get(f"/api/jobs/{job.pk}/result").status_code == 409
        assert storage.temp_files(job.pk)  # the half-written file exists, but only as a temp

        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        killed = Job.objects.get(pk=job.pk)
        assert killed.status == Job.Status.RUNNING
        assert killed.result_path == ""

        second = start_worker(env, log)
        again = client.blpop([keys["started"]], timeout=90)
        assert again is not None, log.read_text()[-3000:]
        assert again[1] == b"2"  # the same job, second attempt, after the first worker died
        assert Job.objects.get(pk=job.pk).result_path == ""
        assert api_client.get(f"/api/jobs/{job.pk}/result").status_code == 409
        client.rpush(keys["release"], 1)

        done = until(
            lambda: (j := Job.objects.get(pk=job.pk)).status != Job.Status.RUNNING and j,
            timeout=60,
            what="the job to finish",
        )
        assert done.status == Job.Status.DONE, done.error
        assert done.attempts == 2
        assert client.get(keys["finished"]) == b"1"
        response = api_client.get(f"/api/jobs/{job.pk}/result")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="export.csv"'
        assert b"".join(response.streaming_content) == WHOLE
        assert storage.temp_files(job.pk) == []
        assert [p.name for p in storage.folder("results").iterdir()] == [
            Path(done.result_path).name
        ]
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        leftovers = list(client.scan_iter(match=f"{prefix}*"))
        if leftovers:
            client.delete(*leftovers)


def test_run_cluster_starts_workers_that_run_queued_jobs(settings, tmp_path, teacher):
    from deploy.cluster import workers_start

    prefix = f"cqh-jobs-{uuid.uuid4().hex[:8]}"
    settings.JOBS_BACKEND = "dramatiq"
    settings.CHANNEL_PREFIX = prefix
    settings.JOBS_ROOT = tmp_path / "jobs"
    env = child_env(
        {"CHANNEL_PREFIX": prefix, "JOBS_BACKEND": "dramatiq", "JOBS_ROOT": str(settings.JOBS_ROOT)}
    )
    (worker,) = workers_start(1, env, threads=1)
    try:
        job = job_enqueue(
            kind="questions_import",
            owner=teacher,
            params={"filename": "two.gift"},
            input_bytes=b"::a::Ha Noi is a city. {T}\n\n::b::Ha Noi is a river. {F}\n",
        )
        done = until(
            lambda: (
                (j := Job.objects.get(pk=job.pk)).status != Job.Status.QUEUED
                and j.status != Job.Status.RUNNING
                and j
            ),
            timeout=90,
            what="a cluster worker to run the job",
        )
        assert done.status == Job.Status.DONE, done.error
        assert Question.objects.filter(author=teacher).count() == 2
    finally:
        worker.terminate()
        worker.wait(15)
        client = redis.from_url(settings.REDIS_URL)
        leftovers = list(client.scan_iter(match=f"{prefix}*"))
        if leftovers:
            client.delete(*leftovers)


def test_embedded_defaults_run_jobs_in_process_and_workers_need_redis():
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JOBS_BACKEND")}
    code = "import django; django.setup(); from django.conf import settings; print(settings.JOBS_BACKEND)"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True)
    assert out.stdout.strip() == b"thread", out.stderr[-2000:]
    refused = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "JOBS_BACKEND": "dramatiq"},
        capture_output=True,
    )
    assert refused.returncode != 0
    assert b"JOBS_BACKEND=dramatiq needs REDIS_URL" in refused.stderr
