"""Who may see and change what in the question bank.

Plain functions (services call them) plus the DRF permission classes built on them.

| Who                       | Sees                                                    | Answer keys | Edits            | Publishes |
|---------------------------|---------------------------------------------------------|-------------|------------------|-----------|
| anonymous, student/player | nothing in the bank (403): keys never leave the server  | no          | no               | no        |
| teacher                   | own questions; published public ones; published school  | yes         | own questions    | no        |
|                           | ones of their school                                    |             |                  |           |
| reviewer                  | as a teacher, plus every question in review             | yes         | own questions    | in review |
| organiser, superuser      | everything                                              | yes         | everything       | yes       |

Non-teachers get 403 from every question and quiz endpoint: the simplest way to be sure that no
answer key (choice weights, accepted texts, numeric values, explanations) ever reaches a player.
Themes are public (names only).
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.roles import is_organiser, is_reviewer, is_teacher
from quizzes.models import Question, Quiz


def is_bank_admin(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or is_organiser(user)


def can_use_bank(user) -> bool:
    """Teachers, reviewers, organisers and superusers: the people allowed to see answer keys."""
    return is_teacher(user)


def can_edit_question(user, question: Question) -> bool:
    return is_bank_admin(user) or (
        is_teacher(user) and question.author_id is not None and question.author_id == user.pk
    )


def can_submit_question(user, question: Question) -> bool:
    return can_edit_question(user, question)


def can_review_question(user, question: Question | None = None) -> bool:
    return is_reviewer(user) or is_bank_admin(user)


def can_archive_question(user, question: Question) -> bool:
    return can_edit_question(user, question) or can_review_question(user, question)


def can_edit_quiz(user, quiz: Quiz) -> bool:
    return is_bank_admin(user) or (
        is_teacher(user) and quiz.author_id is not None and quiz.author_id == user.pk
    )


def can_manage_themes(user) -> bool:
    return is_bank_admin(user)


class IsTeacher(BasePermission):
    """Only people with teacher rights (teacher, reviewer, organiser, superuser)."""

    message = "Only teachers may use the question bank."

    def has_permission(self, request, view) -> bool:
        return can_use_bank(request.user)


class ThemePermission(BasePermission):
    """Anyone may read themes; organisers manage them."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_manage_themes(request.user)


class TagPermission(BasePermission):
    """Teachers read and create tags; organisers rename and delete them."""

    def has_permission(self, request, view) -> bool:
        if not can_use_bank(request.user):
            return False
        if request.method in SAFE_METHODS or request.method == "POST":
            return True
        return is_bank_admin(request.user)
