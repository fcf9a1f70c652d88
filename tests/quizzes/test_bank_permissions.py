"""Who may see and change what in the bank, as one table (see quizzes/permissions.py)."""

from __future__ import annotations

import pytest

from quizzes.models import Question
from tests.factories import make_question, make_theme, make_units, make_user
from tests.quizzes.bank_helpers import single_choice_data

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "student", "author", "colleague", "stranger", "reviewer", "organiser"]
QUESTIONS = ["private_draft", "school_published", "public_published", "in_review", "public_draft"]

# Which questions each actor finds in the bank list (and may open with their answer key).
SEES = {
    "anonymous": set(),
    "student": set(),
    "author": set(QUESTIONS),
    "colleague": {"school_published", "public_published"},  # same school as the author
    "stranger": {"public_published"},  # another school
    "reviewer": {"public_published", "in_review"},  # another school
    "organiser": set(QUESTIONS),
}

# (actor, action, question) -> expected HTTP status
ACTIONS = [
    ("author", "submit", "private_draft", 200),
    ("colleague", "submit", "public_draft", 404),
    ("organiser", "submit", "public_draft", 200),
    ("author", "publish", "in_review", 403),
    ("colleague", "publish", "school_published", 403),
    ("reviewer", "publish", "in_review", 200),
    ("organiser", "publish", "in_review", 200),
    ("stranger", "archive", "public_published", 403),
    ("reviewer", "archive", "public_published", 200),
    ("author", "archive", "public_published", 200),
    ("stranger", "edit", "public_published", 403),
    ("reviewer", "edit", "in_review", 403),
    ("author", "edit", "in_review", 200),
    ("organiser", "edit", "public_published", 200),
    ("student", "edit", "public_published", 403),
    ("anonymous", "publish", "in_review", 403),
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world():
    make_theme("sdg")
    units = make_units()
    other_school = type(units["school"]).objects.create(
        code="P-D-S2", name="THCS Other", level="school", parent=units["district"]
    )
    users = {
        "student": make_user("student", roles=[]),
        "author": make_user("author", roles=["teacher"], unit=units["class"]),
        "colleague": make_user("colleague", roles=["teacher"], unit=units["school"]),
        "stranger": make_user("stranger", roles=["teacher"], unit=other_school),
        "reviewer": make_user("reviewer", roles=["reviewer", "teacher"], unit=other_school),
        "organiser": make_user("organiser", roles=["organiser"]),
    }
    author, school = users["author"], units["school"]
    questions = {
        "private_draft": make_question(author=author, status="draft", visibility="private"),
        "school_published": make_question(
            author=author, status="published", visibility="school", school=school
        ),
        "public_published": make_question(author=author, status="published"),
        "in_review": make_question(author=author, status="review", visibility="private"),
        "public_draft": make_question(author=author, status="draft"),
    }
    return users, questions


def client_for(api_client, users, actor):
    if actor != "anonymous":
        api_client.force_authenticate(users[actor])
    return api_client


@pytest.mark.parametrize("actor", ACTORS)
def test_each_actor_sees_exactly_the_questions_the_table_allows(api_client, world, actor):
    users, questions = world
    client = client_for(api_client, users, actor)
    names = {q.pk: name for name, q in questions.items()}

    response = client.get("/api/questions/")

    if not SEES[actor]:
        assert response.status_code == 403
        assert "choices" not in response.content.decode()
        return
    listed = {names[row["id"]] for row in response.json()["results"]}
    assert listed == SEES[actor]
    for name, question in questions.items():
        detail = client.get(f"/api/questions/{question.pk}/")
        assert detail.status_code == (200 if name in SEES[actor] else 404), name


@pytest.mark.parametrize("actor", ["anonymous", "student"])
def test_non_teachers_never_receive_answer_keys(api_client, world, actor):
    users, questions = world
    client = client_for(api_client, users, actor)
    public = questions["public_published"]

    for url in [
        "/api/questions/",
        f"/api/questions/{public.pk}/",
        f"/api/questions/{public.pk}/revisions/",
        "/api/quizzes/",
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        body = response.content.decode()
        assert "weight" not in body
        assert "explanation" not in body
        assert "SDG 4" not in body


@pytest.mark.parametrize(("actor", "action", "question", "expected"), ACTIONS)
def test_workflow_actions_follow_the_permission_table(
    api_client, world, actor, action, question, expected
):
    users, questions = world
    client = client_for(api_client, users, actor)
    target = questions[question]

    if action == "edit":
        response = client.put(f"/api/questions/{target.pk}/", single_choice_data(), format="json")
    else:
        response = client.post(f"/api/questions/{target.pk}/{action}/")

    assert response.status_code == expected, response.content


def test_school_visibility_follows_the_authors_school_through_the_api(api_client, world):
    users, _questions = world
    api_client.force_authenticate(users["author"])
    created = api_client.post(
        "/api/questions/", single_choice_data(visibility="school"), format="json"
    ).json()
    Question.objects.filter(pk=created["id"]).update(status="published")

    api_client.force_authenticate(users["colleague"])
    seen_by_colleague = api_client.get(f"/api/questions/{created['id']}/").status_code
    api_client.force_authenticate(users["stranger"])
    seen_by_stranger = api_client.get(f"/api/questions/{created['id']}/").status_code

    assert (seen_by_colleague, seen_by_stranger) == (200, 404)
