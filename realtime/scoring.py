"""Scoring a closed live question: every player's points, the reveal and the set-based updates.

`player_question_score` is the one per-player rule (grade, closeness, streak, points): the live
scoring (`question_score`) and the audit (`realtime.results.score_audit`) both call it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection, transaction

from contest.scoring import (
    ScoringOptions,
    Strategy,
    closeness_fraction,
    get_strategy,
    is_full,
    next_streak,
)
from quizzes.grading import grade, is_scored_type, numeric_distance
from realtime import engine
from realtime.models import Answer, Game, Player, QuestionResult
from realtime.selectors import PlayQuestion, play_question, players_ranked, teams_ranked

LEADERBOARD_SIZE = 10


def answer_fraction(
    key: dict, qtype: str, response: dict | None, options: ScoringOptions
) -> float | None:
    """How right one response is (None: the type is not graded), closeness included."""
    value = grade(key, response)
    if value is None or not response:
        return value
    if options.closeness and qtype == "numeric" and value < 1.0:
        try:
            distance = numeric_distance(key, response.get("value"))
        except (TypeError, ValueError):
            return value
        target = float(key.get("value", 0) or 0)
        if math.isfinite(distance):
            return closeness_fraction(distance, target=target)
    return value


@dataclass(frozen=True, slots=True)
class PlayerScore:
    fraction: float | None
    points: int
    streak: int


def player_question_score(
    *,
    key: dict,
    qtype: str,
    weight: int,
    limit_ms: int,
    answered: bool,
    response: dict | None,
    elapsed_ms: int,
    streak: int,
    strategy: Strategy,
    options: ScoringOptions,
) -> PlayerScore:
    """One player's result on one question: the live scoring and the audit share this rule.

    Unscored types give no fraction; no answer is a wrong answer (0.0, the streak breaks) and
    earns nothing.
    """
    fraction = answer_fraction(key, qtype, response if answered else None, options)
    if not is_scored_type(qtype):
        fraction = None
    elif not answered:
        fraction = 0.0
    streak = next_streak(streak, fraction)
    points = 0
    if answered:
        points = strategy.points(
            fraction,
            weight=weight,
            elapsed_ms=elapsed_ms,
            limit_ms=limit_ms,
            streak=streak,
            options=options,
        )
    return PlayerScore(fraction, points, streak)


def reveal_payload(pq: PlayQuestion, answers: list[Answer], fractions: dict[int, Any]) -> dict:
    correct = pq.correct_public()
    if pq.type in {"single", "truefalse", "poll", "multi"}:
        distribution = {pq.to_opaque[c]: 0 for c in pq.to_opaque}
        for a in answers:
            picked = a.response.get("choices") or [a.response.get("choice")]
            for c in picked:
                if str(c) in pq.to_opaque:
                    distribution[pq.to_opaque[str(c)]] += 1
    elif pq.type == "slide":
        distribution = {}
    else:
        right = sum(1 for a in answers if is_full(fractions.get(a.player_id)))
        distribution = {"right": right, "wrong": len(answers) - right}
    return {
        "q": pq.q,
        "correct": correct,
        "distribution": distribution,
        "answers": len(answers),
        "explanation": pq.explanation,
        "source": pq.source,
    }


_PLAYER_TOTALS = ("score", "streak", "correct", "answers", "time_ms", "last_correct_ms", "rank")
_PLAYER_READ = ("id", *_PLAYER_TOTALS, "team", "nickname")
_ANSWER_READ = ("id", "player_id", "response", "elapsed_ms", "received_ms", "fraction", "points")


class _Row:
    """A read row with attribute access (scoring reads thousands; no model instances needed)."""

    def __init__(self, names: tuple[str, ...], values: tuple) -> None:
        self.__dict__.update(zip(names, values, strict=True))


def _answers_points_save(answers: list[_Row]) -> None:
    """Every answer's fraction and points in one set-based UPDATE (PostgreSQL).

    Django's bulk_update builds a CASE WHEN per row and field (~1 ms of Python per row, holding
    the GIL while the event loop should be sending frames); one JSON document instead.
    """
    if not answers:
        return
    if connection.vendor != "postgresql":
        Answer.objects.bulk_update(
            [Answer(id=a.id, fraction=a.fraction, points=a.points) for a in answers],
            ["fraction", "points"],
            batch_size=1000,
        )
        return
    payload = orjson.dumps([[a.id, a.fraction, a.points] for a in answers]).decode()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Answer._meta.db_table} AS a SET fraction = (v->>1)::float8,"
            " points = (v->>2)::integer"
            " FROM jsonb_array_elements(%s::jsonb) AS v WHERE a.id = (v->>0)::bigint",
            [payload],
        )


def _players_totals_save(players: list[_Row]) -> None:
    """Every player's totals and rank in one set-based UPDATE (PostgreSQL; see above)."""
    if not players:
        return
    if connection.vendor != "postgresql":
        rows = [Player(id=p.id, **{f: getattr(p, f) for f in _PLAYER_TOTALS}) for p in players]
        Player.objects.bulk_update(rows, list(_PLAYER_TOTALS), batch_size=1000)
        return
    types = ("integer", "integer", "integer", "integer", "bigint", "bigint", "integer")
    assignments = ", ".join(
        f"{field} = (v->>{n})::{kind}"
        for n, (field, kind) in enumerate(zip(_PLAYER_TOTALS, types, strict=True), start=1)
    )
    payload = orjson.dumps(
        [[p.id, *(getattr(p, field) for field in _PLAYER_TOTALS)] for p in players]
    ).decode()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Player._meta.db_table} AS p SET {assignments}"
            " FROM jsonb_array_elements(%s::jsonb) AS v WHERE p.id = (v->>0)::bigint",
            [payload],
        )


def question_score(*, game_id: int, expected_seq: int) -> dict[str, Any] | None:
    """Score the closed question from the stored answers and move the game to the reveal.

    One transaction: answers' points, players' totals and ranks, the question's statistics and
    the state change all commit together (a crash halfway leaves the question 'closed' and any
    process scores it again from scratch). Returns None when another process got there first.
    """
    with transaction.atomic():
        game = Game.objects.select_for_update(of=("self",)).select_related("quiz").get(id=game_id)
        if game.seq != expected_seq or game.phase != engine.CLOSED:
            return None
        state = dict(game.state)
        q = state["q"]
        pq = play_question(game=game, q=q)
        options = ScoringOptions.from_dict(game.settings)
        strategy = get_strategy(game.settings.get("scoring", "speed"))
        # Plain rows, not model instances: 10,000 players cost ~0.3 s of ORM instantiation.
        answers = [
            _Row(_ANSWER_READ, values)
            for values in Answer.objects.filter(game_id=game_id, q=q).values_list(*_ANSWER_READ)
        ]
        by_player = {a.player_id: a for a in answers}
        players = [
            _Row(_PLAYER_READ, values)
            for values in Player.objects.filter(game_id=game_id, banned=False)
            .order_by("id")
            .values_list(*_PLAYER_READ)
        ]
        scored = is_scored_type(pq.type)
        results: dict[int, list] = {}
        fractions: dict[int, float | None] = {}
        before = {p.id: p.score for p in players}
        for player in players:
            answer = by_player.get(player.id)
            scored_now = player_question_score(
                key=pq.key,
                qtype=pq.type,
                weight=pq.weight,
                limit_ms=pq.limit_ms,
                answered=answer is not None,
                response=answer.response if answer is not None else None,
                elapsed_ms=answer.elapsed_ms if answer is not None else 0,
                streak=player.streak,
                strategy=strategy,
                options=options,
            )
            fraction, points, streak = scored_now.fraction, scored_now.points, scored_now.streak
            fractions[player.id] = fraction
            if answer is not None:
                answer.fraction = fraction
                answer.points = points
                player.answers += 1
                if points > 0:
                    # The time tie-break counts only answers that earned points: answering
                    # wrongly never ranks below not answering (docs/protocol.md, Ranking).
                    player.time_ms += answer.elapsed_ms
                if is_full(fraction):
                    player.correct += 1
                    player.last_correct_ms = answer.received_ms
            player.streak = streak
            player.score += points
            results[player.id] = [fraction, points, streak]
        ranked = players_ranked(
            {
                "id": p.id,
                "score": p.score,
                "time_ms": p.time_ms,
                "last_correct_ms": p.last_correct_ms,
                "team": p.team,
                "nickname": p.nickname,
            }
            for p in players
        )
        ranks = {r["id"]: r["rank"] for r in ranked}
        for player in players:
            player.rank = ranks[player.id]
        _answers_points_save(answers)
        _players_totals_save(players)
        reveal = reveal_payload(pq, answers, fractions)
        leaderboard = {
            "q": q,
            "top": [
                {
                    "rank": r["rank"],
                    "player": r["id"],
                    "nickname": r["nickname"],
                    "team": r["team"],
                    "score": r["score"],
                    "delta": r["score"] - before[r["id"]],
                }
                for r in ranked[:LEADERBOARD_SIZE]
            ],
            "teams": teams_ranked(ranked, mode=game.settings.get("team_mode", "mean")),
        }
        right = sum(1 for a in answers if is_full(fractions.get(a.player_id)))
        QuestionResult.objects.create(
            game=game,
            q=q,
            question_id=pq.question_id,
            answers=len(answers),
            right=right if scored else 0,
            wrong=len(answers) - right if scored else 0,
            points_total=sum(a.points or 0 for a in answers),
            reveal=reveal,
            leaderboard=leaderboard,
        )
        new_state = {**state, "phase": engine.REVEAL, "seq": expected_seq + 1}
        Game.objects.filter(id=game_id).update(
            state=new_state, seq=expected_seq + 1, phase=engine.REVEAL
        )
    scores = {p.id: p.score for p in players}
    personal = {
        pid: [q, None if f is None else is_full(f), f, pts, scores[pid], ranks[pid], st]
        for pid, (f, pts, st) in results.items()
    }
    return {"state": new_state, "reveal": reveal, "leaderboard": leaderboard, "personal": personal}


def question_skip_record(*, game_id: int, q: int, question_id: int | None) -> None:
    QuestionResult.objects.get_or_create(
        game_id=game_id, q=q, defaults={"question_id": question_id, "skipped": True}
    )
