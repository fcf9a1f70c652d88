"""The finish of a live game in Chromium: pause and skip said out loud on the screen and the phone,
no answer tile that looks chosen after a reload, disabled host buttons that look disabled, the key
on the host console only, the event's branding on the phone, and the screen's optional sound."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from quizzes.models import Quiz, QuizItem
from tests.browser.conftest import new_page
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000
BRAND = {"title": "Tuần lễ Học tập suốt đời", "primary": "#7a1fa2", "accent": "#ffb300"}

# A stand-in for Web Audio that counts contexts and tones (headless Chromium has no speakers).
FAKE_AUDIO = """
window.__audio = { contexts: 0, tones: 0 };
class FakeParam { setValueAtTime() {} exponentialRampToValueAtTime() {} }
class FakeNode {
  constructor() { this.frequency = new FakeParam(); this.gain = new FakeParam(); }
  connect(node) { return node; }
  start() { window.__audio.tones += 1; }
  stop() {}
}
window.AudioContext = class {
  constructor() { window.__audio.contexts += 1; this.state = "running"; this.currentTime = 0; this.destination = {}; }
  createOscillator() { return new FakeNode(); }
  createGain() { return new FakeNode(); }
  resume() {}
};
"""


def build_game():
    from realtime.services import game_create

    teacher = make_user("finish-teacher", roles=["teacher"], password="pw-123456")
    quiz = Quiz.objects.create(title="Finish", author=teacher)
    for position in range(3):
        question = make_question(
            text_en=f"Question number {position + 1}?",
            author=teacher,
            choices=[(f"Right {position + 1}", 1.0), (f"Wrong {position + 1}", 0.0)],
            time_limit=60,
        )
        QuizItem.objects.create(quiz=quiz, question=question, position=position)
    game = game_create(
        host=teacher,
        quiz_id=quiz.id,
        settings={"read_seconds": 0, "show_leaderboard": False, "branding": BRAND},
    )
    return game.id, game.pin, game.screen_key


async def test_pause_skip_reload_key_branding_and_sound_as_people_see_them(
    asgi_server, browser, artifacts
):
    game_id, pin, screen_key = await sync_to_async(build_game)()
    errors: list[str] = []

    host = await new_page(browser, errors=errors)
    await host.goto(f"{asgi_server.url}/host/{game_id}/")
    await host.fill("#id_username", "finish-teacher")
    await host.fill("#id_password", "pw-123456")
    await host.locator("main form button[type=submit]").click()
    await host.wait_for_url(re.compile(rf"/host/{game_id}/$"))
    await expect(host.locator("#h-phase")).to_have_text("Lobby", timeout=TIMEOUT)

    # Disabled controls look disabled: the same grey, flat look whatever their colour.
    looks = await host.evaluate(
        """() => [...document.querySelectorAll('.host-controls [data-action]')].map((b) => {
            const s = getComputedStyle(b);
            return {action: b.dataset.action, disabled: b.disabled, bg: s.backgroundColor,
                    cursor: s.cursor, opacity: s.opacity};
        })"""
    )
    disabled = [b for b in looks if b["disabled"]]
    enabled = [b for b in looks if not b["disabled"]]
    assert {b["action"] for b in disabled} >= {"next", "skip", "pause"}
    assert len({b["bg"] for b in disabled}) == 1, disabled  # "Next" (primary) like "Skip"
    assert {b["cursor"] for b in disabled} == {"not-allowed"}
    assert disabled[0]["bg"] not in {b["bg"] for b in enabled}
    await host.screenshot(path=str(artifacts / "live-finish-host-lobby.png"))

    screen = await new_page(browser, errors=errors)
    await screen.add_init_script(FAKE_AUDIO)
    media: list[str] = []
    screen.on("request", lambda r: media.append(r.url) if r.resource_type == "media" else None)
    await screen.goto(f"{asgi_server.url}/screen/{game_id}/?key={screen_key}")
    sound = screen.locator("#s-sound")
    await expect(sound).to_have_attribute("aria-pressed", "false", timeout=TIMEOUT)

    phone = await new_page(browser, phone=True, errors=errors)
    await phone.goto(f"{asgi_server.url}/play?pin={pin}")
    await phone.fill("#nickname", "Lan Anh")
    await phone.get_by_role("button", name="Enter").click()
    await expect(phone.locator("#stage")).to_contain_text("You're in!", timeout=TIMEOUT)
    # The phone carries the event's title and colours.
    await expect(phone.locator("#brand-title")).to_have_text(BRAND["title"])
    bar = await phone.evaluate(
        "getComputedStyle(document.querySelector('.play-bar')).backgroundColor"
    )
    assert bar == "rgb(122, 31, 162)"
    await phone.screenshot(path=str(artifacts / "live-finish-phone-branded.png"))

    # --- Question 1: the host sees the key, the screen does not ----------------------------------
    await host.get_by_role("button", name="Start", exact=True).click()
    await expect(phone.locator(".answer", has_text="Right 1")).to_be_visible(timeout=TIMEOUT)
    await expect(host.locator(".hq-choice.key")).to_contain_text("Right 1", timeout=TIMEOUT)
    await expect(host.locator(".hq-choice.key")).to_have_count(1)
    await expect(screen.locator(".sc-qtext")).to_have_text("Question number 1?", timeout=TIMEOUT)
    assert "right answer" not in (await screen.locator("body").inner_text()).lower()
    await expect(screen.locator(".sc-choice")).to_have_count(2)
    await host.screenshot(path=str(artifacts / "live-finish-host-key.png"))

    # After a reload no tile looks chosen (none is focused or pressed).
    await phone.reload()
    await expect(phone.locator(".answer", has_text="Right 1")).to_be_visible(timeout=TIMEOUT)
    chosen = await phone.evaluate(
        "() => [...document.querySelectorAll('.answer')].filter((b) =>"
        " b === document.activeElement || b.matches(':focus-visible, [aria-pressed=true]')).length"
    )
    assert chosen == 0
    await phone.screenshot(path=str(artifacts / "live-finish-phone-after-reload.png"))

    # Pause: "Paused" on the screen and the phone, and the answer buttons cannot be pressed.
    await host.locator("#c-pause").click()
    await expect(phone.locator("#paused")).to_be_visible(timeout=TIMEOUT)
    await expect(phone.locator("#paused")).to_contain_text("Paused")
    await expect(screen.locator("#s-paused")).to_be_visible(timeout=TIMEOUT)
    await expect(screen.locator("#s-paused")).to_contain_text("Paused")
    for button in await phone.locator(".answer").all():
        await expect(button).to_be_disabled()
    await screen.screenshot(path=str(artifacts / "live-paused-screen.png"))
    await phone.screenshot(path=str(artifacts / "live-paused-phone.png"))
    await host.locator("#c-pause").click()
    await expect(phone.locator("#paused")).to_be_hidden(timeout=TIMEOUT)
    await expect(screen.locator("#s-paused")).to_be_hidden(timeout=TIMEOUT)
    await expect(phone.locator(".answer").first).to_be_enabled()

    await phone.locator(".answer", has_text="Right 1").click()
    await expect(phone.locator("#ack")).to_contain_text("Answer received", timeout=TIMEOUT)
    await host.get_by_role("button", name="End question").click()
    await expect(screen.locator(".sc-chart")).to_be_visible(timeout=TIMEOUT)
    # Muted by default: no audio context, no tone.
    assert await screen.evaluate("window.__audio") == {"contexts": 0, "tones": 0}

    # --- Question 2 is skipped: everyone is told ----------------------------------------------
    await host.get_by_role("button", name="Next").click()
    await expect(phone.locator(".play-qtext")).to_have_text("Question number 2?", timeout=TIMEOUT)
    await host.get_by_role("button", name="Skip").click()
    # The banner names the skipped question, not the next one shown under it.
    await expect(phone.locator("#note")).to_have_text("Question 2 was skipped", timeout=TIMEOUT)
    await expect(screen.locator("#s-note")).to_have_text("Question 2 was skipped", timeout=TIMEOUT)
    await expect(phone.locator(".play-qtext")).to_have_text("Question number 3?", timeout=TIMEOUT)
    await screen.screenshot(path=str(artifacts / "live-skipped-screen.png"))
    await phone.screenshot(path=str(artifacts / "live-skipped-phone.png"))

    # --- Question 3 with sound on: the reveal plays a chime made in the browser ----------------
    await sound.click()
    await expect(sound).to_have_attribute("aria-pressed", "true")
    await host.get_by_role("button", name="End question").click()
    await expect(screen.locator(".sc-chart")).to_be_visible(timeout=TIMEOUT)
    audio = await screen.evaluate("window.__audio")
    assert audio["contexts"] == 1
    assert audio["tones"] >= 3
    assert media == []
    assert errors == []
