"""Registration anti-fraud and participant identity in Chromium: the registration page solves
the proof-of-work check in a Web Worker and registers; the resume link asks before replacing
another participant in this browser; the attempt page never exposes the HttpOnly token."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async

from tests.browser.conftest import AsgiServer, child_env, free_port, new_page
from tests.browser.test_contest_flow import answer_correctly, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pow_server(transactional_db, tmp_path):
    """A server whose proof-of-work check is light enough for a loaded test machine."""
    server = AsgiServer(
        free_port(), tmp_path / "server.log", child_env({"CONTEST_CAPTCHA_BITS": "12"})
    )
    yield server
    server.stop()


@pytest.fixture
def mail_server(transactional_db, tmp_path):
    """A server that writes its emails to files the test can read."""
    outbox = tmp_path / "mail"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
    }
    server = AsgiServer(free_port(), tmp_path / "server.log", child_env(env))
    server.outbox = outbox
    yield server
    server.stop()


def _setup(**contest_fields):
    from contest.models import Contest
    from tests.contest.conftest import clear_boards
    from tests.contest.helpers import make_contest, make_school

    clear_boards()
    contest, round_, _questions = make_contest(slug="identity", time_limit_seconds=900)
    Contest.objects.filter(pk=contest.pk).update(**contest_fields)
    make_school("CG", "THCS Cầu Giấy")
    return contest.slug, round_.pk


def _tokens(slug):
    from contest.models import Contest
    from contest.services import participant_register, participant_token
    from quizzes.models import Unit

    contest = Contest.objects.get(slug=slug)
    school = Unit.objects.get(level="school")
    tokens = []
    for i, name in enumerate(("Nguyễn Văn An", "Trần Thị Bình")):
        p = participant_register(
            contest=contest,
            full_name=name,
            unit_id=school.pk,
            consent=True,
            email=f"p{i}@example.org",
            phone="",
            date_of_birth=__import__("datetime").date(2010, 1, i + 1),
        )
        tokens.append(participant_token(p))
    return tokens


def _registered():
    from contest.models import CaptchaUse, Participant

    return list(Participant.objects.values_list("full_name", flat=True)), CaptchaUse.objects.count()


async def test_the_registration_page_solves_the_proof_of_work_and_registers(
    pow_server, browser, artifacts
):
    slug, _round_id = await sync_to_async(_setup)(require_captcha=True)
    errors: list[str] = []
    page = await new_page(browser, errors=errors)
    await page.goto(f"{pow_server.url}/contests/{slug}/register/")
    await page.wait_for_selector("#captcha-state[data-done='1']", timeout=60000)
    await page.screenshot(path=str(artifacts / "contest-register-captcha.png"), full_page=True)
    await register(
        page,
        pow_server.url,
        slug,
        "Nguyễn Thị Lan",
        "Quận CG",
        "THCS Cầu Giấy",
        "2011-03-04",
        "lan@example.org",
    )
    names, spent = await sync_to_async(_registered)()
    assert names == ["Nguyễn Thị Lan"]
    assert spent == 1
    assert errors == []


async def test_the_registration_page_confirms_the_email_with_the_code_it_sends(
    mail_server, browser, artifacts
):
    slug, _round_id = await sync_to_async(_setup)(require_email_verification=True)
    errors: list[str] = []
    page = await new_page(browser, errors=errors)
    await page.goto(f"{mail_server.url}/contests/{slug}/register/")
    await page.fill("#full_name", "Nguyễn Thị Lan")
    await page.select_option("#unit-province", label="Hà Nội")
    await page.wait_for_selector("#unit-district option:nth-child(2)", state="attached")
    await page.select_option("#unit-district", label="Quận CG")
    await page.wait_for_selector("#unit-school option:nth-child(2)", state="attached")
    await page.select_option("#unit-school", label="THCS Cầu Giấy")
    await page.fill("#date_of_birth", "2011-03-04")
    await page.fill("#email", "lan@example.org")
    await page.check("#consent")
    await page.click("#send-code")
    await page.wait_for_selector("#code-state:has-text('A code was sent to lan@example.org')")
    (mail_file,) = mail_server.outbox.iterdir()
    code = re.search(r"is (\d{6})\.", mail_file.read_text())[1]
    await page.fill("#email_code", code)
    await page.screenshot(path=str(artifacts / "contest-register-email-code.png"), full_page=True)
    await page.click("#register-form button[type=submit]")
    await page.wait_for_selector("#registered:not([hidden])")
    names, _spent = await sync_to_async(_registered)()
    assert names == ["Nguyễn Thị Lan"]
    assert errors == []


async def test_the_resume_link_asks_before_replacing_the_participant_of_this_browser(
    asgi_server, browser, artifacts
):
    slug, _round_id = await sync_to_async(_setup)()
    an, binh = await sync_to_async(_tokens)(slug)
    base = asgi_server.url
    page = await new_page(browser)
    await page.goto(f"{base}/contests/{slug}/resume/{an}/")
    await page.wait_for_selector("text=Registered as Nguyễn V. A.")
    await page.goto(f"{base}/contests/{slug}/resume/{binh}/")
    confirm = page.locator("#resume-confirm")
    await confirm.wait_for()
    text = await confirm.inner_text()
    assert "You are registered as Nguyễn V. A. (THCS Cầu Giấy) in this browser." in text
    assert "Replace with Trần T. B. (THCS Cầu Giấy)?" in text
    await page.screenshot(path=str(artifacts / "contest-resume-confirm.png"), full_page=True)
    await page.click("#resume-keep")
    await page.wait_for_selector("text=Registered as Nguyễn V. A.")
    await page.goto(f"{base}/contests/{slug}/resume/{binh}/")
    await page.click("#resume-replace")
    await page.wait_for_selector("text=Registered as Trần T. B.")


async def test_the_attempt_page_never_exposes_the_httponly_token_to_scripts(asgi_server, browser):
    slug, round_id = await sync_to_async(_setup)()
    an, _binh = await sync_to_async(_tokens)(slug)
    base = asgi_server.url
    errors: list[str] = []
    page = await new_page(browser, errors=errors)
    await page.goto(f"{base}/contests/{slug}/resume/{an}/")
    cookies = await page.context.cookies()
    assert any(c["value"] == an and c["httpOnly"] for c in cookies)
    await page.goto(f"{base}/contests/{slug}/rounds/{round_id}/play/")
    await page.wait_for_selector(".answer")
    await answer_correctly(page, 1)  # the page's API calls work with the cookie alone
    seen = await page.evaluate(
        """() => [document.cookie, document.documentElement.outerHTML,
                  JSON.stringify(Object.entries(localStorage)),
                  JSON.stringify(Object.entries(sessionStorage))].join("\\n")"""
    )
    assert an.split(":")[0] not in seen  # not even the token's payload
    # No string a script can read is a participant token (a token is signed anew on each render,
    # so look for anything that verifies, not for this exact string).
    from contest.services.registration import token_claims

    candidates = re.findall(r"[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+", seen)
    assert [c for c in candidates if token_claims(c)] == []
    assert errors == []
