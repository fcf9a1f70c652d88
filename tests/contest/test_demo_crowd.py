"""`make run`'s demo looks alive: a few hundred simulated participants across the demo districts,
with handed-in papers, so boards, unit bars and the ceremony screen are not empty."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from contest import boards
from contest.models import Participant, Round, RoundResult
from contest.services.demo import DEMO_SLUG
from quizzes.models import Unit
from tests.contest.conftest import clear_boards

pytestmark = pytest.mark.django_db


def test_the_demo_seed_fills_every_district_with_participants_and_results_once():
    clear_boards()
    call_command("seed_demo")
    round_ = Round.objects.get(contest__slug=DEMO_SLUG, position=1)
    people = Participant.objects.filter(contest=round_.contest).count()
    results = list(RoundResult.objects.filter(round=round_).values_list("score", flat=True))
    assert 200 <= people <= 400
    assert len(results) >= people // 2
    assert len(set(results)) >= 5  # a spread of scores, not one value
    districts = set(Unit.objects.filter(level="district").values_list("pk", flat=True))
    with_results = set(
        RoundResult.objects.filter(round=round_).values_list("participant__district", flat=True)
    )
    assert with_results == districts
    assert boards.size(boards.round_scope(round_)) == len(results)
    # Seeding again changes nothing.
    call_command("seed_demo")
    assert Participant.objects.filter(contest=round_.contest).count() == people
    assert RoundResult.objects.filter(round=round_).count() == len(results)
