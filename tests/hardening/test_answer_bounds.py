"""Autosave, submit and live answers are bounded: the number of answers, the ids in a list, the
text length; an oversized answer gets a clear translated 400 that names its question (or an
error frame) and nothing of it is stored. An answer in a shape no question takes (an unknown key, a list for a choice) is told
so, not that it is too large."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from contest.models import Answer as ContestAnswer
from realtime.models import Answer as LiveAnswer
from tests.contest.helpers import (
    TOKEN_HEADER,
    make_contest,
    make_school,
    paper_answers,
    register,
    start_attempt,
)
from tests.factories import make_user
from tests.realtime.conftest import create_game, host_socket, join, make_quiz, player_socket

TOO_LARGE_VI = "Câu trả lời quá lớn"
WRONG_SHAPE_VI = "Mỗi câu trả lời có dạng"


@pytest.fixture
def attempt(api_client, db):
    contest, round_, questions = make_contest()
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    token = register(api_client, contest, school)
    state = start_attempt(api_client, round_, token)
    return {"id": state["id"], "token": token, "questions": questions, "state": state}


def _save(api_client, attempt, body, action="answers"):
    return api_client.post(
        f"/api/attempts/{attempt['id']}/{action}/",
        body,
        format="json",
        HTTP_ACCEPT_LANGUAGE="vi",
        **{TOKEN_HEADER: attempt["token"]},
    )


def _choice(question, attempt=None) -> str:
    """An option id as the paper shows it (opaque per attempt); the bounds hold whatever the id."""
    real = question.choices.first().pk
    if attempt is None:
        return str(real)
    shown = paper_answers(
        attempt["state"], [{"question": question.pk, "response": {"choice": real}}]
    )
    return shown[0]["response"]["choice"]


TOO_LARGE = (TOO_LARGE_VI, WRONG_SHAPE_VI)  # (what the refusal says, what it must not say)
WRONG_SHAPE = (WRONG_SHAPE_VI, TOO_LARGE_VI)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["answers", "submit"])
@pytest.mark.parametrize(
    ("refused", "told"),
    [
        pytest.param(lambda q: {"order": [_choice(q)] * 101}, TOO_LARGE, id="long-order-list"),
        pytest.param(lambda q: {"choices": [_choice(q)] * 101}, TOO_LARGE, id="long-choice-list"),
        pytest.param(lambda q: {"text": "a" * 501}, TOO_LARGE, id="long-text"),
        pytest.param(lambda q: {"choice": "9" * 65}, TOO_LARGE, id="long-id"),
        # A shape no question takes is told so, not that it is too large.
        pytest.param(
            lambda q: {"choice": _choice(q), "pad": "x" * 100_000}, WRONG_SHAPE, id="unknown-key"
        ),
        pytest.param(lambda q: {"choice": [_choice(q)]}, WRONG_SHAPE, id="list-for-a-choice"),
        pytest.param(lambda q: {"choices": _choice(q)}, WRONG_SHAPE, id="text-for-a-list"),
        pytest.param(lambda q: {"text": ["a"]}, WRONG_SHAPE, id="list-for-a-text"),
        pytest.param(lambda q: _choice(q), WRONG_SHAPE, id="not-an-object"),
    ],
)
def test_an_oversized_or_misshapen_answer_is_refused_with_a_translated_error_and_nothing_is_stored(
    api_client, attempt, action, refused, told
):
    question = attempt["questions"][0]
    body = {"answers": [{"question": question.pk, "response": refused(question)}]}
    response = _save(api_client, attempt, body, action)
    assert response.status_code == 400
    said, not_said = told
    if told is TOO_LARGE:
        # Said of its question, so that the page drops that answer and saves the others.
        assert response.json()["code"] == "invalid_answer"
        assert response.json()["details"]["question"] == question.pk
        details = response.json()["details"]["reason"]
    else:
        details = str(response.json()["details"]["answers"])
    assert said in details
    assert not_said not in details
    assert not ContestAnswer.objects.filter(attempt_id=attempt["id"]).exists()


@pytest.mark.django_db
def test_more_answers_than_allowed_in_one_request_are_refused(api_client, attempt):
    question = attempt["questions"][0]
    answers = [{"question": question.pk, "response": {"choice": _choice(question)}}] * 201
    response = _save(api_client, attempt, {"answers": answers})
    assert response.status_code == 400
    assert "Tối đa 200 câu trả lời" in str(response.json()["details"]["answers"])
    assert not ContestAnswer.objects.filter(attempt_id=attempt["id"]).exists()


@pytest.mark.django_db
def test_an_answer_within_the_bounds_is_still_saved(api_client, attempt):
    question = attempt["questions"][0]
    body = {
        "answers": [{"question": question.pk, "response": {"choice": _choice(question, attempt)}}]
    }
    assert _save(api_client, attempt, body).status_code == 200
    assert ContestAnswer.objects.filter(attempt_id=attempt["id"]).count() == 1


@pytest.mark.django_db(transaction=True)
async def test_live_answers_too_large_or_misshapen_are_refused_and_not_stored():
    def setup():
        host = make_user("boundhost", roles=["teacher"])
        game = create_game(host, make_quiz(host, ("single",)), time_limit=30)
        return host, game

    host, game = await sync_to_async(setup)()
    pid, token = await sync_to_async(join)(game, "Lan Anh")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    try:
        await host_ws.until("lobby")
        await host_ws.send({"type": "host", "action": "start"})
        question = await player.until("question")
        choice = question["question"]["choices"][0]["id"]
        for response, code in (
            ({"choice": choice, "pad": "x" * 12_000}, "invalid_answer"),  # an unknown key
            ({"choice": [choice]}, "invalid_answer"),
            ({"text": "a" * 12_000}, "too_large"),
            ({"choices": [choice] * 101}, "too_large"),
        ):
            await player.send(
                {"type": "answer", "q": 0, "answer_id": str(uuid.uuid4()), "response": response}
            )
            error = await player.until("error")
            assert error["code"] == code, response
        assert await sync_to_async(LiveAnswer.objects.filter(player_id=pid).count)() == 0
        # The same answer without the padding is taken.
        answer_id = str(uuid.uuid4())
        await player.send(
            {"type": "answer", "q": 0, "answer_id": answer_id, "response": {"choice": choice}}
        )
        ack = await player.until("ack")
        assert ack["submission_id"] == answer_id
    finally:
        await player.close()
        await host_ws.close()
