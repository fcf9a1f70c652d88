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


def _four_schools_in_three_districts():
    from tests.contest.helpers import make_school

    contest, round_, _questions = make_contest(scores_while_open=True)
    units = [
        make_school(code, f"Trường THCS {name}")
        for code, name in (("HK", "Trưng Vương"), ("BD", "Phan Đình Phùng"), ("TH", "Chu Văn An"))
    ]
    schools = [unit["school"] for unit in units]
    schools.append(  # a second school in the first district
        Unit.objects.create(
            code="HN-HK-S2",
            name="Trường THPT Việt Đức",
            level="school",
            parent=units[0]["district"],
        )
    )
    for n, school in enumerate(schools, start=1):
        take_part(round_, person(contest, school, n), complete=True)
    return contest, round_


async def test_the_participation_panel_never_covers_the_unit_boards_above_it(
    asgi_server, browser, artifacts
):
    """Four schools and three districts on the board: the participation heading starts below the
    last district row the screen shows (it was drawn over the third one)."""
    contest, round_ = await sync_to_async(_four_schools_in_three_districts)()
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await page.goto(f"{asgi_server.url}/contests/{contest.slug}/rounds/{round_.pk}/screen/")
    await page.locator("#screen-districts .cs-row").nth(2).wait_for()
    await page.locator("#screen-units .cs-row").nth(3).wait_for(state="attached")
    heading = await page.locator(".cs-participation h2").bounding_box()
    assert heading is not None
    for board in ("#screen-units", "#screen-districts"):
        rows = page.locator(f"{board} .cs-row")
        for i in range(await rows.count()):
            row = rows.nth(i)
            if await row.is_visible():
                box = await row.bounding_box()
                section = await row.locator("xpath=ancestor::div[1]").bounding_box()
                assert box is not None
                assert section is not None
                # Drawn whole, inside its board's half, above the panel.
                assert box["y"] + box["height"] <= heading["y"] + 0.5, (board, i)
                assert box["y"] + box["height"] <= section["y"] + section["height"] + 0.5
    await page.screenshot(path=str(artifacts / "screen-units-and-participation.png"))
    assert errors == []
