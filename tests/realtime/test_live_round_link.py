"""Live round results (issue 12, point 2): only the contest's staff tie a game to one of its live
rounds; only the game the round names records its results; results already recorded are never
replaced unless the staff confirm it, and the audit log says who did what."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from contest.models import AuditEntry, Round, RoundResult
from realtime import engine
from realtime.models import Game
from realtime.services import game_transition
from tests.contest.helpers import make_contest
from tests.factories import make_user
from tests.realtime.conftest import join, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    contest, self_paced, _ = make_contest()
    live = Round.objects.create(
        contest=contest,
        title_vi="Chung kết",
        kind="live",
        opens_at=self_paced.opens_at,
        closes_at=self_paced.closes_at,
    )
    organiser = make_user("org", roles=["organiser"])
    contest.staff.add(organiser)
    teacher = make_user("teach", roles=["teacher"])
    quiz = make_quiz(teacher, ["single"])
    quiz.visibility = "public"
    quiz.save()
    return {"contest": contest, "live": live, "org": organiser, "teacher": teacher, "quiz": quiz}


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def tie(user, world) -> dict:
    response = as_user(user).post(
        "/api/games/",
        {"quiz": world["quiz"].id, "contest_round": world["live"].pk},
        format="json",
    )
    return {**response.json(), "http": response.status_code}


def end(game_id: int) -> None:
    """End a game as the host's "end game" does (game_transition records the contest round)."""
    game = Game.objects.get(pk=game_id)
    assert game_transition(
        game_id=game.id,
        expected_seq=game.seq,
        new_state={**game.state, "phase": engine.ENDED},
    )


def results(round_) -> list[tuple[str, int]]:
    return list(RoundResult.objects.filter(round=round_).values_list("nickname", "score"))


def test_a_teacher_cannot_tie_a_game_to_a_round_that_is_not_theirs(world):
    refused = tie(world["teacher"], world)
    assert refused["http"] == 403
    assert refused["code"] == "permission_denied"
    world["live"].refresh_from_db()
    assert world["live"].live_game_id == ""
    assert not Game.objects.filter(contest_round_id=world["live"].pk).exists()
    assert not Game.objects.filter(host=world["teacher"]).exists()


def test_a_round_of_an_unpublished_contest_is_not_found_for_others(world):
    type(world["contest"]).objects.filter(pk=world["contest"].pk).update(is_published=False)
    refused = tie(world["teacher"], world)
    assert refused["http"] == 404
    assert not Game.objects.filter(contest_round_id=world["live"].pk).exists()


def test_staff_tie_a_game_and_the_round_names_it_in_the_audit_log(world):
    tied = tie(world["org"], world)
    assert tied["http"] == 201
    world["live"].refresh_from_db()
    assert world["live"].live_game_id == str(tied["id"])
    entry = AuditEntry.objects.get(round=world["live"], action="live_game_tie")
    assert entry.actor == world["org"]
    assert entry.details["game"] == tied["id"]


def test_only_the_game_the_round_names_records_its_results(world):
    first = tie(world["org"], world)["id"]
    second = tie(world["org"], world)["id"]  # the round now names the second game
    join(Game.objects.get(pk=first), "Early")
    join(Game.objects.get(pk=second), "Final")
    end(first)
    assert results(world["live"]) == []
    end(second)
    assert results(world["live"]) == [("Final", 0)]
    recorded = AuditEntry.objects.get(round=world["live"], action="live_results")
    assert recorded.actor == world["org"]
    assert recorded.details["game"] == second


def test_recorded_results_are_not_replaced_without_the_staffs_confirmation(world):
    first = tie(world["org"], world)["id"]
    join(Game.objects.get(pk=first), "Winner")
    end(first)
    assert results(world["live"]) == [("Winner", 0)]
    # A second game tied to the round ends: the recorded results stay.
    second = tie(world["org"], world)["id"]
    join(Game.objects.get(pk=second), "Replay")
    end(second)
    assert results(world["live"]) == [("Winner", 0)]
    client = as_user(world["org"])
    url = f"/api/games/{second}/contest-results/"
    unconfirmed = client.post(url, {}, format="json")
    assert unconfirmed.status_code == 409
    assert unconfirmed.json()["code"] == "results_exist"
    assert results(world["live"]) == [("Winner", 0)]
    confirmed = client.post(url, {"overwrite": True}, format="json")
    assert confirmed.status_code == 201
    assert confirmed.json() == {"results": 1}
    assert results(world["live"]) == [("Replay", 0)]
    entry = AuditEntry.objects.filter(round=world["live"], action="live_results").first()
    assert entry.actor == world["org"]
    assert entry.details["replaced"] == 1


def test_a_game_that_the_round_no_longer_names_cannot_overwrite_its_results(world):
    first = tie(world["org"], world)["id"]
    end(first)
    second = tie(world["org"], world)["id"]
    join(Game.objects.get(pk=second), "Named")
    end(second)
    response = as_user(world["org"]).post(
        f"/api/games/{first}/contest-results/", {"overwrite": True}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_round_game"
    assert results(world["live"]) == [("Named", 0)]


def test_results_of_a_game_still_running_cannot_be_recorded(world):
    game = tie(world["org"], world)["id"]
    response = as_user(world["org"]).post(
        f"/api/games/{game}/contest-results/", {"overwrite": True}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "game_not_ended"
    assert results(world["live"]) == []


def test_a_teacher_cannot_record_a_live_rounds_results(world):
    game = tie(world["org"], world)["id"]
    end(game)
    response = as_user(world["teacher"]).post(
        f"/api/games/{game}/contest-results/", {"overwrite": True}, format="json"
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(actor=world["teacher"]).exists()
