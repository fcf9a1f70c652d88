"""A contest end to end in Chromium: two participants from different schools register through
the cascading unit selects and take the round; one reloads mid-attempt and resumes with the
time left and the answers kept; the round closes; the prediction breaks their tie; the school
board and the organiser's XLSX export show it."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _setup():
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest, make_school
    from tests.factories import make_user

    clear_boards()
    contest, round_, questions = make_contest(slug="global-citizen", time_limit_seconds=900)
    make_school("CG", "THCS Cầu Giấy")
    make_school("BD", "THCS Ba Đình")
    contest.staff.add(make_user("org", roles=["organiser"]))
    return contest.slug, round_.pk


def _close(round_id):
    """The round closes, and its round_finalize job runs (what a job worker does at closes_at;
    test_contest_round_close.py shows the page while it has not run yet)."""
    from contest.models import Round
    from contest.services import round_finalize_if_due

    now = timezone.now()
    Round.objects.filter(pk=round_id).update(
        opens_at=now - timedelta(days=8), closes_at=now - timedelta(seconds=2)
    )
    round_finalize_if_due(Round.objects.get(pk=round_id))


def _attempts():
    from contest.models import Attempt

    return {
        a.participant.full_name: (a.deadline, a.answers.count())
        for a in Attempt.objects.select_related("participant")
    }


def _slower_than_lan_by_ms(name: str) -> int:
    """How long `name` must still wait before handing in to have taken longer than Lan did."""
    from django.utils import timezone

    from contest.models import Attempt

    lan = Attempt.objects.get(participant__full_name="Nguyễn Thị Lan")
    mine = Attempt.objects.get(participant__full_name=name)
    elapsed = (timezone.now() - mine.started_at).total_seconds() * 1000
    return max(0, int(lan.time_ms - elapsed) + 1000)


async def register(page, base, slug, name, district, school, dob, email):
    await page.goto(f"{base}/contests/{slug}/register/")
    await page.fill("#full_name", name)
    await page.select_option("#unit-province", label="Hà Nội")
    await page.wait_for_selector("#unit-district option:nth-child(2)", state="attached")
    await page.select_option("#unit-district", label=district)
    await page.wait_for_selector("#unit-school option:nth-child(2)", state="attached")
    await page.select_option("#unit-school", label=school)
    await page.wait_for_selector("#unit-class option:nth-child(2)", state="attached")
    await page.select_option("#unit-class", label="9A")
    await page.fill("#date_of_birth", dob)
    await page.fill("#email", email)
    await page.check("#consent")
    await page.click("#register-form button[type=submit]")
    await page.wait_for_selector("#registered:not([hidden]), #form-error:not([hidden])")
    assert await page.locator("#form-error").is_hidden(), await page.inner_text("#form-error")


async def answer_correctly(page, count):
    for _ in range(count):
        await page.get_by_role("button", name=re.compile("SDG 4")).click()
        await page.wait_for_selector("#save-state:has-text('saved')")
        await page.click("#next")


async def test_contest_flow_with_resume_prediction_tie_break_and_exports(
    asgi_server, browser, artifacts
):
    slug, round_id = await sync_to_async(_setup)()
    base = asgi_server.url
    errors: list[str] = []

    # Lan (Cầu Giấy) registers on a phone and takes the round with a far-off prediction.
    lan = await new_page(browser, phone=True, errors=errors)
    await lan.goto(f"{base}/contests/{slug}/")
    await lan.screenshot(path=str(artifacts / "contest-landing-phone.png"), full_page=True)
    await register(
        lan,
        base,
        slug,
        "Nguyễn Thị Lan",
        "Quận CG",
        "THCS Cầu Giấy",
        "2011-03-04",
        "lan@example.org",
    )
    await lan.screenshot(path=str(artifacts / "contest-registered-phone.png"), full_page=True)
    await lan.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    try:
        await lan.wait_for_selector(".answer", timeout=5000)
    except Exception:
        raise AssertionError(f"{await lan.inner_text('main')} {errors}") from None
    await lan.screenshot(path=str(artifacts / "contest-attempt-phone.png"), full_page=True)
    await answer_correctly(lan, 3)
    await lan.fill("#prediction", "10")
    await lan.click("#submit")
    await lan.wait_for_selector("#done:not([hidden])")

    # Minh (Ba Đình) answers two questions, reloads, and finds his answers and clock intact.
    minh = await new_page(browser, errors=errors)
    await register(
        minh,
        base,
        slug,
        "Trần Văn Minh",
        "Quận BD",
        "THCS Ba Đình",
        "2011-07-08",
        "minh@example.org",
    )
    duplicate = await new_page(browser, errors=None)
    await duplicate.goto(f"{base}/contests/{slug}/register/")
    await minh.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    await minh.wait_for_selector(".answer")
    await answer_correctly(minh, 2)
    before = (await sync_to_async(_attempts)())["Trần Văn Minh"]
    clock_before = await minh.inner_text("#clock")
    await minh.reload()
    await minh.wait_for_selector(".qnum:has-text('3')")  # back on the first unanswered question
    assert await minh.locator("#palette button.answered").count() == 2
    after = (await sync_to_async(_attempts)())["Trần Văn Minh"]
    assert after == before
    assert after[1] == 2
    clock_after = await minh.inner_text("#clock")
    assert clock_after <= clock_before
    assert clock_after.startswith("14:")
    await minh.screenshot(path=str(artifacts / "contest-attempt-resumed.png"))
    await answer_correctly(minh, 1)
    await minh.fill("#prediction", "2")
    await minh.screenshot(path=str(artifacts / "contest-attempt-finish.png"))
    # Minh must be the slower of the two (on a loaded machine Lan's own attempt may take longer).
    await asyncio.sleep(await sync_to_async(_slower_than_lan_by_ms)("Trần Văn Minh") / 1000)
    await minh.click("#submit")
    await minh.wait_for_selector("#done:not([hidden])")

    # Before the close: per-question review is secret.
    response = await minh.request.get(f"{base}/api/rounds/{round_id}/results/")
    assert response.status == 403

    # The round closes. Both have 3000 points; Minh was slower but predicted the actual number (2).
    await sync_to_async(_close)(round_id)
    await minh.goto(f"{base}/contests/{slug}/rounds/{round_id}/results/")
    assert "Actual number: 2" in await minh.inner_text("main")
    rows = await minh.locator("#individual-board tbody tr").all_inner_texts()
    assert rows[0].startswith("1")
    assert "Trần V. M." in rows[0]
    assert "THCS Ba Đình" in rows[0]
    assert rows[1].startswith("2")
    assert "Nguyễn T. L." in rows[1]
    schools = await minh.locator("#unit-board tbody tr").all_inner_texts()
    assert any("THCS Ba Đình" in r for r in schools)
    assert any("THCS Cầu Giấy" in r for r in schools)
    assert "Lan" not in await minh.inner_text("#individual-board")  # masked
    await minh.screenshot(path=str(artifacts / "contest-results.png"), full_page=True)

    # The organiser downloads the XLSX export and reads it.
    org = await new_page(browser, errors=errors)
    await org.goto(f"{base}/accounts/login/")
    await org.fill("input[name=username]", "org")
    await org.fill("input[name=password]", "pw-123456")
    await org.click("main button[type=submit], main input[type=submit]")
    await org.wait_for_load_state()
    await org.goto(f"{base}/organise/contests/{slug}/")
    await org.screenshot(path=str(artifacts / "contest-organise.png"), full_page=True)
    async with org.expect_download() as download_info:
        await org.get_by_role("link", name="Export XLSX").click()
    download = await download_info.value
    from openpyxl import load_workbook

    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    sheet = load_workbook(io.BytesIO(content)).active
    header, first, second = list(sheet.iter_rows(values_only=True))[:3]
    col = {name: i for i, name in enumerate(header)}
    assert (first[col["Rank"]], first[col["Full name"]], first[col["Prediction"]]) == (
        1,
        "Trần Văn Minh",
        2,
    )
    assert (second[col["Rank"]], second[col["Full name"]], second[col["Prediction"]]) == (
        2,
        "Nguyễn Thị Lan",
        10,
    )
    assert first[col["Time taken (s)"]] > second[col["Time taken (s)"]]
    assert first[col["School"]] == "THCS Ba Đình"

    screen = await new_page(browser, errors=errors)
    await screen.goto(f"{base}/contests/{slug}/rounds/{round_id}/screen/")
    await screen.wait_for_selector("#screen-people li")
    await screen.screenshot(path=str(artifacts / "contest-screen.png"))
    assert errors == []
