"""Handing in a contest attempt in Chromium, as a participant sees it: the palette tells answered
from unanswered without colour, an ordering question left as shown counts once confirmed, a hand-in
with blanks asks first and never shows "00:00" afterwards, and the resume link can be copied."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from tests.browser.conftest import new_page
from tests.browser.test_contest_flow import register
from tests.browser.test_live_game import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _setup():
    from rest_framework.test import APIClient

    from contest.models import Contest
    from quizzes.models import Quiz, QuizItem
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest, make_school
    from tests.contest.helpers import register as api_register
    from tests.factories import make_question

    clear_boards()
    quiz = Quiz.objects.create(title="Attempt quiz", mode="fixed")
    for i, qtype in enumerate(["single", "single", "order"]):
        q = make_question(type=qtype, text_en=f"Question {i + 1}?", text_vi=f"Câu {i + 1}?")
        QuizItem.objects.create(quiz=quiz, question=q, position=i)
    contest, round_, _ = make_contest(slug="hand-in", quiz=quiz)
    units = make_school("CG", "THCS Cầu Giấy")
    token = api_register(APIClient(), Contest.objects.get(pk=contest.pk), units["class"])
    return contest.slug, round_.pk, token


# The page's own time of each save and hand-in it sends (window.sentAt), by Playwright's clock.
_SENT_AT = """
window.sentAt = { answers: [], submit: [] };
const fetchFirst = window.fetch;
window.fetch = function (url, ...rest) {
  const kind = String(url).split("/").at(-2);
  if (kind in window.sentAt) window.sentAt[kind].push(Date.now());
  return fetchFirst.call(this, url, ...rest);
};
"""


async def open_paper(browser, base, errors=None, *, clock=False, setup=None, locale="en"):
    """A participant's phone on a fresh paper (`setup`, default _setup), known by the resume
    link, on question 1. clock: the page's clock is Playwright's (time flows until a test pauses
    it: `paused`), and the page notes when it sends each save and hand-in (`sent_at`)."""
    slug, round_id, token = await sync_to_async(setup or _setup)()
    page = await new_page(browser, locale=locale, phone=True, errors=errors)
    if clock:
        await page.clock.install()
        await page.add_init_script(_SENT_AT)
    await page.goto(f"{base}/contests/{slug}/resume/{token}/")
    await page.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    await page.wait_for_selector(".answer, .free-input")  # a choice or a box to type in
    return page


async def test_hand_in_asks_first_about_blanks_and_the_palette_marks_answers_without_colour(
    asgi_server, browser, artifacts
):
    errors: list[str] = []
    page = await open_paper(browser, asgi_server.url, errors)

    # Answer question 1; the palette marks it with a tick, the others with an open circle.
    await page.get_by_role("button", name="SDG 4").click()
    await page.wait_for_selector("#save-state:has-text('saved')")
    palette = page.locator("#palette button")
    assert await palette.nth(0).get_attribute("aria-label") == "Question 1: answered"
    assert await palette.nth(1).get_attribute("aria-label") == "Question 2: no answer yet"
    marks = await page.eval_on_selector_all(
        "#palette button .mark", "(nodes) => nodes.map((n) => n.textContent)"
    )
    assert marks == ["✓", "○", "○"]
    styles = await page.eval_on_selector_all(
        "#palette button", "(nodes) => nodes.map((n) => getComputedStyle(n).borderTopStyle)"
    )
    assert styles[:3] == ["solid", "dashed", "dashed"]

    # Question 3 (ordering): the order as shown becomes the answer once confirmed.
    await palette.nth(2).click()
    await page.wait_for_selector(".order-list")
    await page.click("#keep-order")
    await page.wait_for_selector("#save-state:has-text('saved')")
    assert await palette.nth(2).get_attribute("aria-label") == "Question 3: answered"
    await page.screenshot(path=str(artifacts / "contest-attempt-palette.png"), full_page=True)

    # Handing in with question 2 blank asks first; nothing is handed in yet.
    await page.click("#next")
    await page.wait_for_selector("#finish:not([hidden])")
    assert await page.inner_text("#unanswered") == "1 question has no answer yet."
    await page.click("#submit")
    await page.wait_for_selector("#confirm-handin:not([hidden])")
    assert "Question 2 has no answer. Hand in anyway?" in await page.inner_text("#confirm-text")
    assert await page.locator("#done").is_hidden()
    await page.screenshot(path=str(artifacts / "contest-attempt-confirm.png"), full_page=True)
    await page.click("#submit-anyway")
    await page.wait_for_selector("#done:not([hidden])")
    clock = await page.inner_text("#clock")
    assert clock == "Handed in"
    assert "00:00" not in clock
    await page.screenshot(path=str(artifacts / "contest-attempt-handed-in.png"), full_page=True)
    assert errors == []


async def test_the_resume_link_has_a_copy_button_and_fits_a_phone(asgi_server, browser, artifacts):
    slug, _round_id, _token = await sync_to_async(_setup)()
    page = await new_page(browser, phone=True)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await register(
        page,
        asgi_server.url,
        slug,
        "Trần Văn Minh",
        "Quận CG",
        "THCS Cầu Giấy",
        "2011-07-08",
        "minh@example.org",
    )
    link = await page.input_value("#resume-link")
    assert "/resume/" in link
    await page.get_by_role("button", name="Copy").click()
    await page.wait_for_selector("[data-copy]:has-text('Copied')")
    assert await page.evaluate("navigator.clipboard.readText()") == link
    await assert_fits(page)
    await page.screenshot(path=str(artifacts / "contest-resume-link-phone.png"), full_page=True)


async def test_the_handed_in_badge_stays_on_one_line_on_a_360px_phone(
    asgi_server, browser, artifacts
):
    slug, round_id, token = await sync_to_async(_setup)()
    base = asgi_server.url
    page = await new_page(browser, locale="vi", phone=True)
    await page.goto(f"{base}/contests/{slug}/resume/{token}/")
    await page.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    await page.wait_for_selector(".answer")
    await page.locator("#palette button").nth(2).click()
    await page.click("#next")
    await page.wait_for_selector("#finish:not([hidden])")
    await page.click("#submit")
    await page.click("#submit-anyway")
    await page.wait_for_selector("#done:not([hidden])")

    clock = page.locator("#clock")
    assert await clock.inner_text() == "Đã nộp bài"
    lines = await clock.evaluate(
        "(n) => { const r = document.createRange(); r.selectNodeContents(n);"
        " return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size; }"
    )
    assert lines == 1
    await assert_fits(page)
    await page.screenshot(path=str(artifacts / "contest-attempt-handed-in-vi.png"))


def _handed_in():
    from contest.models import Attempt

    attempt = Attempt.objects.get()
    return attempt.status, attempt.prediction, attempt.answers.count()


async def test_a_prediction_typed_just_before_handing_in_is_handed_in_without_an_error(
    asgi_server, browser, artifacts
):
    """A slow hand-in (a loaded server) must not race the prediction's own save into a 409."""
    errors: list[str] = []
    page = await open_paper(browser, asgi_server.url, errors)
    await page.get_by_role("button", name="SDG 4").click()
    await page.wait_for_selector("#save-state:has-text('saved')")

    async def slow(route):
        response = await route.fetch()  # handed in on the server; the answer is slow to come back
        await asyncio.sleep(1.5)  # longer than the prediction's 600 ms wait before it saves
        await route.fulfill(response=response)

    await page.route("**/submit/", slow)
    sent: list[str] = []
    page.on(
        "request", lambda r: sent.append(r.url.rsplit("/", 2)[-2]) if r.method == "POST" else None
    )
    await page.locator("#palette button").nth(2).click()
    await page.click("#keep-order")
    await page.click("#next")
    await page.fill("#prediction", "7")
    await page.click("#submit")
    await page.click("#submit-anyway")
    await page.wait_for_selector("#done:not([hidden])")
    # The prediction's save was due 600 ms after typing, inside the hand-in's 1.5 s: none went.
    assert "answers" not in sent[sent.index("submit") :], sent
    await page.screenshot(path=str(artifacts / "contest-hand-in-slow.png"), full_page=True)
    assert await page.locator("#attempt-error").is_hidden(), await page.inner_text("#attempt-error")
    assert await page.inner_text("#clock") == "Handed in"
    assert await sync_to_async(_handed_in)() == ("submitted", 7, 2)
    assert errors == []


async def test_an_answer_given_just_before_a_failed_hand_in_is_handed_in_on_the_retry(
    asgi_server, browser, artifacts
):
    """The hand-in carries the answers not saved yet; if it fails, they must not be dropped."""
    page = await open_paper(browser, asgi_server.url)
    failed = []

    async def fail_once(route):
        if not failed:
            failed.append(route.request.post_data_json)
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await page.route("**/submit/", fail_once)
    await page.route("**/answers/", lambda route: route.abort("connectionreset"))
    await page.locator("#palette button").nth(2).click()
    await page.click("#keep-order")  # saved with the hand-in, not on its own
    await page.click("#next")
    await page.click("#submit")
    await page.click("#submit-anyway")
    await page.wait_for_selector("#attempt-error:not([hidden])")
    await page.screenshot(path=str(artifacts / "contest-hand-in-failed.png"), full_page=True)
    # The browser's own words for it ("Failed to fetch") are not the page's language.
    assert await page.inner_text("#attempt-error") == (
        "The server could not be reached. Please try again."
    )
    assert len(failed) == 1
    assert len(failed[0]["answers"]) == 1
    await page.unroute("**/answers/")
    await page.click("#submit")
    await page.click("#submit-anyway")
    await page.wait_for_selector("#done:not([hidden])")
    assert await sync_to_async(_handed_in)() == ("submitted", None, 1)


async def paused(page) -> None:
    """Stop the page's clock (installed before it loaded): from here its timers fire only when
    the test runs the clock (`page.clock.run_for`), so a retry's wait is measured exactly."""
    for _ in range(5):
        now = await page.evaluate("Date.now()")  # ms; pause_at takes a datetime (or seconds)
        try:
            await page.clock.pause_at(datetime.fromtimestamp((now + 1_000) / 1000, tz=UTC))
            return
        except PlaywrightError:  # "Cannot fast-forward to the past": a second went by meanwhile
            continue
    raise AssertionError("the page's clock could not be paused")


async def run_clock(page, seconds: int) -> None:
    """Run the paused clock on, 250 ms at a time, letting each request's failure come back
    before the page's time goes on (an offline request fails at once)."""
    for _ in range(seconds * 4):
        await page.clock.run_for(250)
        await asyncio.sleep(0.05)


async def sent_at(page, kind: str) -> list[int]:
    """The page's times of the saves ("answers") or hand-ins ("submit") it sent."""
    return await page.evaluate(f"window.sentAt.{kind}")


def assert_waits(times: list[int], waits: list[int]) -> None:
    """Each try came the given wait after the one before (give or take the steps of run_clock)."""
    assert len(times) == len(waits) + 1, times
    for before, after, wait in zip(times, times[1:], waits, strict=False):
        assert wait <= after - before <= wait + 750, (times, waits)


async def settled(requests: list, count: int) -> None:
    """Wait until the page has sent `count` of these requests, then a little longer: no more."""
    for _ in range(100):
        if len(requests) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert len(requests) == count, requests


def _paper_of(slug: str, questions: list[dict]):
    """A contest `slug` whose paper asks these questions (make_question's fields), in order,
    and a participant's token."""
    from rest_framework.test import APIClient

    from contest.models import Contest
    from quizzes.models import Quiz, QuizItem
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest, make_school
    from tests.contest.helpers import register as api_register
    from tests.factories import make_question

    clear_boards()
    quiz = Quiz.objects.create(title=f"{slug} quiz", mode="fixed")
    for i, fields in enumerate(questions):
        QuizItem.objects.create(quiz=quiz, question=make_question(**fields), position=i)
    contest, round_, _ = make_contest(slug=slug, quiz=quiz)
    units = make_school("CG", "THCS Cầu Giấy")
    token = api_register(APIClient(), Contest.objects.get(pk=contest.pk), units["class"])
    return contest.slug, round_.pk, token


def _numeric_setup():
    """A paper of a single-choice question then a numeric one (the answer 17)."""
    return _paper_of(
        "numeric",
        [
            {"type": "single", "text_en": "Question 1?", "text_vi": "Câu 1?"},
            {
                "type": "numeric",
                "text_en": "How many SDGs?",
                "text_vi": "Có bao nhiêu SDG?",
                "answer": {"value": 17},
            },
        ],
    )


async def test_a_number_the_server_refuses_is_named_and_the_other_answers_still_save(
    asgi_server, browser, artifacts
):
    """Text in a number's box is refused by the server: the page says which question, marks it
    unanswered, saves the rest, hands in, and does not resend the refused answer in a loop."""
    slug, round_id, token = await sync_to_async(_numeric_setup)()
    base = asgi_server.url
    page = await new_page(browser, locale="vi", phone=True)
    await page.clock.install()
    saves: list[str] = []
    page.on("request", lambda r: saves.append(r.url) if r.url.endswith("/answers/") else None)
    await page.goto(f"{base}/contests/{slug}/resume/{token}/")
    await page.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    await page.wait_for_selector(".answer")
    await page.get_by_role("button", name="SDG 4").click()
    await page.wait_for_selector("#save-state:has-text('Đã lưu')")
    await page.click("#next")
    await page.fill(".free-input", "30 điều")
    error = page.locator("#attempt-error")
    await expect(error).to_have_text("Câu 2: Câu trả lời phải là một số.", timeout=10_000)
    palette = page.locator("#palette button")
    assert await palette.nth(1).get_attribute("aria-label") == "Câu 2: chưa trả lời"
    assert "Đang lưu" not in await page.inner_text("#save-state")
    sent = len(saves)  # the first answer's save and the refused one's
    await paused(page)
    for _ in range(3):  # three minutes of the page's time: the refused answer is not sent again
        await page.clock.run_for(60_000)
        await settled(saves, sent)
    await page.clock.resume()
    await page.screenshot(path=str(artifacts / "contest-numeric-refused-vi.png"), full_page=True)
    await page.fill(".free-input", "17")
    await page.wait_for_selector("#save-state:has-text('Đã lưu')")
    await page.click("#next")
    await page.fill("#prediction", "4")
    await page.click("#submit")
    await page.wait_for_selector("#done:not([hidden])")
    assert await sync_to_async(_handed_in)() == ("submitted", 4, 2)


def _text_setup():
    """A paper of a text question then a single-choice one."""
    return _paper_of(
        "text",
        [
            {
                "type": "text",
                "text_en": "Which agency?",
                "text_vi": "Tổ chức nào?",
                "answer": {"accepted": ["UNESCO"]},
            },
            {"type": "single", "text_en": "Question 2?", "text_vi": "Câu 2?"},
        ],
    )


def _saved_texts() -> list[str]:
    from contest.models import Answer

    return [a.response.get("text", "") for a in Answer.objects.order_by("question__type")]


async def test_a_long_pasted_text_stops_at_the_servers_limit_and_every_answer_is_handed_in(
    asgi_server, browser, artifacts
):
    """A participant pastes 600 characters into a text answer: the box keeps the 500 the
    server takes (a longer one was refused, and blocked every later save and the hand-in)."""
    page = await open_paper(browser, asgi_server.url, setup=_text_setup, locale="vi")
    await page.fill(".free-input", "UNESCO " + "x" * 600)
    assert len(await page.input_value(".free-input")) == 500
    await page.wait_for_selector("#save-state:has-text('Đã lưu')")
    await page.click("#next")
    await page.get_by_role("button", name="SDG 4").click()
    await page.wait_for_selector("#save-state:has-text('Đã lưu')")
    await page.click("#next")
    await page.fill("#prediction", "4")
    await page.click("#submit")
    await page.wait_for_selector("#done:not([hidden])")
    assert await page.locator("#attempt-error").is_hidden()
    assert await page.locator(".palette-legend").is_hidden()  # the palette it explains is gone
    await page.screenshot(path=str(artifacts / "contest-long-text-vi.png"), full_page=True)
    texts = await sync_to_async(_saved_texts)()
    assert sorted(len(t) for t in texts) == [0, 500]


async def test_offline_saves_back_off_and_a_hand_in_after_reconnecting_goes_through(
    asgi_server, browser, artifacts
):
    page = await open_paper(browser, asgi_server.url, clock=True)
    await page.context.set_offline(True)
    await paused(page)
    await page.get_by_role("button", name="SDG 4").click()
    await run_clock(page, 17)
    assert "retrying" in await page.inner_text("#save-state")
    # Saved at once, then tried again 2 s later, then 4 s, then 8 s: never in a loop.
    assert_waits(await sent_at(page, "answers"), [2_000, 4_000, 8_000])
    await page.context.set_offline(False)
    await page.locator("#palette button").nth(2).click()
    await page.click("#keep-order")
    await page.click("#next")
    await page.click("#submit")
    await page.click("#submit-anyway")
    await page.wait_for_selector("#done:not([hidden])")
    assert await page.inner_text("#save-state") == "All answers saved."
    assert await page.locator("#attempt-error").is_hidden()
    await page.screenshot(
        path=str(artifacts / "contest-offline-then-handed-in.png"), full_page=True
    )
    assert await sync_to_async(_handed_in)() == ("submitted", None, 2)


async def test_a_second_tab_handing_in_an_attempt_already_handed_in_shows_no_error(
    asgi_server, browser
):
    page = await open_paper(browser, asgi_server.url)
    await page.get_by_role("button", name="SDG 4").click()
    await page.wait_for_selector("#save-state:has-text('saved')")
    other = await page.context.new_page()
    await other.goto(page.url)
    await other.wait_for_selector(".answer")
    for tab in (page, other):
        await tab.locator("#palette button").nth(2).click()
        await tab.click("#next")
        await tab.click("#submit")
        await tab.click("#submit-anyway")
        await tab.wait_for_selector("#done:not([hidden])")
    assert await other.locator("#attempt-error").is_hidden(), await other.inner_text(
        "#attempt-error"
    )
    assert await sync_to_async(_handed_in)() == ("submitted", None, 1)


def _deadline():
    from contest.models import Attempt

    return Attempt.objects.get().deadline


async def test_the_clocks_own_hand_in_offline_is_retried_later_each_time_not_in_a_loop(
    asgi_server, browser
):
    page = await open_paper(browser, asgi_server.url, clock=True)
    await page.context.set_offline(True)
    await page.clock.pause_at((await sync_to_async(_deadline)()) - timedelta(seconds=1))
    await run_clock(page, 10)
    # Handed in when the time was up, then tried again 2 s later, then 4 s: the clock checks
    # every 250 ms, but does not hand in again on each check.
    assert_waits(await sent_at(page, "submit"), [2_000, 4_000])
    await page.context.set_offline(False)
    await page.clock.run_for(8_750)
    await page.wait_for_selector("#done:not([hidden])")
    assert (await sync_to_async(_handed_in)())[0] in {"submitted", "expired"}
