"""Opaque papers: a participant sees option ids of their own attempt, never the database's, in an
order that never follows the authored one; autosave and submit map them back on the server."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contest.models import Answer, Attempt
from contest.services import build_paper
from quizzes.models import Choice, Quiz, QuizItem
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    correct_choice,
    paper_answers,
    register,
    start_attempt,
)
from tests.factories import make_question

pytestmark = pytest.mark.django_db


def _question(state, question):
    return next(q for q in state["questions"] if q["id"] == question.pk)


def test_option_ids_are_opaque_and_the_right_one_is_not_the_lowest(api_client, setup):
    contest, round_, questions, units = setup
    real = {str(pk) for pk in Choice.objects.values_list("pk", flat=True)}
    lowest_is_right, first_is_right, seen_ids = 0, 0, set()
    for n in range(12):
        token = register(api_client, contest, units["school"], name=f"Lê Văn {n}")
        state = start_attempt(api_client, round_, token)
        shown = _question(state, questions[0])["choices"]
        [right] = paper_answers(
            state,
            [{"question": questions[0].pk, "response": {"choice": correct_choice(questions[0])}}],
        )
        right_id = right["response"]["choice"]
        assert not {str(c["id"]) for c in shown} & real
        seen_ids |= {c["id"] for c in shown}
        lowest_is_right += min(c["id"] for c in shown) == right_id
        first_is_right += shown[0]["id"] == right_id

    # Authors put the right option first (lowest id): it must not stand out by id or place.
    assert lowest_is_right < 12
    assert first_is_right < 12
    assert len(seen_ids) == 12 * 4  # per attempt: another attempt's ids mean nothing


def test_a_real_choice_id_is_refused_and_nothing_is_stored(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start_attempt(api_client, round_, token)

    response = api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {
            "answers": [
                {"question": questions[0].pk, "response": {"choice": correct_choice(questions[0])}}
            ]
        },
        format="json",
        **{TOKEN_HEADER: token},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_answer"
    assert not Answer.objects.filter(attempt_id=state["id"]).exists()


def test_an_option_id_of_another_attempt_is_refused(api_client, setup):
    contest, round_, questions, units = setup
    mine = register(api_client, contest, units["school"], name="Phạm Văn Một")
    theirs = register(api_client, contest, units["school"], name="Phạm Văn Hai")
    my_state = start_attempt(api_client, round_, mine)
    their_state = start_attempt(api_client, round_, theirs)
    [their_answer] = paper_answers(
        their_state,
        [{"question": questions[0].pk, "response": {"choice": correct_choice(questions[0])}}],
    )

    response = api_client.post(
        f"/api/attempts/{my_state['id']}/submit/",
        {"answers": [their_answer]},
        format="json",
        **{TOKEN_HEADER: mine},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_answer"


def test_answers_in_opaque_ids_are_graded_and_reviewed_in_the_same_ids(api_client, setup):
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start_attempt(api_client, round_, token)
    answers = paper_answers(
        state, [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions]
    )
    api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {"answers": answers[:2]},
        format="json",
        **{TOKEN_HEADER: token},
    )
    submitted = api_client.post(
        f"/api/attempts/{state['id']}/submit/",
        {"answers": answers[2:]},
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert submitted.status_code == 200
    # Stored in real ids: grading, corrections and exports are unchanged.
    stored = dict(Answer.objects.values_list("question_id", "response"))
    assert stored == {q.pk: {"choice": str(correct_choice(q))} for q in questions}
    assert Attempt.objects.get(pk=state["id"]).score == 3000

    close_round(round_)
    review = api_client.get(f"/api/attempts/{state['id']}/review/", **{TOKEN_HEADER: token}).json()
    for question, answer in zip(questions, answers, strict=True):
        reviewed = _question(review, question)
        assert reviewed["saved"] == answer["response"]
        assert reviewed["correct"] == {"choices": [answer["response"]["choice"]]}
        assert reviewed["fraction"] == 1.0


def test_without_option_shuffling_everybody_sees_one_order_and_it_is_not_the_authored_one(setup):
    _contest, round_, _questions, _units = setup
    quiz = Quiz.objects.create(title="Many questions", mode="fixed")
    for n in range(12):
        question = make_question(
            text_en=f"Q{n}", choices=[("right", 1.0), ("x", 0.0), ("y", 0.0), ("z", 0.0)]
        )
        QuizItem.objects.create(quiz=quiz, question=question, position=n)
    round_.quiz, round_.shuffle_options = quiz, False
    right = set(Choice.objects.filter(weight=1.0).values_list("pk", flat=True))

    papers = [build_paper(round_, seed) for seed in (1, 2, 3)]

    assert papers[0] == papers[1] == papers[2]
    assert sum(item["o"][0] in right for item in papers[0]) < 12


def test_an_attempt_started_before_opaque_ids_continues_in_opaque_ids(api_client, setup):
    """In flight across the upgrade: the stored paper keeps its order and real ids; the next
    read shows the attempt's opaque ids (a page still holding real ids gets 400 on autosave and
    picks them up on reload); answers already saved in real ids are shown and graded as such."""
    contest, round_, questions, units = setup
    token = register(api_client, contest, units["school"])
    state = start_attempt(api_client, round_, token)
    attempt = Attempt.objects.get(pk=state["id"])
    attempt.paper = [
        {"q": q.pk, "w": 1, "o": [c.pk for c in q.choices.all()]} for q in questions
    ]  # authored order, as the old code stored it
    attempt.save(update_fields=["paper"])
    Answer.objects.create(
        saved_at=timezone.now(),
        attempt=attempt,
        question=questions[0],
        response={"choice": str(correct_choice(questions[0]))},
    )

    again = api_client.get(f"/api/attempts/{attempt.pk}/", **{TOKEN_HEADER: token}).json()
    [saved] = paper_answers(
        again,
        [{"question": questions[0].pk, "response": {"choice": correct_choice(questions[0])}}],
    )
    assert _question(again, questions[0])["saved"] == saved["response"]
    rest = paper_answers(
        again,
        [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions[1:]],
    )
    submitted = api_client.post(
        f"/api/attempts/{attempt.pk}/submit/",
        {"answers": rest},
        format="json",
        **{TOKEN_HEADER: token},
    )
    assert submitted.status_code == 200
    assert Attempt.objects.get(pk=attempt.pk).score == 3000
