"""Ceremony pages: the console is for the contest's staff (anonymous visitors log in first), the
audience screen and overlay need the ceremony's current key and hold no result in their HTML."""

from __future__ import annotations

import pytest
from django.test import Client

from contest.models import Ceremony
from contest.services import ceremony as svc
from tests.contest.ceremony_helpers import closed_round
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Chi"]


@pytest.fixture
def show():
    contest, round_, _made = closed_round(
        [(n, "THCS Ba Đình", [(3000 - 100 * i, 1000, 30)]) for i, n in enumerate(NAMES)]
    )
    boss = make_user("boss", roles=["organiser"])
    contest.staff.add(boss)
    ceremony = svc.ceremony_prepare(
        user=boss,
        contest=contest,
        data={"source": "round", "round_id": round_.pk, "places": 3, "masked": False},
    )
    return ceremony, boss


def test_an_anonymous_visitor_is_sent_to_log_in_and_a_stranger_is_refused(show):
    ceremony, _boss = show
    url = f"/organise/ceremony/{ceremony.pk}/"
    response = Client().get(url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    stranger = Client()
    stranger.force_login(make_user("stranger", roles=["organiser"]))
    response = stranger.get(url)
    assert response.status_code == 403
    assert not any(name in response.content.decode() for name in NAMES)
    assert stranger.post(url, {"action": "rotate_key"}).status_code == 403
    assert Ceremony.objects.get(pk=ceremony.pk).screen_key == ceremony.screen_key


def test_the_console_gives_the_screen_links_and_prepares_again_from_its_form(show):
    ceremony, boss = show
    client = Client()
    client.force_login(boss)
    page = client.get(f"/organise/ceremony/{ceremony.pk}/").content.decode()
    assert f"/ceremony/{ceremony.pk}/screen?key={ceremony.screen_key}" in page
    response = client.post(
        f"/organise/ceremony/{ceremony.pk}/",
        {
            "source": "round",
            "round": ceremony.round_id,
            "places": "2",
            "tiers": "1 | Giải Nhất | First prize\n1 | Giải Nhì | Second prize",
            "units": "none",
            "stage_offset": "12",
        },
    )
    assert response.status_code == 302
    ceremony.refresh_from_db()
    assert (ceremony.places, ceremony.stage_offset, ceremony.masked) == (2, 12, False)
    assert [s["kind"] for s in ceremony.steps] == ["intro", "place", "place", "podium"]
    assert ceremony.steps[2]["show"]["card"]["prize"] == {"vi": "Giải Nhất", "en": "First prize"}


def test_a_bad_form_keeps_the_show_and_says_what_is_wrong(show):
    ceremony, boss = show
    client = Client()
    client.force_login(boss)
    response = client.post(
        f"/organise/ceremony/{ceremony.pk}/",
        {"source": "round", "round": ceremony.round_id, "places": "500", "tiers": "x | y"},
        follow=True,
    )
    text = response.content.decode()
    assert "Places to reveal: a number from 1 to 100." in text
    assert "Prize tiers" in text
    assert Ceremony.objects.get(pk=ceremony.pk).steps == ceremony.steps


def test_audience_pages_need_the_current_key_and_hold_no_result(show):
    ceremony, boss = show
    client = Client()
    for kind in ("screen", "overlay"):
        assert client.get(f"/ceremony/{ceremony.pk}/{kind}").status_code == 404
        assert client.get(f"/ceremony/{ceremony.pk}/{kind}?key=wrong").status_code == 404
        response = client.get(f"/ceremony/{ceremony.pk}/{kind}?key={ceremony.screen_key}")
        assert response.status_code == 200
        assert not any(name in response.content.decode() for name in NAMES)
        assert response["Referrer-Policy"] == "no-referrer"
    old = ceremony.screen_key
    svc.ceremony_key_rotate(user=boss, ceremony=ceremony)
    assert client.get(f"/ceremony/{ceremony.pk}/screen?key={old}").status_code == 404


def test_an_organiser_prepares_a_new_ceremony_from_the_contests_list(show):
    ceremony, boss = show
    client = Client()
    client.force_login(boss)
    url = f"/organise/contests/{ceremony.contest.slug}/ceremonies/"
    assert f"/organise/ceremony/{ceremony.pk}/" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "source": "contest",
            "places": "3",
            "tiers": "1 | Giải Nhất | First prize",
            "units": "none",
        },
    )
    made = Ceremony.objects.exclude(pk=ceremony.pk).get()
    assert response["Location"] == f"/organise/ceremony/{made.pk}/"
    assert made.source == "contest"
    assert made.masked is False
    assert [s["kind"] for s in made.steps] == ["intro", "place", "place", "place", "podium"]
    assert Client().get(url).status_code == 302  # anonymous: log in first
