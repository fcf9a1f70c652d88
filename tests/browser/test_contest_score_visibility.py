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
