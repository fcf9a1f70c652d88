"""A whole live game in Chromium: the host console, the ceremony screen and three players on
phones, each in its own browser context, in English and in Vietnamese.

One player answers right, one wrong, one too late; one reloads mid-question and keeps their name
and score; the screen ends on the podium with the right names in the right order (only players
with points stand on it). Screenshots of every page at each key moment land in
tests/artifacts/live-<lang>-*.png.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from quizzes.models import Quiz, QuizItem
from tests.browser.conftest import new_page
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000  # ms: generous for a loaded CI machine; every wait is on a page event or text

TEXT = {
    "en": {
        "q1": "Which Sustainable Development Goal is about quality education?",
        "q2": "Lifelong learning is for every age.",
        "right1": "SDG 4",
        "wrong1": "SDG 13",
        "true": "True",
        "false": "False",
        "host": "Host",
        "enter": "Enter",
        "in": "You're in!",
        "start": "Start",
        "next": "Next",
        "end_question": "End question",
        "received": "Answer received",
        "late": "Too late",
        "correct": "Correct!",
        "wrong": "Not quite",
        "none": "No answer counted",
        "leaderboard": "Leaderboard",
        "podium": "Podium",
        "final": "Final rank: 1",
        "join_at": "Join on your phone at",
    },
    "vi": {
        "q1": "Mục tiêu Phát triển Bền vững nào nói về giáo dục có chất lượng?",
        "q2": "Học tập suốt đời dành cho mọi lứa tuổi.",
        "right1": "SDG 4 (Giáo dục)",
        "wrong1": "SDG 13 (Khí hậu)",
        "true": "Đúng",
        "false": "Sai",
        "host": "Tổ chức",
        "enter": "Vào chơi",
        "in": "Bạn đã vào!",
        "start": "Bắt đầu",
        "next": "Tiếp theo",
        "end_question": "Kết thúc câu hỏi",
        "received": "Đã nhận câu trả lời",
        "late": "Quá muộn",
        "correct": "Chính xác!",
        "wrong": "Chưa đúng",
        "none": "Không có câu trả lời được tính",
        "leaderboard": "Bảng xếp hạng",
        "podium": "Bục vinh quang",
        "final": "Hạng chung cuộc: 1",
        "join_at": "Vào bằng điện thoại tại",
    },
}


def build_quiz() -> tuple[str, str]:
    """A teacher and a two-question bilingual quiz with 5-second questions."""
    teacher = make_user("host-teacher", roles=["teacher"], password="pw-123456")
    q1 = make_question(
        text_en=TEXT["en"]["q1"],
        text_vi=TEXT["vi"]["q1"],
        author=teacher,
        choices=[("SDG 4", 1.0), ("SDG 5", 0.0), ("SDG 13", 0.0), ("SDG 1", 0.0)],
        time_limit=5,
    )
    # Bilingual choices: the Vietnamese players must see the Vietnamese option texts.
    for choice, vi in zip(
        q1.choices.all(),
        ["SDG 4 (Giáo dục)", "SDG 5 (Bình đẳng giới)", "SDG 13 (Khí hậu)", "SDG 1 (Xóa nghèo)"],
        strict=True,
    ):
        choice.text_vi = vi
        choice.save()
    q2 = make_question(
        type="truefalse",
        text_en=TEXT["en"]["q2"],
        text_vi=TEXT["vi"]["q2"],
        author=teacher,
        choices=[("True", 1.0), ("False", 0.0)],
        time_limit=5,
    )
    for choice, vi in zip(q2.choices.all(), ["Đúng", "Sai"], strict=True):
        choice.text_vi = vi
        choice.save()
    quiz = Quiz.objects.create(title="Lifelong Learning Week", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=q1, position=0)
    QuizItem.objects.create(quiz=quiz, question=q2, position=1)
    return teacher.username, "pw-123456"


@pytest.fixture(autouse=True)
def _fresh_live_store(settings):
    """Game ids restart with each new test database, but Redis outlives it: drop stale live
    state of earlier runs so game 1 of this run is not mistaken for game 1 of the last one."""
    if not settings.REDIS_URL:
        return
    import redis

    client = redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{settings.CHANNEL_PREFIX}:live:*"):
        client.delete(key)
    client.close()


class SlowNetwork:
    """Hoa's phone on a slow network: her answer reaches the server only after the deadline.

    Her page's WebSocket goes through Playwright's router. While `holding`, answer frames wait;
    when the server's `closed` frame passes, the server's later frames (but errors) wait too, so
    the test can see what the phone says about the late answer before the reveal comes in.
    """

    def __init__(self) -> None:
        self.holding = False
        self.held: list[str] = []
        self.gated = False
        self.queue: list[str] = []
        self.closed = asyncio.Event()
        self.page = None
        self.server = None

    def route(self, ws) -> None:
        self.page, self.server = ws, ws.connect_to_server()
        ws.on_message(self._from_page)
        self.server.on_message(self._from_server)

    def _from_page(self, message) -> None:
        if self.holding and json.loads(message).get("type") == "answer":
            self.held.append(message)
        else:
            self.server.send(message)

    def _from_server(self, message) -> None:
        kind = json.loads(message).get("type")
        if self.gated and kind != "error":
            self.queue.append(message)
            return
        self.page.send(message)
        if kind == "closed" and self.holding:
            self.gated = True
            self.closed.set()

    def deliver_late(self) -> None:
        self.holding = False
        for message in self.held:
            self.server.send(message)
        self.held.clear()

    def catch_up(self) -> None:
        self.gated = False
        for message in self.queue:
            self.page.send(message)
        self.queue.clear()


async def settled(page):
    await page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')"
    )


async def snap(page, artifacts, lang, name):
    await settled(page)
    await page.screenshot(path=str(artifacts / f"live-{lang}-{name}.png"))


OUTSIDE = """(whole) => [...document.querySelectorAll('body *')].filter((e) => {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || e.closest('.skip-link, .visually-hidden')) return false;
    return r.left < -1 || r.right > innerWidth + 1 || (whole && (r.top < -1 || r.bottom > innerHeight + 1));
}).map((e) => e.className || e.tagName)"""


async def assert_fits(page, *, whole: bool = False):
    """Nothing sticks out of the viewport: sideways on phones, on any side on the screen."""
    await settled(page)
    outside = await page.evaluate(OUTSIDE, whole)
    assert outside == [], f"outside the viewport: {outside}"


async def play_a_game(asgi_server, browser, artifacts, lang):
    t = TEXT[lang]
    username, password = await sync_to_async(build_quiz)()
    errors: list[str] = []

    # --- The host logs in, picks the quiz and creates the game ---------------------------------
    host = await new_page(browser, locale=lang, errors=errors)
    await host.goto(asgi_server.url + "/host/")
    await host.fill("#id_username", username)
    await host.fill("#id_password", password)
    await host.locator("main form button[type=submit]").click()
    await host.wait_for_url(re.compile(r"^http://[^/]+/host/$"))  # not the login URL ?next=/host/
    await host.locator("summary").click()
    await host.fill("input[name=read_seconds]", "1")
    await host.fill("input[name=brand_title]", "Lifelong Learning Week 2026")
    await host.get_by_role("button", name=t["host"], exact=False).first.click()
    await host.wait_for_url(re.compile(r"/host/\d+/?$"))
    pin_box = host.locator("#h-pin")
    await expect(pin_box).to_have_text(re.compile(r"^\d{7,}$"), timeout=TIMEOUT)
    pin = await pin_box.inner_text()
    screen_link = host.locator("#h-screen")
    await expect(screen_link).to_be_visible(timeout=TIMEOUT)
    screen_url = await screen_link.get_attribute("href")

    # --- The ceremony screen --------------------------------------------------------------------
    screen = await new_page(browser, locale=lang, errors=errors)
    await screen.goto(asgi_server.url + screen_url)
    await expect(screen.locator("#s-pin")).to_have_text(
        re.compile(re.escape(pin[:3])), timeout=TIMEOUT
    )
    await expect(screen.locator(".sc-join")).to_contain_text(t["join_at"])
    # The QR code is an SVG drawn by our server; it loads (no outside service).
    await screen.wait_for_function(
        "() => { const i = document.querySelector('.sc-qr img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    await expect(screen.locator("#s-title")).to_have_text("Lifelong Learning Week 2026")

    # --- Three players join from phones (one through the QR/join link, the others by PIN) -----
    names = ["Lan Anh", "Minh", "Hoa"]
    players = []
    hoa_network = SlowNetwork()
    for index, name in enumerate(names):
        page = await new_page(browser, locale=lang, phone=True, errors=errors)
        if name == "Hoa":
            # Her socket: the join socket she joins and plays on, or the game's after a reconnect.
            await page.route_web_socket(re.compile(r"/ws/(game|join)/"), hoa_network.route)
        if index == 0:
            await page.goto(f"{asgi_server.url}/play?pin={pin}")
            await expect(page.locator("#pin")).to_have_value(pin)
        else:
            await page.goto(f"{asgi_server.url}/play")
            await page.fill("#pin", pin)
        await page.fill("#nickname", name)
        await page.get_by_role("button", name=t["enter"]).click()
        await expect(page.locator("#stage")).to_contain_text(t["in"], timeout=TIMEOUT)
        await expect(page.locator("#me-name")).to_have_text(name)
        players.append(page)
    lan, minh, hoa = players

    await expect(screen.locator("#s-count")).to_have_text("3", timeout=TIMEOUT)
    for name in names:
        await expect(screen.locator("#s-names")).to_contain_text(name)
        await expect(host.locator("#h-players")).to_contain_text(name)
    await expect(host.locator("#h-count")).to_have_text("3")
    await snap(screen, artifacts, lang, "screen-lobby")
    await snap(host, artifacts, lang, "host-lobby")
    await snap(lan, artifacts, lang, "phone-lobby")
    await assert_fits(screen, whole=True)
    await assert_fits(lan)

    # --- Question 1: Lan right, Minh wrong, Hoa too late ---------------------------------------
    await host.get_by_role("button", name=t["start"], exact=True).click()
    await expect(screen.locator(".sc-qtext")).to_have_text(t["q1"], timeout=TIMEOUT)
    for page in players:
        await expect(page.locator(".play-qtext")).to_have_text(t["q1"], timeout=TIMEOUT)
    # Read phase first; the options appear when the window opens. Answer straight away (the
    # window is 5 s), take the pictures afterwards. Hoa answers too, but on a slow network.
    right = lan.locator(".answer", has_text=t["right1"])
    wrong = minh.locator(".answer", has_text=t["wrong1"])
    await expect(right).to_be_visible(timeout=TIMEOUT)
    await expect(wrong).to_be_visible(timeout=TIMEOUT)
    await right.click()
    await wrong.click()
    hoa_network.holding = True
    await hoa.locator(".answer", has_text=t["right1"]).click()
    await expect(hoa.locator("#ack")).not_to_contain_text(t["received"])
    await expect(lan.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
    await expect(minh.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
    await expect(screen.locator("#s-answers")).to_contain_text("2 / 3", timeout=TIMEOUT)
    await expect(host.locator("#h-answers")).to_contain_text("2", timeout=TIMEOUT)
    await snap(hoa, artifacts, lang, "phone-question")
    await snap(screen, artifacts, lang, "screen-question")
    await snap(lan, artifacts, lang, "phone-answered")
    await snap(host, artifacts, lang, "host-question")
    await assert_fits(hoa)
    # Hoa's answer reaches the server after the question closed: the server's clock decides, it
    # is refused as late, and her phone says so.
    await asyncio.wait_for(hoa_network.closed.wait(), TIMEOUT / 1000)
    hoa_network.deliver_late()
    await expect(hoa.locator("#stage")).to_contain_text(t["late"], timeout=TIMEOUT)
    await expect(hoa.locator("#ack")).to_have_count(0)  # no "Sending…" left beside it
    await snap(hoa, artifacts, lang, "phone-too-late")
    hoa_network.catch_up()

    # Reveal: the chart on the screen, the verdict on each phone.
    await expect(screen.locator(".sc-chart")).to_be_visible(timeout=TIMEOUT)
    await expect(screen.locator(".sc-col.right")).to_contain_text(t["right1"])
    await expect(lan.locator(".play-result")).to_contain_text(t["correct"], timeout=TIMEOUT)
    await expect(minh.locator(".play-result")).to_contain_text(t["wrong"], timeout=TIMEOUT)
    await expect(hoa.locator(".play-result")).to_contain_text(t["none"], timeout=TIMEOUT)
    await expect(host.locator(".hq-choice.right")).to_contain_text(t["right1"])
    await snap(screen, artifacts, lang, "screen-reveal")
    await snap(lan, artifacts, lang, "phone-result-right")
    await snap(minh, artifacts, lang, "phone-result-wrong")
    await snap(host, artifacts, lang, "host-reveal")
    await assert_fits(screen, whole=True)
    lan_score = await lan.locator("#me-score").inner_text()
    assert re.search(r"[1-9]", lan_score), lan_score

    # Leaderboard on the screen (Lan first).
    await host.get_by_role("button", name=t["next"]).click()
    await expect(screen.locator(".sc-lb-row").first).to_contain_text("Lan Anh", timeout=TIMEOUT)
    await expect(screen.locator(".sc-lb h1")).to_have_text(t["leaderboard"])
    await snap(screen, artifacts, lang, "screen-leaderboard")
    await assert_fits(screen, whole=True)

    # --- Question 2: Lan answers, the host pauses, Lan reloads and keeps name, score, answer ---
    await host.get_by_role("button", name=t["next"]).click()
    await expect(screen.locator(".sc-qtext")).to_have_text(t["q2"], timeout=TIMEOUT)
    true_button = lan.locator(".answer", has_text=t["true"])
    await expect(true_button).to_be_visible(timeout=TIMEOUT)
    await true_button.click()
    await expect(lan.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
    await host.locator("#c-pause").click()
    await expect(host.locator("#c-pause")).to_have_attribute(
        "aria-pressed", "true", timeout=TIMEOUT
    )
    await lan.reload()
    await expect(lan.locator("#me-name")).to_have_text("Lan Anh", timeout=TIMEOUT)
    await expect(lan.locator("#me-score")).to_have_text(lan_score, timeout=TIMEOUT)
    await expect(lan.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
    await expect(lan.locator("#clock")).to_contain_text("❚❚", timeout=TIMEOUT)
    await snap(lan, artifacts, lang, "phone-after-reload")
    await host.locator("#c-pause").click()
    await expect(host.locator("#c-pause")).to_have_attribute(
        "aria-pressed", "false", timeout=TIMEOUT
    )
    await host.locator("[data-action=add_time]").click()
    await minh.locator(".answer", has_text=t["true"]).click()
    await expect(minh.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
    await hoa.locator(".answer", has_text=t["false"]).click()
    await expect(hoa.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)
    await host.get_by_role("button", name=t["end_question"]).click()
    await expect(screen.locator(".sc-chart")).to_be_visible(timeout=TIMEOUT)
    await expect(lan.locator(".play-result")).to_contain_text(t["correct"], timeout=TIMEOUT)
    await expect(hoa.locator(".play-result")).to_contain_text(t["wrong"], timeout=TIMEOUT)

    # --- Podium: Lan, Minh; Hoa has no points, so no bronze (issue 13) --------------------------
    await host.get_by_role("button", name=t["next"]).click()
    await expect(screen.locator(".sc-lb-row").first).to_contain_text("Lan Anh", timeout=TIMEOUT)
    await host.get_by_role("button", name=t["next"]).click()
    podium = screen.locator(".sc-podium")
    await expect(podium).to_be_visible(timeout=TIMEOUT)
    await expect(screen.locator(".sc-place.p1 .sc-pname")).to_have_text("Lan Anh")
    await expect(screen.locator(".sc-place.p2 .sc-pname")).to_have_text("Minh")
    await expect(screen.locator(".sc-place.p3")).to_have_count(0)
    await expect(screen.locator(".sc-podium")).not_to_contain_text("Hoa")
    await expect(screen.locator(".sc-h")).to_have_text(t["podium"])
    await expect(lan.locator(".play-final")).to_contain_text(t["final"], timeout=TIMEOUT)
    await assert_fits(screen, whole=True)
    await snap(screen, artifacts, lang, "screen-podium")
    await snap(lan, artifacts, lang, "phone-final")
    await snap(host, artifacts, lang, "host-podium")
    await assert_fits(screen, whole=True)
    await assert_fits(lan)
    assert errors == []


async def test_a_live_game_in_english(asgi_server, browser, artifacts):
    await play_a_game(asgi_server, browser, artifacts, "en")


async def test_a_live_game_in_vietnamese(asgi_server, browser, artifacts):
    await play_a_game(asgi_server, browser, artifacts, "vi")
