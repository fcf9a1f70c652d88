"""The shared question-writing service: validation, creation, and the canonical dict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ApplicationError
from quizzes.models import Question
from quizzes.services.questions import question_create, question_to_data, question_validate_data
from tests.factories import make_theme

pytestmark = pytest.mark.django_db

DEMO_BANK = Path(__file__).resolve().parents[2] / "quizzes" / "fixtures" / "demo_bank.json"


def single(**extra):
    data = {
        "uid": "t-001",
        "type": "single",
        "theme": "sdg",
        "text": {"vi": "Mục tiêu nào nói về giáo dục?", "en": "Which goal is about education?"},
        "explanation": {"vi": "SDG 4.", "en": "SDG 4."},
        "source": "UN, 2015",
        "difficulty": 2,
        "tags": ["sdg4", "Giáo dục"],
        "time_limit": 20,
        "points": 1,
        "choices": [
            {
                "text": {"vi": "SDG 4", "en": "SDG 4"},
                "weight": 1.0,
                "feedback": {"vi": "Đúng", "en": "Right"},
            },
            {"text": {"vi": "SDG 5", "en": "SDG 5"}, "weight": 0.0},
        ],
    }
    data.update(extra)
    return data


def test_valid_single_choice_question_has_no_problems():
    make_theme("sdg")
    assert question_validate_data(single()) == []


def test_create_writes_choices_tags_theme_and_searchable_tags(teacher):
    make_theme("sdg")
    question = question_create(data=single(), author=teacher, status="published")
    assert question.external_id == "t-001"
    assert question.status == "published"
    assert question.theme.slug == "sdg"
    assert [c.text_en for c in question.choices.all()] == ["SDG 4", "SDG 5"]
    assert question.choices.first().feedback_vi == "Đúng"
    assert sorted(question.tags.values_list("name", flat=True)) == ["Giáo dục", "sdg4"]
    assert "giao duc" in Question.objects.get(pk=question.pk).search_text


def test_invalid_question_raises_with_every_problem_and_writes_nothing():
    bad = single(theme="nowhere", difficulty=9, choices=[{"text": "only", "weight": 2}])
    with pytest.raises(ApplicationError) as info:
        question_create(data=bad)
    assert info.value.code == "invalid_question"
    messages = " ".join(info.value.details)
    assert "Unknown theme" in messages
    assert "difficulty" in messages
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "essay", "text": "x"}, "Unknown question type"),
        ({"type": "slide", "text": {"vi": "", "en": ""}}, "needs its text"),
        ({"type": "text", "text": "x", "answer": {"accepted": []}}, "accepted answer"),
        ({"type": "numeric", "text": "x", "answer": {"min": 5, "max": 1}}, "minimum"),
        ({"type": "numeric", "text": "x", "answer": {"value": 1, "tolerance": -1}}, "tolerance"),
        (
            {
                "type": "multi",
                "text": "x",
                "choices": [{"text": "a", "weight": 0.5}, {"text": "b", "weight": 0.2}],
            },
            "add up to 1",
        ),
        (
            {
                "type": "truefalse",
                "text": "x",
                "choices": [{"text": "T", "weight": 1}, {"text": "F", "weight": 1}],
            },
            "one right choice",
        ),
        ({"type": "single", "text": "x", "choices": [{"text": "a", "weight": 1}]}, "two choices"),
        ({"type": "slide", "text": "x", "time_limit": 2}, "time limit"),
        ({"type": "slide", "text": "x", "points": 3}, "points"),
    ],
)
def test_validation_reports_the_broken_rule(data, message):
    problems = question_validate_data(data)
    assert any(message in p for p in problems), problems


def test_every_demo_bank_question_is_valid_and_round_trips_through_the_canonical_dict():
    from quizzes.services import demo

    demo.seed_themes()
    for item in json.loads(DEMO_BANK.read_text(encoding="utf-8"))["questions"]:
        assert question_validate_data(item) == [], item["uid"]
        question = question_create(data=item, status="published")
        again = question_to_data(question)
        assert again["uid"] == item["uid"]
        assert again["text"] == item["text"]
        assert again["tags"] == sorted(item["tags"])
        assert [c["weight"] for c in again.get("choices", [])] == [
            c["weight"] for c in item.get("choices", [])
        ]
        if "answer" in item:
            assert again["answer"] == item["answer"]


def test_new_revision_shares_the_family():
    first = question_create(data=single(theme=""))
    second = question_create(data=single(theme=""), family=first.family, revision=2)
    assert (second.family, second.revision) == (first.family, 2)
