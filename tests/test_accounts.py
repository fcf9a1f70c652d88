"""Accounts that schools can manage: password reset by email, teacher invitations, teacher
accounts from CSV (issue 19, point 3)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from core.errors import ApplicationError
from core.roles import has_role
from quizzes.services import accounts
from tests.factories import make_units, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


@pytest.fixture
def units():
    return make_units()


@pytest.fixture
def organiser(db):
    return make_user("org", roles=["organiser"])


@pytest.fixture
def org_client(organiser):
    client = Client()
    client.force_login(organiser)
    return client


# --- Password reset -------------------------------------------------------------------------


def test_login_page_links_to_password_reset(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in page
    assert "Forgot password?" in page


def test_password_reset_by_email_lets_the_user_log_in_with_the_new_password(client):
    user = make_user("lan", password="old-password-1")
    user.email = "lan@school.edu.vn"
    user.save()

    response = client.post("/accounts/password/reset/", {"email": "LAN@school.edu.vn"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lan@school.edu.vn"]
    assert "Your username: lan" in mail.outbox[0].body
    assert mail.outbox[0].subject == "Reset your CitizenQuiz password"
    assert "http://testserver/accounts/password/reset/" in mail.outbox[0].body

    confirm = client.get(_link(mail.outbox[0]), follow=True)
    assert b"Choose a new password" in confirm.content
    form_url = confirm.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": "Sao-Vang-2026", "new_password2": "Sao-Vang-2026"}
    )
    assert done["Location"] == "/accounts/password/reset/done/"

    fresh = Client()
    assert not fresh.login(username="lan", password="old-password-1")
    assert fresh.login(username="lan", password="Sao-Vang-2026")
    # The link was single use.
    again = Client().get(_link(mail.outbox[0]), follow=True)
    assert b"This password reset link is not valid" in again.content


def test_password_reset_link_uses_the_public_base_url(client, settings):
    settings.PUBLIC_BASE_URL = "https://quiz.example.vn"
    user = make_user("lan")
    user.email = "lan@school.edu.vn"
    user.save()
    client.post("/accounts/password/reset/", {"email": "lan@school.edu.vn"})
    assert "https://quiz.example.vn/accounts/password/reset/" in mail.outbox[0].body


def test_password_reset_emails_to_one_address_are_limited(client, settings):
    from core import ratelimit

    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_PASSWORD_RESET = "2/3600"
    ratelimit.reset()
    user = make_user("lan")
    user.email = "lan@school.edu.vn"
    user.save()
    for email in ("lan@school.edu.vn", "LAN@school.edu.vn", "lan@school.edu.vn"):
        response = client.post("/accounts/password/reset/", {"email": email})
        assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 2
    ratelimit.reset()


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_password_reset_pages_speak_vietnamese(client):
    page = client.get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Đặt lại mật khẩu" in page


# --- Inviting one teacher ---------------------------------------------------------------------


def _invite(organiser, units, email="mai@school.edu.vn", **kw):
    return accounts.teacher_invite(
        actor=organiser,
        email=email,
        full_name=kw.get("full_name", "Nguyễn Thị Mai"),
        school_code=kw.get("school_code", units["school"].code),
        base_url="http://testserver/",
    )


def test_invited_teacher_sets_a_password_through_the_link_and_becomes_a_teacher_of_the_school(
    organiser, units, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = _invite(organiser, units, email="Mai@School.edu.vn")
    assert result.outcome == accounts.CREATED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mai@school.edu.vn"]
    user = User.objects.get(email="mai@school.edu.vn")
    assert has_role(user, "teacher")
    assert user.profile.school == units["school"]
    assert not user.has_usable_password()

    client = Client()
    link = _link(mail.outbox[0])
    page = client.get(link)
    assert "mai@school.edu.vn" in page.content.decode()
    response = client.post(link, {"new_password1": "Hoa-Sen-2026", "new_password2": "Hoa-Sen-2026"})
    assert response.status_code == 302
    assert client.get("/bank/").status_code == 200  # logged in, with teacher rights
    assert Client().login(username="mai@school.edu.vn", password="Hoa-Sen-2026")

    # Single use: the same link now says so and changes nothing.
    used = Client().post(link, {"new_password1": "Other-pass-99", "new_password2": "Other-pass-99"})
    assert used.status_code == 400
    assert "already used" in used.content.decode()
    assert Client().login(username="mai@school.edu.vn", password="Hoa-Sen-2026")


def test_invitation_link_expires(organiser, units, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(organiser, units)
    token = _link(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    settings.ACCOUNT_INVITE_MAX_AGE_DAYS = -1
    with pytest.raises(ApplicationError) as exc:
        accounts.invite_user_get(token=token)
    assert exc.value.code == "invite_expired"
    page = Client().get(f"/accounts/invite/{token}/")
    assert page.status_code == 400
    assert "has expired" in page.content.decode()


def test_a_forged_or_damaged_invitation_link_is_refused(organiser, units):
    user = _invite(organiser, units).user
    forged = signing.dumps({"u": user.pk, "s": "x"}, salt="other")
    for token in (forged, accounts.invite_token_make(user)[:-3] + "abc"):
        response = Client().post(
            f"/accounts/invite/{token}/",
            {"new_password1": "Xy-12345678", "new_password2": "Xy-12345678"},
        )
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_invitation_refuses_a_weak_password_with_a_clear_message(organiser, units):
    user = _invite(organiser, units).user
    link = f"/accounts/invite/{accounts.invite_token_make(user)}/"
    response = Client().post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_reinviting_the_same_email_sends_a_new_link_and_creates_no_second_account(
    organiser, units, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(organiser, units)
        again = _invite(organiser, units, email=" MAI@school.edu.vn ")
    assert again.outcome == accounts.RESENT
    assert "already invited" in again.message
    assert User.objects.filter(email__iexact="mai@school.edu.vn").count() == 1
    assert len(mail.outbox) == 2


def test_inviting_an_active_teacher_changes_nothing_and_sends_nothing(organiser, units):
    teacher = make_user("hung", roles=["teacher"])
    teacher.email = "hung@school.edu.vn"
    teacher.save()
    result = _invite(organiser, units, email="hung@school.edu.vn")
    assert result.outcome == accounts.ALREADY_TEACHER
    assert mail.outbox == []
    assert teacher.check_password("pw-123456")


def test_inviting_an_active_account_without_role_grants_the_teacher_role(organiser, units):
    player = make_user("student")
    player.email = "hs@school.edu.vn"
    player.save()
    result = _invite(organiser, units, email="hs@school.edu.vn")
    assert result.outcome == accounts.ROLE_ADDED
    player = User.objects.get(pk=player.pk)
    assert has_role(player, "teacher")
    assert player.profile.school == units["school"]
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "school", "field", "text"),
    [
        ("not-an-email", "P-D-S", "email", "valid email"),
        ("a@b.vn", "NOPE", "school_code", "No unit has the code"),
        ("a@b.vn", "P-D", "school_code", "not a school"),
    ],
)
def test_invite_api_reports_bad_input_per_field(
    organiser, units, api_client, email, school, field, text
):
    api_client.force_authenticate(organiser)
    response = api_client.post(
        "/api/accounts/teachers/invite/", {"email": email, "school_code": school}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert text in body["details"][field][0]
    assert not User.objects.filter(email=email).exists()


def test_only_organisers_may_invite_teachers(units, api_client, client):
    teacher = make_user("t", roles=["teacher"])
    api_client.force_authenticate(teacher)
    response = api_client.post(
        "/api/accounts/teachers/invite/",
        {"email": "x@y.vn", "school_code": units["school"].code},
        format="json",
    )
    assert response.status_code == 403
    client.force_login(teacher)
    assert client.get("/organise/teachers/").status_code == 403


def test_invite_api_creates_then_reports_the_existing_invitation(organiser, units, api_client):
    api_client.force_authenticate(organiser)
    payload = {"email": "an@school.edu.vn", "full_name": "An", "school_code": "P-D-S"}
    first = api_client.post("/api/accounts/teachers/invite/", payload, format="json")
    second = api_client.post("/api/accounts/teachers/invite/", payload, format="json")
    assert (first.status_code, first.json()["outcome"]) == (201, "created")
    assert (second.status_code, second.json()["outcome"]) == (200, "resent")
    listed = api_client.get("/api/accounts/teachers/").json()
    assert [(a["email"], a["status"], a["school_code"]) for a in listed] == [
        ("an@school.edu.vn", "invited", "P-D-S")
    ]


# --- Teacher accounts from CSV ----------------------------------------------------------------

CSV = (
    "email,full_name,school_code\n"
    "lan@school.edu.vn,Trần Thị Lan,P-D-S\n"
    "bad-email,Nguyễn Văn B,P-D-S\n"
    "hoa@school.edu.vn,Lê Hoa,NOPE\n"
    "LAN@school.edu.vn,Trần Lan,P-D-S\n"
    "\n"
    "minh@school.edu.vn,Phạm Minh,P-D-S\n"
)


def _import(organiser, text, commit):
    return accounts.teachers_import_csv(
        actor=organiser, content=text.encode(), commit=commit, base_url="http://testserver/"
    )


def test_csv_preview_reports_each_bad_row_by_number_and_creates_nothing(organiser, units):
    report = _import(organiser, CSV, commit=False)
    by_line = {row.line: (row.status, row.message) for row in report.rows}
    assert by_line[2][0] == "new"
    assert by_line[3] == ("error", "Enter a valid email address.")
    assert by_line[4] == ("error", "No unit has the code “NOPE”.")
    assert by_line[5] == ("error", "lan@school.edu.vn already appears on row 2.")
    assert by_line[7][0] == "new"
    assert User.objects.filter(email__endswith="school.edu.vn").count() == 0
    assert mail.outbox == []


def test_csv_create_invites_each_new_teacher_and_a_second_upload_creates_no_duplicates(
    organiser, units, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = _import(organiser, CSV, commit=True)
    assert report.created == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["lan@school.edu.vn", "minh@school.edu.vn"]
    lan = User.objects.get(email="lan@school.edu.vn")
    assert has_role(lan, "teacher")
    assert lan.profile.school == units["school"]
    assert lan.profile.display_name == "Trần Thị Lan"

    with django_capture_on_commit_callbacks(execute=True):
        again = _import(organiser, CSV, commit=True)
    assert again.created == 0
    assert [r.line for r in again.rows if r.status == "exists"] == [2, 7]
    assert User.objects.filter(email__endswith="school.edu.vn").count() == 2
    assert len(mail.outbox) == 2


def test_csv_with_semicolons_and_a_bom_from_excel_is_read(organiser, units):
    text = "\ufeffEmail;Full_name;School_code\nthu@school.edu.vn;Thu;P-D-S\n"
    report = _import(organiser, text, commit=False)
    assert [(r.email, r.status, r.school_name) for r in report.rows] == [
        ("thu@school.edu.vn", "new", "THPT Phan Đình Phùng")
    ]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"email,name\nx@y.vn,X\n", "missing_columns"),
        ("email,full_name,school_code\nx@y.vn,Hà,P\n".encode("utf-16"), "bad_encoding"),
        (b"email,full_name,school_code\n", "empty"),
    ],
)
def test_unreadable_csv_files_get_a_clear_error(organiser, units, content, code):
    with pytest.raises(ApplicationError) as exc:
        accounts.teachers_import_csv(actor=organiser, content=content, commit=True, base_url="/")
    assert exc.value.code == code
    assert exc.value.message


def test_csv_size_and_row_limits(organiser, units, settings, api_client):
    settings.ACCOUNT_CSV_MAX_ROWS = 3
    rows = "".join(f"t{i}@school.edu.vn,T{i},P-D-S\n" for i in range(4))
    with pytest.raises(ApplicationError) as exc:
        _import(organiser, "email,full_name,school_code\n" + rows, commit=True)
    assert exc.value.code == "too_many_rows"
    assert "3" in exc.value.message

    settings.ACCOUNT_CSV_MAX_BYTES = 100
    api_client.force_authenticate(organiser)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("t.csv", ("email,full_name,school_code\n" + rows * 5).encode())
    response = api_client.post(
        "/api/accounts/teachers/import/", {"file": upload, "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert User.objects.filter(email__endswith="school.edu.vn").count() == 0


def test_csv_import_api_previews_by_default_then_creates(organiser, units, api_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api_client.force_authenticate(organiser)
    preview = api_client.post(
        "/api/accounts/teachers/import/",
        {"file": SimpleUploadedFile("t.csv", CSV.encode())},
        format="multipart",
    ).json()
    assert (preview["committed"], preview["new"], preview["errors"]) == (False, 2, 3)
    assert User.objects.filter(email__endswith="school.edu.vn").count() == 0
    created = api_client.post(
        "/api/accounts/teachers/import/",
        {"file": SimpleUploadedFile("t.csv", CSV.encode()), "dry_run": "false"},
        format="multipart",
    ).json()
    assert (created["committed"], created["created"]) == (True, 2)


def test_csv_errors_are_translated(organiser, units):
    from django.utils import translation

    with translation.override("vi"):
        report = _import(organiser, CSV, commit=False)
    messages = {row.line: row.message for row in report.rows}
    assert messages[3] == "Nhập một địa chỉ email hợp lệ."
    assert "NOPE" in messages[4]
    assert "mã" in messages[4]


def test_organiser_page_previews_then_creates_teachers_from_csv(org_client, units):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = org_client.post(
        "/organise/teachers/",
        {"action": "preview", "file": SimpleUploadedFile("t.csv", CSV.encode())},
    ).content.decode()
    assert "No unit has the code “NOPE”." in page
    assert "Create 2 accounts and send the invitations" in page
    assert User.objects.filter(email__endswith="school.edu.vn").count() == 0
    response = org_client.post("/organise/teachers/", {"action": "create", "csv_text": CSV})
    assert response.status_code == 302
    listing = org_client.get("/organise/teachers/").content.decode()
    assert "2 teacher accounts created and invited." in listing
    assert "3 rows with errors were skipped." in listing
    assert "minh@school.edu.vn" in listing
    assert "Invited, no password yet" in listing


_email_part = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(_email_part, st.sampled_from(["", "X"]), st.sampled_from(["P-D-S", "NOPE"])),
        min_size=1,
        max_size=8,
    )
)
def test_csv_creates_one_account_per_distinct_valid_email_however_often_uploaded(
    organiser, units, rows
):
    text = "email,full_name,school_code\n" + "".join(
        f"{local.upper() if caps else local}@school.vn,Name,{code}\n" for local, caps, code in rows
    )
    _import(organiser, text, commit=True)
    _import(organiser, text, commit=True)
    valid = {f"{local}@school.vn" for local, _caps, code in rows if code == "P-D-S"}
    # Earlier examples' accounts stay in this test's transaction: count only this example's.
    created = {
        e.lower()
        for e in User.objects.filter(email__endswith="@school.vn").values_list("email", flat=True)
    }
    assert valid <= created
    for email in valid:
        assert User.objects.filter(email__iexact=email).count() == 1


def test_organiser_page_invites_one_teacher_and_says_what_happened_on_a_second_try(
    org_client, units, django_capture_on_commit_callbacks
):
    form = {
        "action": "invite",
        "email": "an@school.edu.vn",
        "full_name": "An",
        "school_code": "P-D-S",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = org_client.post("/organise/teachers/", form, follow=True).content.decode()
        second = org_client.post("/organise/teachers/", form, follow=True).content.decode()
    assert "Invitation sent to an@school.edu.vn." in first
    assert "an@school.edu.vn was already invited and has not set a password yet" in second
    bad = org_client.post("/organise/teachers/", form | {"school_code": "P"}, follow=True)
    assert "is a province, not a school" in bad.content.decode()
    assert len(mail.outbox) == 2
