"""The /host/ page: a Host button that fails shows its error where the click happened (under
the quiz's row, in view and focused), not at the top of a page scrolled far below it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from quizzes.models import Quiz
from tests.browser.conftest import new_page
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _many_quizzes() -> int:
    teacher = make_user("host-index-teacher", roles=["teacher"])
    empty = Quiz.objects.create(title="Empty quiz at the bottom", author=teacher)
    for n in range(14):
        Quiz.objects.create(title=f"Quiz {n}", author=teacher)
    Quiz.objects.filter(pk=empty.pk).update(updated_at="2000-01-01T00:00:00Z")
    return empty.pk


async def test_a_host_error_shows_next_to_the_button_that_was_clicked(
    asgi_server, browser, artifacts
):
    empty = await sync_to_async(_many_quizzes)()
    errors: list[str] = []
    page = await new_page(browser, errors=errors)
    await page.goto(f"{asgi_server.url}/accounts/login/?next=/host/")
    await page.fill("#id_username", "host-index-teacher")
    await page.fill("#id_password", "pw-123456")
    async with page.expect_navigation():
        await page.click("main button[type=submit]")

    row = page.locator(f'.quiz-row:has(.host-btn[data-quiz="{empty}"])')
    await row.locator(".host-btn").click()  # scrolls far down the page to reach it

    alert = row.get_by_role("alert")
    await expect(alert).to_have_text("This quiz has no questions to play.")
    await expect(alert).to_be_in_viewport()
    await expect(alert).to_be_focused()
    await page.screenshot(path=str(artifacts / "host-index-error.png"))
    assert await page.evaluate("window.scrollY") > 0
    assert [e for e in errors if "400" not in e] == []
