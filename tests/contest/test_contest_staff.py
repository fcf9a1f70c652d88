"""Contest staff (issue 12, point 8): each contest is run by its own staff. An organiser of
contest A cannot edit contest B or export its personal data unless made staff of B; the admin
(superuser) can do anything; creating a contest makes its creator staff; staff add staff."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from contest.models import AuditEntry, Contest
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    make_contest,
    make_school,
    register,
    start_attempt,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_contests():
    contest_a, round_a, _ = make_contest(slug="contest-a")
    contest_b, round_b, _ = make_contest(slug="contest-b")
    org_a = make_user("org_a", roles=["organiser"])
    org_b = make_user("org_b", roles=["organiser"])
    contest_a.staff.add(org_a)
    contest_b.staff.add(org_b)
    units = make_school("CG", "THCS Cầu Giấy")
    token = register(APIClient(), contest_b, units["school"], name="Phạm Thị Hoa")
    attempt = start_attempt(APIClient(), round_b, token)
    submitted = APIClient().post(
        f"/api/attempts/{attempt['id']}/submit/", {}, format="json", **{TOKEN_HEADER: token}
    )
    assert submitted.status_code == 200
    return contest_a, round_a, contest_b, round_b, org_a, org_b


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_organiser_of_contest_a_cannot_edit_contest_b(two_contests):
    _a, _ra, contest_b, round_b, org_a, _org_b = two_contests
    client = as_user(org_a)
    edit = client.patch(f"/api/contests/{contest_b.slug}/", {"title_en": "Taken"}, format="json")
    assert edit.status_code == 403
    round_edit = client.patch(f"/api/rounds/{round_b.pk}/", {"title_vi": "X"}, format="json")
    assert round_edit.status_code == 403
    contest_b.refresh_from_db()
    round_b.refresh_from_db()
    assert contest_b.title_en == "Contest"
    assert round_b.title_vi == "Vòng 1"
    assert not AuditEntry.objects.filter(contest=contest_b, actor=org_a).exists()


def test_an_organiser_of_contest_a_cannot_export_or_read_contest_b_personal_data(two_contests):
    _a, _ra, _contest_b, round_b, org_a, org_b = two_contests
    close_round(round_b)
    client = as_user(org_a)
    export = client.get(f"/api/rounds/{round_b.pk}/export.csv")
    assert export.status_code == 403
    assert "Phạm" not in export.content.decode()
    results = client.get(f"/api/rounds/{round_b.pk}/results/").json()
    assert "Phạm Thị Hoa" not in str(results)  # the public, masked board only
    assert all("email" not in row for row in results["rows"])
    # B's own staff see the full names.
    assert "Phạm Thị Hoa" in as_user(org_b).get(
        f"/api/rounds/{round_b.pk}/export.csv"
    ).content.decode("utf-8-sig")


def test_staff_of_b_adds_an_organiser_of_a_who_then_runs_b(two_contests):
    _a, _ra, contest_b, round_b, org_a, org_b = two_contests
    added = as_user(org_b).post(
        f"/api/contests/{contest_b.slug}/staff/", {"username": "org_a"}, format="json"
    )
    assert added.status_code == 201
    assert {s["username"] for s in added.json()} == {"org_a", "org_b"}
    entry = AuditEntry.objects.get(contest=contest_b, action="staff_add")
    assert entry.actor == org_b
    assert "org_a" in entry.summary
    close_round(round_b)
    assert as_user(org_a).get(f"/api/rounds/{round_b.pk}/export.csv").status_code == 200


def test_an_organiser_cannot_make_themself_staff_of_another_contest(two_contests):
    _a, _ra, contest_b, _rb, org_a, _org_b = two_contests
    response = as_user(org_a).post(
        f"/api/contests/{contest_b.slug}/staff/", {"username": "org_a"}, format="json"
    )
    assert response.status_code == 403
    assert not contest_b.staff.filter(pk=org_a.pk).exists()


def test_adding_an_unknown_account_to_the_staff_is_a_clear_error(two_contests):
    _a, _ra, contest_b, _rb, _org_a, org_b = two_contests
    response = as_user(org_b).post(
        f"/api/contests/{contest_b.slug}/staff/", {"username": "nobody"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_user"
    assert response.json()["message"]
    assert contest_b.staff.count() == 1


def test_creating_a_contest_makes_the_creator_its_staff(two_contests):
    *_, org_a, _org_b = two_contests
    created = as_user(org_a).post("/api/contests/", {"title_vi": "Cuộc thi C"}, format="json")
    assert created.status_code == 201
    contest = Contest.objects.get(slug=created.json()["slug"])
    assert list(contest.staff.all()) == [org_a]
    assert (
        as_user(org_a)
        .patch(f"/api/contests/{contest.slug}/", {"title_en": "C"}, format="json")
        .status_code
        == 200
    )


def test_the_admin_runs_every_contest_without_being_staff(two_contests):
    _a, _ra, contest_b, round_b, *_ = two_contests
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client = as_user(admin)
    assert (
        client.patch(
            f"/api/contests/{contest_b.slug}/", {"title_en": "By admin"}, format="json"
        ).status_code
        == 200
    )
    assert client.get(f"/api/rounds/{round_b.pk}/export.csv").status_code == 200
    assert client.get(f"/api/contests/{contest_b.slug}/audit/").status_code == 200


def test_an_unpublished_contest_is_hidden_from_organisers_of_other_contests(two_contests):
    _a, _ra, contest_b, _rb, org_a, org_b = two_contests
    Contest.objects.filter(pk=contest_b.pk).update(is_published=False)
    assert as_user(org_a).get(f"/api/contests/{contest_b.slug}/").status_code == 404
    assert contest_b.slug not in [c["slug"] for c in as_user(org_a).get("/api/contests/").json()]
    assert contest_b.slug in [c["slug"] for c in as_user(org_b).get("/api/contests/").json()]


def test_the_organiser_pages_follow_the_same_staff_rule(two_contests):
    contest_a, _ra, contest_b, _rb, org_a, _org_b = two_contests
    browser = Client()
    browser.force_login(org_a)
    assert browser.get(f"/organise/contests/{contest_b.slug}/").status_code == 403
    refused = browser.post(
        f"/organise/contests/{contest_b.slug}/",
        {"action": "contest_update", "unit_aggregation": "sum", "is_published": ""},
    )
    assert refused.status_code == 403
    contest_b.refresh_from_db()
    assert contest_b.is_published
    assert contest_b.unit_aggregation == "mean"
    assert browser.get(f"/organise/contests/{contest_a.slug}/").status_code == 200
    index = browser.get("/organise/").content.decode()
    assert f"/organise/contests/{contest_a.slug}/" in index
    assert f"/organise/contests/{contest_b.slug}/" not in index


def test_the_organiser_page_adds_staff_and_lists_them(two_contests):
    contest_a, _ra, _b, _rb, org_a, _org_b = two_contests
    make_user("helper", roles=["teacher"])
    browser = Client()
    browser.force_login(org_a)
    added = browser.post(
        f"/organise/contests/{contest_a.slug}/",
        {"action": "staff_add", "username": "helper"},
        follow=True,
    )
    assert added.status_code == 200
    assert contest_a.staff.filter(username="helper").exists()
    page = added.content.decode()
    assert 'id="contest-staff"' in page
    assert "<li>helper</li>" in page
    unknown = browser.post(
        f"/organise/contests/{contest_a.slug}/",
        {"action": "staff_add", "username": "ghost"},
        follow=True,
    )
    assert "No active account has this username." in unknown.content.decode()


def test_staff_cannot_put_a_quiz_they_cannot_see_in_a_round(two_contests):
    from tests.realtime.conftest import make_quiz

    contest_a, _ra, *_ = two_contests
    staff_teacher = make_user("staff_teacher", roles=["teacher"])
    contest_a.staff.add(staff_teacher)
    secret = make_quiz(make_user("author", roles=["teacher"]), ["single"])
    secret.visibility = "private"
    secret.save()
    body = {
        "title_vi": "Vòng 2",
        "opens_at": "2030-01-01T00:00:00Z",
        "closes_at": "2030-01-02T00:00:00Z",
        "quiz_id": secret.pk,
    }
    refused = as_user(staff_teacher).post(
        f"/api/contests/{contest_a.slug}/rounds/", body, format="json"
    )
    assert refused.status_code == 400
    assert "quiz_id" in refused.json()["details"]
    assert not contest_a.rounds.filter(quiz=secret).exists()


def test_a_round_with_papers_keeps_its_quiz_and_kind(api_client, organiser):
    """Found by a black-box test: the round's staff swapped an open round's quiz under five
    handed-in papers (and made a live round with results self-paced); both are refused now."""
    from contest.models import Round
    from tests.contest.helpers import make_quiz, make_school, register, start_attempt

    contest, round_, _questions = make_contest(slug="in-use")
    contest.staff.add(organiser)
    units = make_school("IU", "THCS Đang Dùng")
    start_attempt(api_client, round_, register(api_client, contest, units["school"]))
    other, _other_questions = make_quiz(2)
    other.author = organiser
    other.save()
    api_client.force_authenticate(organiser)
    for change in ({"quiz_id": other.pk}, {"kind": "live"}):
        refused = api_client.patch(f"/api/rounds/{round_.pk}/", change, format="json")
        assert refused.status_code == 409, change
        assert refused.json()["code"] == "round_in_use", change
    fresh = Round.objects.get(pk=round_.pk)
    assert (fresh.quiz_id, fresh.kind) == (round_.quiz_id, round_.kind)
    # Settings that do not change the paper still can.
    moved = api_client.patch(f"/api/rounds/{round_.pk}/", {"max_attempts": 2}, format="json")
    assert moved.status_code == 200


def test_a_round_change_with_a_misnamed_field_is_refused_not_dropped(api_client, organiser):
    """`{"quiz": 5}` for quiz_id, `{"freeze": 2}` for freeze_hours: an organiser whose change was
    silently dropped believes the round has it. The reply names each unknown field, in the
    reader's language, and nothing changes."""
    from contest.models import Round

    contest, round_, _questions = make_contest(slug="misnamed")
    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    reply = api_client.patch(
        f"/api/rounds/{round_.pk}/",
        {"quiz": 5, "freeze": 2, "max_attempts": 3},
        format="json",
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert reply.status_code == 400
    fields = reply.json()["details"]
    assert set(fields) == {"quiz", "freeze"}
    assert fields["quiz"] == ["Không có trường này."]
    assert Round.objects.get(pk=round_.pk).max_attempts == round_.max_attempts
    english = api_client.patch(
        f"/api/rounds/{round_.pk}/", {"quiz": 5}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.json()["details"] == {"quiz": ["Unknown field."]}
