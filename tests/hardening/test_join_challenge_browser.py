"""The rotating join challenge in Chromium: the host turns it on from the console, the ceremony
screen shows the code large, the /play form asks for it (precise error for a missing or wrong
code) and lets the player in with the code from the screen; turned off, the screen hides it."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from django.utils import translation
from playwright.async_api import expect

from realtime.challenge import MSG_CHALLENGE_REQUIRED, MSG_CHALLENGE_WRONG
from tests.browser.conftest import new_page
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000


def setup():
    teacher = make_user("challenge-host", roles=["teacher"], password="pw-123456")
    game = create_game(teacher, make_quiz(teacher, ["single"]), time_limit=30)
    return game.id, game.pin, game.screen_key


async def test_the_screen_shows_the_code_and_the_play_form_requires_it(
    asgi_server, browser, artifacts
):
    game_id, pin, key = await sync_to_async(setup)()
    with translation.override("en"):  # the pages below run in English
        required, wrong = str(MSG_CHALLENGE_REQUIRED), str(MSG_CHALLENGE_WRONG)
    errors: list[str] = []
    host = await new_page(browser, errors=errors)
    host.on("dialog", lambda dialog: dialog.accept())
    await host.goto(asgi_server.url + f"/host/{game_id}/")
    await host.fill("#id_username", "challenge-host")
    await host.fill("#id_password", "pw-123456")
    await host.locator("main form button[type=submit]").click()
    await host.wait_for_url(re.compile(rf"/host/{game_id}/?$"))
    toggle = host.locator("#c-challenge")
    await expect(toggle).to_have_attribute("aria-pressed", "false", timeout=TIMEOUT)

    screen = await new_page(browser, errors=errors)
    await screen.goto(asgi_server.url + f"/screen/{game_id}/?key={key}")
    await expect(screen.locator(".sc-pin, #s-stage")).not_to_have_count(0, timeout=TIMEOUT)
    assert await screen.locator("#s-challenge").is_hidden()

    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT)
    await expect(host.locator("#h-challenge-code")).to_have_text(
        re.compile(r"^\d{4}$"), timeout=TIMEOUT
    )
    code_box = screen.locator("#s-challenge")
    await expect(code_box).to_be_visible(timeout=TIMEOUT)  # picked up by the screen's poll
    shown = screen.locator("#s-challenge-code")
    await expect(shown).to_have_text(re.compile(r"^\d{4}$"), timeout=TIMEOUT)
    size = await shown.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 96  # large: read from the back of a hall (1920x1080 screen)
    await screen.screenshot(path=str(artifacts / "hardening-join-challenge-screen.png"))

    phone = await new_page(browser, phone=True, errors=errors)
    await phone.goto(asgi_server.url + f"/play?pin={pin}")
    # The form asks for the code up front (the PIN lookup says the game needs one).
    await expect(phone.locator("#challenge")).to_be_visible(timeout=TIMEOUT)
    await phone.fill("#nickname", "Lan")
    await phone.locator("#join-form button[type=submit]").click()
    error = phone.locator("#join-error")
    await expect(error).to_have_text(required, timeout=TIMEOUT)
    await expect(phone.locator("#challenge")).to_be_visible()
    await expect(phone.locator("#challenge")).to_be_focused()

    right = await shown.text_content()
    await phone.fill("#challenge", str((int(right) + 5000) % 10_000).zfill(4))
    await phone.locator("#join-form button[type=submit]").click()
    await expect(error).to_have_text(wrong, timeout=TIMEOUT)
    await phone.screenshot(path=str(artifacts / "hardening-join-challenge-play.png"))

    await phone.fill("#challenge", (await shown.text_content()).strip())
    await phone.locator("#join-form button[type=submit]").click()
    await expect(phone.locator("#v-game")).to_be_visible(timeout=TIMEOUT)
    await expect(host.locator("#h-count")).to_have_text("1", timeout=TIMEOUT)

    await toggle.click()
    await expect(toggle).to_have_attribute("aria-pressed", "false", timeout=TIMEOUT)
    await expect(code_box).to_be_hidden(timeout=TIMEOUT)
    # No console errors: the refused joins above were error frames on the join socket, not
    # failed requests.
    assert errors == []
    for page in (host, screen, phone):
        await page.context.close()
