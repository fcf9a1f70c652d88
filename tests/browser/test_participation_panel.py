"""The participation panel on the ceremony screen: tiles by district with the rate against the
headcount in Vietnamese format, updated live (polling) when another participant completes."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from quizzes.models import Unit
from quizzes.services.units import units_import_csv
from tests.browser.conftest import new_page
from tests.contest.helpers import make_contest
from tests.contest.test_participation import UNITS_CSV, person, take_part

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _setup():
    units_import_csv(text=UNITS_CSV)
    contest, round_, _questions = make_contest()
    take_part(round_, person(contest, Unit.objects.get(code="TTH-SCT-P"), 1), complete=True)
    return contest, round_


def _one_more(contest, round_):
    take_part(round_, person(contest, Unit.objects.get(code="TTH-SCT-P"), 2), complete=True)


async def test_ceremony_screen_shows_rates_by_district_and_updates_them_live(
    asgi_server, browser, artifacts
):
    contest, round_ = await sync_to_async(_setup)()
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await page.goto(f"{asgi_server.url}/contests/{contest.slug}/rounds/{round_.pk}/screen/")
    tile = page.locator(".participation-tile", has_text="Sở Công Thương")
    await tile.locator(".participation-rate", has_text="25\u00a0%").wait_for()
    assert "1/4" in await tile.inner_text()
    vyda = page.locator(".participation-tile", has_text="phường Vỹ Dạ")
    assert "0\u00a0%" in await vyda.locator(".participation-rate").inner_text()

    await sync_to_async(_one_more)(contest, round_)
    await tile.locator(".participation-rate", has_text="50\u00a0%").wait_for(timeout=30_000)
    await page.screenshot(path=str(artifacts / "participation-screen.png"), full_page=True)
    assert errors == []
