"""Imports of thousands of questions run as a background job: the API answers 202 with the job,
whose page shows the progress and then the report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quizzes.models import Job, Question
from tests.job_fixtures import finish, jobs_in_threads  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("jobs_in_threads")]


def gift(n: int) -> bytes:
    good = "".join(
        f"::q{i}::Is {i} an even number? {{{'T' if i % 2 == 0 else 'F'}}}\n\n" for i in range(n)
    )
    return (good + "::bad::Broken {=a ~%33%b}\n").encode()


def upload(client, content: bytes, name="big.gift", **fields):
    return client.post(
        "/api/questions/import/",
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def test_a_large_file_is_imported_by_a_job_with_its_report(api_client, teacher, settings):
    settings.JOBS_IMPORT_INLINE_MAX_BYTES = 10_000
    content = gift(2000)
    assert len(content) > settings.JOBS_IMPORT_INLINE_MAX_BYTES
    api_client.force_authenticate(teacher)

    # The preview (dry run) still answers at once; the real import becomes a job.
    assert upload(api_client, content, dry_run="true").json()["created"] == 2000
    response = upload(api_client, content)
    assert response.status_code == 202
    job = response.json()["job"]
    assert job["kind"] == "questions_import"
    assert job["page_url"] == f"/jobs/{job['id']}/"

    done = finish(job["id"], timeout=240)
    assert done.status == Job.Status.DONE, done.error
    assert Question.objects.filter(author=teacher).count() == 2000
    state = api_client.get(f"/api/jobs/{job['id']}/").json()
    assert state["progress"] == 100
    assert state["result"]["created"] == 2000
    assert state["result"]["errors_total"] == 1
    assert state["result"]["errors"][0]["line"] == 2 * 2000 + 1
    assert state["message"] == "2000 created, 0 updated, 0 already in the bank, 1 rejected."


def test_a_small_file_can_ask_for_a_job_and_bad_files_get_clear_errors(
    api_client, teacher, monkeypatch
):
    api_client.force_authenticate(teacher)
    response = upload(api_client, gift(3), background="true")
    assert response.status_code == 202
    assert finish(response.json()["job"]["id"]).status == Job.Status.DONE
    assert Question.objects.count() == 3

    # Unreadable: refused at once, as the direct import does; no job.
    unreadable = upload(api_client, b"\x00\x01", name="data.bin", background="true")
    assert unreadable.status_code == 400
    assert unreadable.json()["code"] == "unknown_format"
    assert Job.objects.count() == 1

    # Too large for the importer: the job fails with the importer's own message.
    monkeypatch.setattr("quizzes.importers.MAX_BYTES", 1024 * 1024)
    big = gift(3) + b"// padding\n" * 100_000
    failed = finish(upload(api_client, big, background="true").json()["job"]["id"])
    assert failed.status == Job.Status.FAILED
    assert failed.error_code == "file_too_large"
    assert failed.error == "The file is larger than 1 MB."
    assert Question.objects.count() == 3


def test_background_flag_is_strict(api_client, teacher):
    api_client.force_authenticate(teacher)
    assert upload(api_client, gift(1), background="yes").status_code == 400
    assert Job.objects.count() == 0
