"""Rules that have one home (issue 14): ranking, contest points, scored types, finalizing.

Where two copies of a rule were merged, these tests say the callers still agree: teams, units and
contests rank like rank_rows; contest points are the scoring strategy's points (and the numbers
the old formula gave); every question type is scored or not in one place; a plain read of a
closed round's results never writes, and the one finalizing read does, once.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest import ranking, selectors, services
from contest.models import Round
from contest.scoring import ScoringOptions, get_strategy, team_scores
from contest.services.marking import max_points_for, points_for
from quizzes.grading import SCORED_TYPES, UNSCORED_TYPES, grade, is_scored_type
from quizzes.models import QuestionType

from .ceremony_helpers import closed_round


def _competition_ranks(scores: dict[int, int]) -> dict[int, int]:
    """The reference: 1 + how many have strictly more points (1, 2, 2, 4)."""
    return {i: 1 + sum(1 for other in scores.values() if other > s) for i, s in scores.items()}


scores_by_id = st.dictionaries(st.integers(1, 10**6), st.integers(0, 10**6), max_size=30)


@given(scores_by_id)
def test_teams_units_and_contests_rank_alike_through_rank_rows(scores):
    """One entity per team, unit and contest row: the same scores give the same ranks."""
    expected = _competition_ranks(scores)
    teams = {r["team"]: r["rank"] for r in team_scores({i: [s] for i, s in scores.items()})}
    units = {
        r["unit_id"]: r["rank"]
        for r in ranking.aggregate_units(list(scores.items()), {i: 1 for i in scores}, "sum")
    }
    rows = ranking.combine_rounds({1: [{"id": i, "score": s} for i, s in scores.items()]}, {1: 1})
    contest = {r["id"]: r["rank"] for r in ranking.rank_rows(rows, ("score", "time", "submitted"))}
    assert teams == units == contest == expected


fractions = st.none() | st.floats(0, 1, allow_nan=False) | st.sampled_from([0.0, 0.5, 1.0])


@given(fractions, st.integers(0, 2), st.integers(0, 10**6), st.integers(1, 10**6))
def test_contest_points_are_the_accuracy_strategys_points(fraction, weight, elapsed, limit):
    """Contest points come from the accuracy strategy with partial credit (time never counts),
    and are what contests always gave: weight x 1000 x fraction, rounded."""
    strategy = get_strategy("accuracy").points(
        fraction,
        weight=weight,
        elapsed_ms=elapsed,
        limit_ms=limit,
        options=ScoringOptions(partial_credit=True),
    )
    assert points_for(fraction, weight) == strategy
    assert points_for(fraction, weight) == (
        0 if fraction is None else round(1000 * weight * fraction)
    )
    assert max_points_for(weight) == 1000 * weight


def test_every_question_type_is_scored_or_not_in_one_place():
    assert SCORED_TYPES | UNSCORED_TYPES == set(QuestionType.values)
    assert not SCORED_TYPES & UNSCORED_TYPES
    for qtype in QuestionType.values:
        # grade() gives no fraction exactly for the unscored types.
        assert (grade({"type": qtype}, None) is not None) == is_scored_type(qtype)


@pytest.mark.django_db
def test_reading_results_never_finalizes_and_the_finalizing_read_does_it_once():
    _contest, round_, _people = closed_round(
        [("Nguyễn An", "Trường A", [(2000, 60_000, 1)]), ("Trần Bình", "Trường B", [(1000, 1, 1)])]
    )
    assert round_.needs_finalizing()
    rows = selectors.round_results(round_=round_, user=None)
    round_.refresh_from_db()
    assert [r["score"] for r in rows] == [2000, 1000]
    assert round_.finalized_at is None  # a plain read wrote nothing

    services.round_finalize_if_due(round_)
    assert round_.finalized_at is not None
    assert not round_.needs_finalizing()
    stamp = round_.finalized_at
    services.round_finalize_if_due(round_)
    round_.refresh_from_db()
    assert round_.finalized_at == stamp


@pytest.mark.django_db
def test_the_results_api_never_finalizes_a_closed_round_its_job_does(api_client, monkeypatch):
    """The close is the round_finalize job's (tests/contest/test_round_close_job.py): meanwhile
    the public read says to try again, and the job's rule makes the results final."""
    from quizzes.background import backends

    monkeypatch.setattr(backends, "dispatch", lambda job_id, delay=0: None)  # no worker yet
    _contest, round_, _people = closed_round([("Nguyễn An", "Trường A", [(2000, 60_000, 1)])])
    reply = api_client.get(f"/api/rounds/{round_.pk}/results/")
    assert reply.status_code == 409, reply.json()
    assert reply.json()["code"] == "results_not_final"
    assert Round.objects.get(pk=round_.pk).finalized_at is None
    services.round_finalize_if_due(round_)
    reply = api_client.get(f"/api/rounds/{round_.pk}/results/")
    assert reply.json()["rows"][0]["rank"] == 1
    assert reply.json()["rows"][0]["rank_status"] == "final"
