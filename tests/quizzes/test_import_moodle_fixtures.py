"""Moodle's own GIFT and XML test fixtures import the way Moodle reads them."""

from __future__ import annotations

import pytest

from quizzes.importers import questions_import
from quizzes.models import Question
from tests.shared import shared_dir

pytestmark = pytest.mark.django_db

MOODLE = shared_dir() / "fixtures" / "moodle"


@pytest.fixture
def gift_report(teacher):
    content = (MOODLE / "questions.gift.txt").read_bytes()
    return questions_import(content=content, filename="questions.gift.txt", author=teacher)


def question(uid: str) -> Question:
    return Question.objects.get(external_id=uid, is_current=True)


def feedback(q: Question) -> list[str]:
    return [c.feedback_en for c in q.choices.all()]


def test_gift_fixture_imports_every_supported_question_and_names_the_rest(gift_report):
    assert gift_report.created == 6
    assert gift_report.skipped == 1  # "2-08 TSL" appears twice with the same content
    errors = {(e.line, e.name): e.message for e in gift_report.errors}
    assert errors == {
        (2, "Q8"): "Essay questions are not supported.",
        (5, "Moodle activities"): "Matching questions are not supported.",
    }


def test_gift_single_choice_keeps_per_answer_feedback_without_format_markers(gift_report):
    q2 = question("Q2")
    assert q2.type == "single"
    assert q2.text_en == "What's between orange and green in the spectrum?"
    assert [(c.text_en, c.weight) for c in q2.choices.all()] == [
        ("yellow", 1.0),
        ("red", 0.0),
        ("blue", 0.0),
    ]
    assert feedback(q2) == ["right; good!", "wrong, it's yellow", "wrong, it's yellow"]


def test_gift_percent_weights_make_a_multiple_answer_question(gift_report):
    colours = question("colours")
    assert colours.type == "multi"
    assert [(c.text_en, c.weight) for c in colours.choices.all()] == [
        ("yellow", 0.5),
        ("red", -1.0),
        ("off-beige", 0.5),
        ("blue", -1.0),
    ]
    assert feedback(colours) == ["right; good!", "wrong", "right; good!", "wrong"]


def test_gift_numeric_tolerance_and_wrong_answer_feedback(gift_report):
    q5 = question("Q5")
    assert q5.type == "numeric"
    assert q5.answer["value"] == 3
    assert q5.answer["tolerance"] == 2
    assert q5.answer["feedback"][-1]["answer"] == "*"
    assert q5.answer["feedback"][-1]["feedback"]["en"] == "Completely wrong"
    assert q5.text_en == "What is a number from 1 to 5?"
    assert any(w.name == "Q5" and "stray text" in w.message for w in gift_report.warnings)


def test_gift_short_answer_accepts_full_marks_and_reports_partial_credit(gift_report):
    short = question("Shortanswer")
    assert short.type == "text"
    assert short.answer["accepted"] == ["Frog"]
    kept = {r["answer"]: (r["weight"], r["feedback"]["en"]) for r in short.answer["feedback"]}
    assert kept["Cat"] == (0.5, "What is it with Moodlers and cats?")
    assert kept["*"] == (0.0, "Completely wrong")
    assert any("Cat" in w.message and "50" in w.message for w in gift_report.warnings)


def test_gift_true_false_maps_right_and_wrong_feedback_and_general_feedback(gift_report):
    q1 = question("Q1")
    assert q1.type == "truefalse"
    choices = {c.text_en: c for c in q1.choices.all()}
    assert choices["False"].weight == 1.0
    assert choices["True"].weight == 0.0
    assert choices["False"].feedback_en == "You gave the right answer."
    assert choices["True"].feedback_en == "42 is the Ultimate Answer."
    assert q1.explanation_en.startswith("This is, of course")


def test_gift_short_true_false_forms_are_one_question(gift_report):
    tsl = Question.objects.filter(external_id="2-08 TSL")
    assert tsl.count() == 1
    assert [c.weight for c in tsl.get().choices.all()] == [1.0, 0.0]


def test_reimporting_the_gift_fixture_creates_no_duplicates(gift_report, teacher):
    again = questions_import(
        content=(MOODLE / "questions.gift.txt").read_bytes(),
        filename="questions.gift.txt",
        author=teacher,
    )
    assert (again.created, again.updated, again.skipped) == (0, 0, 7)
    assert Question.objects.count() == 6


def test_moodle_xml_invalid_grade_is_reported_and_nothing_is_written(teacher):
    report = questions_import(
        content=(MOODLE / "error_invalid_grades.xml").read_bytes(),
        filename="error_invalid_grades.xml",
        author=teacher,
    )
    assert report.created == 0
    [error] = report.errors
    assert error.line == 4
    assert error.name == "Question with invalid grades : x > 1 & x < 2"
    assert "Invalid grade 33%" in error.message
    assert Question.objects.count() == 0


def test_moodle_xml_with_valid_grades_imports_html_as_plain_text(teacher):
    content = (
        (MOODLE / "error_invalid_grades.xml")
        .read_text()
        .replace('fraction="33"', 'fraction="33.33333"')
    )
    report = questions_import(content=content.encode(), filename="fixed.xml", author=teacher)
    assert report.created == 1, report.errors
    q = Question.objects.get()
    assert q.type == "multi"
    assert q.text_en == "Select all prime numbers :"
    assert [c.text_en for c in q.choices.all()] == ["1", "2", "3", "4", "5"]
    assert [round(c.weight, 4) for c in q.choices.all()] == [-0.5, 0.3333, 0.3333, -0.5, 0.3333]
