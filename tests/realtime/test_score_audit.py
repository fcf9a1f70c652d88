"""The score audit rebuilds every player's score from the stored answers with the same per-player
scoring function the live scoring uses: a game scored correctly is never flagged."""

from __future__ import annotations

import pytest

from quizzes.models import Quiz, QuizItem
from realtime import engine
from realtime.models import Answer, Game, Player
from realtime.results import score_audit
from realtime.services import game_create
from tests.factories import make_question, make_user
from tests.realtime.played import OPENS_AT, add_player

pytestmark = pytest.mark.django_db


def _numeric_game(**settings) -> Game:
    host = make_user("audit-host", roles=["teacher"])
    quiz = Quiz.objects.create(title="Audit quiz", author=host)
    question = make_question(type="numeric", answer={"value": 1945.25, "tolerance": 0})
    QuizItem.objects.create(quiz=quiz, question=question, position=0)
    return game_create(host=host, quiz_id=quiz.id, settings={"read_seconds": 0, **settings})


def _score_first_question(game: Game, responses: dict[int, dict]) -> None:
    from realtime.scoring import question_score

    for player_id, response in responses.items():
        Answer.objects.create(
            game=game,
            player_id=player_id,
            q=0,
            response=response,
            received_ms=OPENS_AT + 1_000,
            elapsed_ms=1_000,
        )
    game.refresh_from_db()
    state = {**game.state, "phase": engine.CLOSED, "q": 0, "opens_at": OPENS_AT}
    Game.objects.filter(id=game.id).update(state=state, phase=engine.CLOSED)
    assert question_score(game_id=game.id, expected_seq=game.seq) is not None


def test_the_audit_of_a_game_with_closeness_on_finds_its_close_answers_scored_right():
    game = _numeric_game(closeness=True, partial_credit=True)
    close, exact, far = (add_player(game, name) for name in ("Close", "Exact", "Far"))
    _score_first_question(
        game, {close: {"value": 1940}, exact: {"value": 1945.25}, far: {"value": 10}}
    )
    stored = dict(Player.objects.filter(game=game).values_list("id", "score"))
    assert 0 < stored[close] < stored[exact]  # the close answer earned part of the points

    scores, problems = score_audit(game.id)

    assert problems == []
    assert scores == stored


def test_the_audit_flags_a_tampered_score():
    game = _numeric_game()
    exact = add_player(game, "Exact")
    _score_first_question(game, {exact: {"value": 1945.25}})
    Player.objects.filter(id=exact).update(score=1)

    _scores, problems = score_audit(game.id)

    assert any(f"player {exact}: score 1" in problem for problem in problems)
