"""Quiz assembly: what a game or contest plays for a quiz and a seed."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from quizzes.models import Quiz, QuizDrawRule, QuizItem
from quizzes.services.quizzes import (
    quiz_questions_for_play,
    quiz_set_draw_rules,
    quiz_set_items,
)
from tests.factories import make_question, make_theme

pytestmark = pytest.mark.django_db


def test_fixed_quiz_plays_items_in_order_with_overrides(teacher):
    first = make_question(text_en="First", time_limit=30, points=1)
    second = make_question(text_en="Second", time_limit=20, points=2)
    quiz = Quiz.objects.create(title="Q", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=second, position=0, time_limit=60, points=0)
    QuizItem.objects.create(quiz=quiz, question=first, position=1)

    items = quiz_questions_for_play(quiz=quiz, seed=1)

    assert [i.question.pk for i in items] == [second.pk, first.pk]
    assert (items[0].time_limit, items[0].points) == (60, 0)
    assert (items[1].time_limit, items[1].points) == (30, 1)


def test_play_keeps_the_revision_the_quiz_points_at(teacher):
    old = make_question(text_en="Old wording", revision=1, is_current=False)
    make_question(text_en="New wording", family=old.family, revision=2)
    quiz = Quiz.objects.create(title="Q", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=old)

    assert quiz_questions_for_play(quiz=quiz, seed=1)[0].question.text_en == "Old wording"


def test_option_order_is_shuffled_per_seed_and_stable_for_one_seed(teacher):
    question = make_question(choices=[(f"Option {n}", 1.0 if n == 0 else 0.0) for n in range(6)])
    quiz = Quiz.objects.create(title="Q", author=teacher, shuffle_options=True)
    QuizItem.objects.create(quiz=quiz, question=question)

    orders = {
        tuple(c.pk for c in quiz_questions_for_play(quiz=quiz, seed=s)[0].choices)
        for s in range(10)
    }
    again = [c.pk for c in quiz_questions_for_play(quiz=quiz, seed=3)[0].choices]

    assert len(orders) > 1
    assert again == [c.pk for c in quiz_questions_for_play(quiz=quiz, seed=3)[0].choices]


def test_an_ordering_question_of_two_items_starts_in_either_order(teacher):
    # "Never the answer" would show the one order that is not the key: the key given away.
    question = make_question(type="order", choices=[("first", 0), ("second", 0)])
    quiz = Quiz.objects.create(title="Q", author=teacher, shuffle_options=True)
    QuizItem.objects.create(quiz=quiz, question=question)
    authored = [c.pk for c in question.choices.all()]

    shown = {
        tuple(c.pk for c in quiz_questions_for_play(quiz=quiz, seed=seed)[0].choices)
        for seed in range(40)
    }

    assert shown == {tuple(authored), tuple(reversed(authored))}


def test_options_are_never_shown_in_authored_order_by_default(teacher):
    # Authors put the right option first: without per-player shuffling, every player sees one
    # random order, not the authored one.
    questions = [
        make_question(text_en=f"Q{n}", choices=[("right", 1.0), ("x", 0.0), ("y", 0.0)])
        for n in range(12)
    ]
    quiz = Quiz.objects.create(title="Q", author=teacher, shuffle_options=False)
    for position, question in enumerate(questions):
        QuizItem.objects.create(quiz=quiz, question=question, position=position)

    plays = [quiz_questions_for_play(quiz=quiz, seed=seed) for seed in (1, 2)]
    firsts = [item.choices[0].text_en for item in plays[0]]

    assert [[c.pk for c in i.choices] for i in plays[0]] == [
        [c.pk for c in i.choices] for i in plays[1]
    ]
    assert firsts != ["right"] * len(questions)


def test_draw_rules_pick_published_questions_by_theme_and_difficulty(teacher):
    sdg, other = make_theme("sdg"), make_theme("other")
    wanted = {make_question(theme=sdg, difficulty=d).pk for d in (2, 3, 4) for _ in range(3)}
    make_question(theme=sdg, difficulty=5)
    make_question(theme=other, difficulty=3)
    make_question(theme=sdg, difficulty=3, status="draft")
    quiz = Quiz.objects.create(title="Q", author=teacher, mode=Quiz.Mode.DRAW)
    QuizDrawRule.objects.create(quiz=quiz, count=5, theme=sdg, difficulty_min=2, difficulty_max=4)

    items = quiz_questions_for_play(quiz=quiz, seed="game-1")
    picked = [i.question.pk for i in items]

    assert len(picked) == 5
    assert len(set(picked)) == 5
    assert set(picked) <= wanted
    assert picked == [i.question.pk for i in quiz_questions_for_play(quiz=quiz, seed="game-1")]


def test_draw_rules_never_repeat_a_question_across_rules(teacher):
    theme = make_theme("sdg")
    for _ in range(4):
        make_question(theme=theme, difficulty=2)
    quiz = Quiz.objects.create(title="Q", author=teacher, mode=Quiz.Mode.DRAW)
    quiz_set_draw_rules(quiz=quiz, rules=[{"count": 3, "theme": "sdg"}, {"count": 3}])

    picked = [i.question.pk for i in quiz_questions_for_play(quiz=quiz, seed=9)]

    assert len(picked) == 4
    assert len(set(picked)) == 4


def test_empty_quiz_cannot_be_played(teacher):
    quiz = Quiz.objects.create(title="Empty", author=teacher)

    with pytest.raises(ApplicationError) as error:
        quiz_questions_for_play(quiz=quiz, seed=1)

    assert error.value.code == "quiz_empty"


def test_set_items_rejects_bad_overrides_and_keeps_order(teacher):
    a, b = make_question(), make_question()
    quiz = Quiz.objects.create(title="Q", author=teacher)

    quiz_set_items(quiz=quiz, items=[{"question": b.pk, "points": 2}, {"question": a.pk}])
    with pytest.raises(ApplicationError) as error:
        quiz_set_items(quiz=quiz, items=[{"question": a.pk, "time_limit": 3}])

    assert list(quiz.items.values_list("question_id", "points")) == [(b.pk, 2), (a.pk, None)]
    assert error.value.code == "invalid_time_limit"


def test_draw_rule_with_unknown_theme_is_rejected(teacher):
    quiz = Quiz.objects.create(title="Q", author=teacher, mode=Quiz.Mode.DRAW)

    with pytest.raises(ApplicationError) as error:
        quiz_set_draw_rules(quiz=quiz, rules=[{"count": 3, "theme": "nope"}])

    assert error.value.code == "unknown_theme"


def _played(items) -> list[tuple]:
    return [
        (
            i.position,
            i.question.pk,
            i.question.text_en,
            i.time_limit,
            i.points,
            i.item_id,
            [(c.pk, c.text_en) for c in i.choices],
        )
        for i in items
    ]


def test_a_kept_fixed_quiz_plays_exactly_as_one_read_afresh_and_follows_every_edit(teacher):
    """Contests keep a fixed quiz's question rows per process (keep=True): the same play as a
    fresh read, and an edit of the items or of a question's row shows at the next draw."""
    first = make_question(text_en="First", time_limit=30, points=1)
    second = make_question(text_en="Second", time_limit=20, points=2)
    third = make_question(text_en="Third")
    quiz = Quiz.objects.create(title="Q", author=teacher, shuffle_options=True)
    QuizItem.objects.create(quiz=quiz, question=second, position=0, time_limit=60, points=0)
    QuizItem.objects.create(quiz=quiz, question=first, position=1)

    for seed in range(5):
        kept = quiz_questions_for_play(quiz=quiz, seed=seed, keep=True)
        assert _played(kept) == _played(quiz_questions_for_play(quiz=quiz, seed=seed))

    # The items change: the kept play follows at once.
    quiz_set_items(
        quiz=quiz,
        items=[{"question": third.pk}, {"question": first.pk, "time_limit": 45, "points": 2}],
    )
    kept = quiz_questions_for_play(quiz=quiz, seed=1, keep=True)
    assert _played(kept) == _played(quiz_questions_for_play(quiz=quiz, seed=1))
    assert [(i.question.pk, i.time_limit, i.points) for i in kept][1] == (first.pk, 45, 2)

    # A question's row is saved in place (wording, an option): the kept copy is not used.
    first.text_en = "First, reworded"
    first.save()
    option = first.choices.order_by("id").first()
    assert option is not None
    option.text_en = "A new option text"
    option.save()
    first.save()
    kept = quiz_questions_for_play(quiz=quiz, seed=1, keep=True)
    assert _played(kept) == _played(quiz_questions_for_play(quiz=quiz, seed=1))
    assert kept[1].question.text_en == "First, reworded"
    assert "A new option text" in [c.text_en for c in kept[1].choices]
