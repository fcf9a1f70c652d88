"""An organiser exports a round's results in the background: the job page shows the queued job,
then (once a worker runs it) the full progress bar and the download, and a reload keeps it."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from rest_framework.test import APIClient

from deploy.cluster import workers_start
from quizzes.models import Job
from tests.browser.conftest import AsgiServer, child_env, free_port, new_page
from tests.contest.helpers import close_round, correct_choice, make_contest, make_school, register
from tests.contest.test_corrections import take
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def closed_round(players: int = 12):
    client = APIClient()
    contest, round_, questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    for n in range(players):
        token = register(client, contest, units["school"], name=f"Nguyễn Văn Học{n}")
        answers = [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions]
        take(client, round_, token, answers[: 1 + n % 3])
    close_round(round_)
    organiser = make_user("export-organiser", roles=["organiser"])
    contest.staff.add(organiser)
    return contest, round_


async def test_export_job_page_shows_progress_then_the_download(browser, artifacts, tmp_path):
    contest, round_ = await sync_to_async(closed_round)()
    prefix = f"cqh-browser-jobs-{uuid.uuid4().hex[:8]}"
    env = child_env(
        {"CHANNEL_PREFIX": prefix, "JOBS_BACKEND": "dramatiq", "JOBS_ROOT": str(tmp_path / "jobs")}
    )
    server = AsgiServer(free_port(), tmp_path / "server.log", env)
    workers = []
    try:
        errors: list[str] = []
        page = await new_page(browser, locale="en", errors=errors)
        organise = f"{server.url}/organise/contests/{contest.slug}/?round={round_.pk}"
        await page.goto(f"{server.url}/accounts/login/?next=/organise/")
        await page.fill("input[name=username]", "export-organiser")
        await page.fill("input[name=password]", "pw-123456")
        await page.locator("form button[type=submit], form input[type=submit]").last.click()
        await page.wait_for_url(re.compile(r"/organise/$"))
        await page.goto(organise)

        # No worker yet: the job waits in the queue, and its page says so.
        await page.click("#export-jobs button[data-format=csv]")
        await page.wait_for_url(re.compile(r"/jobs/\d+/$"))
        await page.wait_for_selector("#job-app[data-status]")
        assert await page.inner_text("#job-status") == "Queued"
        assert await page.locator("#job-download").is_hidden()
        await page.screenshot(path=str(artifacts / "job-queued.png"), full_page=True)

        workers = workers_start(1, env, threads=1)
        await page.wait_for_selector("#job-download:not([hidden])", timeout=90_000)
        assert await page.inner_text("#job-status") == "Done"
        assert await page.get_attribute("#job-progress", "value") == "100"
        assert await page.inner_text("#job-percent") == "100%"
        assert "12 rows exported." in await page.inner_text("#job-message")
        await page.screenshot(path=str(artifacts / "job-progress.png"), full_page=True)

        await page.reload()  # the state lives on the server: a reload shows the same
        await page.wait_for_selector("#job-download:not([hidden])")
        async with page.expect_download() as download_info:
            await page.click("#job-download")
        download = await download_info.value
        assert download.suggested_filename == f"{contest.slug}-round{round_.position}.csv"
        body = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8-sig")
        assert body.count("\n") == 13
        assert "Nguyễn" in body
        job = await sync_to_async(Job.objects.get)()
        assert job.status == "done"
        assert job.attempts == 1
        assert errors == []
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(15)
        server.stop()
        client = redis.from_url(settings.REDIS_URL)
        leftovers = list(client.scan_iter(match=f"{prefix}*"))
        if leftovers:
            client.delete(*leftovers)


async def test_wizard_hands_a_large_import_to_a_job_and_follows_it(browser, artifacts, tmp_path):
    await sync_to_async(make_user)("big-importer", roles=["teacher"])
    gift = "".join(
        f"::q{i}::Câu {i} là số chẵn. {{{'T' if i % 2 == 0 else 'F'}}}\n\n" for i in range(40)
    )
    path = tmp_path / "big.gift"
    path.write_text(gift, encoding="utf-8")
    # The embedded mode (what `make run` uses): jobs in the server's own threads, no worker.
    env = child_env(
        {
            "JOBS_BACKEND": "thread",
            "JOBS_ROOT": str(tmp_path / "jobs"),
            "JOBS_IMPORT_INLINE_MAX_BYTES": "500",
        }
    )
    server = AsgiServer(free_port(), tmp_path / "server.log", env)
    try:
        errors: list[str] = []
        page = await new_page(browser, locale="vi", errors=errors)
        await page.goto(f"{server.url}/accounts/login/?next=/bank/import/")
        await page.fill("input[name=username]", "big-importer")
        await page.fill("input[name=password]", "pw-123456")
        await page.locator("form button[type=submit], form input[type=submit]").last.click()
        await page.wait_for_url(re.compile(r"/bank/import/$"))
        await page.set_input_files("#import-file", str(path))
        await page.click("#preview-button")
        await page.wait_for_selector("#step-preview:not([hidden])")
        await page.click("#confirm-button")
        await page.wait_for_url(re.compile(r"/jobs/\d+/$"))
        await page.wait_for_selector("#job-app[data-status=done]", timeout=60_000)
        assert await page.inner_text("#job-title") == "Nhập câu hỏi"
        assert "40 câu mới" in await page.inner_text("#job-message")
        assert await page.locator("#job-download").is_hidden()  # an import has no file
        await page.screenshot(path=str(artifacts / "job-import-vi.png"), full_page=True)
        assert errors == []
    finally:
        server.stop()
