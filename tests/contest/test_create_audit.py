"""Creating contests and rounds is audited (docs/contests.md): on the organiser pages and the API."""

from __future__ import annotations

import pytest

from contest.models import AuditEntry, Contest

pytestmark = pytest.mark.django_db


def test_creating_a_contest_and_a_round_on_the_pages_writes_audit_entries(client, organiser):
    client.force_login(organiser)

    client.post("/organise/", {"title_vi": "Cuộc thi mới", "title_en": "New contest"})
    contest = Contest.objects.get()
    client.post(
        f"/organise/contests/{contest.slug}/",
        {
            "action": "round_create",
            "title_vi": "Vòng 1",
            "opens_at": "2031-03-10T08:00",
            "closes_at": "2031-03-17T08:00",
        },
    )

    entries = list(AuditEntry.objects.filter(contest=contest).order_by("id"))
    assert [e.action for e in entries] == ["contest_create", "round_create"]
    assert all(e.actor == organiser for e in entries)
    assert entries[1].round is not None
    page = client.get(f"/organise/contests/{contest.slug}/").content.decode()
    assert "Contest created." in page
    assert "Round created: Vòng 1." in page


def test_creating_a_contest_and_a_round_through_the_api_writes_audit_entries(api_client, organiser):
    api_client.force_authenticate(organiser)

    api_client.post("/api/contests/", {"title_vi": "Cuộc thi API"}, format="json")
    contest = Contest.objects.get()
    api_client.post(
        f"/api/contests/{contest.slug}/rounds/",
        {
            "title_vi": "Vòng A",
            "opens_at": "2031-03-10T08:00:00+07:00",
            "closes_at": "2031-03-17T08:00:00+07:00",
        },
        format="json",
    )

    log = api_client.get(f"/api/contests/{contest.slug}/audit/").json()
    assert [row["action"] for row in log] == ["round_create", "contest_create"]
    assert {row["actor"] for row in log} == {organiser.username}


def test_the_seeded_demo_contest_has_its_creation_in_the_audit_log_once(db):
    from contest.services.demo import seed_demo_contest

    contest = seed_demo_contest()
    seed_demo_contest()  # seeding is idempotent: no second entry

    actions = sorted(AuditEntry.objects.filter(contest=contest).values_list("action", flat=True))
    assert actions == ["contest_create", "round_create"]
