"""Registration anti-fraud (issue 12, point 7): a verified email (a one-time code), a self-hosted
proof-of-work check, and one entry per mailbox or phone per contest, even under concurrency."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from contest.models import CaptchaUse, EmailCode, Participant
from contest.services.captcha import captcha_challenge, leading_zero_bits
from contest.services.registration import email_key, normalise_phone
from tests.contest.helpers import make_contest, make_school

pytestmark = pytest.mark.django_db


def _body(unit, **extra):
    body = {
        "full_name": "Nguyễn Văn An",
        "unit": unit.pk,
        "consent": True,
        "date_of_birth": "2010-05-01",
        "email": "an@example.org",
    }
    body.update(extra)
    return body


def _register(client, contest, body):
    return client.post(f"/api/contests/{contest.slug}/register/", body, format="json")


def _send_code(client, contest, email="an@example.org"):
    return client.post(f"/api/contests/{contest.slug}/email-code/", {"email": email}, format="json")


def _code_from_outbox() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body)[1]


@pytest.fixture
def verified_contest(setup):
    contest, round_, questions, units = setup
    contest.require_email_verification = True
    contest.save()
    return contest, units["school"]


@pytest.fixture
def captcha_contest(setup, settings):
    settings.CONTEST_CAPTCHA_BITS = 8
    contest, round_, questions, units = setup
    contest.require_captcha = True
    contest.save()
    return contest, units["school"]


def solve(challenge: str, bits: int) -> str:
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


# --- Verified email ------------------------------------------------------------------------


def test_contest_asking_for_a_verified_email_refuses_registration_without_the_code(
    api_client, verified_contest
):
    contest, school = verified_contest
    response = _register(api_client, contest, _body(school))
    assert response.status_code == 400
    assert response.json()["code"] == "email_code_required"
    assert not Participant.objects.exists()


def test_the_emailed_code_registers_once_and_is_stored_only_hashed(api_client, verified_contest):
    contest, school = verified_contest
    assert _send_code(api_client, contest).status_code == 202
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["an@example.org"]
    code = _code_from_outbox()
    row = EmailCode.objects.get()
    assert code not in row.code_hash
    assert row.code_hash != code
    ok = _register(api_client, contest, _body(school, email_code=code))
    assert ok.status_code == 201, ok.json()
    # The same code cannot register a second person with another phone and name.
    again = _register(
        api_client,
        contest,
        _body(school, full_name="Trần Thị Bình", email="an@example.org", email_code=code),
    )
    assert again.status_code in {400, 409}
    assert Participant.objects.count() == 1


def test_a_wrong_code_is_refused_and_tries_are_limited(api_client, verified_contest, settings):
    settings.CONTEST_EMAIL_CODE_MAX_TRIES = 3
    contest, school = verified_contest
    _send_code(api_client, contest)
    code = _code_from_outbox()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    codes = []
    for _ in range(3):
        response = _register(api_client, contest, _body(school, email_code=wrong))
        codes.append(response.json()["code"])
    assert codes == ["email_code_wrong"] * 3
    # Out of tries: even the right code no longer works; a new code is needed.
    late = _register(api_client, contest, _body(school, email_code=code))
    assert late.status_code == 400
    assert late.json()["code"] == "email_code_expired"
    assert not Participant.objects.exists()


def test_an_expired_code_is_refused(api_client, verified_contest):
    contest, school = verified_contest
    _send_code(api_client, contest)
    code = _code_from_outbox()
    row = EmailCode.objects.get()
    EmailCode.objects.filter(pk=row.pk).update(expires_at=row.created_at - timedelta(seconds=1))
    response = _register(api_client, contest, _body(school, email_code=code))
    assert response.status_code == 400
    assert response.json()["code"] == "email_code_expired"


def test_codes_cannot_be_asked_for_again_at_once(api_client, verified_contest):
    contest, _school = verified_contest
    assert _send_code(api_client, contest).status_code == 202
    again = _send_code(api_client, contest, "An@Example.org")
    assert again.status_code == 429
    assert again.json()["code"] == "code_wait"
    assert len(mail.outbox) == 1


def test_a_contest_without_email_verification_sends_no_code(api_client, setup):
    contest = setup[0]
    response = _send_code(api_client, contest)
    assert response.status_code == 400
    assert response.json()["code"] == "not_needed"
    assert mail.outbox == []


# --- Proof of work -------------------------------------------------------------------------


def test_contest_asking_for_proof_of_work_refuses_registration_without_it(
    api_client, captcha_contest
):
    contest, school = captcha_contest
    response = _register(api_client, contest, _body(school))
    assert response.status_code == 400
    assert response.json()["code"] == "captcha_required"
    bad = _register(
        api_client,
        contest,
        _body(school, captcha={"challenge": "forged:challenge", "nonce": "1"}),
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "captcha_invalid"
    assert not Participant.objects.exists()


def test_a_solved_challenge_registers_once_and_cannot_be_replayed(api_client, captcha_contest):
    contest, school = captcha_contest
    challenge = api_client.get(f"/api/contests/{contest.slug}/captcha/").json()
    assert challenge["bits"] == 8
    solution = {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], 8)}
    ok = _register(api_client, contest, _body(school, captcha=solution))
    assert ok.status_code == 201, ok.json()
    replay = _register(
        api_client,
        contest,
        _body(school, full_name="Trần Thị Bình", email="binh@example.org", captcha=solution),
    )
    assert replay.status_code == 400
    assert replay.json()["code"] == "captcha_used"
    assert Participant.objects.count() == 1


def test_an_unsolved_or_foreign_or_old_challenge_is_refused(api_client, captcha_contest, settings):
    contest, school = captcha_contest
    challenge = captcha_challenge(contest=contest)["challenge"]
    nonce = solve(challenge, 8)
    unsolved = next(
        str(n)
        for n in range(1000)
        if leading_zero_bits(hashlib.sha256(f"{challenge}{n}".encode()).digest()) < 8
    )
    response = _register(
        api_client, contest, _body(school, captcha={"challenge": challenge, "nonce": unsolved})
    )
    assert response.json()["code"] == "captcha_invalid"
    other, _round, _q = make_contest(slug="other")
    other.require_captcha = True
    other.save()
    foreign = _register(
        api_client, other, _body(school, captcha={"challenge": challenge, "nonce": nonce})
    )
    assert foreign.json()["code"] == "captcha_invalid"
    settings.CONTEST_CAPTCHA_TTL_SECONDS = -1
    old = _register(
        api_client, contest, _body(school, captcha={"challenge": challenge, "nonce": nonce})
    )
    assert old.json()["code"] == "captcha_expired"
    assert not Participant.objects.exists()
    assert not CaptchaUse.objects.exists()


@given(st.binary(min_size=32, max_size=32))
def test_leading_zero_bits_counts_the_zero_bits_before_the_first_one(digest):
    value = int.from_bytes(digest, "big")
    assert leading_zero_bits(digest) == 256 - value.bit_length()


# --- One entry per mailbox and phone -------------------------------------------------------


@given(st.sampled_from(["an", "a.n", "An"]), st.sampled_from(["", "+quiz", "+2"]))
def test_sub_addresses_and_gmail_dots_are_one_mailbox(local, tag):
    assert email_key(f"{local}{tag}@Gmail.com") == "an@gmail.com"
    assert email_key(f"{local.replace('.', '')}{tag}@example.org") == "an@example.org"


def test_phone_prefixes_are_one_number():
    assert {normalise_phone(p) for p in ("0912 345 678", "+84 912 345 678", "0084912345678")} == {
        "0912345678"
    }


def _race(bodies, contest) -> list[int]:
    """Register every body at the same moment from its own thread (and connection)."""
    from rest_framework.test import APIClient

    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def run(body):
        client = APIClient()
        try:
            barrier.wait()
            statuses.append(_register(client, contest, body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.django_db(transaction=True)
def test_one_entry_per_mailbox_holds_under_concurrent_registrations():
    contest, _round, _q = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    emails = ["an@gmail.com", "An+1@gmail.com", "a.n@googlemail.com", "AN+x@GMAIL.COM"] * 2
    bodies = [
        _body(
            units["school"],
            full_name=f"Người Số {i}",
            email=e,
            date_of_birth=f"2010-01-{i + 1:02d}",
        )
        for i, e in enumerate(emails)
    ]
    statuses = _race(bodies, contest)
    assert sorted(statuses) == [201] + [409] * (len(bodies) - 1)
    assert Participant.objects.filter(contest=contest).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_entry_per_phone_holds_under_concurrent_registrations():
    contest, _round, _q = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    phones = ["0912345678", "+84 912 345 678", "0084912345678", "84-912-345-678"] * 2
    bodies = [
        _body(
            units["school"],
            full_name=f"Người Số {i}",
            email="",
            phone=p,
            date_of_birth=f"2010-01-{i + 1:02d}",
        )
        for i, p in enumerate(phones)
    ]
    statuses = _race(bodies, contest)
    assert sorted(statuses) == [201] + [409] * (len(bodies) - 1)
    assert Participant.objects.filter(contest=contest).count() == 1


def test_the_registration_page_offers_the_code_and_the_check_only_when_the_contest_asks(
    client, setup
):
    contest = setup[0]
    url = f"/contests/{contest.slug}/register/"
    plain = client.get(url).content.decode()
    assert 'id="send-code"' not in plain
    assert "data-captcha" not in plain
    contest.require_email_verification = contest.require_captcha = True
    contest.save()
    page = client.get(url).content.decode()
    assert 'id="send-code"' in page
    assert 'id="email_code"' in page
    assert f'data-captcha="/api/contests/{contest.slug}/captcha/"' in page
    assert "pow-worker.js" in page


@pytest.mark.parametrize(
    ("first", "again"),
    [
        # Found by a black-box test: each of these registered the same person a second time.
        ({"full_name": "Đặng Văn Trùng"}, {"full_name": "Đặng Văn Trùng\u200b"}),
        ({"full_name": "Đặng Văn Trùng"}, {"full_name": "Đặng \u200bVăn Trùng"}),
        ({"full_name": "Đặng Văn Trùng"}, {"full_name": "Ðặng Văn Trùng"}),  # U+00D0
        ({"full_name": "Đặng Văn Trùng"}, {"full_name": "Đặng Văn Trùng."}),
        ({"full_name": "Đặng Văn Trùng"}, {"full_name": "Đặng-Văn-Trùng"}),
        ({"phone": "0912345601"}, {"phone": "+840912345601"}),
        ({"phone": "0912345601"}, {"phone": "912345601"}),
    ],
)
def test_the_same_person_written_another_way_is_the_same_entry(api_client, setup, first, again):
    contest, _round, _questions, units = setup
    base = {
        "full_name": "Nguyễn Thị Hoa",
        "unit": units["school"].pk,
        "consent": True,
        "date_of_birth": "2010-05-01",
    }
    url = f"/api/contests/{contest.slug}/register/"
    made = api_client.post(url, {**base, "email": "a@example.org", **first}, format="json")
    assert made.status_code == 201, made.json()
    twice = api_client.post(url, {**base, "email": "b@example.org", **again}, format="json")
    assert twice.status_code == 409, twice.json()
    assert Participant.objects.count() == 1


def test_public_names_hide_given_names_joined_by_hyphens_or_invisible_characters():
    from contest.services.registration import mask_name

    assert mask_name("Đặng-Văn-Trùng", "THCS Trưng Vương") == "Đặng V. T. (THCS Trưng Vương)"
    assert mask_name("Đặng\u200b Văn Trùng") == "Đặng V. T."
    assert normalise_phone("+840912345601") == normalise_phone("912345601") == "0912345601"
