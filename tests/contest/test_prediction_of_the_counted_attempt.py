"""A result's prediction is the counted attempt's own.

A tester handed in a perfect paper, then, just before the close (when the number of perfect
papers is best known), opened another attempt, typed only a new prediction and left it: the
blank attempt expired, did not count, and its prediction replaced the counted one's. With four
perfect papers the tie-breaker moved them from 4th to 2nd.
"""

from __future__ import annotations

from datetime import date

import pytest

from contest import services
from contest.models import Attempt, Round, RoundResult
from contest.selectors import attempt_state
from tests.contest.helpers import (
    close_round,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
)

pytestmark = pytest.mark.django_db


def _perfect(participant, round_, questions, prediction):
    attempt = services.attempt_start(participant=participant, round_=round_)
    answers = paper_answers(
        attempt_state(attempt),
        [{"question": q.pk, "response": {"choice": correct_choice(q)}} for q in questions],
    )
    services.attempt_submit(
        participant_id=participant.pk, attempt_id=attempt.pk, answers=answers, prediction=prediction
    )


@pytest.mark.parametrize("how", ["left open", "handed in blank"])
@pytest.mark.parametrize("counting", [Round.Counting.BEST, Round.Counting.FIRST])
def test_an_attempt_that_does_not_count_never_changes_the_prediction(how, counting):
    contest, round_, questions = make_contest(max_attempts=3, counting=counting)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    people = []
    for n, prediction in enumerate((50, 40, 60, 70), start=1):
        p = services.participant_register(
            contest=contest,
            full_name=f"Thí sinh {n}",
            unit_id=school.pk,
            consent=True,
            date_of_birth=date(2010, 5, n),
            email=f"p{n}@example.org",
        )
        _perfect(p, round_, questions, prediction)
        people.append(p)

    late = people[0]
    second = services.attempt_start(participant=late, round_=round_)
    if how == "left open":
        services.answers_save(
            participant_id=late.pk, attempt_id=second.pk, answers=[], prediction=4
        )
    else:
        services.attempt_submit(
            participant_id=late.pk, attempt_id=second.pk, answers=[], prediction=4
        )
    close_round(round_)

    assert Attempt.objects.get(pk=second.pk).status != Attempt.Status.OPEN
    result = RoundResult.objects.get(round=round_, participant=late)
    assert result.attempt.number == 1
    assert result.prediction == 50
    round_.refresh_from_db()
    assert round_.prediction_actual == 4
    ranks = dict(
        RoundResult.objects.filter(round=round_).values_list("participant__full_name", "rank")
    )
    assert ranks == {"Thí sinh 2": 1, "Thí sinh 1": 2, "Thí sinh 3": 3, "Thí sinh 4": 4}


def test_with_the_latest_attempt_counting_its_prediction_comes_with_its_score():
    contest, round_, questions = make_contest(max_attempts=3, counting=Round.Counting.LATEST)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    p = services.participant_register(
        contest=contest,
        full_name="Nguyễn Văn An",
        unit_id=school.pk,
        consent=True,
        date_of_birth=date(2010, 5, 1),
        email="an@example.org",
    )
    _perfect(p, round_, questions, 50)
    second = services.attempt_start(participant=p, round_=round_)
    services.attempt_submit(participant_id=p.pk, attempt_id=second.pk, answers=[], prediction=4)
    result = RoundResult.objects.get(round=round_, participant=p)
    assert (result.attempt_id, result.score, result.prediction) == (second.pk, 0, 4)


def test_among_attempts_without_points_the_first_counts_not_the_quickest():
    """Time counts only towards points: a tester's 0-point paper (2 s) lost to a blank attempt
    handed in 6 ms later on time, and the blank one's prediction came with it."""
    from contest import ranking

    paper = {"pk": 1, "number": 1, "score": 0, "time_ms": 2010, "prediction": 5}
    blank = {"pk": 2, "number": 2, "score": 0, "time_ms": 6, "prediction": 100}
    assert ranking.counted_attempt([paper, blank], Round.Counting.BEST)["pk"] == 1
    scored = {"pk": 3, "number": 3, "score": 1000, "time_ms": 9000, "prediction": 7}
    quicker = {"pk": 4, "number": 4, "score": 1000, "time_ms": 3000, "prediction": 8}
    assert ranking.counted_attempt([paper, scored, quicker], Round.Counting.BEST)["pk"] == 4
