"""A phone that loses its connection mid-game gets back in silently, in Chromium.

The phone goes offline and, while it is away, the server process itself goes down and comes back
(the worst case of "network loss": every socket of the game drops). When the network returns the
phone reconnects on its own, without a reload, and keeps its name and score; the host console and
the ceremony screen come back too, and the game goes on to the next question.
"""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from tests.browser.conftest import AsgiServer, child_env, new_page
from tests.browser.test_live_game import TEXT, build_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000


async def test_a_phone_that_loses_the_network_comes_back_with_its_name_and_score(
    asgi_server, browser, artifacts, tmp_path
):
    t = TEXT["en"]
    username, password = await sync_to_async(build_quiz)()
    errors: list[str] = []

    host = await new_page(browser)
    await host.goto(asgi_server.url + "/host/")
    await host.fill("#id_username", username)
    await host.fill("#id_password", password)
    await host.keyboard.press("Enter")
    await host.wait_for_url(re.compile(r"^http://[^/]+/host/$"))  # not the login URL ?next=/host/
    await host.get_by_role("button", name=t["host"], exact=False).first.click()
    await host.wait_for_url(re.compile(r"/host/\d+/?$"))
    await expect(host.locator("#h-pin")).to_have_text(re.compile(r"^\d{7,}$"), timeout=TIMEOUT)
    pin = await host.locator("#h-pin").inner_text()
    screen = await new_page(browser)
    await screen.goto(asgi_server.url + await host.locator("#h-screen").get_attribute("href"))

    phone = await new_page(browser, phone=True, errors=errors)
    await phone.goto(f"{asgi_server.url}/play?pin={pin}")
    await phone.fill("#nickname", "Lan Anh")
    await phone.get_by_role("button", name=t["enter"]).click()
    await expect(phone.locator("#stage")).to_contain_text(t["in"], timeout=TIMEOUT)

    # Question 1, answered right: the phone has a score.
    await host.get_by_role("button", name=t["start"], exact=True).click()
    right = phone.locator(".answer", has_text=t["right1"])
    await expect(right).to_be_visible(timeout=TIMEOUT)
    await right.click()
    await expect(phone.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
    await host.get_by_role("button", name=t["end_question"]).click()
    await expect(phone.locator(".play-result")).to_contain_text(t["correct"], timeout=TIMEOUT)
    score = await phone.locator("#me-score").inner_text()
    assert re.search(r"[1-9]", score), score

    # The phone loses the network, and meanwhile the server goes down and comes back.
    await phone.context.set_offline(True)
    port = asgi_server.port
    asgi_server.stop()
    await expect(phone.locator("#conn")).to_be_visible(timeout=TIMEOUT)
    restarted = await sync_to_async(AsgiServer)(port, tmp_path / "server-2.log", child_env())
    try:
        await phone.context.set_offline(False)

        # Back without a reload: same name, same score, and the game goes on.
        await expect(phone.locator("#conn")).to_be_hidden(timeout=TIMEOUT)
        await expect(phone.locator("#me-name")).to_have_text("Lan Anh")
        await expect(phone.locator("#me-score")).to_have_text(score)
        # The host console and the screen came back on their own too.
        await expect(host.locator("#conn")).to_be_hidden(timeout=TIMEOUT)
        await expect(screen.locator("#s-conn")).to_be_hidden(timeout=TIMEOUT)
        await expect(host.locator("#h-count")).to_have_text("1", timeout=TIMEOUT)
        await host.get_by_role("button", name=t["next"]).click()
        await expect(screen.locator(".sc-lb-row").first).to_contain_text("Lan Anh", timeout=TIMEOUT)
        await host.get_by_role("button", name=t["next"]).click()
        await expect(phone.locator(".play-qtext")).to_have_text(t["q2"], timeout=TIMEOUT)
        await expect(screen.locator(".sc-qtext")).to_have_text(t["q2"], timeout=TIMEOUT)
        true_button = phone.locator(".answer", has_text=t["true"])
        await expect(true_button).to_be_visible(timeout=TIMEOUT)
        await true_button.click()
        await expect(phone.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
        await phone.screenshot(path=str(artifacts / "reconnect-phone-after.png"))
    finally:
        restarted.stop()
    # The page logged no error of its own (network errors while offline are the browser's).
    assert [e for e in errors if "WebSocket" not in e and "net::" not in e] == []
