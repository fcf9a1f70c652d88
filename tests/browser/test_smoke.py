"""The home page renders in Chromium in both languages without script or CSP errors."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


async def test_home_page_in_chromium_in_both_languages(asgi_server, browser, artifacts):
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await page.goto(asgi_server.url + "/")
    assert "Vào trò chơi bằng mã PIN" in await page.inner_text("main")
    await page.screenshot(path=str(artifacts / "home-vi.png"))
    await page.get_by_role("button", name="EN").click()
    await page.wait_for_load_state()
    assert "Join a game with a PIN" in await page.inner_text("main")
    await page.screenshot(path=str(artifacts / "home-en.png"))
    assert errors == []
