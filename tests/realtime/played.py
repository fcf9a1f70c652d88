"""Games scored by the real service (question_score) from answers written straight to the
database: fast, deterministic set-ups for ranking tests (no sockets, no clock)."""

from __future__ import annotations

import itertools
import uuid

from quizzes.models import Quiz, QuizItem
from realtime import engine
from realtime.models import Answer, Game, Player
from realtime.scoring import question_score
from realtime.services import game_create
from tests.factories import make_question, make_user

OPENS_AT = 1_800_000_000_000
_counter = itertools.count()


def game_with_questions(n_questions: int, **game_settings) -> tuple[Game, list[dict[str, str]]]:
    """A game of single-choice questions; per question the real ids of a right and wrong choice."""
    tag = f"{next(_counter)}-{uuid.uuid4().hex[:6]}"
    host = make_user(f"host-{tag}", roles=["teacher"])
    quiz = Quiz.objects.create(title=f"Quiz {tag}", author=host)
    keys = []
    for position in range(n_questions):
        question = make_question(text_en=f"Question {position}")
        QuizItem.objects.create(quiz=quiz, question=question, position=position)
        choices = list(question.choices.order_by("position"))
        keys.append(
            {
                "right": str(next(c.id for c in choices if c.weight >= 1)),
                "wrong": str(next(c.id for c in choices if c.weight <= 0)),
            }
        )
    game = game_create(host=host, quiz_id=quiz.id, settings={"read_seconds": 0, **game_settings})
    return game, keys


def add_player(game: Game, nickname: str) -> int:
    return Player.objects.create(game=game, nickname=nickname, nickname_key=nickname.lower()).id


def play_answers(game: Game, keys, answers: dict[int, list]) -> dict:
    """Score every question from the stored answers; answers[player][q] is None (no answer) or
    ("right" | "wrong", elapsed_ms). Returns the last question_score result."""
    result = None
    for q in range(len(keys)):
        for player_id, plan in answers.items():
            if plan[q] is None:
                continue
            kind, elapsed = plan[q]
            Answer.objects.create(
                game=game,
                player_id=player_id,
                q=q,
                response={"choice": keys[q][kind]},
                received_ms=OPENS_AT + q * 100_000 + elapsed,
                elapsed_ms=elapsed,
            )
        game.refresh_from_db()
        state = {**game.state, "phase": engine.CLOSED, "q": q, "opens_at": OPENS_AT}
        Game.objects.filter(id=game.id).update(state=state, phase=engine.CLOSED)
        result = question_score(game_id=game.id, expected_seq=game.seq)
        assert result is not None
    game.refresh_from_db()
    return result
