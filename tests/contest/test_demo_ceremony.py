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
