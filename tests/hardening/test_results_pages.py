"""The anonymous results list after the close comes one bounded page at a time."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contest.models import RoundResult
from tests.contest.helpers import close_round, make_contest

pytestmark = pytest.mark.django_db

ROWS = 250


@pytest.fixture
def closed_round():
    _contest, round_, _questions = make_contest()
    now = timezone.now()
    RoundResult.objects.bulk_create(
        RoundResult(
            round=round_,
            nickname=f"Player {i:03d}",
            score=i * 10,
            max_score=3000,
            time_ms=1000 + i,
            submitted_at=now,
        )
        for i in range(ROWS)
    )
    close_round(round_)
    return round_


def test_anonymous_results_come_in_pages_that_together_list_everyone_once(
    api_client, closed_round, settings
):
    settings.RATE_LIMITS_ENABLED = False
    url = f"http://testserver/api/rounds/{closed_round.pk}/results/"
    first = api_client.get(url).json()
    assert len(first["rows"]) == 100
    assert first["total"] == ROWS
    names, ranks, pages = [], [], 0
    page = first
    while True:
        pages += 1
        names += [row["name"] for row in page["rows"]]
        ranks += [row["rank"] for row in page["rows"]]
        if not page["next"]:
            break
        page = api_client.get(page["next"]).json()
    assert pages == 3
    assert len(names) == len(set(names)) == ROWS
    assert ranks == sorted(ranks)
    assert ranks[0] == 1
    assert names[0] == "Player 249"  # the highest score ranks first


def test_a_page_never_exceeds_the_maximum_size(api_client, closed_round):
    url = f"/api/rounds/{closed_round.pk}/results/"
    big = api_client.get(url, {"limit": "100000"}).json()
    assert big["limit"] == 500
    assert len(big["rows"]) == ROWS
    tail = api_client.get(url, {"offset": "248", "limit": "5"}).json()
    assert [row["rank"] for row in tail["rows"]] == [249, 250]
    assert tail["next"] is None
