"""A hand-in reads its attempt with the round, contest, participant and school in one fixed
statement on PostgreSQL (contest/services/attempts.py _attempt_with_relations, core/queries.py
Columns): it must build exactly what Django's select_related query builds."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from contest.models import Attempt, Contest, Participant, Round
from contest.services.attempts import _attempt_with_relations
from quizzes.models import Unit
from tests.contest.helpers import register, start_attempt

pytestmark = pytest.mark.django_db


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _orm(attempt_id, participant_id):
    return Attempt.objects.select_related("round__contest", "participant__school").get(
        pk=attempt_id, participant_id=participant_id
    )


@pytest.mark.parametrize("lock", [False, True])
def test_the_statement_builds_what_the_orm_builds(setup, lock):
    contest, round_, _questions, units = setup
    Round.objects.filter(pk=round_.pk).update(ranking_chain=["score", "time"])
    token = register(APIClient(), contest, units["class"])
    body = start_attempt(APIClient(), round_, token)
    attempt = Attempt.objects.get(pk=body["id"])
    Attempt.objects.filter(pk=attempt.pk).update(prediction=12.5)

    with transaction.atomic():
        read = _attempt_with_relations(attempt.participant_id, attempt.pk, lock=lock)
    orm = _orm(attempt.pk, attempt.participant_id)
    assert read is not None
    for mine, theirs in [
        (read, orm),
        (read.round, orm.round),
        (read.round.contest, orm.round.contest),
        (read.participant, orm.participant),
        (read.participant.school, orm.participant.school),
    ]:
        assert type(mine) is type(theirs)
        assert _values(mine) == _values(theirs)
        assert mine._state.adding is False
    assert read.paper == orm.paper  # JSON, parsed
    assert isinstance(read.paper, list)


def test_someone_elses_attempt_is_not_read(setup):
    contest, round_, _questions, units = setup
    token = register(APIClient(), contest, units["class"])
    body = start_attempt(APIClient(), round_, token)
    attempt = Attempt.objects.get(pk=body["id"])
    assert _attempt_with_relations(attempt.participant_id + 1, attempt.pk, lock=False) is None


def test_no_model_read_by_the_statement_needs_a_converter_the_statement_does_not_apply():
    """Columns applies JSON parsing only: a new field with a database converter must fail here."""
    for model in (Attempt, Round, Contest, Participant, Unit):
        for field in model._meta.concrete_fields:
            if field.get_internal_type() == "JSONField":
                continue
            assert not field.get_db_converters(connection), (model.__name__, field.name)
