"""Kahoot!, Wayground/Quizizz and Blooket templates, filled in as teachers fill them in: good rows
land as our types, bad rows are reported by row number with a translated reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from quizzes.importers import questions_import
from quizzes.models import Question

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load(name: str, **options):
    content = (FIXTURES / name).read_bytes()
    return questions_import(content=content, filename=name, **options)


def by_text(text: str) -> Question:
    return Question.objects.get(text_vi=text, is_current=True)


def weights(question: Question) -> list[tuple[str, float]]:
    return [(c.text_vi, c.weight) for c in question.choices.all()]


def test_kahoot_spreadsheet_template_imports_its_questions_and_reports_bad_rows(teacher):
    report = load("kahoot-lop10-moitruong.xlsx", author=teacher)
    assert report.format == "kahoot"
    assert report.created == 4
    errors = {(e.line, e.message) for e in report.errors}
    assert errors == {
        (12, "Correct answer(s) is empty: give the number of the right answer."),
        (13, "Correct answer(s) names answer 4, which is empty."),
        (15, "The question text is empty."),
    }
    plastic = by_text("Rác thải nhựa mất khoảng bao lâu để phân hủy?")
    assert plastic.type == "single"
    assert plastic.time_limit == 20
    assert weights(plastic)[2] == ("Hàng trăm năm", 1.0)
    water = by_text("Những hành động nào giúp tiết kiệm nước?")
    assert water.type == "multi"
    assert water.time_limit == 30
    assert [w for _t, w in weights(water)] == [0.5, 0.0, 0.5, 0.0]
    amazon = by_text("Rừng Amazon được gọi là “lá phổi xanh” của Trái Đất.")
    assert amazon.type == "truefalse"
    assert [(c.text_vi, c.text_en, c.weight) for c in amazon.choices.all()] == [
        ("Đúng", "True", 1.0),
        ("Sai", "False", 0.0),
    ]
    assert plastic.author == teacher
    assert plastic.text_en == ""


def test_quizizz_template_maps_its_question_types_and_names_what_it_cannot_keep(teacher):
    report = load("quizizz-lop10-sdg.xlsx", author=teacher)
    assert report.format == "quizizz"
    assert report.created == 6
    assert [(e.line, e.message) for e in report.errors] == [
        (7, "Wayground/Quizizz “Open-Ended” questions are not supported."),
        (9, "A Multiple Choice question has one right option; use the Checkbox type for several."),
        (
            12,
            "Unknown Question Type “Matching”: use Multiple Choice, Checkbox, Fill-in-the-Blank "
            "or Poll.",
        ),
    ]
    sdg = by_text("Mục tiêu Phát triển Bền vững số 13 nói về điều gì?")
    assert (sdg.type, sdg.time_limit) == ("single", 30)
    assert sdg.explanation_vi == "SDG 13: Hành động vì khí hậu."
    digital = by_text("Những việc nào thể hiện công dân số có trách nhiệm?")
    assert digital.type == "multi"
    assert [w for _t, w in weights(digital)] == [0.5, 0.0, 0.5]
    who = by_text("Viết tắt tên Tổ chức Y tế Thế giới (tiếng Anh).")
    assert who.type == "text"
    assert who.answer["accepted"] == ["WHO", "W.H.O."]
    assert who.answer["ignore_case"] is True
    poll = by_text("Bạn thích hoạt động tình nguyện nào nhất?")
    assert poll.type == "poll"
    assert {w for _t, w in weights(poll)} == {0.0}
    kieu = by_text("Ai là tác giả “Truyện Kiều”?")  # empty type and time: the vendor's defaults
    assert (kieu.type, kieu.time_limit) == ("single", 30)
    flag = by_text("Quốc kỳ Việt Nam có mấy màu?")
    assert flag.time_limit == 240
    assert {(w.line, w.message) for w in report.warnings} == {
        (8, "The time limit of 600 s is outside 5–240 s: 240 s is used."),
        (8, "The image link is not downloaded: add the image to the question in the editor."),
    }


def test_blooket_csv_template_imports_and_reports_bad_rows(teacher):
    report = load("blooket-lop10-congdan.csv", author=teacher)
    assert report.format == "blooket"
    assert report.created == 4
    assert [(e.line, e.message) for e in report.errors] == [
        (13, "Correct answer(s) is empty: give the number of the right answer."),
        (14, "Correct answer(s) names answer 3, which is empty."),
        (15, "The time limit “hai mươi” is not a whole number of seconds."),
    ]
    renewable = by_text("Những nguồn năng lượng nào là năng lượng tái tạo?")
    assert renewable.type == "multi"
    assert weights(renewable) == [
        ("Mặt trời", 0.5),
        ("Than đá", 0.0),
        ("Gió", 0.5),
        ("Dầu mỏ", 0.0),
    ]
    un = by_text("Liên Hợp Quốc được thành lập năm nào?")
    assert un.time_limit == 240  # Blooket allows 300 s; we keep 240 and say so
    assert [(w.line, w.message) for w in report.warnings] == [
        (10, "The time limit of 300 s is outside 5–240 s: 240 s is used.")
    ]
    assert by_text("Hà Nội là thủ đô của Việt Nam.").type == "truefalse"


def test_vendor_row_errors_are_translated(teacher):
    with translation.override("vi"):
        report = load("blooket-lop10-congdan.csv", author=teacher, dry_run=True)
        messages = [e.message for e in report.errors]
    assert messages[2] == "Thời gian “hai mươi” không phải là một số giây nguyên."


@pytest.mark.parametrize(
    "name", ["kahoot-lop10-moitruong.xlsx", "quizizz-lop10-sdg.xlsx", "blooket-lop10-congdan.csv"]
)
def test_reimporting_a_vendor_template_creates_no_duplicates(teacher, name):
    first = load(name, author=teacher)
    assert first.created >= 4
    again = load(name, author=teacher)
    assert again.created == 0
    assert again.skipped == first.created
    assert Question.objects.count() == first.created


def test_a_file_forced_to_a_vendor_format_without_its_header_is_reported(teacher):
    content = "uid,type,text_vi\nx,single,Câu hỏi\n".encode()
    report = questions_import(content=content, filename="x.csv", fmt="kahoot", author=teacher)
    [error] = report.errors
    assert error.line == 1
    assert "not a Kahoot! template" in error.message
    assert report.created == 0


def test_a_blooket_file_saved_with_semicolons_is_read_too(teacher):
    """Excel set to a European or Vietnamese list separator writes ";" between cells."""
    content = (FIXTURES / "blooket-lop10-congdan.csv").read_text(encoding="utf-8")
    semicolons = content.replace(",", ";")
    semicolons = semicolons.replace('"1;3"', '"1,3"')
    report = questions_import(content=semicolons.encode(), filename="b.csv", author=teacher)
    assert report.format == "blooket"
    assert report.created == 4
    assert len(report.errors) == 3
