"""Reads of the question bank: visibility, filters, search. The API and the pages both use these."""

from __future__ import annotations

from django.db.models import Max, Prefetch, Q, QuerySet

from core.errors import NotFoundError
from core.roles import is_reviewer, is_teacher
from core.text import fold
from quizzes.filters import ORDERINGS, QuestionFilters
from quizzes.models import Choice, Profile, Question, Quiz, QuizItem, Tag, Unit
from quizzes.permissions import is_bank_admin


def user_school(user) -> Unit | None:
    """The school unit of a user's profile (one query, cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if hasattr(user, "_cq_school"):
        return user._cq_school
    profile = (
        Profile.objects.select_related("unit__parent__parent")
        .filter(user_id=user.pk)
        .only("unit__level", "unit__parent__level", "unit__parent__parent__level")
        .first()
    )
    school = None
    unit = profile.unit if profile else None
    # A teacher's unit is a school or one of its classes; look at most two levels up.
    for _depth in range(3):
        if unit is None:
            break
        if unit.level == Unit.Level.SCHOOL:
            school = unit
            break
        unit = unit.parent if unit.parent_id else None
    user._cq_school = school
    return school


def question_visibility_q(user) -> Q | None:
    """The questions a user may see, as a Q; None means everything (organisers, superusers)."""
    if is_bank_admin(user):
        return None
    if not is_teacher(user):
        return Q(pk__in=[])
    published = Q(status=Question.Status.PUBLISHED)
    visible = Q(author_id=user.pk) | (published & Q(visibility=Question.Visibility.PUBLIC))
    school = user_school(user)
    if school is not None:
        visible |= published & Q(visibility=Question.Visibility.SCHOOL, school_id=school.pk)
    if is_reviewer(user):
        visible |= Q(status=Question.Status.REVIEW)
    return visible


def question_visible_qs(user) -> QuerySet[Question]:
    qs = Question.objects.all()
    condition = question_visibility_q(user)
    return qs if condition is None else qs.filter(condition)


def question_search(qs: QuerySet[Question], text: str) -> QuerySet[Question]:
    """Every word of `text`, folded (no case, no diacritics), must appear in the question.

    "cong dan toan cau" and "Công dân toàn cầu" find the same questions. On PostgreSQL the
    trigram GIN index on search_text serves these LIKE '%word%' lookups.
    """
    for word in fold(text).split()[:8]:
        qs = qs.filter(search_text__contains=word)
    return qs


def question_filter(
    qs: QuerySet[Question], filters: QuestionFilters, *, user
) -> QuerySet[Question]:
    if filters.family:
        qs = qs.filter(family=filters.family)
    elif not filters.all_revisions:
        qs = qs.filter(is_current=True)
    if filters.q:
        qs = question_search(qs, filters.q)
    if filters.theme:
        qs = qs.filter(theme__slug__in=filters.theme)
    if filters.type:
        qs = qs.filter(type__in=filters.type)
    if filters.difficulty_min is not None:
        qs = qs.filter(difficulty__gte=filters.difficulty_min)
    if filters.difficulty_max is not None:
        qs = qs.filter(difficulty__lte=filters.difficulty_max)
    for tag in filters.tag:
        # Each tag narrows the list (all tags must be present).
        qs = qs.filter(tags__name=tag)
    if filters.language == "vi":
        qs = qs.exclude(text_vi="")
    elif filters.language == "en":
        qs = qs.exclude(text_en="")
    elif filters.language == "both":
        qs = qs.exclude(text_vi="").exclude(text_en="")
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.author == "me":
        qs = qs.filter(author_id=user.pk)
    elif filters.author:
        qs = qs.filter(author__username=filters.author)
    if filters.visibility:
        qs = qs.filter(visibility__in=filters.visibility)
    return qs.order_by(*ORDERINGS.get(filters.ordering, ORDERINGS["-updated_at"]))


def question_list(*, user, filters: QuestionFilters | None = None) -> QuerySet[Question]:
    """The questions a user may see, filtered and searched, with what a list row shows."""
    qs = question_filter(question_visible_qs(user), filters or QuestionFilters(), user=user)
    return qs.select_related("theme", "author").prefetch_related("tags")


def _question_detail_qs(qs: QuerySet[Question]) -> QuerySet[Question]:
    return qs.select_related("theme", "author", "reviewed_by").prefetch_related(
        "tags", Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
    )


def question_get(*, user, pk: int) -> Question:
    """One question the user may see (with choices and tags), or NotFoundError."""
    question = _question_detail_qs(question_visible_qs(user)).filter(pk=pk).first()
    if question is None:
        raise NotFoundError("not_found", _not_found_message())
    return question


def question_reload(*, pk: int) -> Question:
    """A question with its choices and tags after an authorised change (e.g. sent back to its
    author, which the reviewer may no longer see)."""
    return _question_detail_qs(Question.objects.all()).get(pk=pk)


def _not_found_message() -> str:
    from django.utils.translation import gettext

    return gettext("This question does not exist or you cannot see it.")


def question_revisions(*, user, question: Question) -> QuerySet[Question]:
    """All revisions of a question's family that the user may see, newest first."""
    return (
        question_visible_qs(user)
        .filter(family=question.family)
        .select_related("author", "theme")
        .prefetch_related("tags")
        .order_by("-revision")
    )


def question_family_next_revision(question: Question) -> int:
    last = Question.objects.filter(family=question.family).aggregate(m=Max("revision"))["m"]
    return (last or 0) + 1


def review_queue(*, user) -> QuerySet[Question]:
    """Questions waiting for a reviewer, oldest first."""
    return (
        question_visible_qs(user)
        .filter(status=Question.Status.REVIEW, is_current=True)
        .select_related("theme", "author")
        .prefetch_related(
            "tags", Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))
        )
        .order_by("updated_at", "id")
    )


def tag_list(*, prefix: str = "") -> QuerySet[Tag]:
    qs = Tag.objects.all()
    if prefix:
        qs = qs.filter(name__istartswith=prefix)
    return qs.order_by("name")


# --- Quizzes ----------------------------------------------------------------------------------


def quiz_visibility_q(user) -> Q | None:
    if is_bank_admin(user):
        return None
    if not is_teacher(user):
        return Q(pk__in=[])
    visible = Q(author_id=user.pk) | Q(visibility=Question.Visibility.PUBLIC)
    school = user_school(user)
    if school is not None:
        visible |= Q(visibility=Question.Visibility.SCHOOL) & (
            Q(author__profile__unit_id=school.pk) | Q(author__profile__unit__parent_id=school.pk)
        )
    return visible


def quiz_list(*, user, q: str = "", mine: bool = False) -> QuerySet[Quiz]:
    qs = Quiz.objects.select_related("author")
    condition = quiz_visibility_q(user)
    if condition is not None:
        qs = qs.filter(condition)
    if mine:
        qs = qs.filter(author_id=user.pk)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.order_by("-updated_at", "-id")


def quiz_get(*, user, pk: int) -> Quiz:
    """One quiz the user may see, with its items (and their questions) and rules."""
    qs = Quiz.objects.select_related("author").prefetch_related(
        Prefetch(
            "items",
            queryset=QuizItem.objects.select_related("question__theme").order_by("position", "id"),
        ),
        "draw_rules__theme",
        "draw_rules__tag",
    )
    condition = quiz_visibility_q(user)
    if condition is not None:
        qs = qs.filter(condition)
    quiz = qs.filter(pk=pk).first()
    if quiz is None:
        from django.utils.translation import gettext

        raise NotFoundError("not_found", gettext("This quiz does not exist or you cannot see it."))
    return quiz
