"""An answer the server cannot take is refused for its own question, in the reader's language,
and costs nothing else.

Found by trying the paper as a participant would and as an attacker would:
- a text answer pasted over 500 characters refused the whole batch with a general "invalid
  data": the page could not tell which question, and no later save or the hand-in went through;
- a null character or a lone surrogate (JSON's "\\ud800") in a text answer, or one question
  twice in a batch, was a 500;
- a question id of 2.5 was taken as question 2;
- a 10 MB body was read and parsed, and a bigger one answered in HTML.

A refusal that names its question lets the page drop that one answer and save the others
(frontend_contests/attempt.js answerRefused): tests/browser/test_contest_attempt_finish.py.
"""

from __future__ import annotations

import json

import pytest

from contest.models import Answer, Attempt
from quizzes.models import QuizItem
from tests.contest.helpers import (
    TOKEN_HEADER,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
    register,
    start_attempt,
)
from tests.factories import make_question

pytestmark = pytest.mark.django_db

TEXT_KEY = {"accepted": ["Hà Nội"], "ignore_case": True}


@pytest.fixture
def paper(api_client):
    contest, round_, questions = make_contest()
    text = make_question(type="text", text_en="Capital?", text_vi="Thủ đô?", answer=TEXT_KEY)
    QuizItem.objects.create(quiz=round_.quiz, question=text, position=len(questions))
    token = register(api_client, contest, make_school("CG", "THCS Cầu Giấy")["school"])
    state = start_attempt(api_client, round_, token)
    choice = paper_answers(
        state, [{"question": questions[0].pk, "response": {"choice": correct_choice(questions[0])}}]
    )[0]
    return token, state, choice, text


def _post(client, state, token, body, what="answers", language="vi"):
    return client.generic(
        "POST",
        f"/api/attempts/{state['id']}/{what}/",
        json.dumps(body),  # ASCII, as a browser's JSON.stringify may send a lone "\ud800"
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
        **{TOKEN_HEADER: token},
    )


@pytest.mark.parametrize("what", ["answers", "submit"])
@pytest.mark.parametrize(
    "text",
    ["UNESCO " + "x" * 600, "Hà\x00Nội", "Hà \ud800 Nội"],
    ids=["too long", "null character", "lone surrogate"],
)
def test_a_text_answer_that_cannot_be_stored_is_refused_for_its_question(
    api_client, paper, what, text
):
    token, state, choice, question = paper
    bad = {"question": question.pk, "response": {"text": text}}
    reply = _post(api_client, state, token, {"answers": [choice, bad]}, what)
    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == "invalid_answer"
    assert body["details"]["question"] == question.pk
    assert body["details"]["reason"]
    assert body["message"] != "The request contains invalid data."
    english = _post(api_client, state, token, {"answers": [choice, bad]}, what, "en").json()
    assert english["details"]["reason"] != body["details"]["reason"]  # translated
    assert Attempt.objects.get(pk=state["id"]).status == "open"  # nothing else happened

    # Without it, the rest of the batch goes through: what the page sends next.
    assert _post(api_client, state, token, {"answers": [choice]}, what).status_code == 200
    assert Answer.objects.filter(attempt_id=state["id"]).count() == 1


@pytest.mark.parametrize("what", ["answers", "submit"])
@pytest.mark.parametrize("field", ["answer", "Answers", "predicton"])
def test_a_misspelt_field_is_refused_by_name_not_taken_as_nothing(api_client, paper, what, field):
    """`{"answer": [...]}` was acknowledged as saved (or handed the attempt in) with nothing
    stored: the sender believed their answers were in."""
    token, state, choice, _question = paper
    reply = _post(api_client, state, token, {field: [choice]}, what)
    assert reply.status_code == 400
    assert reply.json()["code"] == "invalid"
    vietnamese = reply.json()["details"][field][0]
    english = _post(api_client, state, token, {field: [choice]}, what, "en").json()
    assert english["details"][field] == ["Unknown field."]
    assert vietnamese != "Unknown field."  # translated
    assert Attempt.objects.get(pk=state["id"]).status == "open"
    assert not Answer.objects.filter(attempt_id=state["id"]).exists()


def test_one_question_twice_in_a_batch_is_refused_for_that_question(api_client, paper):
    token, state, choice, _question = paper
    for what in ("answers", "submit"):
        reply = _post(api_client, state, token, {"answers": [choice, choice]}, what)
        assert reply.status_code == 400
        assert reply.json()["code"] == "invalid_answer"
        assert reply.json()["details"]["question"] == choice["question"]
    assert not Answer.objects.filter(attempt_id=state["id"]).exists()


@pytest.mark.parametrize("question", [2.5, True, [1], {"id": 1}])
def test_a_question_id_that_is_not_a_whole_number_names_no_question(api_client, paper, question):
    token, state, choice, _text = paper
    fractional = dict(choice, question=question if question != 2.5 else choice["question"] + 0.5)
    reply = _post(api_client, state, token, {"answers": [fractional]})
    assert reply.status_code == 400
    assert not Answer.objects.filter(attempt_id=state["id"]).exists()


@pytest.mark.parametrize("what", ["answers", "submit", "start"])
def test_a_body_too_large_for_any_paper_is_refused_before_it_is_read(api_client, paper, what):
    token, state, choice, _text = paper
    huge = json.dumps({"answers": [choice], "padding": "x" * (600 * 1024)})
    path = (
        f"/api/rounds/{Attempt.objects.get(pk=state['id']).round_id}/attempts/"
        if what == "start"
        else f"/api/attempts/{state['id']}/{what}/"
    )
    reply = api_client.generic(
        "POST",
        path,
        huge,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="vi",
        **{TOKEN_HEADER: token},
    )
    assert reply.status_code == 413
    assert reply["Content-Type"].startswith("application/json")
    assert reply.json()["code"] == "too_large"
    assert reply.json()["message"] != "The request is too large."  # in Vietnamese
    assert not Answer.objects.filter(attempt_id=state["id"]).exists()


def test_a_body_over_djangos_own_limit_is_refused_in_the_api_error_shape(api_client, settings):
    """Any API (here a registration, under the participants' own cap): Django's
    RequestDataTooBig was an HTML 400."""
    contest, _round, _questions = make_contest()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    reply = api_client.generic(
        "POST",
        f"/api/contests/{contest.slug}/register/",
        json.dumps({"full_name": "x" * 4096}),
        content_type="application/json",
    )
    assert reply.status_code == 413
    assert reply.json()["code"] == "too_large"


def test_the_registration_boxes_stop_where_the_api_refuses(client):
    """The name, email and phone boxes had no limit: a long paste was refused only on sending."""
    from contest.apis.contests import RegisterApi

    contest, _round, _questions = make_contest()
    contest.is_published = True
    contest.save(update_fields=["is_published"])
    page = client.get(f"/contests/{contest.slug}/register/").content.decode()
    fields = RegisterApi.InputSerializer().fields
    for name in ("full_name", "email", "phone"):
        assert f'id="{name}" name="{name}"' in page
        tag = page.split(f'id="{name}"', 1)[1].split(">", 1)[0]
        assert f'maxlength="{fields[name].max_length}"' in tag


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["answers", "submit"])
async def test_a_body_sent_in_chunks_is_refused_not_read_as_empty(what):
    """A chunked body has no Content-Length, and Django read it as empty: an autosave replied
    "saved" with nothing stored, a hand-in handed in without its answers. Through the whole
    server as shipped (config.asgi: the fast paths, then Django): 411, in the reader's language,
    and nothing changes."""
    from asgiref.sync import sync_to_async
    from channels.testing import HttpCommunicator
    from rest_framework.test import APIClient

    from config.asgi import application

    def setup():
        client = APIClient()
        contest, round_, questions = make_contest()
        token = register(client, contest, make_school("CG", "THCS Cầu Giấy")["school"])
        state = start_attempt(client, round_, token)
        first = questions[0]
        return (
            token,
            state,
            paper_answers(
                state, [{"question": first.pk, "response": {"choice": correct_choice(first)}}]
            ),
        )

    token, state, answers = await sync_to_async(setup)()
    communicator = HttpCommunicator(
        application,
        "POST",
        f"/api/attempts/{state['id']}/{what}/",
        json.dumps({"answers": answers}).encode(),
        [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            (b"accept-language", b"vi"),
            (b"x-participant-token", token.encode()),
        ],
    )
    response = await communicator.get_response(timeout=30)
    await communicator.wait(timeout=30)
    assert response["status"] == 411
    body = json.loads(response["body"])
    assert body["code"] == "length_required"
    assert "Content-Length" in body["message"]
    assert body["message"].startswith("Hãy gửi")

    def unchanged():
        attempt = Attempt.objects.get(pk=state["id"])
        return attempt.status, Answer.objects.filter(attempt=attempt).count()

    assert await sync_to_async(unchanged)() == ("open", 0)


@pytest.mark.parametrize("what", ["answers", "submit"])
@pytest.mark.parametrize("value", ["1" + "0" * 400, "-" + "9" * 320], ids=["huge", "negative"])
def test_a_number_too_large_for_any_answer_is_refused_for_its_question(api_client, what, value):
    """A whole number past what a float holds (JSON allows any length) was a 500: the check for a
    finite number could not convert it."""
    contest, round_, _questions = make_contest()
    numeric = make_question(type="numeric", answer={"value": 42, "tolerance": 0})
    QuizItem.objects.create(quiz=round_.quiz, question=numeric, position=99)
    token = register(api_client, contest, make_school("CG", "THCS Cầu Giấy")["school"])
    state = start_attempt(api_client, round_, token)
    body = '{"answers": [{"question": %d, "response": {"value": %s}}]}' % (numeric.pk, value)
    reply = api_client.generic(
        "POST",
        f"/api/attempts/{state['id']}/{what}/",
        body,
        content_type="application/json",
        **{TOKEN_HEADER: token},
    )
    assert reply.status_code == 400
    assert reply.json()["code"] == "invalid_answer"
    assert reply.json()["details"]["question"] == numeric.pk
    assert Attempt.objects.get(pk=state["id"]).status == "open"
    assert not Answer.objects.filter(attempt_id=state["id"]).exists()


@pytest.mark.parametrize("what", ["answers", "submit"])
@pytest.mark.parametrize(
    "value", ["1" + "0" * 400, "2147483648"], ids=["past a float", "past 10^9"]
)
def test_a_prediction_too_large_is_refused_with_the_limit_in_the_readers_language(
    api_client, what, value
):
    """A prediction past what a float holds was a 500; one past the limit was told to be "a whole
    number of at least 0", which it was (a black-box tester): the message now gives the range."""
    contest, round_, _questions = make_contest(
        prediction_text_vi="Bao nhiêu?", prediction_text_en="How many?"
    )
    token = register(api_client, contest, make_school("CG", "THCS Cầu Giấy")["school"])
    state = start_attempt(api_client, round_, token)
    for language, limit in (("en", "1,000,000,000"), ("vi", "1.000.000.000")):
        reply = api_client.generic(
            "POST",
            f"/api/attempts/{state['id']}/{what}/",
            '{"prediction": %s}' % value,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
            **{TOKEN_HEADER: token},
        )
        assert reply.status_code == 400
        assert reply.json()["code"] == "invalid_prediction"
        assert limit in reply.json()["message"], reply.json()
    assert Attempt.objects.get(pk=state["id"]).status == "open"
