"""One detection, by content first: the API, the command and the wizard (which calls the API)
all read a file as what it is, whatever its extension says."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from core.errors import ApplicationError
from quizzes.exporters import qti as qti_export
from quizzes.exporters import tabular as tabular_export
from quizzes.importers import detect_format

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GIFT = "::capital::Thủ đô của Việt Nam? {=Hà Nội ~Huế}\n".encode()
AIKEN = "Thủ đô của Việt Nam là?\nA. Huế\nB. Hà Nội\nANSWER: B\n".encode()
MOODLE = b'<?xml version="1.0"?>\n<!-- exported -->\n<quiz><question type="truefalse"/></quiz>'
QTI_ITEM = (
    b'<?xml version="1.0"?><assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>'
)
ITEM = {"uid": "q1", "type": "slide", "text": {"vi": "Chào mừng", "en": ""}}


def kahoot_as_csv() -> bytes:
    """What a teacher gets by saving Kahoot's xlsx template as CSV."""
    book = load_workbook(FIXTURES / "kahoot-lop10-moitruong.xlsx", read_only=True)
    buffer = io.StringIO()
    for row in book.worksheets[0].iter_rows(values_only=True):
        buffer.write(",".join('"' + str(v or "").replace('"', '""') + '"' for v in row) + "\n")
    return buffer.getvalue().encode()


CASES = [
    ("a .csv that is a Kahoot template", "quiz.csv", kahoot_as_csv, "kahoot"),
    ("an .xlsx of Quizizz", "quiz.xlsx", lambda: (FIXTURES / "quizizz-lop10-sdg.xlsx").read_bytes(), "quizizz"),
    ("a Blooket .csv named .xlsx", "quiz.xlsx", lambda: (FIXTURES / "blooket-lop10-congdan.csv").read_bytes(), "blooket"),
    ("a .zip of QTI", "lms.zip", lambda: qti_export.render([ITEM]), "qti"),
    ("a QTI package without a name", "", lambda: qti_export.render([ITEM]), "qti"),
    ("an .xml that is Moodle XML", "quiz.xml", lambda: MOODLE, "moodle-xml"),
    ("an .xml that is a QTI item", "quiz.xml", lambda: QTI_ITEM, "qti"),
    ("a .txt that is GIFT", "quiz.txt", lambda: GIFT, "gift"),
    ("a .txt that is Aiken", "quiz.txt", lambda: AIKEN, "aiken"),
    ("our CSV template named .txt", "bank.txt", lambda: tabular_export.render_csv([]), "csv"),
    ("our XLSX template", "bank.xlsx", lambda: tabular_export.render_xlsx([]), "xlsx"),
    ("a .gift file", "bank.gift", lambda: GIFT, "gift"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("filename", "make", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_format_is_detected_from_the_content(filename, make, expected):
    assert detect_format(filename, make()) == expected


def test_an_unknown_file_is_refused_with_the_list_of_formats():
    with pytest.raises(ApplicationError) as error:
        detect_format("notes.txt", "Chỉ là ghi chú.".encode())
    assert error.value.code == "unknown_format"
    assert "kahoot" in str(error.value.message)


def test_a_broken_zip_falls_back_on_its_name_and_is_reported_as_damaged(teacher):
    from quizzes.importers import questions_import

    report = questions_import(content=b"PK\x03\x04garbage", filename="lms.zip", author=teacher)
    assert report.format == "qti"
    assert [e.message for e in report.errors] == ["This zip file is damaged or not a zip file."]


def test_the_api_detects_a_kahoot_csv_by_its_content(api_client, teacher):
    api_client.force_authenticate(teacher)
    response = api_client.post(
        "/api/questions/import/",
        {"file": SimpleUploadedFile("quiz.csv", kahoot_as_csv()), "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 200
    report = response.json()
    assert (report["format"], report["created"]) == ("kahoot", 4)
    assert [e["line"] for e in report["errors"]] == [12, 13, 15]


def test_the_command_detects_a_qti_package_by_its_content(teacher, tmp_path):
    path = tmp_path / "download"  # no extension at all
    path.write_bytes(qti_export.render([ITEM]))
    out = io.StringIO()
    call_command("import_questions", str(path), "--author", teacher.username, stdout=out)
    assert "qti: 1 found, 1 created" in out.getvalue()


def test_the_export_command_writes_a_qti_package(teacher, tmp_path):
    from quizzes.services.questions import question_create

    question_create(data=dict(ITEM), author=teacher)
    path = tmp_path / "bank.zip"
    call_command("export_questions", str(path), "--format", "qti", stdout=io.StringIO())
    with zipfile.ZipFile(path) as archive:
        assert "imsmanifest.xml" in archive.namelist()
        assert any(n.startswith("items/") for n in archive.namelist())
