"""The home page's PIN box, in Chromium on a phone: type the PIN from the big screen, land on the
player's page with the PIN filled in, ready for a nickname."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import new_page
from tests.browser.test_live_game import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["en", "vi"])
async def test_the_home_page_pin_box_opens_the_game_with_the_pin_filled_in(
    asgi_server, browser, artifacts, lang
):
    page = await new_page(browser, locale=lang, phone=True)
    await page.goto(asgi_server.url + "/")
    await page.fill("#home-pin", "481 9203")
    await assert_fits(page)
    await page.screenshot(path=str(artifacts / f"home-pin-{lang}.png"), full_page=True)
    await page.locator(".pin-box button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/play\?pin=481(\+|%20)9203$"))
    assert await page.input_value("#pin") == "4819203"
    assert await page.evaluate("document.activeElement.id") == "nickname"
