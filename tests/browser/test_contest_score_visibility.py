"""The contest pages say what the round's setting is, and agree with it: a round that keeps its
scores until the close shows no score anywhere (hand-in, results, ceremony screen) and says when
they are published; a round that shows them says so, and the participant finds their rank."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests.browser.conftest import new_page
from tests.browser.test_contest_flow import answer_correctly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _setup(scores_while_open: bool):
    from datetime import date

    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.translation import override

    from contest import services
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest, make_school

    clear_boards()
    contest, round_, _questions = make_contest(
        slug="visibility", scores_while_open=scores_while_open
    )
    units = make_school("CG", "THCS Cầu Giấy")
    participant = services.participant_register(
        contest=contest,
        full_name="Nguyễn Thị Lan",
        unit_id=units["school"].pk,
        consent=True,
        date_of_birth=date(2011, 3, 4),
        email="lan@example.org",
    )
    with override("en"):
        when = date_format(timezone.localtime(round_.closes_at), "DATETIME_FORMAT")
    return (
        contest.slug,
        round_.pk,
        f"{services.registration.COOKIE_PREFIX}{contest.pk}",
        services.participant_token(participant),
        when,
    )


@pytest.mark.parametrize("scores_while_open", [False, True], ids=["hidden", "shown"])
async def test_contest_pages_agree_with_the_rounds_score_setting(
    asgi_server, browser, artifacts, scores_while_open
):
    slug, round_id, cookie, token, when = await sync_to_async(_setup)(scores_while_open)
    base = asgi_server.url
    errors: list[str] = []
    page = await new_page(browser, phone=True, errors=errors)
    await page.context.add_cookies([{"name": cookie, "value": token, "url": base}])
    hidden_note = f"Scores are published when the round closes at {when}"
    shown_note = "Scores and ranks show on the leaderboard while the round is open."
    note = shown_note if scores_while_open else hidden_note
    name = "shown" if scores_while_open else "hidden"

    await page.goto(f"{base}/contests/{slug}/")
    assert note in await page.inner_text("main")

    await page.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    await page.wait_for_selector(".answer")
    await answer_correctly(page, 3)
    assert note in await page.inner_text("#finish")
    await page.click("#submit")
    await page.wait_for_selector("#done:not([hidden])")
    done = await page.inner_text("#done")
    assert note in done
    assert "3000" not in done
    assert (await page.inner_text("#clock")) != ""
    await page.screenshot(path=str(artifacts / f"contest-done-{name}.png"), full_page=True)

    await page.goto(f"{base}/contests/{slug}/rounds/{round_id}/results/")
    results = await page.inner_text("main")
    await page.screenshot(path=str(artifacts / f"contest-results-open-{name}.png"), full_page=True)
    if scores_while_open:
        assert "Your rank: 1 of 1 · 3000 points" in results
        assert "Scores are published" not in results
    else:
        assert hidden_note in results
        assert "1 participant has handed in." in results
        assert "3000" not in results
        assert "Your rank" not in results

    screen = await new_page(browser, errors=errors)
    await screen.goto(f"{base}/contests/{slug}/rounds/{round_id}/screen/")
    await screen.wait_for_selector("#cs-state:not(:empty)")
    state = await screen.inner_text("#cs-state")
    shown = await screen.inner_text(".cs-grid")
    if scores_while_open:
        assert state == "Live"
        assert "3,000" in shown
    else:
        assert state.startswith("Scores are published when the round closes at")
        assert "3000" not in shown
        assert "3,000" not in shown
        assert "Scores and ranks appear here when the round closes." in shown
    await screen.screenshot(path=str(artifacts / f"contest-screen-open-{name}.png"))
    assert errors == []


def _shared_setup():
    """The round above with scores shown while open, the participant's paper handed in, and
    another contest's round of the same quiz closing two days later."""
    from datetime import timedelta

    from django.utils import timezone

    from contest import services
    from contest.models import Attempt, Participant, Round, RoundResult
    from contest.selectors import attempt_state
    from tests.contest.helpers import correct_choice, make_contest, paper_answers

    slug, round_id, cookie, token, _when = _setup(True)
    round_ = Round.objects.get(pk=round_id)
    participant = Participant.objects.get(contest__slug=slug)
    attempt = services.attempt_start(participant=participant, round_=round_)
    state = attempt_state(attempt)
    answers = paper_answers(
        state,
        [
            {
                "question": q["id"],
                "response": {
                    "choice": correct_choice(round_.quiz.items.get(question_id=q["id"]).question)
                },
            }
            for q in state["questions"]
        ],
    )
    services.attempt_submit(participant_id=participant.pk, attempt_id=attempt.pk, answers=answers)
    assert Attempt.objects.get(pk=attempt.pk).score == 3000
    assert RoundResult.objects.filter(round=round_).exists()
    _other, other, _q = make_contest(slug="other-city", quiz=round_.quiz)
    other.closes_at = timezone.now() + timedelta(days=2)
    other.save()
    return slug, round_id, cookie, token, other.closed_at()


async def test_a_round_sharing_its_questions_with_a_round_still_open_shows_no_score_and_says_why(
    asgi_server, browser, artifacts
):
    from django.utils import timezone
    from django.utils.formats import date_format
    from django.utils.translation import override

    slug, round_id, cookie, token, until = await sync_to_async(_shared_setup)()
    with override("vi"):
        when = date_format(timezone.localtime(until), "DATETIME_FORMAT")
    base = asgi_server.url
    errors: list[str] = []
    page = await new_page(browser, phone=True, errors=errors)
    await page.context.add_cookies(
        [
            {"name": cookie, "value": token, "url": base},
            {"name": "django_language", "value": "vi", "url": base},
        ]
    )
    note = f"Điểm được công bố khi mọi vòng thi có thể hỏi cùng các câu hỏi này đã kết thúc, lúc {when}."
    await page.goto(f"{base}/contests/{slug}/rounds/{round_id}/results/")
    results = await page.inner_text("main")
    await page.screenshot(path=str(artifacts / "contest-results-withheld-vi.png"), full_page=True)
    assert note in results
    assert "3000" not in results

    screen = await new_page(browser, errors=errors)
    await screen.context.add_cookies([{"name": "django_language", "value": "vi", "url": base}])
    await screen.goto(f"{base}/contests/{slug}/rounds/{round_id}/screen/")
    await screen.wait_for_selector("#cs-state:not(:empty)")
    state = await screen.inner_text("#cs-state")
    assert state.startswith("Điểm được công bố khi mọi vòng thi có thể hỏi cùng các câu hỏi này")
    grid = await screen.inner_text(".cs-grid")
    assert "3.000" not in grid
    assert "3000" not in grid
    assert "Điểm và thứ hạng sẽ hiện ở đây khi được công bố." in grid  # not "when it closes"
    await screen.screenshot(path=str(artifacts / "contest-screen-withheld-vi.png"))
    assert errors == []
