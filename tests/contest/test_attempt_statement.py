"""A hand-in reads its attempt with the round, contest, participant and school in one fixed
statement on PostgreSQL (contest/services/attempts.py _attempt_with_relations, core/queries.py
Columns): it must build exactly what Django's select_related query builds. Its result's refresh
reads the participant's finished attempts in another (contest/services/marking.py
finished_attempts): the same rows and values as Django's query."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from contest.models import Attempt, Contest, Participant, Round
from contest.services.attempts import _attempt_with_relations
from contest.services.marking import _ATTEMPT_FIELDS, FINISHED, finished_attempts
from quizzes.models import Unit
from tests.contest.helpers import TOKEN_HEADER, register, start_attempt

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


def _submit(client, attempt_id, token, **body):
    response = client.post(
        f"/api/attempts/{attempt_id}/submit/", body, format="json", **{TOKEN_HEADER: token}
    )
    assert response.status_code == 200, response.json()


def test_a_hand_in_reads_the_finished_attempts_the_orm_reads(setup):
    """round_result_refresh's fixed statement (marking.finished_attempts) reads what Django's
    query reads: every finished attempt of the participant in the round, each value alike;
    not an attempt still open, another participant's or another round's."""
    contest, round_, _questions, units = setup
    Round.objects.filter(pk=round_.pk).update(max_attempts=3)
    client = APIClient()
    token = register(client, contest, units["class"])
    other = register(APIClient(), contest, units["class"], name="Trần Thị Bình")
    first = start_attempt(client, round_, token)
    _submit(client, first["id"], token, prediction=12)
    second = start_attempt(client, round_, token)
    _submit(client, second["id"], token)
    start_attempt(client, round_, token)  # the third, still open
    _submit(APIClient(), start_attempt(APIClient(), round_, other)["id"], other)
    participant_id = Attempt.objects.get(pk=first["id"]).participant_id

    read = finished_attempts(round_.pk, participant_id)
    orm = list(
        Attempt.objects.filter(round=round_, participant_id=participant_id, status__in=FINISHED)
        .order_by()
        .values(*_ATTEMPT_FIELDS)
    )
    assert sorted(read, key=lambda a: a["pk"]) == sorted(orm, key=lambda a: a["pk"])
    assert sorted(a["pk"] for a in read) == [first["id"], second["id"]]
    assert {type(a["prediction"]) for a in read} == {type(a["prediction"]) for a in orm}
    assert finished_attempts(round_.pk + 1, participant_id) == []
