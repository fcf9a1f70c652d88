"""REST import and export: teachers only, shared error shape, report JSON, file downloads."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quizzes.models import Question
from tests.factories import make_question

pytestmark = pytest.mark.django_db

GIFT = b"::good::Is Ha Noi the capital? {T}\n\n::bad::Broken {=a ~%33%b}\n"


def upload(client, content=GIFT, name="bank.gift", **fields):
    return client.post(
        "/api/questions/import/",
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


@pytest.mark.parametrize("who", [None, "student"])
def test_anonymous_and_students_get_403_in_the_shared_shape(api_client, who, request):
    if who:
        api_client.force_authenticate(request.getfixturevalue(who))
    for response in (upload(api_client), api_client.get("/api/questions/export/?format=gift")):
        assert response.status_code == 403
        assert set(response.json()) == {"code", "message", "details"}
    assert Question.objects.count() == 0


def test_teacher_import_returns_the_report_with_line_errors(api_client, teacher):
    api_client.force_authenticate(teacher)
    response = upload(api_client)
    assert response.status_code == 200
    report = response.json()
    assert report["created"] == 1
    assert report["skipped"] == 0
    assert report["errors"] == [
        {"line": 3, "name": "bad", "message": report["errors"][0]["message"]}
    ]
    assert "Invalid grade 33%" in report["errors"][0]["message"]
    assert report["preview"][0]["name"] == "good"
    assert Question.objects.get().author == teacher


def test_dry_run_writes_nothing_and_reimport_skips(api_client, teacher):
    api_client.force_authenticate(teacher)
    assert upload(api_client, dry_run="true").json()["created"] == 1
    assert Question.objects.count() == 0
    upload(api_client)
    assert upload(api_client).json()["skipped"] == 1
    assert Question.objects.count() == 1


def test_teacher_cannot_import_as_published_but_a_reviewer_can(api_client, teacher, reviewer):
    api_client.force_authenticate(teacher)
    response = upload(api_client, status="published")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    api_client.force_authenticate(reviewer)
    assert upload(api_client, status="published").json()["created"] == 1
    assert Question.objects.get().status == "published"


def test_a_files_own_published_status_publishes_only_for_a_reviewer(api_client, teacher, reviewer):
    """A teacher's JSON file whose questions said "status": "published" skipped review, and a
    contest round's draw rules then drew them. They now come in as the import's status."""
    body = json.dumps(
        [
            {
                "type": "truefalse",
                "text": {"vi": "Hà Nội là thủ đô?", "en": "Is Ha Noi the capital?"},
                "choices": [{"text": "Đúng", "weight": 1}, {"text": "Sai", "weight": 0}],
                "status": "published",
            }
        ]
    ).encode()
    api_client.force_authenticate(teacher)
    report = upload(api_client, content=body, name="bank.json").json()
    assert report["created"] == 1
    assert Question.objects.get().status == "draft"
    assert any("only reviewers may publish" in w["message"] for w in report["warnings"])
    api_client.force_authenticate(reviewer)
    Question.objects.all().delete()
    assert upload(api_client, content=body, name="bank.json").json()["created"] == 1
    assert Question.objects.get().status == "published"


def test_unknown_format_is_a_400_in_the_shared_shape(api_client, teacher):
    api_client.force_authenticate(teacher)
    response = upload(api_client, content=b"hello", name="notes.bin")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_format"


def test_export_downloads_only_what_the_teacher_can_see(api_client, teacher, reviewer):
    mine = make_question(author=teacher, status="draft", text_en="My draft")
    make_question(author=reviewer, status="draft", text_en="Someone else's draft")
    public = make_question(author=reviewer, status="published", text_en="Public one")
    api_client.force_authenticate(teacher)
    response = api_client.get("/api/questions/export/?format=json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    texts = {q["text"]["en"] for q in json.loads(response.content)["questions"]}
    assert texts == {"My draft", "Public one"}
    response = api_client.get(f"/api/questions/export/?format=gift&language=en&ids={mine.pk}")
    assert b"My draft" in response.content
    assert b"Public one" not in response.content
    assert public.pk


@pytest.mark.parametrize("fmt", ["gift", "moodle-xml", "csv", "xlsx"])
def test_export_formats_download_as_files(api_client, teacher, fmt):
    make_question(author=teacher)
    api_client.force_authenticate(teacher)
    response = api_client.get(f"/api/questions/export/?format={fmt}")
    assert response.status_code == 200
    assert len(response.content) > 50


def test_export_unknown_format_is_reported(api_client, teacher):
    api_client.force_authenticate(teacher)
    response = api_client.get("/api/questions/export/?format=pdf")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_format"


def test_import_and_export_are_in_the_openapi_schema(api_client):
    response = api_client.get("/api/schema/?format=json")
    paths = json.loads(response.content)["paths"] if response.status_code == 200 else {}
    if not paths:
        from drf_spectacular.generators import SchemaGenerator

        paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "post" in paths["/api/questions/import/"]
    assert "get" in paths["/api/questions/export/"]


@pytest.mark.parametrize("field", ["language", "status", "format"])
def test_an_empty_choice_is_refused_not_taken_for_the_default(api_client, teacher, field):
    """A form field sent empty is not "not sent": importing with `language=""` must not quietly
    import as "auto" (found by the schema fuzzer), nor an empty status or format."""
    api_client.force_authenticate(teacher)
    response = upload(api_client, **{field: ""})
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert not Question.objects.exists()
