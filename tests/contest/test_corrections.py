"""Corrections after a round: voiding a question or fixing a key re-ranks from stored answers,
and the audit log records it."""

from __future__ import annotations

import pytest

from contest.models import AuditEntry, RoundResult
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
    register,
    wrong_choice,
)

pytestmark = pytest.mark.django_db


def take(client, round_, token, answers, prediction=None):
    state = client.post(
        f"/api/rounds/{round_.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: token}
    ).json()
    body = {"answers": paper_answers(state, answers)}
    if prediction is not None:
        body["prediction"] = prediction
    assert (
        client.post(
            f"/api/attempts/{state['id']}/submit/", body, format="json", **{TOKEN_HEADER: token}
        ).status_code
        == 200
    )


def test_voiding_a_question_reranks_the_round_and_is_audited(api_client, organiser):
    contest, round_, questions = make_contest()
    contest.staff.add(organiser)
    units = make_school("CG", "THCS Cầu Giấy")
    a = register(api_client, contest, units["school"], name="Nguyễn Văn An", email="an@example.org")
    b = register(
        api_client, contest, units["school"], name="Trần Thị Bình", email="binh@example.org"
    )
    q1, q2, q3 = questions
    # An is right on q1 only; Bình is right on q2 and q3, so Bình leads 2000 to 1000.
    take(
        api_client,
        round_,
        a,
        [
            {"question": q1.pk, "response": {"choice": correct_choice(q1)}},
            {"question": q2.pk, "response": {"choice": wrong_choice(q2)}},
            {"question": q3.pk, "response": {"choice": wrong_choice(q3)}},
        ],
    )
    take(
        api_client,
        round_,
        b,
        [
            {"question": q1.pk, "response": {"choice": wrong_choice(q1)}},
            {"question": q2.pk, "response": {"choice": correct_choice(q2)}},
            {"question": q3.pk, "response": {"choice": correct_choice(q3)}},
        ],
    )
    close_round(round_)
    before = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/").json()["rows"]
    assert [r["name"].split(" (")[0] for r in before] == ["Trần T. B.", "Nguyễn V. A."]

    api_client.force_authenticate(organiser)
    # Fixing q2's key to the choice An picked, then voiding q3: An 2000, Bình 0.
    fixed = api_client.post(
        f"/api/rounds/{round_.pk}/fix-key/",
        {"question": q2.pk, "correct": [str(wrong_choice(q2))], "reason": "Key was wrong"},
        format="json",
    )
    assert fixed.status_code == 201
    voided = api_client.post(
        f"/api/rounds/{round_.pk}/void/", {"question": q3.pk, "reason": "Ambiguous"}, format="json"
    )
    assert voided.status_code == 201
    assert voided.json()["details"]["changed_count"] == 1

    after = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/").json()["rows"]
    assert [(r["name"].split(" (")[0], r["score"]) for r in after] == [
        ("Nguyễn V. A.", 2000),
        ("Trần T. B.", 0),
    ]
    assert RoundResult.objects.get(participant__full_name="Nguyễn Văn An").max_score == 2000

    log = api_client.get(f"/api/contests/{contest.slug}/audit/").json()
    actions = [entry["action"] for entry in log]
    assert actions[:2] == ["question_void", "answer_key_fix"]
    assert log[0]["actor"] == organiser.username
    assert "voided" in log[0]["summary"]
    assert AuditEntry.objects.filter(action="question_void", details__reason="Ambiguous").exists()


def test_scores_are_rebuilt_from_stored_answers(api_client):
    from contest.models import Attempt
    from contest.services import round_recompute

    contest, round_, questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    token = register(api_client, contest, units["school"])
    take(
        api_client,
        round_,
        token,
        [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions],
    )
    Attempt.objects.update(score=0, correct_count=0)
    RoundResult.objects.update(score=0)
    round_recompute(round_=round_)
    assert RoundResult.objects.get().score == 3000


def test_non_organisers_cannot_void(api_client, student):
    _contest, round_, questions = make_contest()
    api_client.force_authenticate(student)
    assert (
        api_client.post(
            f"/api/rounds/{round_.pk}/void/", {"question": questions[0].pk}, format="json"
        ).status_code
        == 403
    )


def test_rebuild_leaderboards_command_restores_boards_from_the_database(api_client):
    from django.core.management import call_command

    from tests.contest.conftest import clear_boards

    contest, round_, questions = make_contest(scores_while_open=True)
    units = make_school("CG", "THCS Cầu Giấy")
    token = register(api_client, contest, units["school"])
    take(
        api_client,
        round_,
        token,
        [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions],
    )
    clear_boards()
    call_command("rebuild_leaderboards", contest=contest.slug)
    board = api_client.get(f"/api/rounds/{round_.pk}/leaderboard/").json()
    assert [(r["rank"], r["score"]) for r in board["rows"]] == [(1, 3000)]
