"""A teacher writes a bilingual single-choice question with the live preview and submits it; a
reviewer publishes it; the bank shows it as published."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from quizzes.models import Question
from tests.browser.conftest import new_page
from tests.factories import make_theme, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-123456"


def _accounts():
    make_theme("sdg")
    make_user("lan", roles=["teacher"], password=PASSWORD)
    make_user("minh", roles=["reviewer", "teacher"], password=PASSWORD)


async def log_in(page, base_url: str, username: str, next_url: str) -> None:
    await page.goto(f"{base_url}/accounts/login/?next={next_url}")
    await page.fill("#id_username", username)
    await page.fill("#id_password", PASSWORD)
    async with page.expect_navigation():
        await page.click("main button[type=submit]")
    assert page.url.endswith(next_url), await page.inner_text("main")


async def test_teacher_writes_and_submits_reviewer_publishes(asgi_server, browser, artifacts):
    await sync_to_async(_accounts)()
    errors: list[str] = []
    page = await new_page(browser, locale="en", errors=errors)
    await log_in(page, asgi_server.url, "lan", "/bank/questions/new")

    # Vietnamese and English side by side; the phone preview follows the typing.
    await page.select_option("#f-theme", "sdg")
    await page.fill("#text-vi", "Mục tiêu nào nói về giáo dục có chất lượng?")
    await page.fill("#text-en", "Which goal is about quality education?")
    await page.click("[data-preview-lang=en]")
    assert await page.inner_text("#phone-text") == "Which goal is about quality education?"
    assert await page.inner_text("#screen-text") == "Which goal is about quality education?"
    await page.click("[data-preview-lang=vi]")
    assert await page.inner_text("#phone-text") == "Mục tiêu nào nói về giáo dục có chất lượng?"

    rows = page.locator(".choice-row")
    answers = [("SDG 4", "SDG 4"), ("SDG 13", "SDG 13"), ("SDG 5", "SDG 5"), ("SDG 1", "SDG 1")]
    for index, (vi, en) in enumerate(answers):
        await rows.nth(index).locator("input[name=choice-vi]").fill(f"{vi} (VI)")
        await rows.nth(index).locator("input[name=choice-en]").fill(en)
    await page.fill("#explanation-vi", "SDG 4 là giáo dục có chất lượng.")
    await page.fill("#explanation-en", "SDG 4 is quality education.")
    assert "SDG 13 (VI)" in await page.inner_text("#phone-answers")
    assert "SDG 1 (VI)" in await page.inner_text("#screen-answers")
    await page.screenshot(path=str(artifacts / "bank-editor.png"), full_page=True)

    await page.click("#submit-review")
    await page.wait_for_selector("#status-badge.status-review, #editor-errors:not([hidden])")
    assert await page.is_hidden("#editor-errors"), await page.inner_text("#editor-errors")
    assert "Submitted for review" in await page.inner_text("#editor-saved")
    question = await sync_to_async(Question.objects.get)()
    assert (question.status, question.text_en) == (
        "review",
        "Which goal is about quality education?",
    )

    # A reviewer publishes it from the queue.
    reviewer = await new_page(browser, locale="vi", errors=errors)
    await log_in(reviewer, asgi_server.url, "minh", "/bank/review/")
    card = reviewer.locator(f".review-card[data-id='{question.pk}']")
    assert "Mục tiêu nào nói về giáo dục có chất lượng?" in await card.inner_text()
    await reviewer.screenshot(path=str(artifacts / "bank-review-vi.png"), full_page=True)
    await card.locator("[data-action=publish]").click()
    await reviewer.wait_for_selector("#review-status.ok")
    assert await card.count() == 0

    # The bank lists it as published.
    await page.goto(f"{asgi_server.url}/bank/?status=published")
    row = page.locator(f"tr[data-id='{question.pk}']")
    assert "Published" in await row.inner_text()
    await page.screenshot(path=str(artifacts / "bank-list.png"), full_page=True)

    phone = await new_page(browser, locale="vi", phone=True, errors=errors)
    await log_in(phone, asgi_server.url, "lan", "/bank/")
    await phone.screenshot(path=str(artifacts / "bank-list-phone.png"), full_page=True)
    assert errors == []
