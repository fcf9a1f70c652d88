"""A contest's read-only broadcast feed (overlays, TV graphics: docs/broadcast.md): only what the
public sees (the freeze and hidden scores hold), only with the overlay key, which the contest's
staff rotate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from contest.models import Attempt, AuditEntry, Contest, RoundResult, overlay_key_ok
from tests.contest.helpers import (
    TOKEN_HEADER,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
    register,
    start_attempt,
    wrong_choice,
)

pytestmark = pytest.mark.django_db


def _take(client, round_, token, questions, right: int) -> None:
    state = start_attempt(client, round_, token)
    answers = [
        {
            "question": q.pk,
            "response": {"choice": (correct_choice if i < right else wrong_choice)(q)},
        }
        for i, q in enumerate(questions)
    ]
    reply = client.post(
        f"/api/attempts/{state['id']}/submit/",
        {"answers": paper_answers(state, answers)},
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert reply.status_code == 200, reply.content


def _scores(board) -> list[tuple[str, int]]:
    return [(row["name"].split(" (")[0], row["score"]) for row in board["rows"]]


@pytest.fixture
def frozen(api_client):
    """Lan and Bình hand in before the freeze (the last 2 hours); Cường hands in a perfect paper
    during it. Returns the public contest board and unit board at the freeze."""
    contest, round_, questions = make_contest(
        scores_while_open=True, closes_at=timezone.now() + timedelta(hours=1), freeze_hours=2
    )
    cg = make_school("CG", "THCS Cầu Giấy")
    bd = make_school("BD", "THCS Ba Đình")
    lan = register(api_client, contest, cg["school"], name="Nguyễn Thị Lan", email="l@x.org")
    binh = register(api_client, contest, cg["school"], name="Trần Văn Bình", email="b@x.org")
    cuong = register(api_client, contest, bd["school"], name="Lê Văn Cường", email="c@x.org")
    _take(api_client, round_, binh, questions, right=2)
    _take(api_client, round_, lan, questions, right=1)
    earlier = timezone.now() - timedelta(hours=3)
    Attempt.objects.filter(round=round_).update(submitted_at=earlier)
    RoundResult.objects.filter(round=round_).update(submitted_at=earlier)
    before = {
        "contest": api_client.get(f"/api/contests/{contest.slug}/leaderboard/").json(),
        "contest_units": api_client.get(
            f"/api/contests/{contest.slug}/leaderboard/units/?level=school"
        ).json(),
    }
    _take(api_client, round_, cuong, questions, right=3)
    return contest, round_, before


def _feed(client, contest, key=None):
    return client.get(f"/api/feed/contest/{contest.slug}?key={key or contest.overlay_key}")


def test_the_feed_shows_the_board_at_the_freeze_not_the_hand_ins_after_it(api_client, frozen):
    contest, round_, before = frozen
    feed = _feed(api_client, contest).json()
    assert _scores(feed["top"]) == _scores(before["contest"])
    # Cường's perfect paper, handed in during the freeze, is not on air.
    assert _scores(feed["top"]) == [("Trần V. B.", 2000), ("Nguyễn T. L.", 1000)]
    assert feed["top"]["frozen_rounds"] == [
        {"round": round_.pk, "frozen_since": round_.freeze_at.isoformat()}
    ]
    assert feed["units"]["rows"] == before["contest_units"]["rows"]
    assert feed["participation"] == {"registered": 3, "on_board": 2}
    assert feed["contest"]["slug"] == contest.slug


def test_the_feed_shows_no_score_while_the_round_keeps_them_hidden(api_client, organiser):
    contest, round_, questions = make_contest()
    school = make_school("CG", "THCS Cầu Giấy")
    token = register(api_client, contest, school["school"])
    _take(api_client, round_, token, questions, right=3)
    # Even an organiser's session reads the public feed: the key decides, not the session.
    api_client.force_authenticate(organiser)
    feed = _feed(api_client, contest).json()
    assert feed["top"]["rows"] == []
    assert feed["top"]["hidden_rounds"]
    assert "3000" not in str(feed)
    assert feed["participation"]["registered"] == 1


def test_the_feed_needs_the_overlay_key(api_client):
    contest, _round, _questions = make_contest()
    for key in ("wrong", "x" * 32):
        response = _feed(api_client, contest, key)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert api_client.get(f"/api/feed/contest/{contest.slug}").status_code == 404
    assert _feed(api_client, contest).status_code == 200


def test_only_the_contest_staff_see_and_rotate_the_overlay_urls(api_client, organiser):
    from tests.factories import make_user

    contest, _round, _questions = make_contest()
    old = contest.overlay_key
    url = f"/api/contests/{contest.slug}/overlays/"
    assert api_client.get(url).status_code in {401, 403}
    assert api_client.post(url).status_code in {401, 403}
    api_client.force_authenticate(make_user("someteacher", roles=["teacher"]))
    assert api_client.get(url).status_code == 403
    assert api_client.post(url).status_code == 403
    assert Contest.objects.get(pk=contest.pk).overlay_key == old
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    listed = api_client.get(url).json()
    assert [o["kind"] for o in listed["overlays"]] == ["top10", "units", "participation"]
    assert all(o["url"].endswith(f"?key={old}") for o in listed["overlays"])
    rotated = api_client.post(url).json()
    assert rotated["key"] != old
    assert AuditEntry.objects.filter(contest=contest, action="overlay_key_rotate").count() == 1
    api_client.force_authenticate(None)
    assert _feed(api_client, contest, old).status_code == 404  # the old overlay URLs stop now
    assert _feed(api_client, contest, rotated["key"]).status_code == 200


def test_the_contest_detail_never_carries_the_overlay_key(api_client):
    contest, _round, _questions = make_contest()
    assert (
        contest.overlay_key not in api_client.get(f"/api/contests/{contest.slug}/").content.decode()
    )


@given(
    expected=st.text(min_size=1, max_size=40),
    given_key=st.one_of(st.text(max_size=40), st.none(), st.integers()),
)
def test_an_overlay_key_opens_only_when_it_is_exactly_the_key(expected, given_key):
    assert overlay_key_ok(expected, given_key) == (given_key == expected)
    assert overlay_key_ok(expected, expected)
    assert not overlay_key_ok("", "")  # a contest or game without a key opens nothing
