"""Participant identity (issue 12, point 8): organisers revoke tokens, tokens expire after the
contest, every participant endpoint (and the ASGI fast path) refuses them clearly; the resume link
asks before replacing another participant in the browser; pages never put the token in the page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from contest.models import Answer, Attempt, AuditEntry, Participant, Round
from contest.selectors import attempt_state
from contest.services.registration import COOKIE_PREFIX
from tests.contest.helpers import (
    TOKEN_HEADER,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
    register,
    registered,
    start_attempt,
)

pytestmark = pytest.mark.django_db


def _answer(question):
    return {"question": question.pk, "response": {"choice": correct_choice(question)}}


def _participant_calls(client, contest, round_, attempt_id, question, token):
    """Every participant endpoint, as (name, response)."""
    h = {TOKEN_HEADER: token}
    body = {"answers": [_answer(question)]}
    return [
        ("me", client.get(f"/api/contests/{contest.slug}/me/", **h)),
        ("start", client.post(f"/api/rounds/{round_.pk}/attempts/", {}, format="json", **h)),
        ("attempt", client.get(f"/api/attempts/{attempt_id}/", **h)),
        (
            "autosave",
            client.post(f"/api/attempts/{attempt_id}/answers/", body, format="json", **h),
        ),
        ("submit", client.post(f"/api/attempts/{attempt_id}/submit/", body, format="json", **h)),
        ("my rank", client.get(f"/api/rounds/{round_.pk}/leaderboard/me/", **h)),
        ("around", client.get(f"/api/rounds/{round_.pk}/leaderboard/around/", **h)),
        ("review", client.get(f"/api/attempts/{attempt_id}/review/", **h)),
    ]


def _revoke(client, organiser, contest, participant_id):
    contest.staff.add(organiser)
    client.force_authenticate(organiser)
    response = client.post(
        f"/api/contests/{contest.slug}/participants/{participant_id}/revoke-token/"
    )
    client.force_authenticate(None)
    return response


def test_a_revoked_token_is_refused_clearly_on_every_participant_endpoint(
    api_client, setup, organiser
):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start_attempt(api_client, round_, token)
    api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {"answers": paper_answers(state, [_answer(questions[0])])},
        format="json",
        **{TOKEN_HEADER: token},
    )
    # The round's copy and the my-rank answer are warm before the revocation.
    assert (
        api_client.get(
            f"/api/rounds/{round_.pk}/leaderboard/me/", **{TOKEN_HEADER: token}
        ).status_code
        == 200
    )
    participant = Participant.objects.get()
    revoked = _revoke(api_client, organiser, contest, participant.pk)
    assert revoked.status_code == 200
    new_link = revoked.json()["resume_url"]
    assert AuditEntry.objects.filter(action="token_revoke", actor=organiser).exists()

    for name, response in _participant_calls(
        api_client, contest, round_, state["id"], questions[1], token
    ):
        body = response.json()
        assert response.status_code == 403, (name, body)
        assert body["code"] == "token_revoked", (name, body)
        assert "revoked" in body["message"], name
    assert not Answer.objects.filter(question=questions[1]).exists()

    # The fresh link works.
    new_token = new_link.rstrip("/").rsplit("/", 1)[1]
    me = api_client.get(f"/api/contests/{contest.slug}/me/", **{TOKEN_HEADER: new_token})
    assert me.status_code == 200
    saved = api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {"answers": paper_answers(state, [_answer(questions[1])])},
        format="json",
        **{TOKEN_HEADER: new_token},
    )
    assert saved.status_code == 200


def test_revoked_messages_are_translated(api_client, setup, organiser):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    _revoke(api_client, organiser, contest, Participant.objects.get().pk)
    response = api_client.get(
        f"/api/contests/{contest.slug}/me/", HTTP_ACCEPT_LANGUAGE="vi", **{TOKEN_HEADER: token}
    )
    assert response.status_code == 403
    assert "thu hồi" in response.json()["message"]


def test_only_organisers_revoke_tokens(api_client, setup, teacher):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    pid = Participant.objects.get().pk
    url = f"/api/contests/{contest.slug}/participants/{pid}/revoke-token/"
    assert api_client.post(url, **{TOKEN_HEADER: token}).status_code == 403
    api_client.force_authenticate(teacher)
    assert api_client.post(url).status_code == 403
    assert Participant.objects.get().token_version == 0


def test_tokens_expire_when_the_contest_ends_plus_the_configured_delay(api_client, setup, settings):
    settings.CONTEST_TOKEN_DAYS_AFTER_END = 2
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    url = f"/api/contests/{contest.slug}/me/"
    now = timezone.now()
    Round.objects.filter(pk=round_.pk).update(
        opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1)
    )
    assert api_client.get(url, **{TOKEN_HEADER: token}).status_code == 200  # within the delay
    Round.objects.filter(pk=round_.pk).update(closes_at=now - timedelta(days=2, seconds=1))
    expired = api_client.get(url, **{TOKEN_HEADER: token})
    assert expired.status_code == 403
    assert expired.json()["code"] == "token_expired"
    board = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/me/", **{TOKEN_HEADER: token})
    assert board.status_code == 403
    assert board.json()["code"] == "token_expired"


def test_an_expired_token_cannot_hand_in_its_open_attempt(api_client, setup, settings):
    """The hand-in reads the contest's end with its attempt (one statement): a token past it is
    refused there as everywhere, and the attempt stays as it was."""
    settings.CONTEST_TOKEN_DAYS_AFTER_END = 2
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start_attempt(api_client, round_, token)
    now = timezone.now()
    Round.objects.filter(pk=round_.pk).update(
        opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=2, seconds=1)
    )
    url = f"/api/attempts/{state['id']}/submit/"
    refused = api_client.post(url, {}, format="json", **{TOKEN_HEADER: token})
    assert refused.status_code == 403
    assert refused.json()["code"] == "token_expired"
    assert Attempt.objects.get(pk=state["id"]).status == Attempt.Status.OPEN


def test_the_organiser_page_revokes_a_participant_by_email(client, setup, organiser):
    contest, round_, questions, units = setup
    from rest_framework.test import APIClient

    token = register(APIClient(), contest, units["school"], email="An.Nguyen+quiz@example.org")
    contest.staff.add(organiser)
    client.force_login(organiser)
    page = client.get(f"/organise/contests/{contest.slug}/")
    assert b'id="revoke-form"' in page.content
    response = client.post(
        f"/organise/contests/{contest.slug}/",
        {"action": "revoke_token", "participant": "an.nguyen@example.org"},
        follow=True,
    )
    assert "revoked" in response.content.decode()
    assert Participant.objects.get().token_version == 1
    refused = APIClient().get(f"/api/contests/{contest.slug}/me/", **{TOKEN_HEADER: token})
    assert refused.json()["code"] == "token_revoked"


@pytest.mark.django_db(transaction=True)
async def test_a_revoked_token_is_refused_on_the_asgi_fast_path():

    from asgiref.sync import sync_to_async
    from channels.testing import HttpCommunicator

    from config.asgi import django_asgi_app
    from contest import services
    from contest.fastpath import BoardReplay
    from tests.contest.conftest import clear_boards

    def build():
        clear_boards()
        contest, round_, questions = make_contest()
        units = make_school("CG", "THCS Cầu Giấy")
        p = registered(contest, units["school"])
        attempt = services.attempt_start(participant=p, round_=round_)
        services.attempt_submit(
            participant_id=p.pk,
            attempt_id=attempt.pk,
            answers=paper_answers(attempt_state(attempt), [_answer(questions[0])]),
        )
        return contest, round_.pk, p.pk, services.participant_token(p)

    contest, round_id, pid, token = await sync_to_async(build)()
    calls = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    app = BoardReplay(django)

    async def me():
        headers = [(b"host", b"testserver"), (b"x-participant-token", token.encode())]
        communicator = HttpCommunicator(
            app, "GET", f"/api/rounds/{round_id}/leaderboard/me/", headers=headers
        )
        response = await communicator.get_response()
        await communicator.wait()
        return response

    assert (await me())["status"] == 200
    assert (await me())["status"] == 200
    answered_by_django = len(calls)
    if settings.REDIS_URL:
        assert answered_by_django == 1  # the second answer came from the fast path

    def revoke():
        from contest.services.registration import participant_token_revoke

        participant_token_revoke(contest=contest, participant_id=pid, actor=None)

    await sync_to_async(revoke)()
    refused = await me()
    assert refused["status"] == 403
    assert json.loads(refused["body"])["code"] == "token_revoked"
    again = await me()
    assert again["status"] == 403
    assert json.loads(again["body"])["code"] == "token_revoked"


# --- The resume link -----------------------------------------------------------------------


def test_the_resume_link_asks_before_replacing_another_participant_in_this_browser(
    api_client, setup
):
    contest, round_, questions, units = setup
    first = register(api_client, contest, units["school"], name="Nguyễn Văn An")
    second = register(api_client, contest, units["school"], name="Trần Thị Bình")
    browser = Client()
    browser.cookies[COOKIE_PREFIX + str(contest.pk)] = first
    link = f"/contests/{contest.slug}/resume/{second}/"
    page = browser.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nguyễn V. A." in html
    assert "Trần T. B." in html
    assert 'id="resume-replace"' in html
    assert 'id="resume-keep"' in html
    assert browser.cookies[COOKIE_PREFIX + str(contest.pk)].value == first  # nothing replaced
    confirmed = browser.post(link)
    assert confirmed.status_code == 302
    assert browser.cookies[COOKIE_PREFIX + str(contest.pk)].value == second


def test_the_resume_link_without_another_participant_remembers_at_once(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    browser = Client()
    response = browser.get(f"/contests/{contest.slug}/resume/{token}/")
    assert response.status_code == 302
    cookie = browser.cookies[COOKIE_PREFIX + str(contest.pk)]
    assert cookie.value == token
    assert cookie["httponly"]


def test_a_revoked_resume_link_says_so(api_client, setup, organiser):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    _revoke(api_client, organiser, contest, Participant.objects.get().pk)
    browser = Client()
    response = browser.get(f"/contests/{contest.slug}/resume/{token}/")
    assert response.status_code == 403
    assert "revoked" in response.content.decode()
    assert COOKIE_PREFIX + str(contest.pk) not in browser.cookies


# --- No token in the page ------------------------------------------------------------------


def test_the_attempt_page_never_puts_the_participant_token_in_the_page(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    browser = Client()
    browser.cookies[COOKIE_PREFIX + str(contest.pk)] = token
    for url in (
        f"/contests/{contest.slug}/",
        f"/contests/{contest.slug}/register/",
        f"/contests/{contest.slug}/rounds/{round_.pk}/play/",
        f"/contests/{contest.slug}/rounds/{round_.pk}/results/",
    ):
        page = browser.get(url)
        assert page.status_code == 200, url
        assert token not in page.content.decode(), url
        assert token.split(":")[0] not in page.content.decode(), url


def test_the_page_api_calls_use_the_httponly_cookie_with_a_csrf_check(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    strict = Client(enforce_csrf_checks=True)
    strict.cookies[COOKIE_PREFIX + str(contest.pk)] = token
    url = f"/api/rounds/{round_.pk}/attempts/"
    refused = strict.post(url, "{}", content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    strict.get(f"/contests/{contest.slug}/rounds/{round_.pk}/play/")  # sets the CSRF cookie
    csrf = strict.cookies["csrftoken"].value
    started = strict.post(url, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert started.status_code == 201, started.json()
    saved = strict.post(
        f"/api/attempts/{started.json()['id']}/answers/",
        json.dumps({"answers": paper_answers(started.json(), [_answer(questions[0])])}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert saved.status_code == 200
    assert Answer.objects.filter(question=questions[0]).exists()


def test_replies_about_one_participant_are_never_cached(api_client, setup):
    """Found by a black-box test: /me/ (with the full name) and the paper had no cache rule."""
    contest, round_, _questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start_attempt(api_client, round_, token)
    for url in (
        f"/api/contests/{contest.slug}/me/",
        f"/api/attempts/{state['id']}/",
        f"/api/rounds/{round_.pk}/leaderboard/me/",
    ):
        response = api_client.get(url, **{TOKEN_HEADER: token})
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert "X-Participant-Token" in response["Vary"]


def test_a_token_signed_with_a_key_rotated_out_stops_working_at_once(api_client, setup, settings):
    """Tokens are checked once per process and remembered; rotating the secret key still counts:
    while the old key is a fallback the token works, once it is dropped the token is refused."""
    contest, _round, _questions, units = setup
    token = register(api_client, contest, units["school"])
    url = f"/api/contests/{contest.slug}/me/"
    assert api_client.get(url, **{TOKEN_HEADER: token}).status_code == 200
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-" + old
    settings.SECRET_KEY_FALLBACKS = [old]
    assert api_client.get(url, **{TOKEN_HEADER: token}).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    refused = api_client.get(url, **{TOKEN_HEADER: token})
    assert refused.status_code in (401, 403)
    settings.SECRET_KEY = old
    assert api_client.get(url, **{TOKEN_HEADER: token}).status_code == 200


def test_an_oversized_token_is_refused_like_a_forged_one(api_client, setup):
    contest, _round, _questions, units = setup
    token = register(api_client, contest, units["school"])
    url = f"/api/contests/{contest.slug}/me/"
    forged = api_client.get(url, **{TOKEN_HEADER: token[:-2] + "xx"})
    oversized = api_client.get(url, **{TOKEN_HEADER: token + "x" * 600})
    assert oversized.status_code == forged.status_code
    assert oversized.json()["code"] == forged.json()["code"]
