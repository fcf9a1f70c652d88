"""The results page of a round whose close is still running on the job queue says the final
results are being computed, and shows them by itself once the round_finalize job is done."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("Nguyễn An", "Trường A", [(2000, 60_000, 1)]),
    ("Trần Bình", "Trường A", [(3000, 50_000, 2)]),
]


def _closing_round():
    from tests.contest.ceremony_helpers import closed_round
    from tests.contest.conftest import clear_boards

    clear_boards()
    contest, round_, _people = closed_round(PEOPLE, slug="closing", scores_while_open=True)
    return contest.slug, round_.pk


def _run_the_close_job(round_id: int) -> None:
    """What a job worker does with the job the page's read queued."""
    from contest.services.rounds import ROUND_FINALIZE
    from quizzes.background.runner import job_run
    from quizzes.models import Job

    job = Job.objects.get(kind=ROUND_FINALIZE, params__round=round_id)
    job_run(job.pk)


async def test_the_results_page_says_final_results_are_being_computed_then_shows_them(
    asgi_server, browser, artifacts
):
    slug, round_id = await sync_to_async(_closing_round)()
    errors: list[str] = []
    page = await new_page(browser, errors=errors)
    await page.goto(f"{asgi_server.url}/contests/{slug}/rounds/{round_id}/results/")
    status = page.locator(".results-closing")
    assert (await status.inner_text()) == "Final results are being computed…"
    assert await status.get_attribute("role") == "status"
    await page.screenshot(path=str(artifacts / "contest-results-closing.png"), full_page=True)

    await sync_to_async(_run_the_close_job)(round_id)
    # The page reloads by itself while the results are being computed.
    await page.wait_for_selector(".results-closing", state="detached", timeout=20_000)
    head = await page.inner_text(".results-head h1")
    assert head.startswith("Results")
    board = await page.inner_text("#individual-board")
    assert "3000" in board
    assert "2000" in board
    assert errors == []
