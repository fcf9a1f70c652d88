"""A closed round's review never gives away the keys of a round still to close.

An attacker sat a round that had closed, read its review (each question's right answer) and
mapped the answers by option text into another round, still open, of the same quiz: a full
score. The review now waits until no round still to close may ask its questions: whether the
other round lists them (a fixed quiz, the same or another one) or may draw them (draw rules).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contest.models import Round
from quizzes.models import Quiz, QuizDrawRule, QuizItem
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    hand_in_right_answers,
    make_contest,
    make_school,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _review(client, attempt_id, token, language="vi"):
    return client.get(
        f"/api/attempts/{attempt_id}/review/",
        HTTP_ACCEPT_LANGUAGE=language,
        **{TOKEN_HEADER: token},
    )


def _other_round(quiz, *, closes_in=timedelta(days=2)):
    other, _r, _q = make_contest(slug="other-city", quiz=quiz)
    Round.objects.filter(contest=other).update(closes_at=timezone.now() + closes_in)
    return Round.objects.get(contest=other)


@pytest.mark.parametrize("how", ["same quiz", "another fixed quiz", "draw rules"])
def test_a_review_waits_while_another_round_may_ask_its_questions(api_client, how):
    contest, round_, questions = make_contest()
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    token, attempt_id = hand_in_right_answers(api_client, contest, round_, questions, school)
    close_round(round_)
    assert _review(api_client, attempt_id, token).status_code == 200  # nothing else asks them

    if how == "same quiz":
        quiz = round_.quiz
    elif how == "another fixed quiz":
        quiz = Quiz.objects.create(title="Đề khác", mode="fixed")
        QuizItem.objects.create(quiz=quiz, question=questions[1], position=0)
    else:
        quiz = Quiz.objects.create(title="Đề bốc thăm", mode="draw")
        QuizDrawRule.objects.create(quiz=quiz, position=0, count=2)
    other = _other_round(quiz)

    held = _review(api_client, attempt_id, token)
    assert held.status_code == 403
    assert held.json()["code"] == "keys_in_use"
    assert "correct" not in held.content.decode()
    assert "vòng" in held.json()["message"]  # translated
    assert "round" in _review(api_client, attempt_id, token, "en").json()["message"]

    # The other round's staff, the quiz's author and this round's staff may read it.
    organiser = make_user("organiser-other", roles=["organiser"])
    other.contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    assert _review(api_client, attempt_id, token).status_code == 200
    api_client.force_authenticate(None)

    # Just after its close, within the answer grace, the other round still takes answers.
    Round.objects.filter(pk=other.pk).update(closes_at=timezone.now() - timedelta(seconds=0.1))
    assert _review(api_client, attempt_id, token).status_code == 403

    close_round(other)
    review = _review(api_client, attempt_id, token)
    assert review.status_code == 200
    assert all(q["correct"] for q in review.json()["questions"])


def test_a_round_that_asks_other_questions_does_not_hold_the_review(api_client):
    contest, round_, questions = make_contest()
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    token, attempt_id = hand_in_right_answers(api_client, contest, round_, questions, school)
    close_round(round_)
    _other, _round, _questions = make_contest(slug="other-city")  # its own three questions
    assert _review(api_client, attempt_id, token).status_code == 200
