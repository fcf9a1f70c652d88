"""Quiz assembly: the questions a game or contest plays, and saving a quiz's items and draw rules.

`quiz_questions_for_play` is the one entry point the live engine and contests use: it returns the
exact question revisions to play (fixed items or rules drawn from the bank), each with its
effective time limit and points, and the option order for a seed. The same seed always gives the
same result, so a game or a contest attempt can be rebuilt after a restart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, ForbiddenError
from quizzes.models import (
    Choice,
    Question,
    QuestionType,
    Quiz,
    QuizDrawRule,
    QuizItem,
    Tag,
    Theme,
)
from quizzes.options import shuffled_choices
from quizzes.permissions import can_edit_quiz, can_use_bank

QUIZ_EMPTY = _("This quiz has no questions to play.")
QUIZ_ITEM_UNKNOWN_QUESTION = _("Question %(id)s does not exist or you cannot use it.")
QUIZ_ITEM_NOT_PLAYABLE = _("Question %(id)s is archived and cannot be added to a quiz.")
QUIZ_ITEM_BAD_TIME = _("A time limit must be between 5 and 240 seconds.")
QUIZ_ITEM_BAD_POINTS = _("Points must be 0, 1 or 2.")
QUIZ_RULE_BAD_COUNT = _("A draw rule needs a count between 1 and 200.")
QUIZ_RULE_BAD_DIFFICULTY = _("Difficulty must go from 1 to 5, lowest first.")
QUIZ_RULE_UNKNOWN_THEME = _("Unknown theme “%(slug)s”.")
QUIZ_RULE_UNKNOWN_TYPE = _("Unknown question type “%(type)s”.")
QUIZ_RULE_UNKNOWN_TAG = _("Unknown tag “%(tag)s”.")


@dataclass
class PlayItem:
    """One question to play: a fixed revision with its effective time limit and points.

    `choices` is the option order for this seed (quizzes.options.shuffled_choices: per seed when
    the quiz shuffles options, else one order for everybody; never the authored order);
    `question.choices.all()` keeps the authored order.
    """

    position: int
    question: Question
    time_limit: int
    points: int
    choices: list[Choice] = field(default_factory=list)
    item_id: int | None = None  # the QuizItem, for fixed quizzes


def _choices_prefetch() -> Prefetch:
    return Prefetch("choices", queryset=Choice.objects.order_by("position", "id"))


def draw_rule_candidates(rule: QuizDrawRule, *, exclude_types: tuple[str, ...] = ()):
    """Published, current questions a draw rule may pick from (ids only, stable order); a contest
    leaves out the types it cannot score (exclude_types)."""
    qs = Question.objects.filter(is_current=True, status=Question.Status.PUBLISHED)
    if exclude_types:
        qs = qs.exclude(type__in=exclude_types)
    if rule.theme_id:
        qs = qs.filter(theme_id=rule.theme_id)
    if rule.type:
        qs = qs.filter(type=rule.type)
    if rule.tag_id:
        qs = qs.filter(tags=rule.tag_id)
    qs = qs.filter(difficulty__gte=rule.difficulty_min, difficulty__lte=rule.difficulty_max)
    # Questions the quiz author may not see are not drawn (private questions of others).
    author = rule.quiz.author
    if author is not None and not author.is_superuser:
        qs = qs.filter(Q(visibility=Question.Visibility.PUBLIC) | Q(author=author))
    return qs.order_by("id").values_list("id", flat=True).distinct()


# Question rows (with their choices and theme) a fixed quiz played, kept per process for
# contests, where every participant's start draws the same quiz: an edit of a question in a quiz
# makes a new revision (bank.question_update), and any in-place save moves updated_at, which is
# read with the items each time, so a kept row is used only while it is the row in the database.
_KEPT_QUESTIONS: dict[int, Question] = {}
_KEPT_MAX = 5000


def _kept_questions(wanted: dict[int, Any]) -> dict[int, Question]:
    """{question id: row with choices and theme} for {question id: its updated_at}, from this
    process's copies where they are current, the rest in one query."""
    missing = [
        pk
        for pk, stamp in wanted.items()
        if pk not in _KEPT_QUESTIONS or _KEPT_QUESTIONS[pk].updated_at != stamp
    ]
    if missing:
        if len(_KEPT_QUESTIONS) > _KEPT_MAX:
            _KEPT_QUESTIONS.clear()
        rows = Question.objects.prefetch_related(_choices_prefetch()).select_related("theme")
        for question in rows.filter(pk__in=missing):
            _KEPT_QUESTIONS[question.pk] = question
    return {pk: _KEPT_QUESTIONS[pk] for pk in wanted if pk in _KEPT_QUESTIONS}


_ITEM_ROWS_SQL = f"""
SELECT i.id, i.question_id, i.position, i.time_limit, i.points, q.updated_at
FROM {QuizItem._meta.db_table} i JOIN {Question._meta.db_table} q ON q.id = i.question_id
WHERE i.quiz_id = %s ORDER BY i.position, i.id
"""


def _item_rows(quiz: Quiz) -> list[tuple]:
    """(item id, question id, position, time limit, points, the question's updated_at) of a
    fixed quiz's items in play order. Every contest start reads them: on PostgreSQL one fixed
    statement, where Django compiled its query each time (tests/contest/test_attempt_statement.py:
    the same rows)."""
    if connection.vendor != "postgresql":
        return list(
            QuizItem.objects.filter(quiz=quiz)
            .order_by("position", "id")
            .values_list(
                "pk", "question_id", "position", "time_limit", "points", "question__updated_at"
            )
        )
    with connection.cursor() as cursor:
        cursor.execute(_ITEM_ROWS_SQL, [quiz.pk])
        return cursor.fetchall()


def _fixed_items(quiz: Quiz, *, keep: bool) -> list[QuizItem]:
    """A fixed quiz's items in play order, each with its question (and choices, theme)."""
    if not keep:
        return list(
            QuizItem.objects.filter(quiz=quiz)
            .select_related("question__theme")
            .prefetch_related(
                Prefetch("question__choices", queryset=Choice.objects.order_by("position", "id"))
            )
            .order_by("position", "id")
        )
    rows = _item_rows(quiz)
    questions = _kept_questions({row[1]: row[5] for row in rows})
    return [
        QuizItem(
            pk=pk,
            quiz=quiz,
            question=questions[question_id],
            position=position,
            time_limit=time_limit,
            points=points,
        )
        for pk, question_id, position, time_limit, points, _stamp in rows
    ]


def quiz_questions_for_play(
    *, quiz: Quiz, seed: Any, exclude_types: tuple[str, ...] = (), keep: bool = False
) -> list[PlayItem]:
    """The question revisions to play for this quiz and seed, with time limits and points.

    Fixed quizzes play their items in order (shuffled by seed when `shuffle_questions`); draw
    quizzes pick `count` questions per rule at random (by seed) without repeats across rules.
    Raises ApplicationError("quiz_empty") when nothing can be played. `exclude_types` keeps
    those types out of the draw (contests: no slides or polls); fixed items are played as chosen.
    `keep`: a fixed quiz's question rows come from this process's current copies (contests, where
    every start plays the same quiz; the rows are shared, never changed).
    """
    rng = random.Random(f"questions:{seed}:{quiz.pk}")
    items: list[PlayItem] = []
    if quiz.mode == Quiz.Mode.DRAW:
        taken: set[int] = set()
        picked: list[int] = []
        rules = quiz.draw_rules.select_related("quiz__author").order_by("position", "id")
        for rule in rules:
            pool = [
                pk
                for pk in draw_rule_candidates(rule, exclude_types=exclude_types)
                if pk not in taken
            ]
            chosen = rng.sample(pool, min(rule.count, len(pool)))
            taken.update(chosen)
            picked.extend(chosen)
        questions = Question.objects.prefetch_related(_choices_prefetch()).select_related("theme")
        by_id = questions.in_bulk(picked)
        for position, pk in enumerate(picked):
            question = by_id[pk]
            items.append(
                PlayItem(
                    position=position,
                    question=question,
                    time_limit=question.time_limit,
                    points=question.points,
                )
            )
    else:
        for position, quiz_item in enumerate(_fixed_items(quiz, keep=keep)):
            items.append(
                PlayItem(
                    position=position,
                    question=quiz_item.question,
                    time_limit=quiz_item.effective_time_limit,
                    points=quiz_item.effective_points,
                    item_id=quiz_item.pk,
                )
            )
        if quiz.shuffle_questions:
            rng.shuffle(items)
            for position, item in enumerate(items):
                item.position = position
    if not items:
        raise ApplicationError("quiz_empty", QUIZ_EMPTY)
    for item in items:
        option_seed = (
            f"{seed}:{item.position}"
            if quiz.shuffle_options
            else f"quiz:{quiz.pk}:{item.question.pk}"
        )
        item.choices = shuffled_choices(question=item.question, seed=option_seed)
    return items


# --- Writing a quiz's items and rules ---------------------------------------------------------


def _check_overrides(time_limit: Any, points: Any) -> None:
    if time_limit is not None and not (isinstance(time_limit, int) and 5 <= time_limit <= 240):
        raise ApplicationError("invalid_time_limit", QUIZ_ITEM_BAD_TIME)
    if points is not None and points not in (0, 1, 2):
        raise ApplicationError("invalid_points", QUIZ_ITEM_BAD_POINTS)


@transaction.atomic
def quiz_set_items(*, quiz: Quiz, items: list[dict[str, Any]], usable_questions=None) -> None:
    """Replace a quiz's items: [{"question": id, "time_limit": s|None, "points": 0-2|None}, ...].

    The list order is the play order. `usable_questions` (a queryset) limits what the editor may
    add (the questions the user can see); questions already in the quiz stay usable.
    """
    wanted = [int(item["question"]) for item in items]
    existing = set(quiz.items.values_list("question_id", flat=True))
    qs = Question.objects.filter(pk__in=wanted)
    found = {q.pk: q for q in qs}
    allowed = set(existing)
    if usable_questions is not None:
        allowed |= set(usable_questions.filter(pk__in=wanted).values_list("pk", flat=True))
    else:
        allowed |= set(found)
    for pk in wanted:
        if pk not in found or pk not in allowed:
            raise ApplicationError(
                "unknown_question", QUIZ_ITEM_UNKNOWN_QUESTION % {"id": pk}, {"question": pk}
            )
        if found[pk].status == Question.Status.ARCHIVED and pk not in existing:
            raise ApplicationError(
                "question_archived", QUIZ_ITEM_NOT_PLAYABLE % {"id": pk}, {"question": pk}
            )
    for item in items:
        _check_overrides(item.get("time_limit"), item.get("points"))
    quiz.items.all().delete()
    QuizItem.objects.bulk_create(
        QuizItem(
            quiz=quiz,
            question_id=int(item["question"]),
            position=position,
            time_limit=item.get("time_limit"),
            points=item.get("points"),
        )
        for position, item in enumerate(items)
    )
    quiz.save(update_fields=["updated_at"])


@transaction.atomic
def quiz_set_draw_rules(*, quiz: Quiz, rules: list[dict[str, Any]]) -> None:
    """Replace a quiz's draw rules: [{"count", "theme": slug|None, "type", "tag", "difficulty_min",
    "difficulty_max"}, ...]."""
    built = []
    for position, rule in enumerate(rules):
        count = rule.get("count", 10)
        if not isinstance(count, int) or not 1 <= count <= 200:
            raise ApplicationError("invalid_count", QUIZ_RULE_BAD_COUNT)
        low, high = rule.get("difficulty_min", 1), rule.get("difficulty_max", 5)
        if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high <= 5):
            raise ApplicationError("invalid_difficulty", QUIZ_RULE_BAD_DIFFICULTY)
        theme = None
        if rule.get("theme"):
            theme = Theme.objects.filter(slug=rule["theme"]).first()
            if theme is None:
                raise ApplicationError(
                    "unknown_theme", QUIZ_RULE_UNKNOWN_THEME % {"slug": rule["theme"]}
                )
        qtype = rule.get("type") or ""
        if qtype and qtype not in QuestionType.values:
            raise ApplicationError("unknown_type", QUIZ_RULE_UNKNOWN_TYPE % {"type": qtype})
        tag = None
        if rule.get("tag"):
            tag = Tag.objects.filter(name=rule["tag"]).first()
            if tag is None:
                raise ApplicationError("unknown_tag", QUIZ_RULE_UNKNOWN_TAG % {"tag": rule["tag"]})
        built.append(
            QuizDrawRule(
                quiz=quiz,
                position=position,
                count=count,
                theme=theme,
                type=qtype,
                tag=tag,
                difficulty_min=low,
                difficulty_max=high,
            )
        )
    quiz.draw_rules.all().delete()
    QuizDrawRule.objects.bulk_create(built)
    quiz.save(update_fields=["updated_at"])


QUIZ_NOT_ALLOWED = _("You may only change your own quizzes.")
QUIZ_FIELDS = ("title", "description", "mode", "shuffle_options", "shuffle_questions", "visibility")


@transaction.atomic
def quiz_save(
    *,
    user,
    quiz: Quiz | None = None,
    fields: dict[str, Any],
    items: list[dict[str, Any]] | None = None,
    draw_rules: list[dict[str, Any]] | None = None,
    usable_questions=None,
) -> Quiz:
    """Create (quiz=None) or update a quiz with its items and draw rules in one transaction.

    `items`/`draw_rules` left as None are not touched.
    """
    if quiz is None:
        if not can_use_bank(user):
            raise ForbiddenError("permission_denied", QUIZ_NOT_ALLOWED)
        quiz = Quiz(author=user)
    elif not can_edit_quiz(user, quiz):
        raise ForbiddenError("permission_denied", QUIZ_NOT_ALLOWED)
    for name in QUIZ_FIELDS:
        if name in fields:
            setattr(quiz, name, fields[name])
    quiz.full_clean(exclude=["author"])
    quiz.save()
    if items is not None:
        quiz_set_items(quiz=quiz, items=items, usable_questions=usable_questions)
    if draw_rules is not None:
        quiz_set_draw_rules(quiz=quiz, rules=draw_rules)
    return quiz


@transaction.atomic
def quiz_delete(*, user, quiz: Quiz) -> None:
    if not can_edit_quiz(user, quiz):
        raise ForbiddenError("permission_denied", QUIZ_NOT_ALLOWED)
    quiz.delete()
