"""Practice games: a teacher tries a quiz with their own drafts in a private game marked as
practice; only its host can find and join it, it is never part of a contest, and a real game
still plays published questions only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from quizzes.models import Quiz, QuizItem
from realtime.models import Game
from tests.factories import make_question, make_user
from tests.realtime.conftest import Socket, session_cookie

pytestmark = pytest.mark.django_db


def quiz_with_draft(author, *, draft_author=None):
    quiz = Quiz.objects.create(title="Thử nghiệm", author=author)
    published = make_question(text_en="Published question?", status="published")
    draft = make_question(
        text_en="My new draft question?", status="draft", author=draft_author or author
    )
    QuizItem.objects.create(quiz=quiz, question=published, position=0)
    QuizItem.objects.create(quiz=quiz, question=draft, position=1)
    return quiz


def test_a_teacher_starts_a_practice_game_with_their_own_drafts(api_client, teacher):
    quiz = quiz_with_draft(teacher)
    api_client.force_authenticate(teacher)

    response = api_client.post("/api/games/", {"quiz": quiz.pk, "practice": True}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["practice"] is True
    assert response.json()["questions"] == 2
    game = Game.objects.get()
    assert game.practice
    assert game.contest_round_id is None


def test_a_real_game_refuses_unpublished_questions_and_points_to_practice(api_client, teacher):
    quiz = quiz_with_draft(teacher)
    api_client.force_authenticate(teacher)

    with translation.override("vi"):
        response = api_client.post(
            "/api/games/", {"quiz": quiz.pk}, format="json", HTTP_ACCEPT_LANGUAGE="vi"
        )

    assert response.status_code == 400
    assert response.json()["code"] == "quiz_not_published"
    assert "luyện tập" in response.json()["message"]
    assert not Game.objects.exists()


def test_a_practice_game_may_not_use_someone_elses_drafts(api_client, teacher):
    other = make_user("other-teacher", roles=["teacher"])
    quiz = quiz_with_draft(teacher, draft_author=other)
    api_client.force_authenticate(teacher)

    response = api_client.post("/api/games/", {"quiz": quiz.pk, "practice": True}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "quiz_not_published"
    assert not Game.objects.exists()


def test_a_practice_game_is_never_part_of_a_contest(api_client, teacher):
    quiz = quiz_with_draft(teacher)
    api_client.force_authenticate(teacher)

    response = api_client.post(
        "/api/games/", {"quiz": quiz.pk, "practice": True, "contest_round": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "practice_not_contest"
    assert not Game.objects.exists()


def test_only_the_host_can_find_and_join_a_practice_game(api_client, teacher, student):
    from realtime.services import game_create

    game = game_create(host=teacher, quiz_id=quiz_with_draft(teacher).pk, practice=True)
    missing = Client().get("/api/games/lookup?pin=1234567").json()
    anonymous, other, host = Client(), Client(), Client()
    other.force_login(student)
    host.force_login(teacher)

    for client in (anonymous, other):
        lookup = client.get(f"/api/games/lookup?pin={game.pin}")
        joined = client.post(
            "/api/games/join",
            {"pin": game.pin, "nickname": "Lan"},
            content_type="application/json",
        )
        # The same answer as for a PIN that does not exist: nothing tells the game is there.
        assert lookup.status_code == joined.status_code == 404
        assert lookup.json()["code"] == missing["code"] == joined.json()["code"]

    assert host.get(f"/api/games/lookup?pin={game.pin}").status_code == 200
    mine = host.post(
        "/api/games/join", {"pin": game.pin, "nickname": "Cô Lan"}, content_type="application/json"
    )
    assert mine.status_code == 201
    assert mine.json()["practice"] is True
    assert game.players.count() == 1


@pytest.mark.django_db(transaction=True)
async def test_the_host_and_the_phone_are_told_the_game_is_a_practice():
    from asgiref.sync import sync_to_async

    from realtime.services import game_create, player_join

    def setup():
        host = make_user("practice-host", roles=["teacher"])
        game = game_create(
            host=host, quiz_id=quiz_with_draft(host).pk, practice=True, settings={"read_seconds": 0}
        )
        player, token = player_join(pin=game.pin, nickname="Cô Lan", user=host)
        return host, game, player, token, session_cookie(host)

    host, game, player, token, cookie = await sync_to_async(setup)()
    phone = await Socket(game.id).connect()
    console = await Socket(game.id, headers=[cookie]).connect()
    try:
        phone_state = await phone.hello(role="player", token=token)
        host_state = await console.hello(role="host")
    finally:
        await phone.close()
        await console.close()

    assert phone_state["type"] == host_state["type"] == "state"
    assert phone_state["game"]["practice"] is True
    assert host_state["game"]["practice"] is True
