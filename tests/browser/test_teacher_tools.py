"""Teacher tools, as a teacher sees them: the import preview shows each question's options and key
(and the column help is on the page, not in a docs/ file); the quiz builder warns about a question
added twice and shows overrides differently from defaults; the editor counts characters up to the
limit."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from quizzes import limits
from quizzes.models import Quiz, QuizItem
from tests.browser.conftest import new_page
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GIFT = """::capital::Thủ đô của Việt Nam là thành phố nào? {=Hà Nội ~Huế ~Đà Nẵng}

::sdgs::Có bao nhiêu Mục tiêu Phát triển Bền vững? {#17}

::round::Trái Đất hình cầu. {T}
"""


async def login(page, base_url: str, next_url: str) -> None:
    await page.goto(f"{base_url}/accounts/login/?next={next_url}")
    await page.fill("#id_username", "tools-teacher")
    await page.fill("#id_password", "pw-123456")
    async with page.expect_navigation():
        await page.click("main button[type=submit]")


async def test_import_preview_shows_options_and_key_and_the_help_is_on_the_page(
    asgi_server, browser, artifacts, tmp_path
):
    await sync_to_async(make_user)("tools-teacher", roles=["teacher"])
    path = tmp_path / "quiz.gift"
    path.write_text(GIFT, encoding="utf-8")
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await login(page, asgi_server.url, "/bank/import/")

    assert "docs/" not in await page.inner_text("main")
    await page.click("#format-help summary")
    assert "choices_vi" in await page.inner_text("#format-help")

    await page.set_input_files("#import-file", str(path))
    await page.click("#preview-button")
    await page.wait_for_selector("#step-preview:not([hidden])")
    rows = page.locator("#preview-table tbody tr")
    capital = await rows.nth(0).inner_text()
    assert "Hà Nội" in capital
    assert "Huế" in capital
    assert "Đà Nẵng" in capital
    right = await rows.nth(0).locator(".key-right").all_inner_texts()
    assert len(right) == 1
    assert "Hà Nội" in right[0]
    assert "đúng" in right[0]
    assert "17" in await rows.nth(1).locator(".preview-key").inner_text()
    true_false = await rows.nth(2).locator(".key-right").all_inner_texts()
    assert len(true_false) == 1
    assert "Đúng" in true_false[0]
    await page.screenshot(path=str(artifacts / "import-preview-key.png"), full_page=True)
    assert errors == []


def _quiz():
    teacher = make_user("tools-teacher", roles=["teacher"])
    quiz = Quiz.objects.create(title="Tuần lễ học tập", author=teacher)
    question = make_question(text_vi="Câu trùng lặp", time_limit=20, points=1)
    QuizItem.objects.create(quiz=quiz, question=question, position=0)
    QuizItem.objects.create(
        quiz=quiz, question=make_question(text_vi="Câu khác"), position=1, time_limit=45
    )
    return quiz


async def test_quiz_builder_warns_about_a_question_added_twice_and_marks_overrides(
    asgi_server, browser, artifacts
):
    quiz = await sync_to_async(_quiz)()
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await login(page, asgi_server.url, f"/bank/quizzes/{quiz.pk}/")
    await page.wait_for_selector(".item")
    assert await page.locator("#builder-duplicates").is_hidden()

    # Defaults and overrides: the second item's 45 s is marked changed, the first's is a default.
    first_time = page.locator(".item").nth(0).locator(".overrides label").first
    second_time = page.locator(".item").nth(1).locator(".overrides label").first
    assert "overridden" not in (await first_time.get_attribute("class") or "")
    assert "overridden" in (await second_time.get_attribute("class") or "")
    assert "mặc định 20" in await first_time.inner_text()
    assert "đã đổi" in await second_time.inner_text()
    border_default = await first_time.locator("input").evaluate(
        "e => getComputedStyle(e).borderColor"
    )
    border_override = await second_time.locator("input").evaluate(
        "e => getComputedStyle(e).borderColor"
    )
    assert border_default != border_override

    await page.fill("#picker-q", "trùng lặp")
    await page.click("#picker-form button[type=submit]")
    await page.locator("#picker-results button").first.click()

    await page.wait_for_selector("#builder-duplicates:not([hidden])")
    assert "đã có trong đề này" in await page.inner_text("#builder-duplicates")
    assert await page.locator(".item.duplicate").count() == 1
    assert "3" in await page.locator(".item.duplicate .item-number").inner_text()
    await page.screenshot(path=str(artifacts / "bank-quiz-builder-duplicate.png"), full_page=True)
    assert errors == []


async def test_the_editor_counts_characters_and_stops_at_the_limit(asgi_server, browser, artifacts):
    await sync_to_async(make_user)("tools-teacher", roles=["teacher"])
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await login(page, asgi_server.url, "/bank/questions/new")
    await page.wait_for_selector("#text-vi")

    await page.fill("#text-vi", "Câu hỏi")
    counter = page.locator("#text-vi + .counter")
    assert (await counter.inner_text()).startswith(f"7 / {limits.QUESTION_TEXT_MAX}")

    await page.locator("#text-vi").focus()
    await page.keyboard.insert_text("x" * (limits.QUESTION_TEXT_MAX + 200))
    value = await page.locator("#text-vi").input_value()
    assert len(value) == limits.QUESTION_TEXT_MAX
    assert "near-limit" in (await counter.get_attribute("class"))
    await page.screenshot(path=str(artifacts / "bank-editor-counter.png"), full_page=True)
    assert errors == []
