"""A hand-in stores its last answers, grades every answer of the attempt with the round's
corrections and saves the score (contest.services.attempts._hand_in: on PostgreSQL the answers
are read once and one statement writes it all). Whatever was autosaved, given at the hand-in,
voided or re-keyed before it, what the participant is scored is what a recompute from the stored
answers gives, and the stored answers are the autosaved ones with the given ones in their place."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contest.models import Answer, Attempt, RoundResult

_slugs = itertools.count()

# Per question: what was autosaved, what the hand-in gives, and the correction made between.
_question = st.tuples(
    st.sampled_from([None, "right", "wrong"]),
    st.sampled_from([None, "right", "wrong"]),
    st.sampled_from([None, "void", "rekey"]),
)


def _stored(attempt: Attempt) -> tuple:
    answers = sorted(
        Answer.objects.filter(attempt=attempt).values_list(
            "question_id", "response", "fraction", "points"
        )
    )
    attempt.refresh_from_db()
    score = (attempt.score, attempt.max_score, attempt.correct_count, attempt.all_correct)
    return answers, score


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=st.lists(_question, min_size=3, max_size=3), prediction=st.sampled_from([None, 7]))
def test_a_hand_in_scores_what_a_recompute_from_its_stored_answers_gives(
    plan, prediction, django_user_model
):
    from contest import services
    from contest.services.attempts import paper_option_ids
    from tests.contest.helpers import (
        correct_choice,
        make_contest,
        make_school,
        registered,
        wrong_choice,
    )

    n = next(_slugs)
    contest, round_, questions = make_contest(slug=f"hand-in-{n}", max_attempts=0)
    school = make_school(f"HI{n}", f"Trường {n}")["school"]
    person = registered(contest, school, email=f"hand-in-{n}@example.org")
    organiser = django_user_model.objects.create_user(f"organiser-{n}", password="x")
    attempt = services.attempt_start(participant=person, round_=round_)
    opaque = paper_option_ids(attempt)
    real = {"right": correct_choice, "wrong": wrong_choice}

    def answer(question, which):
        choice = real[which](question)
        return {"question": question.pk, "response": {"choice": opaque[question.pk][str(choice)]}}

    saved = [answer(q, s) for q, (s, _g, _c) in zip(questions, plan, strict=True) if s]
    if saved:
        services.answers_save(participant_id=person.pk, attempt_id=attempt.pk, answers=saved)
    for question, (_s, _g, correction) in zip(questions, plan, strict=True):
        if correction == "void":
            services.question_void(
                round_=round_, question_id=question.pk, actor=organiser, reason="lỗi đề"
            )
        elif correction == "rekey":
            services.answer_key_fix(
                round_=round_,
                question_id=question.pk,
                correct=[wrong_choice(question)],
                actor=organiser,
                reason="sai đáp án",
            )
    handed = [answer(q, g) for q, (_s, g, _c) in zip(questions, plan, strict=True) if g]
    services.attempt_submit(
        participant_id=person.pk, attempt_id=attempt.pk, answers=handed, prediction=prediction
    )

    answers, score = _stored(attempt)
    # The stored answers: the autosaved ones, the given ones in their place, in real choice ids.
    expected = {}
    for question, (s, g, _c) in zip(questions, plan, strict=True):
        if g or s:
            expected[question.pk] = {"choice": str(real[g or s](question))}
    assert {qid: response for qid, response, _f, _p in answers} == expected
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.prediction == (float(prediction) if prediction is not None else None)
    # A recompute from the stored answers (the ORM's reads, the round's corrections) changes
    # nothing: neither an answer's points nor the score.
    services.round_recompute(round_=round_)
    assert _stored(attempt) == (answers, score)
    # Each answer right under the corrected keys counts, and only those.
    right = sum(
        1 for s, g, c in plan if c != "void" and (g or s) == ("wrong" if c == "rekey" else "right")
    )
    assert score[2] == right
    assert (score[0] > 0) == (right > 0)
    result = RoundResult.objects.get(round=round_, participant=person)
    assert result.score == score[0]
