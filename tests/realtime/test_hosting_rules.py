"""Hosting somebody else's quiz (issue 12, point 3): hosting follows the bank's visibility rule
(quizzes.selectors.quiz_get), and a quiz used by a contest round that has not closed yet is hosted
only by who may see its key: its author, the bank's admins, the staff of the contests using it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from realtime.models import Game
from realtime.services import MSG_QUIZ_NOT_FOUND
from tests.contest.helpers import close_round, make_contest, make_school
from tests.factories import make_user
from tests.realtime.conftest import make_quiz

pytestmark = pytest.mark.django_db


def host(user, quiz_id) -> int:
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/games/", {"quiz": quiz_id}, format="json")
    if response.status_code == 404:  # one answer whatever the reason: nothing to tell apart
        assert response.json()["code"] == "not_found"
        assert response.json()["message"] == str(MSG_QUIZ_NOT_FOUND)
    return response.status_code


@pytest.fixture
def schools():
    return make_school("S1", "School one"), make_school("S2", "School two")


def test_a_school_quiz_of_another_school_is_not_found(schools):
    one, two = schools
    author = make_user("author", roles=["teacher"], unit=one["school"])
    colleague = make_user("colleague", roles=["teacher"], unit=one["class"])
    stranger = make_user("stranger", roles=["teacher"], unit=two["school"])
    quiz = make_quiz(author, ["single"])
    quiz.visibility = "school"
    quiz.save()
    assert host(stranger, quiz.id) == 404
    assert not Game.objects.filter(host=stranger).exists()
    assert host(colleague, quiz.id) == 201
    assert host(author, quiz.id) == 201


def test_a_private_quiz_of_another_teacher_is_not_found(schools):
    author = make_user("author", roles=["teacher"])
    other = make_user("other", roles=["teacher"])
    quiz = make_quiz(author, ["single"])
    quiz.visibility = "private"
    quiz.save()
    assert host(other, quiz.id) == 404


@pytest.fixture
def contest_quiz():
    """A public quiz that a contest round still open uses (as the demo contest does)."""
    contest, round_, _ = make_contest()
    round_.quiz.visibility = "public"
    round_.quiz.save()
    return contest, round_, round_.quiz


def test_a_quiz_of_a_round_still_open_is_not_hosted_by_a_teacher(contest_quiz):
    _contest, _round, quiz = contest_quiz
    teacher = make_user("teacher1", roles=["teacher"])
    assert host(teacher, quiz.id) == 404
    assert not Game.objects.filter(quiz=quiz).exists()


def test_a_quiz_of_an_upcoming_round_is_not_hosted_by_a_teacher(contest_quiz):
    _contest, round_, quiz = contest_quiz
    now = timezone.now()
    round_.opens_at, round_.closes_at = now + timedelta(days=1), now + timedelta(days=2)
    round_.save()
    assert host(make_user("teacher1", roles=["teacher"]), quiz.id) == 404


def test_the_contests_staff_and_the_quizs_author_host_it_during_the_round(contest_quiz):
    contest, _round, quiz = contest_quiz
    staff = make_user("staffer", roles=["teacher"])
    contest.staff.add(staff)
    assert host(staff, quiz.id) == 201
    author = make_user("writer", roles=["teacher"])
    quiz.author = author
    quiz.save()
    assert host(author, quiz.id) == 201


def test_staff_of_one_contest_cannot_host_the_quiz_another_contests_round_uses(contest_quiz):
    contest, round_, quiz = contest_quiz
    other, other_round, _ = make_contest(slug="other")
    other_round.quiz = quiz
    other_round.save()
    staff = make_user("staffer", roles=["teacher"])
    contest.staff.add(staff)
    assert host(staff, quiz.id) == 404


def test_once_the_round_closes_its_public_quiz_is_hosted_by_any_teacher(contest_quiz):
    _contest, round_, quiz = contest_quiz
    close_round(round_)
    assert host(make_user("teacher1", roles=["teacher"]), quiz.id) == 201


@pytest.mark.parametrize("how", ["a fixed quiz lists it", "draw rules may draw it"])
def test_a_teachers_own_quiz_is_not_hosted_while_a_round_may_ask_one_of_its_questions(how):
    """At quiz level only, a teacher hosted the demo live-game quiz while the demo round (drawing
    from the bank) could ask its questions: every player got their keys in reveal frames."""
    from quizzes.models import Quiz, QuizDrawRule, QuizItem

    teacher = make_user("teacher1", roles=["teacher"])
    own = make_quiz(teacher, ["single", "single"])
    shared = own.items.first().question
    if how == "a fixed quiz lists it":
        contest, round_, _ = make_contest()
        QuizItem.objects.create(quiz=round_.quiz, question=shared, position=99)
    else:
        drawn = Quiz.objects.create(title="Drawn paper", mode="draw")
        QuizDrawRule.objects.create(quiz=drawn, position=0, count=5)
        contest, round_, _ = make_contest(quiz=drawn)
    assert host(teacher, own.id) == 404  # its own author, but the round's keys are not theirs
    assert not Game.objects.filter(quiz=own).exists()
    contest.staff.add(teacher)  # the round's staff see its keys anyway
    assert host(teacher, own.id) == 201
    contest.staff.remove(teacher)
    close_round(round_)
    assert host(teacher, own.id) == 201


def test_a_round_that_cannot_ask_a_quizs_questions_does_not_hold_it():
    """A round drawing from a theme holds only that theme's questions (the demo contest's round
    and the demo live-game quiz keep to different themes)."""
    from quizzes.models import Quiz, QuizDrawRule, Theme

    teacher = make_user("teacher1", roles=["teacher"])
    own = make_quiz(teacher, ["single"])
    climate = Theme.objects.create(slug="climate", name_en="Climate", name_vi="Khí hậu")
    drawn = Quiz.objects.create(title="Climate paper", mode="draw")
    QuizDrawRule.objects.create(quiz=drawn, position=0, count=5, theme=climate)
    make_contest(quiz=drawn)
    assert host(teacher, own.id) == 201
