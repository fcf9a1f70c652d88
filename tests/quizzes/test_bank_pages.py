"""The teacher pages of the bank render for teachers and stay closed to everyone else."""

from __future__ import annotations

import pytest
from django.test import Client

from quizzes.models import Quiz
from tests.factories import make_question, make_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher_client(teacher):
    client = Client()
    client.force_login(teacher)
    return client


def test_bank_list_shows_questions_filters_and_import_export_links(teacher_client, teacher):
    make_theme("sdg")
    make_question(text_vi="Thế nào là công dân toàn cầu?", text_en="What is a global citizen?")
    make_question(text_vi="Biến đổi khí hậu", text_en="Climate change")

    page = teacher_client.get("/bank/", {"q": "cong dan"}).content.decode()

    assert "What is a global citizen?" in page
    assert "Climate change" not in page
    assert "/api/questions/export/?format=json" in page
    assert 'href="/bank/import/"' in page


def test_bank_list_paginates(teacher_client):
    for n in range(25):
        make_question(text_en=f"Numbered question {n:02d}")

    first = teacher_client.get("/bank/").content.decode()
    second = teacher_client.get("/bank/", {"page": 2}).content.decode()

    assert "Page 1 of 2" in first
    assert second.count("Numbered question") == 5


@pytest.mark.parametrize(
    "url", ["/bank/", "/bank/questions/new", "/bank/quizzes/", "/bank/review/"]
)
def test_pages_send_anonymous_visitors_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_students_cannot_open_the_bank(client, student):
    client.force_login(student)

    assert client.get("/bank/").status_code == 403
    assert client.get("/bank/questions/new").status_code == 403


def test_editor_review_and_quiz_pages_render(teacher_client, teacher, reviewer):
    question = make_question(author=teacher, status="review")
    quiz = Quiz.objects.create(title="Tuần lễ", author=teacher)

    assert teacher_client.get(f"/bank/questions/{question.pk}/edit").status_code == 200
    assert teacher_client.get("/bank/questions/new").status_code == 200
    assert teacher_client.get(f"/bank/quizzes/{quiz.pk}/").status_code == 200
    assert "Tuần lễ" in teacher_client.get("/bank/quizzes/").content.decode()
    assert teacher_client.get("/bank/review/").status_code == 403
    assert teacher_client.get("/bank/questions/999999/edit").status_code == 404

    review = Client()
    review.force_login(reviewer)
    assert "Which SDG is about quality education?" in review.get("/bank/review/").content.decode()
