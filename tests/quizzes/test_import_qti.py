"""IMS QTI 2.1 packages: an LMS's package imports as our types, unsupported interactions are
named, our own export comes back whole, and hostile zips and XML are refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from quizzes.exporters import questions_export
from quizzes.importers import questions_import
from quizzes.importers.archives import MAX_ENTRY_BYTES
from quizzes.models import Question
from quizzes.services import demo

pytestmark = pytest.mark.django_db

LMS = Path(__file__).resolve().parent / "fixtures" / "qti-lms"


def lms_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(LMS.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(LMS).as_posix())
    return buffer.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def current(uid_prefix: str) -> Question:
    return Question.objects.get(external_id__startswith=uid_prefix + "#", is_current=True)


def test_an_lms_qti_package_imports_every_supported_item_and_names_the_rest(teacher):
    report = questions_import(content=lms_package(), filename="lop10.zip", author=teacher)
    assert report.format == "qti"
    assert report.created == 6
    assert [(e.line, e.name, e.message) for e in report.errors] == [
        (None, "items/i8a02f3.xml", "QTI “matchInteraction” questions are not supported.")
    ]
    capital = current("i4f7a1c")
    assert capital.type == "single"
    assert capital.text_vi == "Thành phố nào là thủ đô của Việt Nam?"  # HTML and &#160; gone
    assert capital.explanation_vi == "Hà Nội là thủ đô từ năm 1976."
    assert [(c.text_vi, c.weight) for c in capital.choices.all()] == [
        ("Hà Nội", 1.0),
        ("Huế", 0.0),
        ("Thành phố Hồ Chí Minh", 0.0),
    ]
    energy = current("i9b20de")
    assert energy.type == "multi"
    assert energy.text_vi == "Những nguồn năng lượng nào là năng lượng tái tạo?"  # the prompt
    assert [c.weight for c in energy.choices.all()] == [0.5, 0.0, 0.5]
    assert current("i0c33aa").type == "truefalse"
    unesco = current("i77e0b1")
    assert unesco.type == "text"
    assert unesco.text_vi == "Tổ chức _____ công nhận Vịnh Hạ Long là di sản thế giới."
    assert unesco.answer["accepted"][0] == "UNESCO"
    assert unesco.answer["ignore_case"] is True
    population = current("i5512fe")
    assert (population.type, population.answer) == ("numeric", {"value": 100, "tolerance": 2})
    order = current("i31d4c8")
    assert order.type == "order"
    assert [c.text_vi for c in order.choices.all()] == ["Xã", "Huyện", "Tỉnh"]  # correct order


def test_our_qti_export_of_the_demo_bank_imports_back_as_the_same_questions(teacher):
    demo.seed_roles()
    demo.seed_themes()
    demo.seed_users()
    demo.seed_bank()
    questions = Question.objects.filter(is_current=True)
    before = {
        q.external_id: (q.type, q.text_vi, [(c.text_vi, c.weight) for c in q.choices.all()],
                        q.answer)
        for q in questions
    }  # fmt: skip
    payload, content_type, filename = questions_export(questions=questions, fmt="qti")
    assert content_type == "application/zip"
    assert filename.endswith(".qti.zip")
    Question.objects.all().delete()
    report = questions_import(content=payload, filename=filename, author=teacher)
    assert report.errors == []
    assert report.created == len(before)
    after = {
        q.external_id: (q.type, q.text_vi, [(c.text_vi, c.weight) for c in q.choices.all()],
                        q.answer)
        for q in Question.objects.filter(is_current=True)
    }  # fmt: skip
    for uid, (qtype, text, choices, answer) in before.items():
        got = after[uid]
        assert got[:3] == (qtype, text, choices), uid
        if qtype == "numeric":
            assert got[3] == answer, uid
        if qtype == "text":
            assert got[3]["accepted"] == answer["accepted"], uid


def test_a_zip_entry_that_climbs_out_of_the_archive_is_refused(teacher):
    package = zip_of(
        {
            "imsmanifest.xml": (LMS / "imsmanifest.xml").read_bytes(),
            "../../etc/evil.xml": b"<assessmentItem/>",
        }
    )
    report = questions_import(content=package, filename="evil.zip", author=teacher)
    assert report.created == 0
    [error] = report.errors
    assert error.message == "The zip file holds an unsafe path: ../../etc/evil.xml"


def test_a_manifest_href_that_climbs_out_of_the_package_is_refused(teacher):
    manifest = (
        b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
        b'<resource identifier="x" type="imsqti_item_xmlv2p1" href="../secret.xml"/>'
        b"</resources></manifest>"
    )
    report = questions_import(
        content=zip_of({"imsmanifest.xml": manifest}), filename="p.zip", author=teacher
    )
    assert [e.message for e in report.errors] == [
        "The zip file holds an unsafe path: ../secret.xml"
    ]


def test_a_zip_bomb_is_refused_before_it_is_inflated(teacher):
    bomb = zip_of(
        {
            "imsmanifest.xml": (LMS / "imsmanifest.xml").read_bytes(),
            "items/i4f7a1c.xml": b"<" + b" " * (MAX_ENTRY_BYTES + 10) + b">",
        }
    )
    assert len(bomb) < 100_000  # tiny on the wire, 20 MB unpacked
    report = questions_import(content=bomb, filename="bomb.zip", author=teacher)
    assert report.created == 0
    assert [e.message for e in report.errors] == [
        "The zip file unpacks to far more data than it holds (a zip bomb?): refused."
    ]


def test_an_xml_external_entity_is_refused_and_nothing_is_read(teacher, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    item = (
        f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x">'
        "<itemBody><p>&xxe;</p></itemBody></assessmentItem>"
    ).encode()
    for content, name in ((item, "item.xml"), (_package_with(item), "p.zip")):
        report = questions_import(content=content, filename=name, author=teacher)
        assert report.created == 0
        assert [e.message for e in report.errors] == [
            "This XML file uses features we refuse to read (entities)."
        ]
    assert not Question.objects.filter(text_vi__contains="TOP-SECRET").exists()
    assert not Question.objects.filter(text_en__contains="TOP-SECRET").exists()


def test_a_billion_laughs_item_is_refused(teacher):
    item = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<assessmentItem><itemBody><p>&lol2;</p></itemBody></assessmentItem>"
    )
    report = questions_import(content=item, filename="lol.xml", author=teacher)
    assert report.format == "qti"
    assert report.created == 0
    assert "refuse" in report.errors[0].message


def test_qti_12_is_named_rather_than_misread(teacher):
    report = questions_import(
        content=b'<?xml version="1.0"?><questestinterop><item ident="a"/></questestinterop>',
        filename="canvas.xml",
        author=teacher,
    )
    assert [e.message for e in report.errors] == [
        "This is QTI 1.2: export the questions as QTI 2.1 instead."
    ]


def _package_with(item: bytes) -> bytes:
    manifest = (
        b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
        b'<resource identifier="x" type="imsqti_item_xmlv2p1" href="items/x.xml"/>'
        b"</resources></manifest>"
    )
    return zip_of({"imsmanifest.xml": manifest, "items/x.xml": item})


def test_the_export_api_serves_a_qti_package_that_imports_back(api_client, teacher):
    from quizzes.services.questions import question_create

    question_create(
        data={"uid": "sdg-13", "type": "single", "text": {"vi": "SDG 13 là gì?", "en": ""},
              "choices": [{"text": {"vi": "Khí hậu", "en": ""}, "weight": 1.0},
                          {"text": {"vi": "Giáo dục", "en": ""}, "weight": 0.0}]},
        author=teacher,
    )  # fmt: skip
    api_client.force_authenticate(teacher)
    response = api_client.get("/api/questions/export/?format=qti&language=vi")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="citizenquiz-questions.qti.zip"' in response["Content-Disposition"]
    report = questions_import(content=response.content, author=teacher)
    assert (report.format, report.skipped, report.errors) == ("qti", 1, [])
