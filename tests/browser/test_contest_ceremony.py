"""The contest ceremony screen in Chromium, at 1920x1080: the live screen's look with the contest's
title, a countdown to the close, a QR code to enter, the top 10 with movement, the best schools and
districts and the participation; and a board with a single row that still looks intended."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from tests.browser.conftest import new_page
from tests.browser.test_live_game import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000


def _contest(slug: str):
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest, make_school

    clear_boards()
    # The organiser shows scores while the round is open (hidden by default).
    contest, round_, _questions = make_contest(slug=slug, scores_while_open=True)
    make_school("CG", "THCS Cầu Giấy")
    make_school("BD", "THCS Ba Đình")
    return contest, round_


def _crowd():
    from contest.models import RoundResult
    from contest.services.demo import seed_demo_participants

    contest, round_ = _contest("ceremony")
    registered = seed_demo_participants(contest=contest, round_=round_, count=16)
    took_part = RoundResult.objects.filter(round=round_).count()
    return contest.slug, round_.pk, registered, took_part


def _newcomer_tops_the_board(slug: str) -> None:
    """Someone new hands in a perfect paper: everyone else moves down one place."""
    from contest.models import Contest, Round
    from contest.services.attempts import (
        attempt_start,
        attempt_submit,
        paper_option_ids,
        question_keys,
    )
    from contest.services.demo import _demo_response
    from contest.services.registration import participant_register
    from quizzes.models import Unit
    from quizzes.options import to_opaque_response

    contest = Contest.objects.get(slug=slug)
    round_ = Round.objects.get(contest=contest)
    participant = participant_register(
        contest=contest,
        full_name="Đỗ Quang Vinh",
        unit_id=Unit.objects.filter(level="class").first().pk,
        consent=True,
        email="vinh@example.org",
    )
    attempt = attempt_start(participant=participant, round_=round_)
    keys = question_keys([item["q"] for item in attempt.paper])
    shown = paper_option_ids(attempt)  # the paper's own (opaque) option ids
    answers = [
        {
            "question": item["q"],
            "response": to_opaque_response(
                _demo_response(keys[item["q"]], True, None), shown.get(item["q"], {})
            ),
        }
        for item in attempt.paper
    ]
    attempt_submit(participant_id=participant.pk, attempt_id=attempt.pk, answers=answers)


async def test_the_ceremony_screen_shows_the_round_like_the_live_screen(
    asgi_server, browser, artifacts
):
    slug, round_id, registered, took_part = await sync_to_async(_crowd)()
    assert took_part >= 10
    errors: list[str] = []
    screen = await new_page(browser, errors=errors)
    await screen.goto(f"{asgi_server.url}/contests/{slug}/rounds/{round_id}/screen/")
    await expect(screen.locator("#s-title")).to_have_text("Contest")
    rows = screen.locator("#screen-people .cs-row")
    await expect(rows).to_have_count(10, timeout=TIMEOUT)
    await expect(screen.locator("#cs-invite")).to_be_hidden()
    # Countdown to the close (7 days away), from the server's clock.
    await expect(screen.locator("#cs-clock-label")).to_have_text("Closes in")
    await expect(screen.locator("#cs-clock")).to_have_text(re.compile(r"^[67] d \d\d h \d\d min$"))
    # The QR code to enter is drawn by our server and loads.
    await screen.wait_for_function(
        "() => { const i = document.querySelector('.cs-qr img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    await expect(screen.locator(".cs-url")).to_contain_text(f"/contests/{slug}/")
    # Best schools and districts, and the participation.
    await expect(screen.locator("#screen-units .cs-row")).to_have_count(2)
    await expect(screen.locator("#screen-districts .cs-row")).to_have_count(2)
    await expect(screen.locator("#screen-districts")).to_contain_text("Quận CG")
    await expect(screen.locator("#cs-part-sub")).to_have_text(
        f"{took_part} of {registered} registered took part"
    )
    await expect(screen.locator("#cs-part-n")).to_have_text(
        f"{round(100 * took_part / registered)}%"
    )
    await assert_fits(screen, whole=True)
    await screen.screenshot(path=str(artifacts / "contest-ceremony.png"))

    # Movement: a newcomer takes the lead; the others show that they went down.
    leader = await rows.first.get_attribute("data-key")
    await sync_to_async(_newcomer_tops_the_board)(slug)
    await expect(rows.first).to_contain_text("Đỗ Q. V.", timeout=TIMEOUT)
    await expect(screen.locator("#screen-people .cs-move.down").first).to_be_visible()
    moved = screen.locator(f'#screen-people .cs-row[data-key="{leader}"] .cs-move.down')
    await expect(moved).to_have_text("▼1")
    await screen.screenshot(path=str(artifacts / "contest-ceremony-movement.png"))
    assert errors == []


def _one_row():
    contest, round_ = _contest("ceremony-one")
    from contest.models import Contest

    _newcomer_tops_the_board(Contest.objects.get(pk=contest.pk).slug)
    return contest.slug, round_.pk


@pytest.mark.parametrize("lang", ["en", "vi"])
async def test_a_ceremony_board_with_one_row_still_looks_intended(
    asgi_server, browser, artifacts, lang
):
    slug, round_id = await sync_to_async(_one_row)()
    screen = await new_page(browser, locale=lang)
    await screen.goto(f"{asgi_server.url}/contests/{slug}/rounds/{round_id}/screen/")
    await expect(screen.locator("#screen-people .cs-row")).to_have_count(1, timeout=TIMEOUT)
    await expect(screen.locator("#screen")).to_have_class(re.compile(r"\bcs-short\b"))
    invite = screen.locator("#cs-invite")
    await expect(invite).to_be_visible()
    invites = {
        "en": "9 places left on the top 10: scan the code and take one!",
        "vi": "Top 10 còn 9 chỗ: quét mã và giành lấy một chỗ!",
    }
    await expect(invite).to_have_text(invites[lang])
    await expect(screen.locator("#cs-part-sub")).to_have_text(
        {"en": "1 of 1 registered took part", "vi": "1/1 người đăng ký đã làm bài"}[lang]
    )
    # The one row is drawn big, not as a lone thin strip at the top of an empty screen.
    height = await screen.locator("#screen-people .cs-row").evaluate(
        "(row) => row.getBoundingClientRect().height"
    )
    assert height >= 100  # px at 1920x1080 (5 rem of 24 px)
    await assert_fits(screen, whole=True)
    await screen.screenshot(path=str(artifacts / f"contest-ceremony-one-row-{lang}.png"))


def _frozen_round():
    from django.utils import timezone

    from contest.models import Round

    contest, round_ = _contest("ceremony-tz")
    Round.objects.filter(pk=round_.pk).update(freeze_hours=200, scores_while_open=True)
    round_.refresh_from_db()
    since = timezone.localtime(round_.freeze_at)  # settings.TIME_ZONE, as every other page
    return contest.slug, round_.pk, f"{since:%H:%M %d/%m/%Y}"


async def test_the_ceremony_screen_writes_times_in_the_sites_time_zone(asgi_server, browser):
    slug, round_id, since = await sync_to_async(_frozen_round)()
    # The projector laptop is set to another zone (12 hours from Asia/Ho_Chi_Minh).
    context = await browser.new_context(
        locale="vi",
        timezone_id="America/New_York",
        viewport={"width": 1920, "height": 1080},
        extra_http_headers={"Accept-Language": "vi"},
    )
    screen = await context.new_page()
    await screen.goto(f"{asgi_server.url}/contests/{slug}/rounds/{round_id}/screen/")
    await expect(screen.locator("#cs-state")).to_contain_text(since, timeout=TIMEOUT)
    await context.close()
