"""Broadcast overlays in Chromium (docs/broadcast.md): OBS / vMix browser sources, 1920x1080 and
transparent, fed by the read-only feed.

A real game: the host copies the overlay URLs from the console's Overlays panel; the join card
shows the PIN and QR code; the lower third shows the question with a running countdown; the
answer distribution stays empty until the reveal, then shows the room's answers; the top-5 ticker
shows the leaderboard; rotating the key takes an open overlay off the air at once. A contest: the
top 10, unit board and participation counter show the public board. Every overlay is
screenshotted with a transparent background (corners alpha 0, content opaque, all inside the
title-safe area) to tests/artifacts/overlay-*.png, and one is composited over a test video frame
(tests/artifacts/overlay-over-video.png).
"""

from __future__ import annotations

import io
import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from tests.browser.conftest import new_page
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000
QUESTION = "Which Sustainable Development Goal is about quality education?"
SECOND = "Lifelong learning is for every age."
SAFE_X, SAFE_Y = 96, 54  # title-safe margins of a 1920x1080 frame (5 %)


@pytest.fixture(autouse=True)
def _fresh_live_store(settings):
    """Game ids restart with each test database, Redis outlives it: drop stale live state."""
    if not settings.REDIS_URL:
        return
    import redis

    client = redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{settings.CHANNEL_PREFIX}:live:*"):
        client.delete(key)
    client.close()


def build_game():
    from quizzes.models import Quiz, QuizItem
    from realtime.services import game_create

    teacher = make_user("overlay-host", roles=["teacher"])
    question = make_question(
        text_en=QUESTION,
        author=teacher,
        choices=[("SDG 4", 1.0), ("SDG 5", 0.0), ("SDG 13", 0.0)],
        time_limit=20,
    )
    second = make_question(
        text_en=SECOND,
        author=teacher,
        choices=[("True", 1.0), ("False", 0.0)],
        type="truefalse",
        time_limit=20,
    )
    quiz = Quiz.objects.create(title="Overlay quiz", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=question, position=0)
    QuizItem.objects.create(quiz=quiz, question=second, position=1)
    game = game_create(host=teacher, quiz_id=quiz.id, settings={"read_seconds": 0})
    return teacher.username, game


def check_transparent(png: bytes, name: str, artifacts) -> None:
    """Corners see-through, some opaque content, and all of it inside the title-safe area."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.size == (1920, 1080), name
    (artifacts / f"overlay-{name}.png").write_bytes(png)
    alpha = image.getchannel("A")
    for corner in ((0, 0), (1919, 0), (0, 1079), (1919, 1079), (960, 2), (2, 540)):
        assert alpha.getpixel(corner) == 0, (name, corner)
    opaque = sum(alpha.histogram()[200:])
    assert opaque > 10_000, (name, opaque)  # the panel is really drawn
    # The panels' soft shadows may reach further; what reads (alpha > 50 %) stays inside.
    left, top, right, bottom = alpha.point(lambda a: 255 if a > 128 else 0).getbbox()
    assert left >= SAFE_X, (name, left, right)
    assert right <= 1920 - SAFE_X, (name, left, right)
    assert top >= SAFE_Y, (name, top, bottom)
    assert bottom <= 1080 - SAFE_Y, (name, top, bottom)


async def shoot(page, name, artifacts) -> bytes:
    await page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')"
    )
    scroll = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert scroll == [1920, 1080], (name, scroll)  # no scroll bars
    await page.bring_to_front()
    await page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    png = await page.screenshot(omit_background=True)
    check_transparent(png, name, artifacts)
    return png


def video_frame():
    """A stand-in for a camera frame: a bright gradient with shapes (worst case for legibility)."""
    from PIL import Image, ImageDraw

    frame = Image.new("RGBA", (1920, 1080))
    draw = ImageDraw.Draw(frame)
    for y in range(1080):
        draw.line([(0, y), (1919, y)], fill=(90 + y // 8, 150 + y // 12, 230 - y // 6, 255))
    for i in range(12):
        draw.ellipse(
            [i * 170, 300 + (i % 3) * 140, i * 170 + 260, 560 + (i % 3) * 140],
            fill=(255, 240 - i * 12, 120 + i * 8, 255),
        )
    draw.rectangle([0, 880, 1919, 1079], fill=(245, 245, 235, 255))  # a bright floor
    return frame


async def test_live_game_overlays_show_the_game_and_stay_transparent(
    asgi_server, browser, artifacts
):
    from PIL import Image

    username, game = await sync_to_async(build_game)()
    errors: list[str] = []

    # The host logs in and copies the overlay URLs from the console's Overlays panel.
    host = await new_page(browser, errors=errors)
    await host.goto(f"{asgi_server.url}/accounts/login/?next=/host/{game.id}/")
    await host.fill("#id_username", username)
    await host.fill("#id_password", "pw-123456")
    await host.locator("main form button[type=submit]").click()
    await host.wait_for_url(re.compile(rf"/host/{game.id}/$"))
    await expect(host.locator("#overlay-lower-third")).to_have_value(
        re.compile(rf"/overlay/game/{game.id}/lower-third\?key={re.escape(game.overlay_key)}$"),
        timeout=TIMEOUT,
    )
    await expect(host.locator("[data-overlay-copy]")).to_have_count(5)
    await host.locator("#overlays").screenshot(path=str(artifacts / "overlay-host-panel.png"))
    urls = {
        kind: await host.locator(f"#overlay-{kind}").input_value()
        for kind in ("lower-third", "ticker", "join", "distribution")
    }
    pages = {}
    for kind, url in urls.items():
        pages[kind] = await new_page(browser, errors=errors)
        await pages[kind].goto(url)

    # Lobby: the join card shows the PIN and the QR code; the others draw nothing.
    join = pages["join"]
    await expect(join.locator("#ov-pin")).to_have_text(
        re.compile(re.escape(game.pin[:3])), timeout=TIMEOUT
    )
    await join.wait_for_function(
        "() => { const i = document.querySelector('.ov-qr'); return i && i.complete && i.naturalWidth > 0; }"
    )
    await shoot(join, "join", artifacts)
    for kind in ("lower-third", "ticker", "distribution"):
        await expect(pages[kind].locator("#overlay")).to_have_attribute("data-state", "empty")

    # A player joins on a phone.
    phone = await new_page(browser, phone=True, errors=errors)
    await phone.goto(f"{asgi_server.url}/play?pin={game.pin}")
    await phone.fill("#nickname", "Lan Anh")
    await phone.get_by_role("button", name="Enter").click()
    await expect(phone.locator("#stage")).to_contain_text("You're in!", timeout=TIMEOUT)

    # The question: the lower third shows it with a countdown that runs.
    await host.get_by_role("button", name="Start", exact=True).click()
    lower = pages["lower-third"]
    await expect(lower.locator("#ov-qtext")).to_have_text(QUESTION, timeout=TIMEOUT)
    await lower.wait_for_function(
        "() => Number(document.getElementById('ov-clock-n').textContent) > 0"
    )
    first = int(await lower.locator("#ov-clock-n").inner_text())
    await lower.wait_for_function(
        f"() => Number(document.getElementById('ov-clock-n').textContent) < {first}",
        timeout=TIMEOUT,
    )
    lower_png = await shoot(lower, "lower-third", artifacts)
    # No answer distribution (nor the key) before the reveal.
    await expect(pages["distribution"].locator("#overlay")).to_have_attribute("data-state", "empty")

    await phone.locator(".answer", has_text="SDG 4").click()
    await expect(phone.locator("#ack")).to_contain_text("Answer received", timeout=TIMEOUT)
    await host.get_by_role("button", name="End question").click()

    # The reveal: the distribution shows the room's answers, the right one marked.
    dist = pages["distribution"]
    right = dist.locator(".ov-bar.right")
    await expect(right).to_contain_text("SDG 4", timeout=TIMEOUT)
    await expect(right.locator(".ov-bar-n")).to_have_text("1")
    await expect(lower.locator("#overlay")).to_have_attribute("data-state", "empty")
    await shoot(dist, "distribution", artifacts)

    # The leaderboard: the ticker shows the top 5.
    await host.get_by_role("button", name="Next", exact=False).first.click()
    ticker = pages["ticker"]
    await expect(ticker.locator(".ov-ticker-item").first).to_contain_text(
        "Lan Anh", timeout=TIMEOUT
    )
    await shoot(ticker, "ticker", artifacts)
    # The next question. OBS shuts a hidden source down: back on air (a reload), the ticker shows
    # the last top 5 at once, although the snapshot of a question carries no leaderboard.
    await host.get_by_role("button", name="Next", exact=False).first.click()
    await expect(lower.locator("#ov-qtext")).to_have_text(SECOND, timeout=TIMEOUT)
    await ticker.reload()
    await expect(ticker.locator("#overlay")).to_have_attribute(
        "data-state", "shown", timeout=TIMEOUT
    )
    await expect(ticker.locator(".ov-ticker-item").first).to_contain_text("Lan Anh")

    # The overlay over a (test) video frame, for the note.
    frame = video_frame()
    frame.alpha_composite(Image.open(io.BytesIO(lower_png)).convert("RGBA"))
    frame.convert("RGB").save(artifacts / "overlay-over-video.png")

    # The host rotates the key: the open overlay goes off the air at once and says why.
    host.once("dialog", lambda dialog: dialog.accept())
    await host.locator("#overlay-rotate").click()
    await expect(host.locator("#overlay-ticker")).not_to_have_value(urls["ticker"], timeout=TIMEOUT)
    await expect(ticker.locator("#ov-problem")).to_be_visible(timeout=TIMEOUT)
    await expect(ticker.locator(".ov-ticker")).to_have_count(0)
    await expect(lower.locator("#ov-problem")).to_be_visible(timeout=TIMEOUT)
    await expect(lower.locator("#ov-qtext")).to_have_count(0)
    fresh = await new_page(browser, errors=errors)
    await fresh.goto(await host.locator("#overlay-lower-third").input_value())
    await expect(fresh.locator("#ov-qtext")).to_have_text(SECOND, timeout=TIMEOUT)
    assert [e for e in errors if "Content Security Policy" in e or "Uncaught" in e] == []


def build_contest():
    from rest_framework.test import APIClient

    from tests.contest.helpers import make_contest, make_school, register
    from tests.contest.test_contest_feed import _take

    client = APIClient()
    contest, round_, questions = make_contest(scores_while_open=True)
    cg = make_school("CG", "THCS Cầu Giấy")
    bd = make_school("BD", "THCS Ba Đình")
    people = [
        ("Nguyễn Thị Lan", cg, 3),
        ("Trần Văn Bình", cg, 2),
        ("Lê Văn Cường", bd, 1),
    ]
    for i, (name, school, right) in enumerate(people):
        token = register(client, contest, school["school"], name=name, email=f"p{i}@x.org")
        _take(client, round_, token, questions, right=right)
    organiser = make_user("overlay-organiser", roles=["organiser"])
    contest.staff.add(organiser)
    return contest


async def test_contest_overlays_show_the_public_board_and_stay_transparent(
    asgi_server, browser, artifacts
):
    contest = await sync_to_async(build_contest)()
    errors: list[str] = []
    organiser = await new_page(browser, errors=errors)
    await organiser.goto(
        f"{asgi_server.url}/accounts/login/?next=/organise/contests/{contest.slug}/"
    )
    await organiser.fill("#id_username", "overlay-organiser")
    await organiser.fill("#id_password", "pw-123456")
    await organiser.locator("main form button[type=submit]").click()
    await organiser.wait_for_url(re.compile(rf"/organise/contests/{contest.slug}/$"))
    await expect(organiser.locator("#overlay-top10")).to_have_value(
        re.compile(rf"/overlay/contest/{contest.slug}/top10\?key="), timeout=TIMEOUT
    )
    await organiser.locator("#overlays").screenshot(
        path=str(artifacts / "overlay-organiser-panel.png")
    )
    pages = {}
    for kind in ("top10", "units", "participation"):
        pages[kind] = await new_page(browser, locale="vi", errors=errors)
        await pages[kind].goto(await organiser.locator(f"#overlay-{kind}").input_value())
    rows = pages["top10"].locator(".ov-row")
    await expect(rows).to_have_count(3, timeout=TIMEOUT)
    await expect(rows.first).to_contain_text("Nguyễn T. L.")
    await expect(rows.nth(2)).to_contain_text("Lê V. C.")
    await shoot(pages["top10"], "contest-top10", artifacts)
    await expect(pages["units"].locator(".ov-row").first).to_contain_text(
        "THCS Cầu Giấy", timeout=TIMEOUT
    )
    await shoot(pages["units"], "contest-units", artifacts)
    await expect(pages["participation"].locator("#ov-registered")).to_have_text(
        "3", timeout=TIMEOUT
    )
    await shoot(pages["participation"], "contest-participation", artifacts)
    assert [e for e in errors if "Content Security Policy" in e or "Uncaught" in e] == []
