"""Corrections for rounds that draw their questions (the demo round is one): the organiser sees
every question any paper held, with how many papers had it, and can void or fix it; voiding twice
is refused and a reason is required."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.utils import translation

from contest.models import Attempt, AuditEntry, Correction
from quizzes.models import Quiz, QuizDrawRule
from tests.contest.helpers import (
    correct_choice,
    make_contest,
    make_school,
    register,
    start_attempt,
)
from tests.factories import make_question

pytestmark = pytest.mark.django_db


def drawn_round(api_client, *, staff, bank_size=6, per_paper=2, people=5):
    """A round drawing `per_paper` of `bank_size` published questions, with `people` papers, run
    by `staff`."""
    bank = [
        make_question(text_en=f"Drawn question {i}?", text_vi=f"Câu rút {i}?")
        for i in range(bank_size)
    ]
    quiz = Quiz.objects.create(title="Random paper", mode=Quiz.Mode.DRAW)
    QuizDrawRule.objects.create(quiz=quiz, count=per_paper)
    contest, round_, _fixed = make_contest(n_questions=0, quiz=quiz, max_attempts=1)
    contest.staff.add(staff)
    units = make_school("DR", "THCS Rút Thăm")
    for n in range(people):
        token = register(
            api_client, contest, units["school"], name=f"Người Thứ {n}", email=f"p{n}@example.org"
        )
        start_attempt(api_client, round_, token)
    return contest, round_, bank


def test_the_organiser_page_lists_every_drawn_question_with_its_paper_count(
    client, api_client, organiser
):
    contest, round_, _bank = drawn_round(api_client, staff=organiser)
    expected = Counter(
        item["q"] for paper in Attempt.objects.values_list("paper", flat=True) for item in paper
    )
    client.force_login(organiser)

    page = client.get(f"/organise/contests/{contest.slug}/?round={round_.pk}").content.decode()

    assert 'id="corrections"' in page
    rows = dict(
        (int(qid), int(count))
        for qid, count in re.findall(
            r'<tr data-question="(\d+)">.*?<td class="num">(\d+)</td>', page, re.S
        )
    )
    assert rows == dict(expected)
    assert sum(rows.values()) == 5 * 2


def test_a_drawn_question_can_be_voided_with_a_reason_and_is_audited(api_client, organiser):
    _contest, round_, _bank = drawn_round(api_client, staff=organiser)
    drawn = Attempt.objects.first().paper[0]["q"]
    api_client.force_authenticate(organiser)

    response = api_client.post(
        f"/api/rounds/{round_.pk}/void/",
        {"question": drawn, "reason": "Two right answers"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert Correction.objects.filter(round=round_, question_id=drawn, kind="void").count() == 1
    assert AuditEntry.objects.filter(
        action="question_void", details__reason="Two right answers"
    ).exists()


def test_voiding_the_same_question_twice_is_refused(api_client, organiser):
    _contest, round_, _bank = drawn_round(api_client, staff=organiser, people=2)
    drawn = Attempt.objects.first().paper[0]["q"]
    api_client.force_authenticate(organiser)
    body = {"question": drawn, "reason": "Ambiguous"}
    first = api_client.post(f"/api/rounds/{round_.pk}/void/", body, format="json")

    with translation.override("vi"):
        second = api_client.post(
            f"/api/rounds/{round_.pk}/void/", body, format="json", HTTP_ACCEPT_LANGUAGE="vi"
        )

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "already_voided"
    assert "đã bị hủy" in second.json()["message"]
    assert Correction.objects.filter(round=round_, kind="void").count() == 1
    assert AuditEntry.objects.filter(action="question_void").count() == 1


@pytest.mark.parametrize("path", ["void", "fix-key"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_correction_without_a_reason_is_refused_and_changes_nothing(
    api_client, organiser, path, reason
):
    contest, round_, questions = make_contest()
    contest.staff.add(organiser)
    units = make_school("NR", "THCS Không Lý Do")
    token = register(api_client, contest, units["school"])
    start_attempt(api_client, round_, token)
    api_client.force_authenticate(organiser)
    body = {"question": questions[0].pk, "correct": [str(correct_choice(questions[0]))]}
    if reason is not None:
        body["reason"] = reason

    response = api_client.post(f"/api/rounds/{round_.pk}/{path}/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    assert "reason" in response.json()["message"]
    assert not Correction.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["question_void", "answer_key_fix"]).exists()


def test_a_voided_question_shows_as_voided_on_the_organiser_page(client, api_client, organiser):
    contest, round_, _bank = drawn_round(api_client, staff=organiser, people=2)
    drawn = Attempt.objects.first().paper[0]["q"]
    api_client.force_authenticate(organiser)
    api_client.post(
        f"/api/rounds/{round_.pk}/void/", {"question": drawn, "reason": "Typo"}, format="json"
    )
    client.force_login(organiser)

    page = client.get(f"/organise/contests/{contest.slug}/?round={round_.pk}").content.decode()

    row = re.search(rf'<tr data-question="{drawn}">(.*?)</tr>', page, re.S).group(1)
    assert "Voided" in row
    assert 'value="void"' not in row


def test_a_void_posted_from_the_page_without_a_reason_shows_the_error(
    client, api_client, organiser
):
    contest, round_, _bank = drawn_round(api_client, staff=organiser, people=1)
    drawn = Attempt.objects.first().paper[0]["q"]
    client.force_login(organiser)

    response = client.post(
        f"/organise/contests/{contest.slug}/?round={round_.pk}",
        {"action": "void", "round": round_.pk, "question": drawn, "reason": ""},
        follow=True,
    )

    assert "Give a reason" in response.content.decode()
    assert not Correction.objects.exists()


def test_the_corrections_table_shows_questions_and_options_in_the_pages_language(
    client, api_client, organiser
):
    from quizzes.models import Choice

    contest, round_, _bank = drawn_round(api_client, staff=organiser, people=1)
    drawn = Attempt.objects.first().paper[0]["q"]
    Choice.objects.filter(question_id=drawn, weight__gte=1).update(text_vi="Mục tiêu 4")
    client.force_login(organiser)

    pages = {
        lang: client.get(
            f"/organise/contests/{contest.slug}/?round={round_.pk}", HTTP_ACCEPT_LANGUAGE=lang
        ).content.decode()
        for lang in ("vi", "en")
    }

    rows = {
        lang: re.search(rf'<tr data-question="{drawn}">(.*?)</tr>', page, re.S).group(1)
        for lang, page in pages.items()
    }
    assert re.search(r"<td>Câu rút \d\?</td>", rows["vi"])
    assert "Drawn question" not in rows["vi"]
    assert re.search(r"selected>Mục tiêu 4</option>", rows["vi"])
    assert re.search(r"<td>Drawn question \d\?</td>", rows["en"])
    assert "Câu rút" not in rows["en"]
    assert re.search(r"selected>SDG 4</option>", rows["en"])
