"""An organiser on the contest page: a round that draws its questions shows its Corrections card
(every drawn question with its paper count), and the round's window, limits and freeze are edited
on the page through the API, with the server's translated error when the window is wrong."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from contest.models import AuditEntry, Round
from tests.browser.conftest import new_page
from tests.contest.test_corrections_drawn import drawn_round
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _setup():
    organiser = make_user("page-organiser", roles=["organiser"])
    contest, round_, _bank = drawn_round(APIClient(), staff=organiser, people=3)
    return contest, round_


async def login(page, base_url: str, next_url: str) -> None:
    await page.goto(f"{base_url}/accounts/login/?next={next_url}")
    await page.fill("input[name=username]", "page-organiser")
    await page.fill("input[name=password]", "pw-123456")
    await page.locator("form button[type=submit], form input[type=submit]").last.click()
    await page.wait_for_url(re.compile(r"^http://[^/]+/organise/contests/[^?]+\?round=\d+$"))


async def test_organiser_sees_drawn_corrections_and_edits_the_round_on_the_page(
    asgi_server, browser, artifacts
):
    contest, round_ = await sync_to_async(_setup)()
    url = f"/organise/contests/{contest.slug}/?round={round_.pk}"
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await login(page, asgi_server.url, url.replace("?", "%3F").replace("=", "%3D"))

    # Corrections for a drawn round: the card is there, one row per drawn question.
    card = page.locator("#corrections")
    await card.wait_for()
    rows = card.locator("tbody tr")
    assert await rows.count() >= 2
    counts = [int(t) for t in await card.locator("td.num").all_inner_texts()]
    assert sum(counts) == 3 * 2

    # A window that closes before it opens: the API's translated error, nothing saved.
    await page.fill("#e-opens", "2031-03-10T08:00")
    await page.fill("#e-closes", "2031-03-09T08:00")
    await page.click("#round-edit-form button[type=submit]")
    await page.wait_for_selector("#round-edit-errors:not([hidden])")
    assert "phải đóng sau khi mở" in await page.inner_text("#round-edit-errors")
    unchanged = await sync_to_async(Round.objects.get)(pk=round_.pk)
    assert unchanged.closes_at == round_.closes_at

    # A good edit: window, attempts and freeze change, the audit log says so.
    await page.fill("#e-closes", "2031-03-17T20:00")
    await page.fill("#e-attempts", "5")
    await page.fill("#e-freeze", "12")
    await page.click("#round-edit-form button[type=submit]")
    await page.wait_for_selector("#round-edit-saved:not([hidden])")
    await page.screenshot(path=str(artifacts / "organise-round-edit.png"), full_page=True)

    saved = await sync_to_async(Round.objects.get)(pk=round_.pk)
    assert (saved.max_attempts, saved.freeze_hours) == (5, 12)
    assert saved.closes_at.strftime("%Y-%m-%d") == "2031-03-17"
    assert await sync_to_async(
        AuditEntry.objects.filter(round_id=round_.pk, action="round_update").exists
    )()
    assert "max_attempts" in await page.inner_text("#audit-log")
    # The refused edit's 400 is the only console line: no script error.
    assert [e for e in errors if "status of 400" not in e] == []
