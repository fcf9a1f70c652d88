"""Import errors read in the interface's language, without the parser library's English."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "bad.xml",
            b"<quiz>\n<question type='multichoice'>&bogus;</quiz>",
            "XML không đúng cấu trúc (dòng 2, cột 30).",
        ),
        ("bad.json", b'[\n  {"type": ', "Đây không phải là JSON hợp lệ (dòng 2, cột 12)."),
    ],
)
def test_a_broken_file_is_reported_in_vietnamese_with_its_line_and_column(
    api_client, teacher, name, content, expected
):
    api_client.force_authenticate(teacher)
    response = api_client.post(
        "/api/questions/import/",
        {"file": SimpleUploadedFile(name, content), "dry_run": "true"},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert [e["message"] for e in response.json()["errors"]] == [expected]
