"""Export: JSON loses nothing; GIFT, Moodle XML, CSV and XLSX come back through their importers."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from quizzes.exporters import questions_export
from quizzes.importers import questions_import
from quizzes.models import Question
from quizzes.services import demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_bank(db):
    demo.seed_roles()
    demo.seed_themes()
    demo.seed_users()
    demo.seed_bank()
    return Question.objects.filter(is_current=True)


def export(fmt: str, language: str = "vi") -> bytes:
    return questions_export(
        questions=Question.objects.filter(is_current=True), fmt=fmt, language=language
    )[0]


def wipe() -> None:
    Question.objects.all().delete()


def test_seed_bank_is_idempotent(demo_bank):
    assert demo_bank.count() == 93
    assert set(demo_bank.values_list("status", "visibility", "author__username").distinct()) == {
        ("published", "public", "teacher")
    }
    demo.seed_bank()
    assert Question.objects.count() == 93


def test_json_export_import_export_round_trips_with_nothing_lost(demo_bank, reviewer):
    # A reviewer: the questions are published, which only a reviewer's import keeps (a
    # teacher's comes in unpublished: tests/quizzes/test_import_api.py).
    first = export("json")
    document = json.loads(first)
    assert document["format"] == "citizenquiz-questions"
    assert len(document["questions"]) == 93
    wipe()
    report = questions_import(content=first, filename="bank.json", author=reviewer)
    assert (report.created, report.errors) == (93, [])
    assert export("json") == first


def test_csv_and_xlsx_round_trip_the_whole_demo_bank(demo_bank, reviewer):
    original = json.loads(export("json"))
    for fmt in ("csv", "xlsx"):
        payload = export(fmt)
        wipe()
        report = questions_import(content=payload, filename=f"bank.{fmt}", author=reviewer)
        assert (report.created, report.errors) == (93, []), fmt
        assert json.loads(export("json")) == original, fmt


@pytest.mark.parametrize(("fmt", "filename"), [("gift", "bank.gift"), ("moodle-xml", "bank.xml")])
def test_one_language_formats_keep_every_question_they_can_express(
    demo_bank, teacher, fmt, filename
):
    expressible = demo_bank.exclude(type__in=["order", "poll"])
    expected = {q.text_en: q.type for q in expressible}
    payload = export(fmt, language="en")
    assert b"Not exported" in payload  # order and poll questions are named, not dropped
    wipe()
    report = questions_import(content=payload, filename=filename, author=teacher, language="en")
    assert report.errors == []
    assert report.created == len(expected)
    assert {q.text_en: q.type for q in Question.objects.all()} == expected
    multi = Question.objects.filter(type="multi").first()
    assert multi.choices.filter(weight__lt=0).exists()


def test_export_command_writes_the_file(demo_bank, tmp_path):
    path = tmp_path / "bank.gift"
    out = io.StringIO()
    call_command("export_questions", "--format", "gift", str(path), "--theme", "sdg", stdout=out)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("// CitizenQuiz questions (GIFT)")
    assert "::demo-sdg-" in text
    assert "::demo-digital-" not in text
