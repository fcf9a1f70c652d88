"""`make run` seeds a finished demo final with a frozen board and a prepared award ceremony."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from contest.models import Ceremony, Round
from contest.services.demo import DEMO_SLUG, FINAL_POSITION
from tests.contest.conftest import clear_boards

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_finished_frozen_final_and_its_ceremony_ready_once():
    clear_boards()
    call_command("seed_demo")
    final = Round.objects.get(contest__slug=DEMO_SLUG, position=FINAL_POSITION)
    assert final.is_closed()
    assert final.freeze_hours
    assert final.finalized_at is not None
    ceremony = Ceremony.objects.get(contest__slug=DEMO_SLUG)
    kinds = [step["kind"] for step in ceremony.steps]
    assert kinds[:2] == ["intro", "frozen"]
    assert "resolve" in kinds
    assert kinds.count("place") == 10
    assert kinds.count("unit") == 2
    assert kinds[-1] == "podium"
    client = Client()
    client.login(username="organiser", password="citizenquiz")
    assert client.get(f"/organise/ceremony/{ceremony.pk}/").status_code == 200
    call_command("seed_demo")
    assert Ceremony.objects.filter(contest__slug=DEMO_SLUG).count() == 1
    assert Round.objects.filter(contest__slug=DEMO_SLUG).count() == 2


def test_the_demo_finals_results_are_public_once_its_ceremony_ends_while_the_open_round_runs():
    """The final asks other questions than the open round, so nothing holds its scores back
    after the show (contest.shared_keys.scores_withheld_until), even in a demo seeded when the
    final asked the open round's paper."""
    from django.contrib.auth import get_user_model

    from contest.services import ceremony as svc
    from contest.shared_keys import scores_withheld_until

    clear_boards()
    call_command("seed_demo")
    first = Round.objects.get(contest__slug=DEMO_SLUG, position=1)
    final = Round.objects.get(contest__slug=DEMO_SLUG, position=FINAL_POSITION)
    Round.objects.filter(pk=final.pk).update(quiz=first.quiz)  # an older demo's final
    call_command("seed_demo")
    final.refresh_from_db()
    assert final.quiz_id != first.quiz_id
    assert not first.is_closed()
    assert scores_withheld_until(final) is None

    ceremony = Ceremony.objects.get(contest__slug=DEMO_SLUG, round=final)
    organiser = get_user_model().objects.get(username="organiser")
    svc.ceremony_go(user=organiser, ceremony_id=ceremony.pk, index=len(ceremony.steps) - 1)
    board = Client().get(f"/api/rounds/{final.pk}/leaderboard/").json()
    assert board["board"] == "final"
    assert board["rows"][0]["score"] > 0
