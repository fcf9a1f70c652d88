"""The attempt paths' fixed statements on PostgreSQL (core/queries.py Columns, models_where,
insert_model, and the statements written out) read and write what Django's queries do: the same
rows, the same values, the same order and the same refusals.

A hand-in reads its attempt with the round, contest, participant and school in one statement
(contest/services/attempts.py _attempt_with_relations): it must build exactly what Django's
select_related query builds. Every attempt request reads its participant and school; a start its
attempts, its quiz's items, and inserts its attempt; a hand-in its answers, the round's
corrections, the contest's end, the participant's finished attempts, the contest's rounds and
the participant's contest results."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from contest.boards.rows import contest_rounds
from contest.models import Attempt, Contest, Correction, Participant, Round
from contest.services.attempts import _attempt_with_relations
from contest.services.marking import (
    _ATTEMPT_FIELDS,
    FINISHED,
    effective_keys,
    finished_attempts,
    round_corrections,
)
from contest.services.registration import _participant_with_school
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


def _another_round(round_, position, **fields):
    """A round of the same contest and quiz, open as long as `round_` unless `fields` say."""
    return Round.objects.create(
        **{
            "contest": round_.contest,
            "position": position,
            "title_vi": f"Vòng {position}",
            "title_en": f"Round {position}",
            "opens_at": round_.opens_at,
            "closes_at": round_.closes_at,
            "quiz": round_.quiz,
            **fields,
        }
    )


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


def test_the_contests_rounds_are_read_as_the_orm_reads_them(setup):
    """The boards' fixed statement (contest.boards.rows.contest_rounds) gives the rounds
    contest.rounds.all() gives: the same order, every value alike, each with its contest."""
    contest, round_, _questions, _units = setup
    # The same position: the id breaks the tie, as Meta.ordering does.
    later = _another_round(round_, round_.position)
    _another_round(round_, round_.position - 1, ranking_chain=["score", "time"])
    read = contest_rounds(contest)
    orm = list(Contest.objects.get(pk=contest.pk).rounds.all())
    assert [r.pk for r in read] == [r.pk for r in orm]
    assert [r.pk for r in read][-2:] == [round_.pk, later.pk]
    assert [_values(r) for r in read] == [_values(r) for r in orm]
    assert all(r.contest is contest for r in read)  # no query for it
    assert contest_rounds(Contest.objects.create(title_vi="Trống", title_en="Empty")) == []


def test_a_token_names_the_participant_and_school_the_orm_reads(setup):
    """The attempt requests' fixed statement (registration._participant_with_school) builds the
    participant and school that select_related("school") builds, and only in their contest."""
    contest, _round, _questions, units = setup
    token = register(APIClient(), contest, units["class"])
    participant = Participant.objects.get(contest=contest)
    read = _participant_with_school(participant.pk, contest)
    orm = Participant.objects.select_related("school").get(pk=participant.pk)
    assert token
    assert read is not None
    assert _values(read) == _values(orm)
    assert _values(read.school) == _values(orm.school)
    other = Contest.objects.create(title_vi="Khác", title_en="Other")
    assert _participant_with_school(participant.pk, other) is None


def test_a_hand_in_grades_with_the_corrections_the_orm_reads(setup):
    """Grading's fixed statement (marking.round_corrections) reads the round's corrections as
    Django's query does, in the order they were made: a later key fix overrides an earlier one,
    so the order is part of the score."""
    contest, round_, questions, _units = setup
    other = _another_round(round_, round_.position + 1)
    first, second, third = questions[:3]
    Correction.objects.create(round=round_, question=second, kind="key", key={"choices": [1]})
    Correction.objects.create(round=round_, question=first, kind="void", reason="Sai đề")
    Correction.objects.create(round=round_, question=second, kind="key", key={"choices": [2]})
    Correction.objects.create(round=other, question=third, kind="void")
    read = round_corrections(round_)
    orm = list(Correction.objects.filter(round=round_))
    assert [c.pk for c in read] == [c.pk for c in orm]
    assert [_values(c) for c in read] == [_values(c) for c in orm]
    assert read[-1].key == {"choices": [2]}  # JSON, parsed
    keys = effective_keys(round_, [first.pk, second.pk, third.pk])
    assert keys[first.pk] is None
    assert keys[second.pk] == {"choices": [2]}
    assert keys[third.pk] is not None  # voided in the other round only
    # A hand-in reads them with its attempt (the locked read), in the same order.
    token = register(APIClient(), contest, _units["class"])
    attempt = Attempt.objects.get(pk=start_attempt(APIClient(), round_, token)["id"])
    with transaction.atomic():
        locked = _attempt_with_relations(attempt.participant_id, attempt.pk, lock=True)
    assert locked is not None
    assert locked.corrections_read is not None
    assert [(c.question_id, c.kind, c.key) for c in locked.corrections_read] == [
        (c.question_id, c.kind, c.key) for c in orm
    ]
    qids = [first.pk, second.pk, third.pk]
    assert effective_keys(round_, qids, locked.corrections_read) == keys


def test_a_participants_contest_results_are_read_as_the_orm_reads_them(setup):
    """The hand-in's contest rows (contest.boards.rows._contest_results for one participant, a
    fixed statement) are that participant's rows of the ORM's query over every participant:
    each round's score, time, submission instant (in milliseconds) and public name; none from
    a masked round, another contest's or a live round's nameless rows."""
    from datetime import timedelta

    from django.utils import timezone

    from contest.boards.rows import _contest_results
    from contest.models import RoundResult

    contest, round_, _questions, units = setup
    second = _another_round(round_, round_.position + 1)
    register(APIClient(), contest, units["class"], name="Lê Văn Cường")
    register(APIClient(), contest, units["class"], name="Phạm Thị Dung")
    me, other = Participant.objects.filter(contest=contest).order_by("pk")
    instant = timezone.now().replace(microsecond=123456) - timedelta(minutes=3)
    for n, (r, p) in enumerate([(round_, me), (second, me), (round_, other), (second, other)]):
        RoundResult.objects.create(
            round=r, participant=p, score=10 * n, time_ms=1000 + n, submitted_at=instant
        )
    RoundResult.objects.create(round=second, participant=None, nickname="khách", score=99)
    RoundResult.objects.filter(round=second, participant=other).update(submitted_at=None)
    for masked in ({}, {second.pk: "hidden"}, {round_.pk: "frozen", second.pk: "hidden"}):
        everyone = _contest_results(contest, masked, None)  # the ORM's query
        for participant in (me, other):
            mine = _contest_results(contest, masked, participant.pk)
            assert sorted(mine) == sorted(row for row in everyone if row[1] == participant.pk)
    assert len(_contest_results(contest, {}, me.pk)) == 2
    assert _contest_results(contest, {}, me.pk)[0][4] % 1000 == 123  # milliseconds kept


def test_a_start_reads_the_attempts_the_orm_reads(setup):
    """A start's fixed statement (attempts._open_or_in_round) reads the attempts Django's query
    reads: the participant's open one in any round and all theirs in this round, not another
    participant's; each without its paper until asked, as QuerySet.defer leaves it."""
    from django.db.models import Q

    from contest.services.attempts import _open_or_in_round

    contest, round_, _questions, units = setup
    Round.objects.filter(pk=round_.pk).update(max_attempts=3)
    round_.refresh_from_db()
    second = _another_round(round_, round_.position + 1)
    client = APIClient()
    token = register(client, contest, units["class"])
    other = register(APIClient(), contest, units["class"], name="Trần Thị Bình")
    _submit(client, start_attempt(client, round_, token)["id"], token)
    start_attempt(client, second, token)  # open, in the other round
    start_attempt(APIClient(), round_, other)
    participant = Participant.objects.get(
        contest=contest, pk=Attempt.objects.get(round=second).participant_id
    )
    for in_round in (round_, second):
        read = _open_or_in_round(participant, in_round)
        orm = list(
            Attempt.objects.filter(
                Q(participant=participant) & (Q(status=Attempt.Status.OPEN) | Q(round=in_round))
            )
            .defer("paper")
            .order_by()
        )
        assert sorted(a.pk for a in read) == sorted(a.pk for a in orm)
        by_pk = {a.pk: a for a in orm}
        for attempt in read:
            assert attempt.get_deferred_fields() == by_pk[attempt.pk].get_deferred_fields()
            assert attempt.get_deferred_fields() == {"paper"}
            fields = {f.attname for f in Attempt._meta.concrete_fields} - {"paper"}
            assert {f: getattr(attempt, f) for f in fields} == {
                f: getattr(by_pk[attempt.pk], f) for f in fields
            }
            assert attempt.paper == Attempt.objects.get(pk=attempt.pk).paper  # read when asked
    assert len(_open_or_in_round(participant, round_)) == 2  # the finished one and the open one


def test_a_hand_in_scores_the_answers_the_orm_reads(setup):
    """Scoring's fixed statement (marking.attempt_answers) reads the attempt's stored answers
    as attempt.answers.all() does: each answer, its response (JSON, parsed) and points."""
    from contest.models import Answer
    from contest.services.marking import attempt_answers

    contest, round_, questions, units = setup
    client = APIClient()
    token = register(client, contest, units["class"])
    mine = Attempt.objects.get(pk=start_attempt(client, round_, token)["id"])
    theirs = Attempt.objects.get(
        pk=start_attempt(
            APIClient(), round_, register(APIClient(), contest, units["class"], name="B")
        )["id"]
    )
    now = mine.started_at
    Answer.objects.create(
        attempt=mine, question=questions[0], response={"choices": [1]}, saved_at=now
    )
    Answer.objects.create(
        attempt=mine,
        question=questions[1],
        response={"text": "Hà Nội"},
        saved_at=now,
        fraction=0.5,
        points=5,
    )
    Answer.objects.create(
        attempt=theirs, question=questions[0], response={"choices": [2]}, saved_at=now
    )
    read = attempt_answers(mine)
    orm = list(Attempt.objects.get(pk=mine.pk).answers.all())
    assert sorted((_values(a) for a in read), key=lambda v: v["id"]) == sorted(
        (_values(a) for a in orm), key=lambda v: v["id"]
    )
    assert {a.question_id for a in read} == {questions[0].pk, questions[1].pk}
    assert all(a.attempt is mine for a in read)  # no query for it


def test_a_start_reads_the_quizs_items_as_the_orm_reads_them(setup):
    """A start's paper is drawn from the quiz's items (quizzes.services.quizzes._item_rows, a
    fixed statement): the rows Django's query gives, in play order (position, then id), with
    each item's own time limit and points and its question's last change."""
    from quizzes.models import QuizItem
    from quizzes.services.quizzes import _item_rows

    _contest, round_, questions, _units = setup
    quiz = round_.quiz
    first = QuizItem.objects.filter(quiz=quiz).order_by("position", "id").first()
    QuizItem.objects.create(
        quiz=quiz, question=questions[0], position=first.position, time_limit=45, points=3
    )
    read = _item_rows(quiz)
    orm = list(
        QuizItem.objects.filter(quiz=quiz)
        .order_by("position", "id")
        .values_list(
            "pk", "question_id", "position", "time_limit", "points", "question__updated_at"
        )
    )
    assert [tuple(row) for row in read] == orm
    assert len(read) == len(questions) + 1


def test_a_tokens_contest_end_is_the_last_rounds_close_as_the_orm_computes_it(setup):
    """A hand-in checks its token against the contest's end (registration.contest_ends_at, a
    fixed statement): the latest close of the contest's rounds, as Django's aggregate gives it,
    and none for a contest without rounds."""
    from datetime import timedelta

    from django.db.models import Max

    from contest.services.registration import contest_ends_at

    contest, round_, _questions, _units = setup
    _another_round(round_, round_.position + 1, closes_at=round_.closes_at + timedelta(days=2))
    _another_round(round_, round_.position + 2, closes_at=round_.closes_at - timedelta(days=1))
    orm = Round.objects.filter(contest_id=contest.pk).aggregate(end=Max("closes_at"))["end"]
    assert contest_ends_at(contest.pk) == orm == round_.closes_at + timedelta(days=2)
    # A hand-in reads it with its attempt (the locked read).
    token = register(APIClient(), contest, _units["class"])
    attempt = Attempt.objects.get(pk=start_attempt(APIClient(), round_, token)["id"])
    with transaction.atomic():
        locked = _attempt_with_relations(attempt.participant_id, attempt.pk, lock=True)
    assert locked is not None
    assert locked.contest_end_read == (orm,)
    assert contest_ends_at(Contest.objects.create(title_vi="Trống", title_en="Empty").pk) is None


def test_a_start_inserts_the_row_save_inserts(setup):
    """A start's fixed INSERT (core.queries.insert_model) stores what Model.save() stores, every
    column alike (the paper as JSON), gives the instance its id as save() does, and a second
    open attempt of one participant is refused by the database as save() saw it refused."""
    from django.db import IntegrityError
    from django.utils import timezone

    from core.queries import insert_model

    contest, round_, _questions, units = setup
    register(APIClient(), contest, units["class"])
    register(APIClient(), contest, units["class"], name="Trần Thị Bình")
    first, second = Participant.objects.filter(contest=contest).order_by("pk")
    now = timezone.now()

    def attempt(participant):
        return Attempt(
            round=round_,
            participant=participant,
            number=2,
            started_at=now,
            deadline=now,
            seed=2**47 + 5,
            paper=[{"q": 1, "w": 2, "o": [3, 4]}],
            prediction=12.5,
        )

    mine, theirs = attempt(first), attempt(second)
    insert_model(mine)
    theirs.save()
    assert mine.pk is not None
    assert mine._state.adding is False
    stored, saved = Attempt.objects.get(pk=mine.pk), Attempt.objects.get(pk=theirs.pk)
    fields = {f.attname for f in Attempt._meta.concrete_fields} - {"id", "participant_id"}
    assert {f: getattr(stored, f) for f in fields} == {f: getattr(saved, f) for f in fields}
    assert stored.paper == [{"q": 1, "w": 2, "o": [3, 4]}]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_model(attempt(first))  # one open attempt per participant
