"""The question bank's REST API: CRUD, revisions, workflow, search, filters, bulk, images."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from quizzes.models import Question, Quiz, QuizItem
from tests.factories import make_question, make_theme, make_user
from tests.quizzes.bank_helpers import single_choice_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def theme():
    return make_theme("sdg")


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_teacher_creates_a_draft_question_in_both_languages(api_client, teacher, theme):
    response = as_user(api_client, teacher).post(
        "/api/questions/", single_choice_data(status="published"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["author"] == "teacher1"
    assert body["text"] == {"vi": "Công dân toàn cầu là gì?", "en": "What is a global citizen?"}
    assert [c["weight"] for c in body["data"]["choices"]] == [1.0, 0.0]
    assert body["can"] == {"edit": True, "submit": True, "publish": False, "archive": True}


def test_invalid_question_is_refused_with_every_problem_listed(api_client, teacher, theme):
    data = single_choice_data(choices=[{"text": {"en": "Only one"}, "weight": 0.5}], difficulty=9)

    response = as_user(api_client, teacher).post("/api/questions/", data, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_question"
    assert any("difficulty" in problem for problem in body["details"])
    assert any("two choices" in problem for problem in body["details"])


def test_editing_a_draft_keeps_its_id(api_client, teacher, theme):
    client = as_user(api_client, teacher)
    created = client.post("/api/questions/", single_choice_data(), format="json").json()

    edited = client.put(
        f"/api/questions/{created['id']}/",
        single_choice_data(text={"vi": "Câu mới", "en": "New text"}, tags=["new"]),
        format="json",
    ).json()

    assert edited["id"] == created["id"]
    assert edited["revision"] == 1
    assert edited["text"]["en"] == "New text"
    assert edited["tags"] == ["new"]
    assert Question.objects.count() == 1
    assert Question.objects.get().choices.count() == 2


def test_editing_a_published_question_creates_a_new_revision(api_client, teacher, theme):
    old = make_question(author=teacher, theme=theme, text_en="Old")
    quiz = Quiz.objects.create(title="Used", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=old)

    response = as_user(api_client, teacher).patch(
        f"/api/questions/{old.pk}/", {"text": {"vi": "Mới", "en": "New"}}, format="json"
    )

    assert response.status_code == 200, response.json()
    new = response.json()
    old.refresh_from_db()
    assert new["id"] != old.pk
    assert (new["revision"], new["status"], new["is_current"]) == (2, "draft", True)
    assert new["family"] == str(old.family)
    assert (old.is_current, old.text_en, old.status) == (False, "Old", "published")
    assert quiz.items.get().question_id == old.pk
    revisions = api_client.get(f"/api/questions/{new['id']}/revisions/").json()
    assert [r["revision"] for r in revisions] == [2, 1]


def test_old_revision_cannot_be_edited(api_client, teacher, theme):
    old = make_question(author=teacher, is_current=False)

    response = as_user(api_client, teacher).put(
        f"/api/questions/{old.pk}/", single_choice_data(), format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_current"


def test_review_workflow_submit_publish_and_send_back(api_client, teacher, reviewer, theme):
    question = make_question(author=teacher, status="draft")

    submitted = as_user(api_client, teacher).post(f"/api/questions/{question.pk}/submit/")
    self_publish = api_client.post(f"/api/questions/{question.pk}/publish/")
    sent_back = as_user(api_client, reviewer).post(
        f"/api/questions/{question.pk}/reject/", {"note": "Add a source"}, format="json"
    )
    as_user(api_client, teacher).post(f"/api/questions/{question.pk}/submit/")
    published = as_user(api_client, reviewer).post(f"/api/questions/{question.pk}/publish/")

    assert submitted.json()["status"] == "review"
    assert self_publish.status_code == 403
    assert sent_back.json()["status"] == "draft"
    assert sent_back.json()["review_note"] == "Add a source"
    assert published.json()["status"] == "published"
    assert published.json()["reviewed_by"] == "reviewer1"
    assert published.json()["review_note"] == ""


def test_publishing_a_draft_is_an_invalid_transition_for_reviewers(api_client, reviewer):
    question = make_question(author=reviewer, status="draft")

    response = as_user(api_client, reviewer).post(f"/api/questions/{question.pk}/publish/")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_bulk_publish_and_archive_report_each_question(api_client, reviewer, teacher):
    in_review = [make_question(author=teacher, status="review") for _ in range(2)]
    draft = make_question(author=teacher, status="draft")
    client = as_user(api_client, reviewer)

    result = client.post(
        "/api/questions/bulk/",
        {"action": "publish", "ids": [q.pk for q in in_review] + [draft.pk, 999999]},
        format="json",
    ).json()
    archived = client.post(
        "/api/questions/bulk/", {"action": "archive", "ids": [in_review[0].pk]}, format="json"
    ).json()

    assert result["done"] == [q.pk for q in in_review]
    assert {f["id"]: f["code"] for f in result["failed"]} == {
        draft.pk: "not_found",  # a reviewer cannot see another teacher's draft
        999999: "not_found",
    }
    assert archived == {"done": [in_review[0].pk], "failed": []}
    assert Question.objects.get(pk=in_review[0].pk).status == "archived"


def test_search_finds_vietnamese_with_or_without_diacritics(api_client, teacher):
    wanted = make_question(text_vi="Thế nào là công dân toàn cầu?", text_en="Global citizen?")
    make_question(text_vi="Biến đổi khí hậu", text_en="Climate change")
    client = as_user(api_client, teacher)

    plain = client.get("/api/questions/", {"q": "cong dan toan cau"}).json()
    accented = client.get("/api/questions/", {"q": "Công Dân toàn cầu"}).json()

    assert [r["id"] for r in plain["results"]] == [wanted.pk]
    assert [r["id"] for r in accented["results"]] == [wanted.pk]


def test_search_matches_tags_and_source(api_client, teacher, theme):
    client = as_user(api_client, teacher)
    client.post(
        "/api/questions/",
        single_choice_data(tags=["biến đổi khí hậu"], source="WWF"),
        format="json",
    )

    by_tag = client.get("/api/questions/", {"q": "bien doi", "author": "me"}).json()
    by_source = client.get("/api/questions/", {"q": "wwf", "author": "me"}).json()

    assert by_tag["count"] == 1
    assert by_source["count"] == 1


def test_filters_by_theme_type_difficulty_tag_language_status(api_client, organiser, teacher):
    sdg, other = make_theme("sdg"), make_theme("other")
    client = as_user(api_client, organiser)
    target = make_question(theme=sdg, type="truefalse", difficulty=4, text_en="")
    target.tags.create(name="water")
    make_question(theme=other, type="truefalse", difficulty=4, text_en="")
    make_question(theme=sdg, type="single", difficulty=4, text_en="")
    make_question(theme=sdg, type="truefalse", difficulty=1, text_en="")
    make_question(theme=sdg, type="truefalse", difficulty=4, status="draft", author=teacher)

    def ids(**params):
        return [r["id"] for r in client.get("/api/questions/", params).json()["results"]]

    assert target.pk in ids(theme="sdg", type="truefalse", difficulty=4, status="published")
    assert len(ids(theme="sdg", type="truefalse", difficulty=4, status="published")) == 1
    assert ids(tag="water") == [target.pk]
    assert target.pk not in ids(language="en")
    assert len(ids(difficulty_min=4, difficulty_max=5)) == 4
    assert len(ids(author="teacher1")) == 1
    assert len(ids(visibility="private")) == 0


def test_list_is_paginated(api_client, teacher):
    for n in range(25):
        make_question(text_en=f"Question {n}")

    first = as_user(api_client, teacher).get("/api/questions/").json()
    second = api_client.get(first["next"]).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert len(second["results"]) == 5


def test_question_list_query_count_does_not_grow_with_rows(
    api_client, teacher, django_assert_num_queries
):
    theme = make_theme("sdg")
    for n in range(30):
        question = make_question(theme=theme, author=teacher, text_en=f"Q{n}")
        question.tags.create(name=f"tag{n}")
    teacher = type(teacher).objects.get(pk=teacher.pk)
    client = as_user(api_client, teacher)

    # roles, school, count, page (with theme and author), tags
    with django_assert_num_queries(5):
        response = client.get("/api/questions/", {"theme": "sdg"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


def test_deleting_a_draft_and_refusing_to_delete_published(api_client, teacher):
    draft = make_question(author=teacher, status="draft")
    published = make_question(author=teacher)
    client = as_user(api_client, teacher)

    assert client.delete(f"/api/questions/{draft.pk}/").status_code == 204
    refused = client.delete(f"/api/questions/{published.pk}/")

    assert refused.status_code == 409
    assert refused.json()["code"] == "not_draft"


def _png(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_image_upload_accepts_png_and_rejects_other_files(api_client, teacher, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    question = make_question(author=teacher, status="draft")
    client = as_user(api_client, teacher)

    ok = client.post(
        f"/api/questions/{question.pk}/image/",
        {"image": SimpleUploadedFile("a.png", _png(), "image/png")},
        format="multipart",
    )
    fake = client.post(
        f"/api/questions/{question.pk}/image/",
        {"image": SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", "image/png")},
        format="multipart",
    )
    big = client.post(
        f"/api/questions/{question.pk}/image/",
        {"image": SimpleUploadedFile("big.png", b"0" * (2 * 1024 * 1024 + 1), "image/png")},
        format="multipart",
    )

    assert ok.status_code == 200
    assert ok.json()["image"].endswith(".png")
    assert fake.status_code == 400
    assert fake.json()["code"] == "image_bad_type"
    assert big.status_code == 400
    assert big.json()["code"] == "image_too_big"


def test_themes_are_public_and_only_organisers_change_them(api_client, teacher, organiser):
    make_theme("sdg")
    new = {"slug": "peace", "name_vi": "Hòa bình", "name_en": "Peace"}

    listed = api_client.get("/api/themes/")
    by_teacher = as_user(api_client, teacher).post("/api/themes/", new, format="json")
    by_organiser = as_user(api_client, organiser).post("/api/themes/", new, format="json")

    assert [t["slug"] for t in listed.json()] == ["sdg"]
    assert by_teacher.status_code == 403
    assert by_organiser.status_code == 201


def test_tags_autocomplete_by_prefix(api_client, teacher):
    make_question().tags.create(name="water")
    make_question().tags.create(name="wind")
    make_question().tags.create(name="peace")

    names = [
        t["name"]
        for t in as_user(api_client, teacher).get("/api/tags/", {"prefix": "w"}).json()["results"]
    ]

    assert names == ["water", "wind"]


def test_quiz_crud_with_items_and_rules(api_client, teacher):
    theme = make_theme("sdg")
    a, b = make_question(theme=theme), make_question(theme=theme)
    client = as_user(api_client, teacher)

    created = client.post(
        "/api/quizzes/",
        {
            "title": "Tuần lễ học tập",
            "items": [{"question": b.pk, "time_limit": 30}, {"question": a.pk, "points": 2}],
        },
        format="json",
    ).json()
    reordered = client.patch(
        f"/api/quizzes/{created['id']}/",
        {"items": [{"question": a.pk}, {"question": b.pk}]},
        format="json",
    ).json()
    drawn = client.patch(
        f"/api/quizzes/{created['id']}/",
        {"mode": "draw", "draw_rules": [{"count": 5, "theme": "sdg", "difficulty_min": 2}]},
        format="json",
    ).json()

    assert [(i["question"], i["time_limit"], i["points"]) for i in created["items"]] == [
        (b.pk, 30, None),
        (a.pk, None, 2),
    ]
    assert [i["question"] for i in reordered["items"]] == [a.pk, b.pk]
    assert drawn["mode"] == "draw"
    assert drawn["draw_rules"] == [
        {
            "count": 5,
            "theme": "sdg",
            "type": "",
            "tag": None,
            "difficulty_min": 2,
            "difficulty_max": 5,
        }
    ]


def test_quiz_cannot_use_a_question_the_teacher_cannot_see(api_client, teacher):
    other = make_user("other", roles=["teacher"])
    secret = make_question(author=other, status="draft")

    response = as_user(api_client, teacher).post(
        "/api/quizzes/", {"title": "Q", "items": [{"question": secret.pk}]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_question"
    assert not Quiz.objects.exists()


def test_every_bank_operation_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]

    for path, methods in {
        "/api/questions/": {"get", "post"},
        "/api/questions/{id}/": {"get", "put", "patch", "delete"},
        "/api/questions/{id}/submit/": {"post"},
        "/api/questions/{id}/publish/": {"post"},
        "/api/questions/{id}/reject/": {"post"},
        "/api/questions/{id}/archive/": {"post"},
        "/api/questions/{id}/revisions/": {"get"},
        "/api/questions/{id}/image/": {"post", "delete"},
        "/api/questions/bulk/": {"post"},
        "/api/themes/": {"get", "post"},
        "/api/tags/": {"get", "post"},
        "/api/quizzes/": {"get", "post"},
        "/api/quizzes/{id}/": {"get", "put", "patch", "delete"},
    }.items():
        assert methods <= set(paths[path]), path
    params = {p["name"] for p in paths["/api/questions/"]["get"]["parameters"]}
    assert {"q", "theme", "type", "difficulty", "tag", "language", "status", "author"} <= params


def test_list_count_stops_at_the_cap_and_says_so(api_client, teacher, monkeypatch):
    monkeypatch.setattr("quizzes.filters.COUNT_CAP", 3)
    for n in range(5):
        make_question(text_en=f"Q{n}")

    body = as_user(api_client, teacher).get("/api/questions/", {"page_size": 2}).json()

    assert (body["count"], body["count_capped"], len(body["results"])) == (3, True, 2)


@pytest.mark.parametrize("path", ["/api/questions/", "/api/quizzes/", "/api/tags/"])
@pytest.mark.parametrize("page", ["", "abc", "0", "-1", "٣"])
def test_a_page_that_is_not_a_number_from_1_is_refused_with_a_translated_reason(
    api_client, teacher, path, page
):
    client = as_user(api_client, teacher)

    reply = client.get(path, {"page": page}, HTTP_ACCEPT_LANGUAGE="vi")

    assert reply.status_code == 400
    assert reply.json()["details"]["page"] == ["Hãy nhập số trang từ 1 trở lên."]
    assert client.get(path, {"page": "1"}).status_code == 200


@pytest.mark.parametrize("huge", [2**63, -(2**63) - 1, 10**30])
def test_an_id_no_database_can_hold_is_refused_as_input_not_a_server_error(
    api_client, reviewer, huge
):
    """The schema fuzzer's find: a bulk action over an id past 64 bits reached the query and
    failed there (500); it is invalid input, and a quiz item or a correction's question too."""
    client = as_user(api_client, reviewer)
    response = client.post(
        "/api/questions/bulk/", {"action": "publish", "ids": [huge]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "ids" in response.json()["details"]
    largest = client.post(
        "/api/questions/bulk/", {"action": "publish", "ids": [2**63 - 1]}, format="json"
    )
    assert largest.status_code == 200
    assert [f["code"] for f in largest.json()["failed"]] == ["not_found"]
