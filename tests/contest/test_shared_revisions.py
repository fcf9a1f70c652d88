"""An edited question is the same question to the rules that keep a round's keys.

A tester fixed a typo in two questions after a round had asked them: the edit made new
revisions (new ids, the same keys) and another round, still to close, drew the new ones. The
first round's review, its public scores and a live game of a quiz listing the old revisions then
gave the other round's keys away, since the rules compared question ids. They now compare
question families (every revision of a question).
"""

from __future__ import annotations

import unicodedata

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from contest import boards
from contest.models import Round
from quizzes.models import Quiz, QuizDrawRule, QuizItem, Theme
from quizzes.services.bank import question_publish, question_update
from realtime.models import Game
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    hand_in_right_answers,
    make_contest,
    make_school,
    register,
    start_attempt,
)
from tests.factories import make_question, make_user

pytestmark = pytest.mark.django_db


def _typo_fixed(question, editor, reviewer=None):
    """The question edited (a typo in its Vietnamese text) and the new revision published."""
    data = {
        "type": question.type,
        "theme": question.theme.slug if question.theme else "",
        "visibility": question.visibility,
        "text": {"vi": question.text_vi + " (sửa lỗi chính tả)", "en": question.text_en},
        "choices": [
            {"text": {"vi": c.text_vi, "en": c.text_en}, "weight": c.weight}
            for c in question.choices.order_by("position")
        ],
    }
    revision = question_update(question=question, data=data, user=editor)
    assert revision.pk != question.pk
    assert revision.family == question.family
    return question_publish(question=revision, user=reviewer or editor)


def _round_asking(questions, *, slug="other-city") -> Round:
    """An open round of another contest whose quiz lists `questions`."""
    quiz = Quiz.objects.create(title="Đề chính thức", mode="fixed")
    for position, question in enumerate(questions):
        QuizItem.objects.create(quiz=quiz, question=question, position=position)
    _contest, round_, _q = make_contest(slug=slug, quiz=quiz)
    return round_


def _handed_in(api, *, close: bool = True):
    """A round (scores shown while open) whose one participant handed in the right answers,
    closed unless `close` is False (then the review is not read yet): the round, its questions,
    the participant's school and a function that reads their review."""
    contest, round_, questions = make_contest(scores_while_open=True)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    token, attempt_id = hand_in_right_answers(api, contest, round_, questions, school)

    def review():
        return api.get(f"/api/attempts/{attempt_id}/review/", **{TOKEN_HEADER: token})

    if close:
        close_round(round_)
        assert review().status_code == 200  # nothing else asks its questions yet
    return round_, questions, school, review


def _keys_in_use(review) -> None:
    held = review()
    assert (held.status_code, held.json()["code"]) == (403, "keys_in_use")


def test_a_closed_rounds_review_and_scores_wait_for_a_round_asking_an_edited_revision():
    round_, questions, _school, review = _handed_in(APIClient())
    editor = make_user("bank-admin", roles=["organiser"])
    other = _round_asking([_typo_fixed(questions[0], editor)])

    _keys_in_use(review)
    assert boards.public_state(round_) == "hidden"
    board = Client().get(reverse("round-leaderboard", args=[round_.pk])).json()
    assert (board["board"], board["rows"], board["withheld"]) == ("hidden", [], True)
    assert board["scores_published_at"] == other.closed_at().isoformat()

    close_round(other)
    assert review().status_code == 200
    assert boards.public_state(round_) == "final"


def test_a_quiz_listing_an_old_revision_is_not_hosted_while_a_round_may_draw_the_new_one():
    teacher = make_user("teacher1", roles=["teacher"])
    theme = Theme.objects.create(slug="sdg", name_vi="Phát triển bền vững", name_en="SDGs")
    question = make_question(author=teacher, theme=theme, visibility="public")
    own = Quiz.objects.create(title="My quiz", author=teacher, visibility="public")
    QuizItem.objects.create(quiz=own, question=question, position=0)
    drawn = Quiz.objects.create(title="Drawn paper", mode="draw")
    QuizDrawRule.objects.create(quiz=drawn, position=0, count=1, theme=theme)
    client = APIClient()
    client.force_authenticate(teacher)

    # The round draws the current revision of the theme's question: the teacher's edit.
    _typo_fixed(question, teacher, make_user("reviewer", roles=["organiser"]))
    _contest, round_, _q = make_contest(quiz=drawn)
    assert client.post("/api/games/", {"quiz": own.pk}, format="json").status_code == 404
    assert not Game.objects.filter(quiz=own).exists()
    close_round(round_)
    assert client.post("/api/games/", {"quiz": own.pk}, format="json").status_code == 201


def test_a_copy_of_a_question_with_the_same_text_is_the_same_question():
    """A tester imported one file twice, into two themes: round A asked the first copies and
    closed, round B the second copies, still open. A's review gave B's keys (a full score)."""
    round_, questions, _school, review = _handed_in(APIClient())
    copy = make_question(text_vi=questions[1].text_vi, text_en="")  # the Vietnamese text alone
    assert copy.family != questions[1].family
    _round_asking([copy])

    _keys_in_use(review)
    assert boards.public_state(round_) == "hidden"


def test_questions_on_a_paper_still_open_stay_secret_after_the_quiz_changes():
    """A tester started an attempt in round B and kept it open; the organiser then changed B's
    quiz. Round A, which asked the same questions, closed: its review gave their keys, and the
    open paper took them for a full score."""
    api = APIClient()
    round_, questions, school, review = _handed_in(api, close=False)
    other = _round_asking(questions)
    other_token = register(api, other.contest, school, name="Trần Văn Bình")
    start_attempt(api, other, other_token)  # kept open
    QuizItem.objects.filter(quiz=other.quiz).delete()  # B's quiz asks other questions now
    QuizItem.objects.create(quiz=other.quiz, question=make_question(text_vi="Câu mới"), position=0)
    close_round(round_)

    _keys_in_use(review)
    assert boards.public_state(round_) == "hidden"


@pytest.mark.parametrize(
    "reworded",
    [
        lambda text: unicodedata.normalize("NFD", text),
        lambda text: text.replace(" ", " \u200b", 1),
        lambda text: "  " + text.upper().replace(" ", "  "),
        lambda text: unicodedata.normalize("NFKC", text).replace("A", "\uff21"),
    ],
    ids=["NFD", "zero-width space", "case and spaces", "full-width"],
)
def test_a_copy_that_differs_only_in_how_its_text_is_written_is_the_same_question(reworded):
    """A re-tester's copies were the same text in NFD, or with a zero-width space, or with
    other case and spacing: each looked identical on the paper, and each gave the key away."""
    _round, questions, _school, review = _handed_in(APIClient())
    questions[1].text_vi = "Thủ đô của nước Việt Nam là thành phố nào vậy? A"
    questions[1].save()
    copy = make_question(text_vi=reworded(questions[1].text_vi), text_en="")
    assert copy.text_vi != questions[1].text_vi
    _round_asking([copy])

    _keys_in_use(review)
