"""Background jobs in the embedded backend (threads of this process): progress that a reload
sees, a whole file for its owner only, clear translated errors, retries, and workers that died."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from quizzes.background import job_enqueue, storage
from quizzes.background.runner import MSG_CRASHED, MSG_UNKNOWN_KIND, job_run
from quizzes.background.services import jobs_reap_stale
from quizzes.models import Job, Theme
from tests.factories import make_user
from tests.job_fixtures import finish, jobs_in_threads, until  # noqa: F401
from tests.quizzes import job_kinds

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("jobs_in_threads")]


def test_finished_job_offers_its_whole_file_to_its_owner_and_staff_only(api_client, teacher):
    job = job_enqueue(kind="test_write", owner=teacher, params={"lines": 1000})
    done = finish(job.pk)
    assert done.status == Job.Status.DONE
    assert done.progress == 100
    assert done.attempts == 1

    api_client.force_authenticate(teacher)
    state = api_client.get(f"/api/jobs/{job.pk}/").json()
    assert state["status"] == "done"
    assert state["result_url"] == f"/api/jobs/{job.pk}/result"
    response = api_client.get(state["result_url"])
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="numbers.txt"'
    assert b"".join(response.streaming_content) == "".join(f"{n}\n" for n in range(1000)).encode()

    api_client.force_authenticate(make_user("other", roles=["teacher"]))
    assert api_client.get(f"/api/jobs/{job.pk}/").status_code == 404
    assert api_client.get(f"/api/jobs/{job.pk}/result").status_code == 404
    staff = make_user("staffer")
    staff.is_staff = True
    staff.save()
    api_client.force_authenticate(staff)
    assert api_client.get(f"/api/jobs/{job.pk}/result").status_code == 200
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/jobs/{job.pk}/").status_code in (401, 403)


def test_progress_shows_mid_job_and_no_partial_file_is_offered(api_client, teacher, client):
    job_kinds.RELEASE.clear()
    job = job_enqueue(kind="test_hold", owner=teacher)
    api_client.force_authenticate(teacher)
    try:
        # Written by the job's writer thread although the job holds a transaction open.
        state = until(
            lambda: (s := api_client.get(f"/api/jobs/{job.pk}/").json())["progress"] == 50 and s,
            what="half-way progress",
        )
        assert state["status"] == "running"
        assert state["message"] == "half way"
        assert state["result_url"] is None
        assert api_client.get(f"/api/jobs/{job.pk}/result").status_code == 409
        assert storage.temp_files(job.pk)
        assert not list(storage.folder("results").iterdir())
        # The page is a shell around the same state: a reload shows it again.
        client.force_login(teacher)
        assert b'id="job-progress"' in client.get(f"/jobs/{job.pk}/").content
    finally:
        job_kinds.RELEASE.set()
    done = finish(job.pk)
    assert done.status == Job.Status.DONE
    assert storage.absolute(done.result_path).read_bytes() == b"first half\nsecond half\n"
    assert storage.temp_files(job.pk) == []


def test_a_crashing_job_fails_with_a_translated_error_and_publishes_nothing(api_client, teacher):
    with translation.override("vi"):
        job = job_enqueue(kind="test_half_then_crash", owner=teacher)
    failed = finish(job.pk)
    assert failed.status == Job.Status.FAILED
    assert failed.result_path == ""
    with translation.override("vi"):
        assert failed.error == str(MSG_CRASHED) != "disk on fire"
    assert failed.error != str(MSG_CRASHED)  # English differs: the Vietnamese text was stored
    assert storage.temp_files(job.pk) == []
    api_client.force_authenticate(teacher)
    state = api_client.get(f"/api/jobs/{job.pk}/").json()
    assert state["retryable"]
    assert state["result_url"] is None
    assert api_client.get(f"/api/jobs/{job.pk}/result").status_code == 409

    retried = api_client.post(f"/api/jobs/{job.pk}/retry/")
    assert retried.status_code == 202
    again = finish(job.pk)
    assert again.status == Job.Status.FAILED
    assert again.attempts == 1


def test_an_unknown_kind_fails_with_a_clear_error(teacher):
    job = Job.objects.create(kind="no_such_kind", owner=teacher, language="en")
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == str(MSG_UNKNOWN_KIND)


def test_a_done_job_is_never_run_again(teacher):
    job = job_enqueue(kind="test_write", owner=teacher)
    first = finish(job.pk)
    job_run(job.pk)  # a late duplicate message
    again = Job.objects.get(pk=job.pk)
    assert (again.attempts, again.result_path, again.status) == (1, first.result_path, "done")


def test_a_job_whose_worker_died_runs_again_then_fails_after_the_last_attempt(settings, teacher):
    old = timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS + 5)
    lost = Job.objects.create(
        kind="test_write", owner=teacher, status="running", attempts=1, heartbeat_at=old
    )
    alive = Job.objects.create(
        kind="test_write", owner=teacher, status="running", attempts=1, heartbeat_at=timezone.now()
    )
    hopeless = Job.objects.create(
        kind="test_write",
        owner=teacher,
        status="running",
        attempts=settings.JOBS_MAX_ATTEMPTS,
        heartbeat_at=old,
        language="en",
    )
    assert jobs_reap_stale() == 2
    rerun = finish(lost.pk)
    assert rerun.status == Job.Status.DONE
    assert rerun.attempts == 2
    assert rerun.result_path
    assert Job.objects.get(pk=alive.pk).status == Job.Status.RUNNING
    hopeless.refresh_from_db()
    assert hopeless.status == Job.Status.FAILED
    assert hopeless.error_code == "worker_lost"
    assert f"stopped {settings.JOBS_MAX_ATTEMPTS} times" in hopeless.error


def test_a_server_that_starts_runs_what_a_stopped_one_left_queued_when_it_is_due(settings, teacher):
    """The embedded queue is the server's memory: a job it had queued (an import not started
    yet) or held for later (a round's close at its time) when it stopped runs when the next
    server starts, the delayed one at its time, and one left running gets its next attempt."""
    from quizzes.background import backends

    queued = job_enqueue(kind="test_write", owner=teacher)
    due = timezone.now() + timedelta(seconds=1)
    later = Job.objects.create(kind="test_write", owner=teacher, run_after=due)
    stale = timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS + 5)
    left_running = Job.objects.create(
        kind="test_write", owner=teacher, status="running", attempts=1, heartbeat_at=stale
    )
    finish(queued.pk)  # the first server ran this one; make it "never sent" again:
    Job.objects.filter(pk=queued.pk).update(status="queued", attempts=0, result_path="")

    second_reap = backends.server_started()
    second_reap.cancel()  # the reap when a heartbeat is surely stale: not in the next tests

    for job in (queued, later, left_running):
        until(lambda job=job: Job.objects.get(pk=job.pk).status == "done", what=f"job {job.pk}")
    assert Job.objects.get(pk=later.pk).started_at >= due
    assert Job.objects.get(pk=left_running.pk).attempts == 2


def test_a_delayed_job_records_when_it_is_due(teacher):
    before = timezone.now()
    job = job_enqueue(kind="test_write", owner=teacher, delay_seconds=3600)
    assert job.status == "queued"
    assert before + timedelta(seconds=3600) <= job.run_after <= timezone.now() + timedelta(hours=1)
    assert job_enqueue(kind="test_write", owner=teacher).run_after is None


def test_job_page_is_for_the_owner_only(client, teacher):
    job = Job.objects.create(kind="test_write", owner=teacher)
    client.force_login(make_user("someone", roles=["teacher"]))
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    client.force_login(teacher)
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    assert b"Test file" in page.content
    assert Theme.objects.count() == 0


def test_a_job_stopped_by_its_time_limit_says_so_and_publishes_nothing(teacher):
    job = job_enqueue(kind="test_too_long", owner=teacher)
    failed = finish(job.pk)
    assert failed.status == Job.Status.FAILED
    assert failed.error_code == "time_limit"
    assert failed.error.startswith("The job took longer than its time limit")
    assert failed.result_path == ""
    assert storage.temp_files(job.pk) == []
