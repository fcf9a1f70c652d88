"""A key correction is checked as authoring checks the key: a tester's corrections with NaN, a
range upside down, a text for the list of accepted answers or two right answers to a true/false
question rescored a round (or failed with a server error). Each is now 400 invalid_key, with the
reason, and nothing changes."""

from __future__ import annotations

from datetime import date

import pytest

from contest import services
from contest.models import AuditEntry, Correction
from core.errors import ApplicationError
from quizzes.models import QuizItem
from tests.contest.helpers import make_contest, make_school
from tests.factories import make_question, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_with_every_type():
    _contest, round_, _q = make_contest()
    numeric = make_question(type="numeric", answer={"value": 42, "tolerance": 0.5})
    text = make_question(type="text", answer={"accepted": ["Hà Nội"], "ignore_case": True})
    truefalse = make_question(type="truefalse")
    for n, q in enumerate((numeric, text, truefalse), start=10):
        QuizItem.objects.create(quiz=round_.quiz, question=q, position=n)
    boss = make_user("boss", roles=["organiser"])
    round_.contest.staff.add(boss)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    participant = services.participant_register(
        contest=round_.contest,
        full_name="Nguyễn Văn An",
        unit_id=school.pk,
        consent=True,
        date_of_birth=date(2010, 5, 1),
        email="an@example.org",
    )
    services.attempt_start(participant=participant, round_=round_)  # a paper with them all
    return round_, boss, {"numeric": numeric, "text": text, "truefalse": truefalse}


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("numeric", {"key": {"value": float("nan"), "tolerance": 0}}),
        ("numeric", {"key": {"value": 42, "tolerance": -1}}),
        ("numeric", {"key": {"value": "abc", "tolerance": 0}}),
        ("numeric", {"key": {"value": None}}),
        ("numeric", {"key": {"value": [42]}}),
        ("numeric", {"key": {"value": 42, "tolerance": "lots"}}),
        ("numeric", {"key": {"min": 100, "max": 0}}),
        ("text", {"key": {"accepted": "Hanoi"}}),
        ("text", {"key": {"accepted": []}}),
        ("text", {"key": {"accepted": [""]}}),
        ("text", {"key": {"accepted": [None]}}),
        ("text", {"key": {"accepted": ["a\x00b"]}}),  # the database refused it: a 500
        ("text", {"key": {"accepted": ["\ud800"]}}),
        ("truefalse", {"correct": "both"}),
    ],
)
def test_a_key_that_authoring_would_refuse_is_refused_and_changes_nothing(
    round_with_every_type, kind, change
):
    round_, boss, questions = round_with_every_type
    question = questions[kind]
    if change.get("correct") == "both":
        change = {"correct": list(question.choices.values_list("pk", flat=True))}
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.answer_key_fix(
            round_=round_, question_id=question.pk, actor=boss, reason="Sửa đáp án", **change
        )
    assert refused.value.code == "invalid_key"
    assert not Correction.objects.filter(round=round_).exists()
    assert AuditEntry.objects.count() == audit_before


def test_a_valid_numeric_key_replaces_the_old_one(round_with_every_type):
    round_, boss, questions = round_with_every_type
    services.answer_key_fix(
        round_=round_,
        question_id=questions["numeric"].pk,
        actor=boss,
        reason="Khoảng đúng",
        key={"min": 40, "max": 45},
    )
    fixed = Correction.objects.get(round=round_).key
    assert fixed == {"type": "numeric", "min": 40, "max": 45}
