"""Importing each format: bad blocks are reported by line, good ones land, re-import is idempotent."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from quizzes.importers import questions_import
from quizzes.models import Question
from tests.factories import make_theme

pytestmark = pytest.mark.django_db

GIFT_WITH_BAD_BLOCK = """// two good questions and a bad one
::capital::What is the capital of Viet Nam? {=Hà Nội ~Huế ~Đà Nẵng}

::broken::How many SDGs are there? {=17 ~%33%16

::sdg-count::How many Sustainable Development Goals are there? {#17}
"""


def gift(content: str, **options):
    return questions_import(content=content.encode(), filename="bank.gift", **options)


def test_gift_bad_block_is_reported_with_its_line_and_the_good_ones_are_imported(teacher):
    report = gift(GIFT_WITH_BAD_BLOCK, author=teacher)
    assert report.created == 2
    [error] = report.errors
    assert (error.line, error.name) == (4, "broken")
    assert "not closed" in error.message
    capital = Question.objects.get(external_id="capital")
    assert capital.text_vi == "What is the capital of Viet Nam?"  # Vietnamese answers: vi file
    assert capital.author == teacher
    assert capital.status == "draft"


def test_atomic_import_writes_nothing_when_a_block_is_bad(teacher):
    report = gift(GIFT_WITH_BAD_BLOCK, author=teacher, atomic=True)
    assert report.rolled_back
    assert report.created == 0
    assert len(report.errors) == 1
    assert Question.objects.count() == 0


def test_dry_run_previews_without_writing(teacher):
    report = gift(GIFT_WITH_BAD_BLOCK, author=teacher, dry_run=True)
    assert report.created == 2
    assert [p["name"] for p in report.preview] == ["capital", "sdg-count"]
    assert Question.objects.count() == 0


def test_a_question_that_fails_to_save_leaves_no_half_written_rows(teacher, monkeypatch):
    from quizzes.models import Choice

    original = Choice.objects.bulk_create

    def fail_for_huế(objs, *args, **kwargs):
        if any("Huế" in c.text_vi for c in objs):
            raise RuntimeError("disk full")
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Choice.objects, "bulk_create", fail_for_huế)
    report = gift(GIFT_WITH_BAD_BLOCK, author=teacher)
    assert report.created == 1
    assert {e.name for e in report.errors} == {"broken", "capital"}
    assert not Question.objects.filter(external_id="capital").exists()


def test_changed_question_on_reimport_becomes_a_new_revision(teacher):
    gift(GIFT_WITH_BAD_BLOCK, author=teacher)
    changed = GIFT_WITH_BAD_BLOCK.replace("~Huế", "~Hải Phòng")
    report = gift(changed, author=teacher)
    assert (report.created, report.updated, report.skipped) == (0, 1, 1)
    revisions = Question.objects.filter(external_id="capital").order_by("revision")
    assert [(q.revision, q.is_current) for q in revisions] == [(1, False), (2, True)]
    assert revisions[0].family == revisions[1].family


def test_gift_without_titles_deduplicates_by_content(teacher):
    content = "What is 2 + 2? {#4}\n\nTrue? {T}\n"
    assert gift(content, author=teacher).created == 2
    assert gift(content, author=teacher).skipped == 2
    assert Question.objects.count() == 2


def test_gift_escapes_categories_and_descriptions(teacher):
    content = (
        "$CATEGORY: $course$/top/Citizenship\n\n"
        "::esc::Is 1\\:1 a ratio \\{yes\\}? {=yes\\#1 ~no}\n\n"
        "::intro::Welcome to the quiz!\n"
    )
    report = gift(content, author=teacher, language="en")
    assert report.created == 2, report.errors
    esc = Question.objects.get(external_id="esc")
    assert esc.text_en == "Is 1:1 a ratio {yes}?"
    assert [c.text_en for c in esc.choices.all()] == ["yes#1", "no"]
    assert list(esc.tags.values_list("name", flat=True)) == ["Citizenship"]
    assert Question.objects.get(external_id="intro").type == "slide"


def test_gift_numeric_range_and_unknown_answer_block(teacher):
    content = "::range::Pick a number from 1 to 5 {#1..5}\n\n::odd::What? {hello}\n"
    report = gift(content, author=teacher)
    assert Question.objects.get(external_id="range").answer == {"min": 1, "max": 5}
    [error] = report.errors
    assert error.line == 3
    assert "not one GIFT knows" in error.message


def test_aiken_imports_and_reports_a_missing_answer_line(teacher):
    content = (
        "Which SDG is about climate action?\nA. SDG 4\nB. SDG 13\nC) SDG 1\nANSWER: B\n\n"
        "A question without its answer\nA. yes\nB. no\n\n"
        "Which ocean is the largest?\nA. Pacific\nB. Atlantic\nANSWER: E\n"
    )
    report = questions_import(
        content=content.encode(), filename="q.txt", fmt="aiken", author=teacher
    )
    assert report.created == 1
    q = Question.objects.get()
    assert [(c.text_en, c.weight) for c in q.choices.all()] == [
        ("SDG 4", 0.0),
        ("SDG 13", 1.0),
        ("SDG 1", 0.0),
    ]
    assert [(e.line, e.message[:30]) for e in report.errors] == [
        (7, "The question has no “ANSWER:” "),
        (11, "The answer “E” is not one of t"),
    ]


CSV_TEMPLATE = """uid,type,theme,text_vi,text_en,tags,choices_vi,choices_en,weights,answer,answer_options
c1,single,sdg,Thủ đô của Việt Nam?,Capital of Viet Nam?,"geo, vn",Hà Nội | Huế,Ha Noi | Hue,A,,
c2,multi,,Số nguyên tố?,Primes?,,2 | 3 | 4,2 | 3 | 4,"A,B",,
c3,text,,Viết tắt của UNESCO?,UNESCO acronym?,,,,,UNESCO | Unesco,ignore_case ignore_diacritics
c4,numeric,,Năm?,Year?,,,,,1996:1,
c5,truefalse,,Trái Đất tròn?,The Earth is round?,,,,,đúng,
c6,single,,Thiếu đáp án đúng,No right answer,,a | b,a | b,0|0,,
c7,numeric,,Sai số,Bad number,,,,,abc,
"""


def test_csv_template_rows_import_and_bad_rows_are_reported_by_line(teacher):
    make_theme("sdg")
    report = questions_import(content=CSV_TEMPLATE.encode(), filename="bank.csv", author=teacher)
    assert report.created == 5
    assert [(e.line, e.name) for e in report.errors] == [(7, "c6"), (8, "c7")]
    assert "weight 1" in report.errors[0].message
    c1 = Question.objects.get(external_id="c1")
    assert c1.theme.slug == "sdg"
    assert [(c.text_vi, c.text_en, c.weight) for c in c1.choices.all()] == [
        ("Hà Nội", "Ha Noi", 1.0),
        ("Huế", "Hue", 0.0),
    ]
    assert [c.weight for c in Question.objects.get(external_id="c2").choices.all()] == [0.5, 0.5, 0]
    assert Question.objects.get(external_id="c3").answer == {
        "accepted": ["UNESCO", "Unesco"],
        "ignore_case": True,
        "ignore_diacritics": True,
        "ignore_spaces": False,
    }
    assert Question.objects.get(external_id="c4").answer == {"value": 1996, "tolerance": 1}
    c5 = Question.objects.get(external_id="c5")
    assert [(c.text_vi, c.weight) for c in c5.choices.all()] == [("Đúng", 1.0), ("Sai", 0.0)]


def test_csv_with_semicolons_and_unknown_columns(teacher):
    semicolons = "type;text_en;answer\ntext;Say hi;hi\n"
    assert (
        questions_import(content=semicolons.encode(), filename="a.csv", author=teacher).created == 1
    )
    unknown = "type,text_en,colour\nslide,Hello,red\n"
    report = questions_import(content=unknown.encode(), filename="b.csv", author=teacher)
    assert report.errors[0].line == 1
    assert "colour" in report.errors[0].message


def test_xlsx_imports_the_same_columns(teacher):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["type", "text_vi", "text_en", "choices_en", "weights", "difficulty"])
    book.active.append(["single", "Câu hỏi", "Question", "a | b | c", "0|1|0", 3])
    book.active.append(["numeric", "Số?", "Number?", None, None, "x"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = questions_import(content=buffer.getvalue(), filename="bank.xlsx", author=teacher)
    assert report.created == 1
    assert report.errors[0].line == 3
    assert "whole number" in report.errors[0].message
    assert Question.objects.get().difficulty == 3


def test_json_reports_invalid_questions_by_uid_and_line(teacher):
    document = {
        "format": "citizenquiz-questions",
        "version": 1,
        "questions": [
            {"uid": "ok", "type": "slide", "text": {"vi": "Xin chào", "en": "Hello"}},
            {"uid": "bad", "type": "single", "text": {"vi": "?", "en": "?"}, "choices": []},
        ],
    }
    content = json.dumps(document, indent=2).encode()
    report = questions_import(content=content, filename="bank.json", author=teacher)
    assert report.created == 1
    [error] = report.errors
    assert error.name == "bad"
    assert error.line == 14
    assert "two choices" in error.message


def test_garbage_file_is_reported_not_raised(teacher):
    report = questions_import(content=b"\x00\xff{{{}}}::::", filename="x.gift", author=teacher)
    assert report.created == 0
    assert report.errors


def test_command_prints_errors_and_summary_and_exits_non_zero(teacher, tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(GIFT_WITH_BAD_BLOCK, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_questions", str(path), "--author", teacher.username, stdout=out, stderr=err
        )
    assert exit_info.value.code == 1
    assert "line 4 “broken”" in err.getvalue()
    assert "2 created" in out.getvalue()
    assert "1 rejected" in out.getvalue()


def test_command_dry_run_on_a_clean_file_succeeds_and_writes_nothing(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text("::a::Hello {T}\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_questions", str(path), "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert "1 created" in out.getvalue()
    assert Question.objects.count() == 0


def test_command_reports_progress_for_long_imports(tmp_path):
    path = tmp_path / "long.gift"
    path.write_text(
        "\n\n".join(f"::q{i}::Question {i}? {{T}}" for i in range(250)), encoding="utf-8"
    )
    out = io.StringIO()
    call_command("import_questions", str(path), "--status", "published", stdout=out)
    assert "... 100/250 questions" in out.getvalue()
    assert "... 250/250" in out.getvalue()
    assert Question.objects.filter(status="published").count() == 250
