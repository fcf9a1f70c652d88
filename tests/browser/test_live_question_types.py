"""Every question type on the player's phone against the real engine: multi (toggle + submit),
ordering (keyboard up/down), typed text, numeric, poll and an info slide."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from quizzes.models import Quiz, QuizItem
from tests.browser.conftest import new_page
from tests.browser.test_live_game import _fresh_live_store  # noqa: F401  (autouse fixture)
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000


def build_quiz():
    teacher = make_user("types-teacher", roles=["teacher"], password="pw-123456")
    questions = [
        make_question(
            type="multi",
            text_en="Pick the two oceans.",
            text_vi="Chọn hai đại dương.",
            choices=[("Pacific", 0.5), ("Sahara", 0.0), ("Atlantic", 0.5)],
            time_limit=30,
        ),
        make_question(
            type="order",
            text_en="Order from smallest.",
            text_vi="Xếp từ nhỏ nhất.",
            choices=[("One", 0.0), ("Two", 0.0), ("Three", 0.0)],
            time_limit=30,
        ),
        make_question(
            type="text",
            text_en="Capital of Viet Nam?",
            text_vi="Thủ đô của Việt Nam?",
            answer={
                "accepted": ["Hà Nội"],
                "ignore_case": True,
                "ignore_diacritics": True,
                "ignore_spaces": True,
            },
            time_limit=30,
        ),
        make_question(
            type="numeric",
            text_en="How many SDGs are there?",
            text_vi="Có bao nhiêu Mục tiêu Phát triển Bền vững?",
            answer={"value": 17, "tolerance": 0},
            time_limit=30,
        ),
        make_question(
            type="poll",
            text_en="Did you enjoy it?",
            text_vi="Bạn có thích không?",
            choices=[("Yes", 0.0), ("No", 0.0)],
            time_limit=30,
        ),
        make_question(
            type="slide",
            text_en="Thanks for learning with us.",
            text_vi="Cảm ơn bạn đã cùng học.",
            time_limit=5,
        ),
    ]
    quiz = Quiz.objects.create(title="Every type", author=teacher)
    for position, question in enumerate(questions):
        QuizItem.objects.create(quiz=quiz, question=question, position=position)
    return teacher.username


async def test_every_question_type_on_the_phone(asgi_server, browser, artifacts):
    username = await sync_to_async(build_quiz)()
    errors: list[str] = []
    host = await new_page(browser, errors=errors)
    await host.goto(asgi_server.url + "/host/")
    await host.fill("#id_username", username)
    await host.fill("#id_password", "pw-123456")
    await host.locator("main form button[type=submit]").click()
    await host.wait_for_url(re.compile(r"^http://[^/]+/host/$"))  # not the login URL ?next=/host/
    await host.locator("summary").click()
    await host.fill("input[name=read_seconds]", "0")
    await host.locator("input[name=show_leaderboard]").uncheck()
    await host.get_by_role("button", name="Host").first.click()
    await host.wait_for_url(re.compile(r"/host/\d+/?$"))
    await expect(host.locator("#h-pin")).to_have_text(re.compile(r"^\d{7,}$"), timeout=TIMEOUT)
    pin = await host.locator("#h-pin").inner_text()

    phone = await new_page(browser, phone=True, errors=errors)
    await phone.goto(f"{asgi_server.url}/play?pin={pin}")
    await phone.fill("#nickname", "Linh")
    await phone.get_by_role("button", name="Enter").click()
    await expect(phone.locator("#stage")).to_contain_text("You're in!", timeout=TIMEOUT)
    await expect(host.locator("#h-count")).to_have_text("1", timeout=TIMEOUT)

    async def finish(first=False):
        await expect(phone.locator("#ack")).to_contain_text("Answer received", timeout=TIMEOUT)
        await host.get_by_role("button", name="End question").click()
        await expect(phone.locator(".play-result")).to_be_visible(timeout=TIMEOUT)

    await host.get_by_role("button", name="Start", exact=True).click()
    # Multiple choice: toggle two, submit.
    await phone.locator(".answer", has_text="Pacific").click()
    await phone.locator(".answer", has_text="Atlantic").click()
    await expect(phone.locator(".answer[aria-pressed=true]")).to_have_count(2)
    await phone.screenshot(path=str(artifacts / "live-types-multi.png"))
    await phone.get_by_role("button", name="Submit answer").click()
    await finish()
    await expect(phone.locator(".play-result")).to_contain_text("Correct!")

    # Ordering with the keyboard: focus an arrow and press Enter until the order is right.
    await host.get_by_role("button", name="Next").click()
    await expect(phone.locator(".order-item")).to_have_count(3, timeout=TIMEOUT)
    for _ in range(6):
        order = await phone.locator(".order-item .answer-text").all_inner_texts()
        if order == ["One", "Two", "Three"]:
            break
        wrong_place = next(i for i, name in enumerate(order) if name != ["One", "Two", "Three"][i])
        target = ["One", "Two", "Three"][wrong_place]
        button = phone.get_by_role("button", name=f"Move “{target}” up")
        await button.focus()
        await phone.keyboard.press("Enter")
    assert await phone.locator(".order-item .answer-text").all_inner_texts() == [
        "One",
        "Two",
        "Three",
    ]
    await phone.screenshot(path=str(artifacts / "live-types-order.png"))
    await phone.get_by_role("button", name="Submit order").click()
    await finish()
    await expect(phone.locator(".play-result")).to_contain_text("Correct!")

    # Typed text (diacritics and case ignored by the key).
    await host.get_by_role("button", name="Next").click()
    await phone.get_by_label("Your answer").fill("ha noi")
    await phone.get_by_role("button", name="Submit answer").click()
    await finish()
    await expect(phone.locator(".play-result")).to_contain_text("Correct!")

    # Numeric.
    await host.get_by_role("button", name="Next").click()
    await phone.get_by_label("Your number").fill("16")
    await phone.get_by_role("button", name="Submit answer").click()
    await finish()
    await expect(phone.locator(".play-result")).to_contain_text("Not quite")
    await expect(phone.locator(".play-result")).to_contain_text("17")

    # Poll.
    await host.get_by_role("button", name="Next").click()
    await phone.locator(".answer", has_text="Yes").click()
    await finish()
    await expect(phone.locator(".play-result")).to_contain_text("Thanks for voting!")

    # Info slide: nothing to answer.
    await host.get_by_role("button", name="Next").click()
    await expect(phone.locator("#stage")).to_contain_text("no answer needed", timeout=TIMEOUT)
    await phone.screenshot(path=str(artifacts / "live-types-slide.png"))
    assert errors == []
