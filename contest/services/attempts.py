"""Attempts at self-paced rounds (imports marking; results and rounds build on it): start (the server starts the clock), autosave, submit, expire.

Every write path checks the deadline with the server's clock, read once per operation:
deadline = min(started_at + time budget, round close) + settings.ANSWER_GRACE_SECONDS.
"""

from __future__ import annotations

import functools
import json
import random
import secrets
from collections import OrderedDict
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import orjson
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contest.models import (
    Answer,
    Attempt,
    Contest,
    Correction,
    Participant,
    Round,
    answer_grace,
)
from contest.services.marking import (
    SCORE_FIELDS,
    attempt_answers,
    attempt_grade,
    attempt_score,
    effective_keys,
    keys_at_hand,
    question_keys,
    round_result_refresh,
)
from contest.services.registration import participant_token_verify
from core.errors import ApplicationError, ForbiddenError, NotFoundError
from core.queries import Columns, insert_model, int_array, models_where, one_or_none
from quizzes.grading import UNSCORED_TYPES, InvalidResponse, finite_number, validate_response
from quizzes.models import CHOICE_TYPES, Question, Quiz, Unit
from quizzes.options import opaque_ids, shuffled_choices, to_real_response
from quizzes.services.quizzes import quiz_questions_for_play

MSG_NOT_OPEN = gettext_lazy("This round is not open.")
MSG_NOT_SELF_PACED = gettext_lazy("This round is played live, not here.")
MSG_NO_ATTEMPTS_LEFT = gettext_lazy("You have used all your attempts for this round.")
MSG_OTHER_OPEN = gettext_lazy("You already have an attempt in progress. Finish it first.")
MSG_DEADLINE = gettext_lazy("Time is up: this attempt can no longer be changed.")
MSG_FINISHED = gettext_lazy("This attempt is already finished.")
MSG_NOT_QUALIFIED = gettext_lazy("Only qualified participants take part in this round.")
MSG_NOT_IN_PAPER = gettext_lazy("This question is not part of your attempt.")
MSG_BAD_ANSWER = gettext_lazy("This answer does not fit the question.")
MSG_TWICE = gettext_lazy("This question is answered twice in one request.")
MSG_BAD_PREDICTION = gettext_lazy("The prediction must be a whole number from 0 to 1,000,000,000.")
MSG_NO_QUESTIONS = gettext_lazy("This round has no questions yet.")


def _grace() -> timedelta:
    return answer_grace()


# --- The paper ---------------------------------------------------------------------------------


# Contests score every question: unscored types (quizzes.grading) are never drawn (fixed quizzes
# play their items).


def draw_questions(*, quiz: Quiz, seed: int) -> list[tuple[Question, int]]:
    """(question revision, points weight) for one participant, reproducible from the seed: the
    question bank's own draw (quiz_questions_for_play), so games and contests pick alike."""
    try:
        items = quiz_questions_for_play(
            quiz=quiz, seed=seed, exclude_types=tuple(sorted(UNSCORED_TYPES)), keep=True
        )
    except ApplicationError as exc:
        if exc.code == "quiz_empty":
            return []
        raise
    return [(item.question, item.points) for item in items]


def build_paper(round_: Round, seed: int) -> list[dict[str, Any]]:
    """The participant's paper: questions, weights and option orders (seeded, reproducible).

    Options are always shuffled (quizzes.options.shuffled_choices), every type alike: per
    participant when the round shuffles options, else one order per round and question for
    everybody. The shown order never depends on the authored order or on the key."""
    if round_.quiz_id is None:
        raise ApplicationError("no_questions", MSG_NO_QUESTIONS)
    assert round_.quiz is not None  # quiz_id was checked just above
    picked = draw_questions(quiz=round_.quiz, seed=seed)
    if round_.shuffle_questions:
        random.Random(f"{seed}:order").shuffle(picked)
    paper = []
    for index, (question, weight) in enumerate(picked):
        options = []
        if question.type in CHOICE_TYPES:
            option_seed = (
                f"{seed}:{index}" if round_.shuffle_options else f"round:{round_.pk}:{question.pk}"
            )
            options = [c.pk for c in shuffled_choices(question=question, seed=option_seed)]
        paper.append({"q": question.pk, "w": int(weight), "o": options})
    if not paper:
        raise ApplicationError("no_questions", MSG_NO_QUESTIONS)
    return paper


# --- Opaque option ids ---------------------------------------------------------------------------
# The paper stores real choice ids; a participant only ever sees opaque ones (quizzes.options, as
# in live games), derived per attempt from a secret that never leaves the server. Replies map real
# to opaque ids (selectors.attempt_state, attempt_review); autosave and submit map them back here,
# so stored answers, grading, corrections, exports and recomputes keep the real ids.


def option_secret(attempt_id: int, seed: int) -> str:
    """The secret behind one attempt's opaque option ids (keyed by SECRET_KEY: the seed alone is
    too short to keep a participant from searching it)."""
    return salted_hmac(
        "contest.attempt.options", f"{attempt_id}:{seed}", algorithm="sha256"
    ).hexdigest()


def paper_option_ids(attempt: Attempt) -> dict[int, dict[str, str]]:
    """{question id: {real choice id: opaque id}} for the questions of an attempt with options."""
    secret = option_secret(attempt.pk, attempt.seed)
    return {item["q"]: opaque_ids(secret, item["o"]) for item in attempt.paper if item["o"]}


def _open_or_in_round(participant: Participant, round_: Round) -> list[Attempt]:
    """The participant's attempt in progress, whatever its round, and their attempts in this
    round, without their papers. Every start reads them: on PostgreSQL one fixed statement,
    where Django compiled the query each time (tests/contest/test_attempt_statement.py: the
    same attempts)."""
    if connection.vendor != "postgresql":
        return list(
            Attempt.objects.filter(
                Q(participant=participant) & (Q(status=Attempt.Status.OPEN) | Q(round=round_))
            )
            .defer("paper")
            .order_by()
        )
    return models_where(
        Attempt,
        "t.participant_id = %s AND (t.status = %s OR t.round_id = %s)",
        [participant.pk, Attempt.Status.OPEN.value, round_.pk],
        defer=("paper",),
    )


def attempt_start(*, participant: Participant, round_: Round) -> Attempt:
    """Start an attempt (or return the one in progress for this round, to resume it)."""
    now = timezone.now()
    if round_.contest_id != participant.contest_id:
        raise NotFoundError("not_found", _("Not found."))
    if round_.kind != Round.Kind.SELF_PACED:
        raise ApplicationError("live_round", MSG_NOT_SELF_PACED)
    current = None
    done = 0  # attempts this participant has had in this round
    # One query for the attempt in progress (at most one: a constraint; an overdue one expires)
    # and this round's attempts (their numbers); papers only for the one resumed.
    for attempt in _open_or_in_round(participant, round_):
        if attempt.round_id == round_.pk:
            done = max(done, attempt.number)
        if attempt.status != Attempt.Status.OPEN:
            continue
        if attempt.round_id == round_.pk:
            attempt.round = round_
        if attempt.deadline < now - _grace():
            attempt_expire(attempt=attempt)
        else:
            current = attempt
    if current is not None:
        if current.round_id == round_.pk:
            current.round = round_
            _remember_paper(current)
            return current
        raise ApplicationError(
            "attempt_open",
            MSG_OTHER_OPEN,
            {"attempt": current.pk, "round": current.round_id},
            status=409,
        )
    if not round_.is_open(now):
        raise ApplicationError("round_not_open", MSG_NOT_OPEN, status=409)
    if round_.qualifier_from_id and not round_.qualified.filter(pk=participant.pk).exists():
        raise ForbiddenError("not_qualified", MSG_NOT_QUALIFIED)
    if round_.max_attempts and done >= round_.max_attempts:
        raise ApplicationError("no_attempts_left", MSG_NO_ATTEMPTS_LEFT, status=409)
    seed = secrets.randbits(48)
    attempt = Attempt(
        round=round_,
        participant=participant,
        number=done + 1,
        started_at=now,
        deadline=min(now + timedelta(seconds=round_.time_limit_seconds), round_.closes_at),
        seed=seed,
        paper=build_paper(round_, seed),
    )
    try:
        # One INSERT: atomic by itself outside a transaction (no BEGIN/COMMIT round trips); a
        # savepoint inside one, so that the refusal leaves the caller's transaction usable.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            if connection.vendor == "postgresql":
                insert_model(attempt)  # one fixed INSERT (tests/contest/test_attempt_statement.py)
            else:
                attempt.save()
    except IntegrityError:
        # A second tab started at the same moment: the constraint keeps one open attempt, and
        # this start resumes it as any later start would (a 409 here told the participant to
        # finish an attempt they had not seen).
        for other in _open_or_in_round(participant, round_):
            if other.round_id == round_.pk and other.status == Attempt.Status.OPEN:
                other.round = round_
                _remember_paper(other)
                return other
        raise ApplicationError("attempt_open", MSG_OTHER_OPEN, status=409) from None
    attempt.no_answers_yet = True  # attempt_state need not ask the database
    _remember_paper(attempt)
    return attempt


# --- Autosave and submit -------------------------------------------------------------------------


def _open_attempt(participant_id: int, attempt_id: int, *, lock: bool = False) -> Attempt:
    # The participant (and school) and the contest come along: submitting updates the result
    # and both boards without asking for them again.
    if connection.vendor == "postgresql":
        attempt = _attempt_with_relations(participant_id, attempt_id, lock=lock)
    else:
        qs = Attempt.objects.select_related("round__contest", "participant__school")
        if lock:
            qs = qs.select_for_update(of=("self",))
        attempt = one_or_none(qs.filter(pk=attempt_id, participant_id=participant_id))
    if attempt is None:
        raise NotFoundError("not_found", _("Not found."))
    return attempt


@functools.cache
def _attempt_statement(lock: bool) -> tuple[str, tuple[Columns, ...]]:
    parts = (
        Columns(Attempt, "a"),
        Columns(Round, "r"),
        Columns(Contest, "c"),
        Columns(Participant, "p"),
        Columns(Unit, "s"),
    )
    table = {m: m._meta.db_table for m in (Attempt, Round, Contest, Participant, Unit)}
    sql = (
        f"SELECT {', '.join(part.sql for part in parts)} FROM {table[Attempt]} a"
        f" JOIN {table[Round]} r ON r.id = a.round_id"
        f" JOIN {table[Contest]} c ON c.id = r.contest_id"
        f" JOIN {table[Participant]} p ON p.id = a.participant_id"
        f" JOIN {table[Unit]} s ON s.id = p.school_id"
        " WHERE a.id = %s AND a.participant_id = %s" + (" FOR UPDATE OF a" if lock else "")
    )
    if lock:
        # A hand-in grades with the round's corrections (marking.round_corrections' rows, in
        # its order) and checks its token against the contest's end (registration.
        # contest_ends_at's): both read with the attempt, not in statements of their own.
        corrections = (
            "(SELECT coalesce(json_agg(json_build_array(x.question_id, x.kind, x.key)"
            f" ORDER BY x.created_at, x.id), '[]')::text FROM {Correction._meta.db_table} x"
            " WHERE x.round_id = r.id)"
        )
        end = f"(SELECT max(e.closes_at) FROM {table[Round]} e WHERE e.contest_id = c.id)"
        sql = sql.replace(" FROM ", f", {corrections}, {end} FROM ", 1)
    return sql, parts


def _attempt_with_relations(participant_id: int, attempt_id: int, *, lock: bool) -> Attempt | None:
    """_open_attempt's rows in one fixed statement on PostgreSQL: the select_related query it
    replaces was compiled by Django on every hand-in (half of a submit's CPU in the rush's
    profile, bench/README.md). The same rows, the same lock (the attempt's row only)."""
    sql, (attempts, rounds, contests, participants, schools) = _attempt_statement(lock)
    with connection.cursor() as cursor:
        cursor.execute(sql, [attempt_id, participant_id])
        row = cursor.fetchone()
    if row is None:
        return None
    attempt, at = attempts.build(row)
    round_, at = rounds.build(row, at)
    contest, at = contests.build(row, at)
    participant, at = participants.build(row, at)
    school, at = schools.build(row, at)
    if lock:
        attempt.corrections_read = [
            Correction(round_id=round_.pk, question_id=question, kind=kind, key=key)
            for question, kind, key in orjson.loads(row[at])
        ]
        attempt.contest_end_read = (row[at + 1],)
    round_.contest = contest
    participant.school = school
    attempt.round = round_
    attempt.participant = participant
    return attempt


def _check_writable(attempt: Attempt, now) -> None:
    if attempt.status != Attempt.Status.OPEN:
        raise ApplicationError("attempt_finished", MSG_FINISHED, status=409)
    if now > attempt.deadline + _grace():
        raise ApplicationError(
            "deadline_passed", MSG_DEADLINE, {"deadline": attempt.deadline.isoformat()}, status=409
        )


def _clean_answers(attempt: Attempt, answers: list[dict] | None) -> list[tuple[int, dict]]:
    if not answers:
        return []
    options = {item["q"]: item["o"] for item in attempt.paper}
    keys = question_keys(sorted(options))
    secret = option_secret(attempt.pk, attempt.seed)
    cleaned = []
    seen: set[int] = set()
    for item in answers:
        question = item.get("question")
        try:
            # A question id: a whole number, or its digits (2.5 named question 2).
            if isinstance(question, bool) or not isinstance(question, int | str):
                raise ValueError
            qid = int(question)
        except ValueError:
            raise ApplicationError("invalid", MSG_BAD_ANSWER) from None
        if qid not in options:
            raise ApplicationError("not_in_paper", MSG_NOT_IN_PAPER, {"question": qid})
        if qid in seen:  # one statement stores each answer once (it was a 500)
            raise ApplicationError(
                "invalid_answer", MSG_BAD_ANSWER, {"question": qid, "reason": str(MSG_TWICE)}
            )
        response = item.get("response")
        if options[qid]:
            # Opaque ids only: a real choice id (or another attempt's id) is an unknown option.
            to_real = {v: k for k, v in opaque_ids(secret, options[qid]).items()}
            response = to_real_response(response, to_real)
        try:
            cleaned.append((qid, validate_response(keys[qid], response)))
            seen.add(qid)
        except InvalidResponse as exc:
            raise ApplicationError(
                "invalid_answer", MSG_BAD_ANSWER, {"question": qid, "reason": str(exc)}
            ) from None
    return cleaned


def _clean_prediction(round_: Round, prediction) -> float | None:
    return _clean_prediction_value(round_.has_prediction, prediction)


def _clean_prediction_value(has_prediction: bool, prediction) -> float | None:
    if prediction is None or prediction == "" or not has_prediction:
        return None
    # A JSON number, as the page sends it: not a flag, not text ("NaN" once crashed the hand-in),
    # not a whole number too long for a float.
    if not finite_number(prediction):
        raise ApplicationError("invalid_prediction", MSG_BAD_PREDICTION)
    value = float(prediction)
    if value < 0 or value > 10**9 or value != int(value):
        raise ApplicationError("invalid_prediction", MSG_BAD_PREDICTION)
    return value


def _store(attempt: Attempt, cleaned: list[tuple[int, dict]], now) -> None:
    if cleaned:
        Answer.objects.bulk_create(
            [
                Answer(attempt=attempt, question_id=qid, response=resp, saved_at=now)
                for qid, resp in cleaned
            ],
            update_conflicts=True,
            unique_fields=["attempt", "question"],
            update_fields=["response", "saved_at"],
        )


# What autosave needs to validate answers, per attempt, kept by each process: a paper never
# changes once the attempt started. The seed (48 random bits) ties a copy to its attempt row, so a
# copy can never be used for another attempt; status and deadline are always read from the row.
_PAPERS: OrderedDict[int, tuple[int, int, bool, list[dict]]] = OrderedDict()

# Autosaves in one statement, any number of them (the event loop's fast path sends those that
# arrive together, contest/attempt_fastpath.py; Django's path sends one): each attempt's row is
# locked for share (a submit, which locks it for update, either waits for this save or makes it
# find the attempt finished: no acknowledged answer is left out of a score) and checked open, in
# time and with its token's version current; then its answers are upserted and its prediction
# set. One row back per saved item (`i`, its place in the batch: autosaves_params); an item
# refused has none. An attempt appears at most once in a batch (ON CONFLICT may not change a row
# twice in one statement): the batch's maker keeps to it.
_AUTOSAVES_SQL = """
WITH v AS (
    SELECT v.*, (v.version IS NULL OR EXISTS (
        SELECT 1 FROM contest_participant p
        WHERE p.id = v.participant AND p.token_version = v.version)) AS current
    FROM jsonb_to_recordset(%(batch)s::jsonb) AS v(
        i integer, attempt bigint, participant bigint, seed bigint, version bigint,
        lim timestamptz, now timestamptz, answers jsonb, prediction float8)
), a AS (
    SELECT c.id, c.deadline, v.i FROM contest_attempt c JOIN v ON v.attempt = c.id
    WHERE c.id = ANY(%(attempts)s::bigint[])
      AND c.participant_id = v.participant AND c.seed = v.seed
      AND c.status = 'open' AND c.deadline >= v.lim AND v.current
    ORDER BY c.id
    FOR SHARE OF c
), saved AS (
    INSERT INTO contest_answer (attempt_id, question_id, response, saved_at, fraction, points)
    SELECT a.id, (e.value->>0)::bigint, e.value->1, v.now, NULL, 0
    FROM a JOIN v ON v.i = a.i, jsonb_array_elements(v.answers) AS e
    ON CONFLICT (attempt_id, question_id)
    DO UPDATE SET response = EXCLUDED.response, saved_at = EXCLUDED.saved_at
    RETURNING 1
), predicted AS (
    UPDATE contest_attempt c SET prediction = v.prediction
    FROM a JOIN v ON v.i = a.i
    WHERE c.id = a.id AND v.prediction IS NOT NULL
    RETURNING 1
)
SELECT a.i, a.deadline, (SELECT count(*) FROM saved), (SELECT count(*) FROM predicted) FROM a
"""


def autosave_statement(
    participant_id: int,
    attempt_id: int,
    answers: list[dict] | None,
    prediction,
    now,
    token_version: int | None,
    *,
    cached_only: bool = False,
) -> tuple[dict, Attempt] | None:
    """The item of an autosave statement (_AUTOSAVES_SQL: autosaves_params) and the attempt it saves,
    from this process's copy of the paper; None when the attempt is not known here or the input
    is refused: the careful path then says why. `cached_only`: without a database query (the
    event loop's fast path, contest/attempt_fastpath.py): None unless the keys are at hand."""
    copy = _PAPERS.get(attempt_id)
    if copy is None or copy[0] != participant_id:
        return None
    _pid, seed, has_prediction, paper = copy
    if cached_only and not keys_at_hand(item["q"] for item in paper):
        return None
    attempt = Attempt(pk=attempt_id, participant_id=participant_id, seed=seed, paper=paper)
    try:
        cleaned = _clean_answers(attempt, answers)
        value = _clean_prediction_value(has_prediction, prediction)
    except ApplicationError:
        return None  # the careful path checks the attempt first, then says what is wrong
    attempt.prediction = value
    item = {
        "attempt": attempt_id,
        "participant": participant_id,
        "version": token_version,
        "seed": seed,
        "lim": (now - _grace()).isoformat(),
        "now": now.isoformat(),
        "answers": [[qid, resp] for qid, resp in cleaned],
        "prediction": value,
    }
    return item, attempt


def autosaves_params(items: list[dict]) -> dict[str, Any]:
    """_AUTOSAVES_SQL's parameters for these items (autosave_statement's), each with its place."""
    return {
        "batch": json.dumps([{**item, "i": i} for i, item in enumerate(items)]),
        # The attempts' rows are found by their key (the planner is not left to join the
        # batch with every open attempt, re-checking tokens for each pair).
        "attempts": [item["attempt"] for item in items],
    }


def autosaves_rows(rows, n: int) -> list[Any]:
    """Each item's row of _AUTOSAVES_SQL's answer, in the batch's order (None: refused)."""
    by_place: list[Any] = [None] * n
    for row in rows:
        by_place[row[0]] = row[1:]
    return by_place


def autosave_saved(attempt: Attempt, row) -> Attempt | None:
    """The attempt as saved by the statement's row (None: the statement refused it)."""
    if row is None:
        return None
    attempt.deadline = row[0]
    attempt.status = Attempt.Status.OPEN
    return attempt


AUTOSAVES_SQL = _AUTOSAVES_SQL


def _autosave_fast(
    participant_id: int,
    attempt_id: int,
    answers: list[dict] | None,
    prediction,
    now,
    token_version: int | None,
) -> Attempt | None:
    """The hot path of autosave (PostgreSQL): no query but the one statement. None when the
    attempt is not known here or the statement refused it: the careful path then says why."""
    prepared = autosave_statement(
        participant_id, attempt_id, answers, prediction, now, token_version
    )
    if prepared is None:
        return None
    item, attempt = prepared
    with connection.cursor() as cursor:
        cursor.execute(_AUTOSAVES_SQL, autosaves_params([item]))
        (row,) = autosaves_rows(cursor.fetchall(), 1)
    return autosave_saved(attempt, row)


def _remember_paper(attempt: Attempt) -> None:
    if connection.vendor != "postgresql":
        return  # only the PostgreSQL statement uses the copies
    _PAPERS[attempt.pk] = (
        attempt.participant_id,
        attempt.seed,
        attempt.round.has_prediction,
        attempt.paper,
    )
    while len(_PAPERS) > 20000:
        _PAPERS.popitem(last=False)


# The same copy read in one query, for the event loop's fast path (contest/attempt_fastpath.py)
# when another process started the attempt: only an open attempt's paper is worth keeping.
PAPER_COPY_SQL = """
SELECT a.participant_id, a.seed, r.prediction_text_vi, r.prediction_text_en, a.paper
FROM contest_attempt a JOIN contest_round r ON r.id = a.round_id
WHERE a.id = %(attempt)s AND a.status = 'open'
"""


def paper_known(attempt_id: int) -> bool:
    """This process keeps a copy of the attempt's paper."""
    return attempt_id in _PAPERS


def remember_paper_row(attempt_id: int, row) -> None:
    """Keep the copy PAPER_COPY_SQL read (the same copy _remember_paper keeps at start)."""
    participant_id, seed, text_vi, text_en, paper = row
    round_ = Round(prediction_text_vi=text_vi, prediction_text_en=text_en)
    _remember_paper(
        Attempt(pk=attempt_id, participant_id=participant_id, seed=seed, paper=paper, round=round_)
    )


def answers_save(
    *,
    participant_id: int,
    attempt_id: int,
    answers: list[dict] | None = None,
    prediction=None,
    token_version: int | None = None,
) -> Attempt:
    """Autosave: store the given answers (and the prediction) of an attempt in progress. Says
    nothing about correctness. `token_version`: the version of the participant's token (None
    when known by account); a revoked or expired token is refused."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        saved = _autosave_fast(participant_id, attempt_id, answers, prediction, now, token_version)
        if saved is not None:
            return saved
    attempt = _open_attempt(participant_id, attempt_id)
    participant_token_verify(participant=attempt.participant, version=token_version)
    try:
        _check_writable(attempt, now)
    except ApplicationError as exc:
        if exc.code == "deadline_passed":
            attempt_expire(attempt=attempt)
        raise
    cleaned = _clean_answers(attempt, answers)
    value = _clean_prediction(attempt.round, prediction)
    _store(attempt, cleaned, now)
    if value is not None:
        Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.OPEN).update(prediction=value)
        attempt.prediction = value
    _remember_paper(attempt)
    return attempt


def attempt_submit(
    *,
    participant_id: int,
    attempt_id: int,
    answers: list[dict] | None = None,
    prediction=None,
    token_version: int | None = None,
) -> Attempt:
    """Hand in an attempt: store the last answers, score from stored answers, update results."""
    now = timezone.now()
    with transaction.atomic():
        attempt = _open_attempt(participant_id, attempt_id, lock=True)
        participant_token_verify(
            participant=attempt.participant, version=token_version, end=attempt.contest_end_read
        )
        try:
            _check_writable(attempt, now)
        except ApplicationError as exc:
            if exc.code != "deadline_passed":
                raise
            late: ApplicationError | None = exc
        else:
            late = None
            cleaned = _clean_answers(attempt, answers)
            value = _clean_prediction(attempt.round, prediction)
            if value is not None:
                attempt.prediction = value
            attempt.status = Attempt.Status.SUBMITTED
            attempt.submitted_at = now
            _hand_in(attempt, cleaned, now)
    if late is not None:
        attempt_expire(attempt=attempt)
        raise late
    round_result_refresh(
        round_=attempt.round, participant_id=attempt.participant_id, participant=attempt.participant
    )
    return attempt


# A hand-in's writes in one statement (_hand_in): the answers it gives, stored with their points
# (`given`); the points of stored answers that grade differently now (`points`: a correction
# since they were saved); the attempt's score, status, time and prediction.
_HAND_IN_SQL = """
WITH given AS (
    INSERT INTO contest_answer (attempt_id, question_id, response, saved_at, fraction, points)
    SELECT %(attempt)s, (e.value->>0)::bigint, e.value->1, %(now)s, (e.value->>2)::float8,
        (e.value->>3)::integer
    FROM jsonb_array_elements(%(given)s::jsonb) AS e
    ON CONFLICT (attempt_id, question_id) DO UPDATE SET response = EXCLUDED.response,
        saved_at = EXCLUDED.saved_at, fraction = EXCLUDED.fraction, points = EXCLUDED.points
    RETURNING 1
), points AS (
    UPDATE contest_answer AS a SET fraction = v.f, points = v.p
    FROM unnest(%(ids)s::bigint[], %(fractions)s::float8[], %(points)s::integer[]) AS v(id, f, p)
    WHERE a.id = v.id
    RETURNING 1
)
UPDATE contest_attempt SET score = %(score)s, max_score = %(max_score)s,
    correct_count = %(correct_count)s, all_correct = %(all_correct)s, time_ms = %(time_ms)s,
    status = %(status)s, submitted_at = %(submitted_at)s, prediction = %(prediction)s
WHERE id = %(attempt)s
"""


def _hand_in(attempt: Attempt, cleaned: list[tuple[int, dict]], now) -> None:
    """Store a hand-in's last answers, score the attempt from its answers and save it (its status,
    submitted_at and prediction already set), inside the hand-in's transaction with the attempt's
    row locked. On PostgreSQL the stored answers are read once (after the lock: an autosave that
    held the row is in them), graded with the given ones in place of theirs, and everything is
    written by one statement, where storing, reading back, updating points and Model.save took
    four (tests/contest/test_hand_in.py: the same score and points as a recompute from the
    stored answers)."""
    if connection.vendor != "postgresql":
        _store(attempt, cleaned, now)
        attempt_score(attempt)
        attempt.save(update_fields=[*SCORE_FIELDS, "status", "submitted_at", "prediction"])
        return
    answers = {answer.question_id: answer for answer in attempt_answers(attempt)}
    for qid, response in cleaned:
        answer = answers.get(qid) or Answer(attempt=attempt, question_id=qid, points=0)
        answer.response, answer.saved_at = response, now
        answers[qid] = answer
    qids = [item["q"] for item in attempt.paper]
    keys = effective_keys(attempt.round, qids, attempt.corrections_read)
    changed, _changed = attempt_grade(attempt, keys, list(answers.values()))
    given = {qid for qid, _response in cleaned}
    others = [answer for answer in changed if answer.question_id not in given]
    with connection.cursor() as cursor:
        cursor.execute(
            _HAND_IN_SQL,
            {
                "attempt": attempt.pk,
                "now": now,
                "given": json.dumps(
                    [
                        [qid, answers[qid].response, answers[qid].fraction, answers[qid].points]
                        for qid in given
                    ]
                ),
                "ids": int_array([a.pk for a in others]),
                "fractions": [a.fraction for a in others],
                "points": int_array([a.points for a in others]),
                "score": attempt.score,
                "max_score": attempt.max_score,
                "correct_count": attempt.correct_count,
                "all_correct": attempt.all_correct,
                "time_ms": attempt.time_ms,
                "status": attempt.status,
                "submitted_at": attempt.submitted_at,
                "prediction": attempt.prediction,
            },
        )


def attempt_expire(*, attempt: Attempt) -> Attempt:
    """Close an attempt whose time ran out: it counts with the answers saved before the deadline."""
    with transaction.atomic():
        locked = one_or_none(
            Attempt.objects.select_for_update().filter(pk=attempt.pk, status=Attempt.Status.OPEN)
        )
        if locked is None:
            attempt.refresh_from_db()
            return attempt
        locked.round = attempt.round
        locked.status = Attempt.Status.EXPIRED
        locked.submitted_at = locked.deadline
        attempt_score(locked)
        locked.save()
    round_result_refresh(round_=attempt.round, participant_id=attempt.participant_id)
    attempt.refresh_from_db()
    return attempt


# --- Scoring (always from stored answers) ------------------------------------------------------
