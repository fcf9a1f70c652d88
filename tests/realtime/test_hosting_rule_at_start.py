"""The hosting rule holds when questions open, not only when the game is made (found by a black-box
test): a teacher kept a lobby game of a "school" quiz, an organiser then made that quiz the paper of
an open contest round, and the teacher's `start` sent the host console the round's answer key."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from realtime import protocol as p
from tests.contest.helpers import make_contest
from tests.factories import make_user
from tests.realtime.conftest import create_game, host_socket, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def lobby_game_whose_quiz_then_joins_an_open_round():
    author = make_user("author", roles=["teacher"])
    quiz = make_quiz(author, ["single", "single"])
    quiz.visibility = "public"
    quiz.save()
    teacher = make_user("teacher-a2", roles=["teacher"])
    game = create_game(teacher, quiz)  # allowed: the quiz is in no round yet
    make_contest(slug="later", quiz=quiz)  # now an open round's paper
    return teacher, game


async def test_a_lobby_game_cannot_start_once_its_quiz_is_an_open_rounds_paper():
    teacher, game = await lobby_game_whose_quiz_then_joins_an_open_round()
    host = await host_socket(game.id, teacher)
    try:
        await host.send({"type": "host", "action": "start"})
        refusal = await host.until("error")
        assert refusal["code"] == p.E_QUIZ_LOCKED
        assert refusal["message"]  # translated (the socket speaks the site's language)
        await host.send({"type": "host", "action": "next"})
        assert (await host.until("error"))["code"] == p.E_QUIZ_LOCKED
    finally:
        await host.close()
    assert not any(f["type"] in ("key", "question") for f in host.frames)
