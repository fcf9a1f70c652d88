"""Round exports and correction recomputes as background jobs: the export job's file is the same
file as the direct download, for the contest's staff only; a correction on a big round queues a
recompute whose result lands in the audit log."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from contest.models import AuditEntry
from quizzes.models import Job
from tests.contest.helpers import (
    close_round,
    correct_choice,
    make_contest,
    make_school,
    register,
    wrong_choice,
)
from tests.contest.test_corrections import take
from tests.factories import make_user
from tests.job_fixtures import finish, jobs_in_threads  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("jobs_in_threads")]


def closed_round_with_two_results(api_client):
    contest, round_, questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    a = register(api_client, contest, units["school"], name="Nguyễn Văn An")
    b = register(api_client, contest, units["school"], name="Trần Thị Bình")
    q1, q2, q3 = questions
    take(api_client, round_, a, [{"question": q1.pk, "response": {"choice": correct_choice(q1)}}])
    take(
        api_client,
        round_,
        b,
        [
            {"question": q1.pk, "response": {"choice": wrong_choice(q1)}},
            {"question": q2.pk, "response": {"choice": correct_choice(q2)}},
            {"question": q3.pk, "response": {"choice": correct_choice(q3)}},
        ],
    )
    close_round(round_)
    return contest, round_, questions


def test_export_job_file_is_the_direct_download_and_only_staff_get_it(api_client, organiser):
    contest, round_, _questions = closed_round_with_two_results(api_client)
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    direct = api_client.get(f"/api/rounds/{round_.pk}/export.csv")

    started = api_client.post(
        f"/api/rounds/{round_.pk}/export-jobs/", {"format": "csv"}, format="json"
    )
    assert started.status_code == 202
    job = started.json()
    assert job["kind"] == "round_export"
    assert job["status"] == "queued"
    done = finish(job["id"])
    assert done.status == Job.Status.DONE
    assert done.result == {"rows": 2}
    download = api_client.get(f"/api/jobs/{job['id']}/result")
    assert download["Content-Disposition"] == direct["Content-Disposition"]
    assert b"".join(download.streaming_content) == direct.content
    assert "Trần Thị Bình" in direct.content.decode("utf-8-sig")

    xlsx = api_client.post(
        f"/api/rounds/{round_.pk}/export-jobs/", {"format": "xlsx"}, format="json"
    ).json()
    assert finish(xlsx["id"]).result_name.endswith(".xlsx")
    sheet = load_workbook(
        io.BytesIO(b"".join(api_client.get(f"/api/jobs/{xlsx['id']}/result").streaming_content))
    ).active
    assert sheet.max_row == 3

    outsider = make_user("other-organiser", roles=["organiser"])
    api_client.force_authenticate(outsider)
    refused = api_client.post(
        f"/api/rounds/{round_.pk}/export-jobs/", {"format": "csv"}, format="json"
    )
    assert refused.status_code in (403, 404)
    assert api_client.get(f"/api/jobs/{job['id']}/result").status_code == 404
    assert api_client.post(
        f"/api/rounds/{round_.pk}/export-jobs/", {"format": "pdf"}, format="json"
    ).status_code in (400, 403, 404)
    assert Job.objects.count() == 2


def test_a_correction_on_a_big_round_queues_a_recompute_job(api_client, organiser, settings):
    settings.JOBS_RECOMPUTE_INLINE_MAX_ATTEMPTS = 1  # two attempts: "big"
    contest, round_, questions = closed_round_with_two_results(api_client)
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    before = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/").json()["rows"]
    assert [r["score"] for r in before] == [2000, 1000]

    _q1, q2, q3 = questions
    voided = api_client.post(
        f"/api/rounds/{round_.pk}/void/",
        {"question": q3.pk, "reason": "Câu hỏi có hai đáp án đúng."},
        format="json",
    ).json()
    job_id = voided["details"]["job"]
    assert "being recomputed" in voided["summary"]
    assert f"job {job_id}" in voided["summary"]
    assert finish(job_id).status == Job.Status.DONE
    fixed = api_client.post(
        f"/api/rounds/{round_.pk}/fix-key/",
        {"question": q2.pk, "correct": [str(wrong_choice(q2))], "reason": "Đáp án in sai."},
        format="json",
    ).json()
    assert finish(fixed["details"]["job"]).status == Job.Status.DONE

    after = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/").json()["rows"]
    assert [r["score"] for r in after] == [1000, 0]
    recomputes = AuditEntry.objects.filter(action="round_recompute").order_by("pk")
    assert [e.details["job"] for e in recomputes] == [job_id, fixed["details"]["job"]]
    assert recomputes[0].actor == organiser
    assert recomputes[0].details["changed_count"] >= 1


def test_a_correction_on_a_small_round_is_recomputed_at_once(api_client, organiser):
    contest, round_, questions = closed_round_with_two_results(api_client)
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    voided = api_client.post(
        f"/api/rounds/{round_.pk}/void/",
        {"question": questions[2].pk, "reason": "Câu hỏi có hai đáp án đúng."},
        format="json",
    ).json()
    assert "job" not in voided["details"]
    assert voided["details"]["changed_count"] >= 1
    assert Job.objects.count() == 0


def test_a_certificates_job_offers_every_certificate_of_a_closed_round_to_its_staff(
    api_client, organiser
):
    """The organiser's "Write all certificates (ZIP) in the background": a job whose file holds
    one PDF per participant with a result, with their names, for the contest's staff only."""
    from pypdf import PdfReader

    from tests.contest.test_certificates import closed_round_with_results, nfc

    contest, round_ = closed_round_with_results([3000, 2000, 1000])
    url = f"/api/rounds/{round_.pk}/certificate-jobs/"
    outsider = make_user("other-organiser", roles=["organiser"])
    api_client.force_authenticate(outsider)
    assert api_client.post(url, {}, format="json").status_code in (403, 404)

    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    started = api_client.post(url, {}, format="json")
    assert started.status_code == 202
    done = finish(started.json()["id"])
    assert done.status == Job.Status.DONE
    assert done.result_name.endswith("-certificates.zip")
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(api_client.get(f"/api/jobs/{done.pk}/result").streaming_content))
    )
    names = archive.namelist()
    assert len(names) == 3
    first = PdfReader(io.BytesIO(archive.read(names[0]))).pages[0].extract_text()
    assert "Nguyễn Thị Ánh Tuyết" in nfc(first)
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/jobs/{done.pk}/result").status_code == 404


def test_certificates_of_an_open_round_are_refused_before_any_job(api_client, organiser):
    contest, round_, _questions = make_contest()
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    refused = api_client.post(f"/api/rounds/{round_.pk}/certificate-jobs/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "round_not_closed"
    assert not Job.objects.exists()
