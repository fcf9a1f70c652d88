"""Accounts in Chromium: forgotten password by email, and an organiser who creates teacher
accounts from a CSV file whose teachers then set their password through the emailed link."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from tests.browser.conftest import AsgiServer, child_env, free_port, new_page
from tests.factories import make_units, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mail_server(transactional_db, tmp_path):
    """Emails land in files; SSO is switched on (with made-up clients) to show its buttons."""
    outbox = tmp_path / "mail"
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "SSO_GOOGLE_CLIENT_ID": "browser-test",
        "SSO_GOOGLE_CLIENT_SECRET": "browser-test",
        "SSO_MICROSOFT_CLIENT_ID": "browser-test",
        "SSO_MICROSOFT_CLIENT_SECRET": "browser-test",
    }
    server = AsgiServer(free_port(), tmp_path / "server.log", child_env(env))
    server.outbox = outbox
    yield server
    server.stop()


def _mails(outbox) -> list[str]:
    return [f.read_text() for f in sorted(outbox.iterdir())] if outbox.exists() else []


def _link(text: str) -> str:
    return re.search(r"https?://\S+/accounts/\S+/", text)[0]


async def _log_in(page, base, username, password):
    await page.goto(f"{base}/accounts/login/")
    await page.fill("#id_username", username)
    await page.fill("#id_password", password)
    async with page.expect_navigation():
        await page.click("main button[type=submit]")


def _user_with_email():
    user = make_user("lan", password="old-password-1")
    user.email = "lan@school.edu.vn"
    user.save()


async def test_forgotten_password_is_reset_through_the_emailed_link(
    mail_server, browser, artifacts
):
    await sync_to_async(_user_with_email)()
    errors: list[str] = []
    page = await new_page(browser, locale="vi", errors=errors)
    await page.goto(f"{mail_server.url}/accounts/login/")
    assert await page.locator(".sso button").count() == 2
    await page.screenshot(path=str(artifacts / "accounts-login.png"), full_page=True)
    await page.click("text=Quên mật khẩu?")
    await page.fill("#id_email", "lan@school.edu.vn")
    async with page.expect_navigation():
        await page.click("main button[type=submit]")
    assert "Hãy kiểm tra email của bạn" in await page.inner_text("h1")
    await page.screenshot(path=str(artifacts / "accounts-reset-sent.png"), full_page=True)

    (mail,) = _mails(mail_server.outbox)
    assert "Tên đăng nhập của bạn: lan" in mail
    await page.goto(_link(mail))
    await page.fill("#id_new_password1", "Sao-Vang-2026")
    await page.fill("#id_new_password2", "Sao-Vang-2026")
    await page.screenshot(path=str(artifacts / "accounts-reset-new-password.png"), full_page=True)
    async with page.expect_navigation():
        await page.click("main button[type=submit]")
    assert "Đã đổi mật khẩu" in await page.inner_text("h1")

    await _log_in(page, mail_server.url, "lan", "Sao-Vang-2026")
    assert "lan" in await page.inner_text(".who")
    assert errors == []


def _organiser_and_school():
    make_units()
    make_user("org", roles=["organiser"], password="pw-123456")


CSV = (
    "email,full_name,school_code\n"
    "mai@school.edu.vn,Nguyễn Thị Mai,P-D-S\n"
    "sai-email,Trần Văn B,P-D-S\n"
    "hung@school.edu.vn,Lê Hùng,KHONG-CO\n"
)


async def test_organiser_creates_teachers_from_csv_and_a_teacher_sets_a_password(
    mail_server, browser, artifacts, tmp_path
):
    await sync_to_async(_organiser_and_school)()
    errors: list[str] = []
    page = await new_page(browser, locale="en", errors=errors)
    await _log_in(page, mail_server.url, "org", "pw-123456")
    await page.goto(f"{mail_server.url}/organise/teachers/")
    csv_file = tmp_path / "teachers.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    await page.set_input_files("#csv-file", str(csv_file))
    async with page.expect_navigation():
        await page.click("text=Check the file")
    rows = page.locator(".preview tbody tr")
    assert await rows.count() == 3
    assert "Enter a valid email address." in await rows.nth(1).inner_text()
    assert "No unit has the code “KHONG-CO”." in await rows.nth(2).inner_text()
    await page.screenshot(path=str(artifacts / "accounts-csv-preview.png"), full_page=True)
    assert _mails(mail_server.outbox) == []

    async with page.expect_navigation():
        await page.click("text=Create 1 account and send the invitation")
    assert "1 teacher account created and invited." in await page.inner_text(".messages")
    assert "Invited, no password yet" in await page.inner_text("main")
    await page.screenshot(path=str(artifacts / "accounts-teachers.png"), full_page=True)

    (mail,) = _mails(mail_server.outbox)
    teacher = await new_page(browser, locale="vi", errors=errors)
    await teacher.goto(_link(mail))
    assert "mai@school.edu.vn" in await teacher.inner_text("main")
    await teacher.fill("#id_new_password1", "Hoa-Sen-2026")
    await teacher.fill("#id_new_password2", "Hoa-Sen-2026")
    await teacher.screenshot(path=str(artifacts / "accounts-invite.png"), full_page=True)
    async with teacher.expect_navigation():
        await teacher.click("main button[type=submit]")
    assert "Chào mừng bạn!" in await teacher.inner_text(".messages")
    await teacher.goto(f"{mail_server.url}/bank/")
    assert teacher.url.endswith("/bank/")
    user = await sync_to_async(get_user_model().objects.get)(email="mai@school.edu.vn")
    assert await sync_to_async(user.check_password)("Hoa-Sen-2026")
    assert errors == []


async def test_sso_buttons_reach_the_provider_through_the_content_security_policy(
    mail_server, browser, artifacts
):
    errors: list[str] = []
    page = await new_page(browser, locale="en", errors=errors)
    # No internet: the provider's authorize page is answered here, after the browser's checks.
    await page.route(
        "https://login.microsoftonline.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Fake</h1>"),
    )
    await page.route(
        "https://accounts.google.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Fake</h1>"),
    )
    for button, authorize in (
        (".sso-microsoft", "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"),
        (".sso-google", "https://accounts.google.com/o/oauth2/v2/auth"),
    ):
        await page.goto(f"{mail_server.url}/accounts/login/")
        await page.click(button)
        await page.wait_for_url(authorize + "**", timeout=10_000)
        assert "client_id=browser-test" in page.url
    assert errors == []
