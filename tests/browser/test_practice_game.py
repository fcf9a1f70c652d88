"""A teacher tries a quiz holding their own draft in a practice game, from the quiz builder: the
host console, the ceremony screen and the teacher's phone all say "Practice"; a student's phone
cannot join it."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from quizzes.models import Quiz, QuizItem
from realtime.models import Game
from tests.browser.conftest import new_page
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000


def _quiz():
    teacher = make_user("practice-teacher", roles=["teacher"])
    quiz = Quiz.objects.create(title="Thử trước khi duyệt", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=make_question(text_vi="Câu đã duyệt"), position=0)
    draft = make_question(text_vi="Câu nháp của tôi", status="draft", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=draft, position=1)
    return quiz


async def login(page, base_url: str, next_url: str) -> None:
    await page.goto(f"{base_url}/accounts/login/?next={next_url}")
    await page.fill("#id_username", "practice-teacher")
    await page.fill("#id_password", "pw-123456")
    async with page.expect_navigation():
        await page.click("main button[type=submit]")


async def test_a_teacher_tries_a_quiz_with_a_draft_in_a_practice_game(
    asgi_server, browser, artifacts
):
    quiz = await sync_to_async(_quiz)()
    errors: list[str] = []
    host = await new_page(browser, locale="vi", errors=errors)
    await login(host, asgi_server.url, f"/bank/quizzes/{quiz.pk}/")
    await host.wait_for_selector(".item")

    await host.click("#practice-quiz")
    await host.wait_for_url(re.compile(r"/host/\d+/?$"))
    await expect(host.locator("#practice-badge")).to_contain_text("Luyện tập")
    pin_box = host.locator("#h-pin")
    await expect(pin_box).to_have_text(re.compile(r"^\d{7,}$"), timeout=TIMEOUT)
    pin = await pin_box.inner_text()
    game = await sync_to_async(Game.objects.get)()
    assert game.practice
    assert game.contest_round_id is None
    await host.screenshot(path=str(artifacts / "practice-host.png"))

    screen_link = host.locator("#h-screen")
    await expect(screen_link).to_be_visible(timeout=TIMEOUT)
    screen = await new_page(browser, locale="vi", errors=errors)
    await screen.goto(asgi_server.url + await screen_link.get_attribute("href"))
    await expect(screen.locator("#practice-badge")).to_contain_text("Luyện tập")
    await screen.screenshot(path=str(artifacts / "practice-screen.png"))

    # A student's phone: the PIN leads nowhere, as for a game that does not exist.
    student = await new_page(browser, locale="vi", phone=True)
    await student.goto(f"{asgi_server.url}/play?pin={pin}")
    await student.fill("#nickname", "Học sinh")
    await student.get_by_role("button", name="Vào chơi").click()
    await expect(student.locator("#join-error")).to_be_visible(timeout=TIMEOUT)
    assert await sync_to_async(game.players.count)() == 0

    # The teacher's own phone (logged in) joins and is told it is practice.
    phone = await new_page(browser, locale="vi", phone=True, errors=errors)
    await login(phone, asgi_server.url, "/play")
    await phone.goto(f"{asgi_server.url}/play?pin={pin}")
    await phone.fill("#nickname", "Cô Lan")
    await phone.get_by_role("button", name="Vào chơi").click()
    await expect(phone.locator("#stage")).to_contain_text("Bạn đã vào!", timeout=TIMEOUT)
    await expect(phone.locator("#practice-badge")).to_be_visible()
    await expect(phone.locator("#practice-badge")).to_have_text("Luyện tập")
    await phone.screenshot(path=str(artifacts / "practice-phone.png"))
    assert errors == []
