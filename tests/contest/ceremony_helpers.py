"""Builders for ceremony tests: a closed round whose results come from stored attempts."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from contest.models import Attempt, Participant
from contest.services.results import round_result_refresh
from tests.contest.helpers import make_contest, make_school


def add_person(contest, round_, school_units, name: str, attempts: list[tuple[int, int, float]]):
    """A participant with finished attempts [(score, time_ms, hours before the close)]."""
    p = Participant.objects.create(
        contest=contest,
        full_name=name,
        name_key=name.lower(),
        public_name=name,
        unit=school_units["class"],
        class_unit=school_units["class"],
        school=school_units["school"],
        district=school_units["district"],
        province=school_units["province"],
        consent_at=timezone.now(),
    )
    for number, (score, time_ms, hours) in enumerate(attempts, start=1):
        at = round_.closes_at - timedelta(hours=hours)
        Attempt.objects.create(
            round=round_,
            participant=p,
            number=number,
            status=Attempt.Status.SUBMITTED,
            started_at=at - timedelta(milliseconds=time_ms),
            deadline=at + timedelta(minutes=10),
            submitted_at=at,
            seed=number,
            score=score,
            max_score=3000,
            time_ms=time_ms,
        )
    round_result_refresh(round_=round_, participant_id=p.pk, update_boards=False)
    return p


def closed_round(people: list[tuple[str, str, list[tuple[int, int, float]]]], **round_fields):
    """A contest whose round closed a minute ago, with `people` [(name, school, attempts)]."""
    now = timezone.now()
    fields = dict(
        opens_at=now - timedelta(days=3),
        closes_at=now - timedelta(minutes=1),
        prediction_text_vi="",
        prediction_text_en="",
        max_attempts=3,
    )
    fields.update(round_fields)
    contest, round_, _questions = make_contest(**fields)
    schools: dict[str, dict] = {}
    made = []
    for name, school, attempts in people:
        if school not in schools:
            schools[school] = make_school(f"S{len(schools)}", school)
        made.append(add_person(contest, round_, schools[school], name, attempts))
    return contest, round_, made
