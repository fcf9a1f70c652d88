"""A teacher orders a quiz's questions with the keyboard buttons and saves it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from quizzes.models import Quiz, QuizItem
from tests.browser.conftest import new_page
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _quiz():
    teacher = make_user("lan", roles=["teacher"], password="pw-123456")
    quiz = Quiz.objects.create(title="Tuần lễ học tập suốt đời", author=teacher)
    for n, text in enumerate(["Câu một", "Câu hai", "Câu ba"]):
        QuizItem.objects.create(quiz=quiz, question=make_question(text_vi=text), position=n)
    return quiz


async def test_teacher_reorders_items_with_buttons_and_saves(asgi_server, browser, artifacts):
    quiz = await sync_to_async(_quiz)()
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await page.goto(f"{asgi_server.url}/accounts/login/?next=/bank/quizzes/{quiz.pk}/")
    await page.fill("#id_username", "lan")
    await page.fill("#id_password", "pw-123456")
    async with page.expect_navigation():
        await page.click("main button[type=submit]")
    await page.wait_for_selector(".item")

    await page.locator(".item").nth(2).locator(".move-up").click()
    await page.keyboard.press("Enter")  # focus stays on the moved item's button: up again
    await page.locator(".item").nth(0).locator("input").first.fill("45")
    await page.click("#save-quiz")
    await page.wait_for_selector("#builder-saved:not([hidden])")
    await page.screenshot(path=str(artifacts / "bank-quiz-builder.png"), full_page=True)

    texts = await page.locator(".item .item-text").all_inner_texts()
    assert texts == ["Câu ba", "Câu một", "Câu hai"]
    saved = await sync_to_async(
        lambda: list(quiz.items.order_by("position").values_list("question__text_vi", "time_limit"))
    )()
    assert saved == [("Câu ba", 45), ("Câu một", None), ("Câu hai", None)]
    assert errors == []
