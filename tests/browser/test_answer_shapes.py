"""Answer shapes are an accessibility rule: a colour-blind player tells options apart by shape, so
the option in a given place has the same shape and colour on the live player's phone and on a
contest paper (both draw them from frontend/js/shapes.js), eight distinct ones."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000
OPTIONS = [(f"Option {n}", 1.0 if n == 1 else 0.0) for n in range(1, 9)]
SLOTS = """(els) => els.map((el) => [
  el.querySelector('.shape').textContent.trim(), getComputedStyle(el).backgroundColor])"""


def _setup():
    from rest_framework.test import APIClient

    from contest.models import Contest
    from quizzes.models import Quiz, QuizItem
    from realtime.services import game_create
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest, make_school
    from tests.contest.helpers import register as api_register
    from tests.factories import make_question, make_user

    clear_boards()
    teacher = make_user("shapes-host", roles=["teacher"])
    live_quiz = Quiz.objects.create(title="Eight options, live", author=teacher)
    question = make_question(text_en="Pick one", text_vi="Chọn một", choices=OPTIONS)
    QuizItem.objects.create(quiz=live_quiz, question=question, position=0)
    game = game_create(host=teacher, quiz_id=live_quiz.pk, settings={"read_seconds": 0})

    paper_quiz = Quiz.objects.create(title="Eight options, contest", mode="fixed")
    # Its own text: the same text would make it the live game's question, which no game may
    # play while a round still to close asks it (contest.shared_keys).
    question = make_question(
        text_en="Pick one option", text_vi="Chọn một phương án", choices=OPTIONS
    )
    QuizItem.objects.create(quiz=paper_quiz, question=question, position=0)
    contest, round_, _ = make_contest(slug="shapes", quiz=paper_quiz)
    units = make_school("SH", "THCS Hình")
    token = api_register(APIClient(), Contest.objects.get(pk=contest.pk), units["class"])
    return game.pk, game.pin, contest.slug, round_.pk, token


async def test_the_same_option_place_has_the_same_shape_on_the_phone_and_the_contest_paper(
    asgi_server, browser
):
    game_id, pin, slug, round_id, token = await sync_to_async(_setup)()
    base = asgi_server.url
    errors: list[str] = []

    # A live game: the player joins, the host starts, the phone shows the eight options.
    host = await new_page(browser, errors=errors)
    await host.goto(f"{base}/accounts/login/?next=/host/{game_id}/")
    await host.fill("#id_username", "shapes-host")
    await host.fill("#id_password", "pw-123456")
    async with host.expect_navigation():
        await host.click("main button[type=submit]")
    phone = await new_page(browser, phone=True, errors=errors)
    await phone.goto(f"{base}/play?pin={pin}")
    await phone.fill("#nickname", "Lan")
    await phone.click("#join-form button[type=submit]")
    await expect(host.locator("#h-count")).to_have_text("1", timeout=TIMEOUT)
    await host.click("[data-action=start]")
    await expect(phone.locator(".answer")).to_have_count(8, timeout=TIMEOUT)
    on_phone = await phone.locator(".answer").evaluate_all(SLOTS)

    # A contest paper with an eight-option question.
    paper = await new_page(browser, phone=True, errors=errors)
    await paper.goto(f"{base}/contests/{slug}/resume/{token}/")
    await paper.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    await expect(paper.locator(".answer")).to_have_count(8, timeout=TIMEOUT)
    on_paper = await paper.locator(".answer").evaluate_all(SLOTS)

    assert on_phone == on_paper
    assert len({shape for shape, _colour in on_phone}) == 8, on_phone
    assert len({colour for _shape, colour in on_phone}) == 8, on_phone
    assert errors == []
