"""Organiser page forms go through the API's serializers (frontend/contests/forms.py): the page
refuses what the API refuses, with the API's reason, and stores what the API would store."""

from __future__ import annotations

import pytest

from contest.models import Contest, Round

pytestmark = pytest.mark.django_db


def _contest(client, organiser) -> Contest:
    client.force_login(organiser)
    client.post("/organise/", {"title_vi": "Cuộc thi", "title_en": "Contest"})
    return Contest.objects.get()


def _round_form(**fields) -> dict:
    return {
        "action": "round_create",
        "title_vi": "Vòng 1",
        "opens_at": "2031-03-10T08:00",
        "closes_at": "2031-03-17T08:00",
        **fields,
    }


def test_a_round_the_api_would_refuse_is_refused_on_the_page_with_the_apis_reason(
    client, organiser
):
    contest = _contest(client, organiser)
    page = client.post(
        f"/organise/contests/{contest.slug}/",
        _round_form(time_limit_seconds="5", max_attempts="lots"),
        follow=True,
    )
    assert page.status_code == 200
    assert not Round.objects.exists()
    text = page.content.decode()
    assert "time_limit_seconds" in text and "max_attempts" in text


def test_a_round_from_the_page_is_the_round_the_api_stores(client, organiser):
    contest = _contest(client, organiser)
    client.post(
        f"/organise/contests/{contest.slug}/",
        _round_form(
            time_limit_seconds="600",
            max_attempts="",  # blank on the page: unlimited, as the page always meant
            weight="0.5",
            freeze_hours="2",
            scores_while_open="on",
            counting="latest",
        ),
    )
    round_ = Round.objects.get()
    assert (round_.time_limit_seconds, round_.max_attempts, round_.weight) == (600, 0, 0.5)
    assert (round_.freeze_hours, round_.scores_while_open, round_.counting) == (2, True, "latest")
    assert round_.opens_at.isoformat().startswith("2031-03-10")


def test_contest_settings_the_api_would_refuse_change_nothing(client, organiser):
    contest = _contest(client, organiser)
    client.post(
        f"/organise/contests/{contest.slug}/",
        {"action": "contest_update", "unit_aggregation": "median", "aggregation_top_n": "0"},
    )
    contest.refresh_from_db()
    assert (contest.unit_aggregation, contest.aggregation_top_n) == ("mean", 10)
    assert contest.is_published  # the refused form did not untick it either
