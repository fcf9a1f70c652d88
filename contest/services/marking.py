"""Marking: an attempt's points from its stored answers, and the participant's counted result.

The bottom of the contest services (marking <- attempts <- results <- rounds): grading comes from
quizzes.grading, points from the scoring strategies (contest.scoring: contests use `accuracy`
with partial credit, so points = weight x 1000 x fraction; time only breaks ties), which attempt
counts from contest.ranking.counted_attempt. Scores can always be rebuilt from stored answers.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.db import connection

from contest import boards, ranking
from contest.models import Answer, Attempt, Correction, Participant, Round, RoundResult
from contest.scoring import ScoringOptions, get_strategy
from core.queries import models_where, one_or_none
from core.timestamps import epoch_ms
from quizzes.grading import answer_key, grade
from quizzes.models import Question

# Contest points: the accuracy strategy with partial credit (a multi or order answer half right
# earns half the points); no streak bonus, no speed bonus.
CONTEST_STRATEGY = get_strategy("accuracy")
CONTEST_OPTIONS = ScoringOptions(partial_credit=True)
FINISHED = (Attempt.Status.SUBMITTED, Attempt.Status.EXPIRED)


def points_for(fraction: float | None, weight: int) -> int:
    """Points of one contest answer: the contest strategy's points (no clock: the time taken is a
    tie-break, not a score)."""
    return CONTEST_STRATEGY.points(
        fraction, weight=weight, elapsed_ms=0, limit_ms=1, options=CONTEST_OPTIONS
    )


def max_points_for(weight: int) -> int:
    """What a fully correct answer of this weight earns."""
    return points_for(1.0, weight)


# Answer keys of question revisions (a published revision never changes: edits make new rows).
_KEYS: OrderedDict[int, dict] = OrderedDict()


def keys_at_hand(question_ids) -> bool:
    """Whether this process already holds the keys of these questions (no query needed)."""
    return all(pk in _KEYS for pk in question_ids)


def question_keys(question_ids: list[int]) -> dict[int, dict]:
    missing = [pk for pk in question_ids if pk not in _KEYS]
    if missing:
        for question in Question.objects.filter(pk__in=missing).prefetch_related("choices"):
            _KEYS[question.pk] = answer_key(question)
        while len(_KEYS) > 5000:
            _KEYS.popitem(last=False)
    return {pk: _KEYS[pk] for pk in question_ids if pk in _KEYS}


def round_corrections(round_: Round) -> list[Correction]:
    """The round's corrections in the order they were made (a later one overrides an earlier
    one), as Correction.objects.filter(round=round_) reads them. Every hand-in grades with them:
    on PostgreSQL one fixed statement, where Django compiled its query each time
    (tests/contest/test_attempt_statement.py: the same corrections)."""
    if connection.vendor != "postgresql":
        return list(Correction.objects.filter(round=round_))
    return models_where(Correction, "t.round_id = %s", [round_.pk], order_by="t.created_at, t.id")


def effective_keys(
    round_: Round, question_ids: list[int], corrections=None
) -> dict[int, dict | None]:
    """Grading keys with the round's corrections applied: None for a voided question."""
    keys: dict[int, dict | None] = dict(question_keys(question_ids))
    if corrections is None:
        corrections = round_corrections(round_)
    for correction in corrections:
        if correction.question_id in keys:
            if correction.kind == Correction.Kind.VOID:
                keys[correction.question_id] = None
            elif keys[correction.question_id] is not None:
                keys[correction.question_id] = dict(correction.key)
    return keys


# --- Start -------------------------------------------------------------------------------------


SCORE_FIELDS = ["score", "max_score", "correct_count", "all_correct", "time_ms"]


def _answers_points_update(answers: list[Answer]) -> None:
    """Store answers' fraction and points. On PostgreSQL one UPDATE from arrays: Django's
    bulk_update builds and resolves a CASE expression per row and field, which costs CPU time
    that every other request waits for (bench/README.md, "Live game", profile)."""
    if connection.vendor != "postgresql":
        Answer.objects.bulk_update(answers, ["fraction", "points"], batch_size=2000)
        return
    with connection.cursor() as cursor:
        for start in range(0, len(answers), 5000):
            chunk = answers[start : start + 5000]
            cursor.execute(
                "UPDATE contest_answer AS a SET fraction = v.f, points = v.p "
                "FROM unnest(%s::bigint[], %s::float8[], %s::integer[]) AS v(id, f, p) "
                "WHERE a.id = v.id",
                [[x.pk for x in chunk], [x.fraction for x in chunk], [x.points for x in chunk]],
            )


def attempt_answers(attempt: Attempt) -> list[Answer]:
    """The attempt's stored answers, as attempt.answers.all() reads them (each with its attempt).
    Every hand-in scores them: on PostgreSQL one fixed statement, where Django compiled its
    query each time (tests/contest/test_attempt_statement.py: the same answers)."""
    if connection.vendor != "postgresql":
        return list(attempt.answers.all())
    answers = models_where(Answer, "t.attempt_id = %s", [attempt.pk])
    for answer in answers:
        answer.attempt = attempt
    return answers


def attempt_score(
    attempt: Attempt, *, keys: dict[int, dict | None] | None = None, answers=None
) -> bool:
    """Recompute an attempt's score fields from its stored answers; True when anything changed.
    Saves the answers' points; the caller saves the attempt."""
    if keys is None:
        keys = effective_keys(attempt.round, [item["q"] for item in attempt.paper])
    if answers is None:
        answers = attempt_answers(attempt)
    changed_answers, changed = attempt_grade(attempt, keys, answers)
    if changed_answers:
        _answers_points_update(changed_answers)
    return changed


def attempt_grade(
    attempt: Attempt, keys: dict[int, dict | None], answers
) -> tuple[list[Answer], bool]:
    """Grade an attempt's answers with the keys (None: a voided question) and set its score
    fields; writes nothing. (the answers whose fraction or points changed, whether any of the
    attempt's score fields changed)"""
    by_question = {a.question_id: a for a in answers}
    score = max_score = correct = 0
    scored = 0
    all_correct = True
    changed_answers = []
    for item in attempt.paper:
        key = keys.get(item["q"])
        answer = by_question.get(item["q"])
        fraction = None
        if key is not None:
            fraction = grade(key, answer.response if answer else None)
        points = points_for(fraction, item["w"])
        if answer is not None and (answer.fraction != fraction or answer.points != points):
            answer.fraction, answer.points = fraction, points
            changed_answers.append(answer)
        if fraction is None:
            continue  # voided or unscored
        scored += 1
        max_score += max_points_for(item["w"])
        score += points
        if fraction >= 1.0:
            correct += 1
        else:
            all_correct = False
    end = attempt.submitted_at or attempt.deadline
    time_ms = max(0, int((min(end, attempt.deadline) - attempt.started_at).total_seconds() * 1000))
    new = (score, max_score, correct, all_correct and scored > 0, time_ms)
    old = (
        attempt.score,
        attempt.max_score,
        attempt.correct_count,
        attempt.all_correct,
        attempt.time_ms,
    )
    (
        attempt.score,
        attempt.max_score,
        attempt.correct_count,
        attempt.all_correct,
        attempt.time_ms,
    ) = new
    return changed_answers, new != old


# One statement instead of update_or_create's lock, read and write (the unique constraint is
# partial, which Django's bulk upsert cannot name).
_RESULT_UPSERT_SQL = """
INSERT INTO contest_roundresult (round_id, participant_id, attempt_id, nickname, unit_id, score,
    max_score, time_ms, submitted_at, prediction, all_correct, rank)
VALUES (%(round)s, %(participant)s, %(attempt)s, '', %(unit)s, %(score)s, %(max_score)s,
    %(time_ms)s, %(submitted_at)s, %(prediction)s, %(all_correct)s, NULL)
ON CONFLICT (round_id, participant_id) WHERE participant_id IS NOT NULL DO UPDATE SET
    attempt_id = EXCLUDED.attempt_id, unit_id = EXCLUDED.unit_id, score = EXCLUDED.score,
    max_score = EXCLUDED.max_score, time_ms = EXCLUDED.time_ms,
    submitted_at = EXCLUDED.submitted_at, prediction = EXCLUDED.prediction,
    all_correct = EXCLUDED.all_correct
RETURNING id, rank
"""


# What round_result_refresh reads of a participant's finished attempts in a round.
_ATTEMPT_FIELDS = (
    "pk",
    "number",
    "score",
    "max_score",
    "time_ms",
    "submitted_at",
    "prediction",
    "all_correct",
)


def _finished_attempts_sql() -> str:
    meta = Attempt._meta
    column = {field.name: field.column for field in meta.concrete_fields}
    column["pk"] = column["id"]
    return (
        f"SELECT {', '.join(column[name] for name in _ATTEMPT_FIELDS)} FROM {meta.db_table}"
        f" WHERE {column['round']} = %s AND {column['participant']} = %s"
        f" AND {column['status']} = ANY(%s)"
    )


_FINISHED_ATTEMPTS_SQL: str | None = None


def finished_attempts(round_id: int, participant_id: int) -> list[dict[str, Any]]:
    """A participant's finished attempts in a round, as dicts of _ATTEMPT_FIELDS. On PostgreSQL
    one fixed statement: every hand-in refreshes its result, and compiling the ORM's query cost
    more CPU than running it (tests/contest/test_attempt_statement.py: the two read the same)."""
    global _FINISHED_ATTEMPTS_SQL
    if connection.vendor != "postgresql":
        return [
            dict(a)
            for a in Attempt.objects.filter(
                round_id=round_id, participant_id=participant_id, status__in=FINISHED
            )
            .order_by()
            .values(*_ATTEMPT_FIELDS)
        ]
    if _FINISHED_ATTEMPTS_SQL is None:
        _FINISHED_ATTEMPTS_SQL = _finished_attempts_sql()
    with connection.cursor() as cursor:
        cursor.execute(_FINISHED_ATTEMPTS_SQL, [round_id, participant_id, list(FINISHED)])
        return [dict(zip(_ATTEMPT_FIELDS, row, strict=True)) for row in cursor.fetchall()]


def round_result_refresh(
    *, round_: Round, participant_id: int, update_boards: bool = True, participant=None
) -> RoundResult | None:
    """Recompute which attempt counts for a participant and store it as their round result.
    A caller that has the participant (with its school) passes it: fewer queries."""
    attempts = finished_attempts(round_.pk, participant_id)
    for a in attempts:
        a["submitted_ms"] = epoch_ms(a["submitted_at"])
    counted = ranking.counted_attempt(attempts, round_.counting)
    if counted is None:
        RoundResult.objects.filter(round=round_, participant_id=participant_id).delete()
        result = None
    else:
        # The prediction is the counted attempt's own. It was the last one given in any
        # finished attempt: a tester handed in a perfect paper, then opened a blank attempt just
        # before the close (knowing the actual number best) to type a new prediction, and moved
        # from 4th to 2nd on a paper that did not count.
        prediction = counted["prediction"]
        if participant is not None and participant.pk == participant_id:
            unit_id = participant.unit_id
        else:
            participant = None
            unit_id = one_or_none(
                Participant.objects.filter(pk=participant_id).values_list("unit_id", flat=True)
            )
        fields = {
            "attempt_id": counted["pk"],
            "unit_id": unit_id,
            "score": counted["score"],
            "max_score": counted["max_score"],
            "time_ms": counted["time_ms"] or 0,
            "submitted_at": counted["submitted_at"],
            "prediction": prediction,
            "all_correct": counted["all_correct"],
        }
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    _RESULT_UPSERT_SQL,
                    {
                        "round": round_.pk,
                        "participant": participant_id,
                        "attempt": fields["attempt_id"],
                        "unit": unit_id,
                        "score": fields["score"],
                        "max_score": fields["max_score"],
                        "time_ms": fields["time_ms"],
                        "submitted_at": fields["submitted_at"],
                        "prediction": prediction,
                        "all_correct": fields["all_correct"],
                    },
                )
                pk, rank = cursor.fetchone()
            result = RoundResult(
                pk=pk, round=round_, participant_id=participant_id, rank=rank, **fields
            )
        else:
            result, _created = RoundResult.objects.update_or_create(
                round=round_, participant_id=participant_id, defaults=fields
            )
    if update_boards:
        if participant is not None and result is not None:
            boards.participant_changed(
                round_, participant_id, result=result, participant=participant
            )
        else:
            boards.participant_changed(round_, participant_id)
    return result
