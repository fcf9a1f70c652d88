"""Reads for the live engine: play plans, question payloads (answer key kept server-side), players.

Everything a player or screen receives before the reveal is built here from an allow-list
(`question_payload`): type, texts, image, opaque choice ids and texts, time limit, weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contest.ranking import LIVE_CHAIN, rank_rows
from contest.scoring import team_scores
from quizzes.grading import answer_key, correct_response
from quizzes.limits import EXPLANATION_MAX, QUESTION_TEXT_MAX, clip
from quizzes.models import Question, Quiz
from quizzes.options import (
    opaque_id,  # noqa: F401 - realtime.results names reveal ids with it
    opaque_ids,
    shuffled_choices,
    to_opaque_response,
    to_real_response,
)
from realtime.models import Game, Player


def play_plan(*, quiz: Quiz, seed: int) -> list[dict[str, Any]]:
    """The questions of a game: [{"question": revision id, "time_limit": s, "points": w}]."""
    from quizzes.services.quizzes import quiz_questions_for_play

    plan = []
    for item in quiz_questions_for_play(quiz=quiz, seed=seed):
        question = _first(item, "question", "revision")
        plan.append(
            {
                "question": question.id if hasattr(question, "id") else int(question),
                "time_limit": int(_first(item, "time_limit", "effective_time_limit")),
                "points": int(_first(item, "points", "effective_points")),
            }
        )
    return plan


def _first(item: Any, *names: str) -> Any:
    for name in names:
        if isinstance(item, dict) and name in item:
            return item[name]
        if hasattr(item, name):
            return getattr(item, name)
    raise KeyError(names[0])


@dataclass
class PlayQuestion:
    """One question of a running game, as the server holds it (key stays server-side)."""

    q: int
    question_id: int
    type: str
    limit_ms: int
    weight: int
    key: dict[str, Any]
    payload: dict[str, Any]
    to_real: dict[str, str] = field(default_factory=dict)
    to_opaque: dict[str, str] = field(default_factory=dict)
    explanation: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def real_response(self, response: Any) -> Any:
        """The client's response with opaque choice ids mapped to real ones (unknown ids become
        "?" so validation rejects them)."""
        return to_real_response(response, self.to_real)

    def correct_public(self) -> dict[str, Any] | None:
        """The right answer with opaque choice ids: the reveal's "correct", the host's key."""
        correct = correct_response(self.key)
        if correct and "choices" in correct:
            return {"choices": sorted(self.to_opaque.get(c, c) for c in correct["choices"])}
        if correct and "order" in correct:
            return {"order": [self.to_opaque.get(c, c) for c in correct["order"]]}
        return correct

    def opaque_response(self, response: dict[str, Any] | None) -> dict[str, Any] | None:
        return to_opaque_response(response, self.to_opaque)


def play_question(*, game: Game, q: int) -> PlayQuestion:
    item = game.plan[q]
    question = Question.objects.prefetch_related("choices").get(id=item["question"])
    # One order per game and question, the same for every player and the screen (a broadcast is
    # serialised once per game): a uniform shuffle, never the authored order.
    shown = shuffled_choices(question=question, seed=f"{game.secret}:{q}")
    to_opaque = opaque_ids(game.secret, [c.id for c in shown])
    payload = {
        "type": str(question.type),
        # Clipped to the bank's limits: nothing oversized reaches a phone, even from older rows.
        "text": {
            "vi": clip(question.text_vi, QUESTION_TEXT_MAX),
            "en": clip(question.text_en, QUESTION_TEXT_MAX),
        },
        "image": question.image.url if question.image else None,
        "choices": [
            {"id": to_opaque[str(c.id)], "text": {"vi": c.text_vi, "en": c.text_en}} for c in shown
        ],
        "time_limit": int(item["time_limit"]),
        "points": int(item["points"]),
    }
    return PlayQuestion(
        q=q,
        question_id=question.id,
        type=str(question.type),
        limit_ms=int(item["time_limit"]) * 1000,
        weight=int(item["points"]),
        key=answer_key(question),
        payload=payload,
        to_real={v: k for k, v in to_opaque.items()},
        to_opaque=to_opaque,
        explanation={
            "vi": clip(question.explanation_vi, EXPLANATION_MAX),
            "en": clip(question.explanation_en, EXPLANATION_MAX),
        },
        source=question.source,
    )


def active_players_count(*, game_id: int) -> int:
    """Players who connected at least once and were not kicked (auto-advance waits for them)."""
    return Player.objects.filter(game_id=game_id, banned=False, seen=True).count()


def roster(*, game_id: int) -> list[dict[str, Any]]:
    return [
        {"player": pid, "nickname": nick, "team": team}
        for pid, nick, team in Player.objects.filter(game_id=game_id, banned=False)
        .order_by("id")
        .values_list("id", "nickname", "team")
    ]


# At most this many players stand on the podium (a tie for a step can be wide; the leaderboard
# and the results list everyone).
PODIUM_MAX = 10


def players_ranked(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Players {"id", "score", "time_ms", "last_correct_ms", ...} in rank order with "rank":
    contest.ranking.rank_rows with the live chain (score; time spent on answers that earned
    points; earlier last correct answer). Leaderboards, podium and results all rank here."""
    return rank_rows(({**r, "submitted_ms": r.get("last_correct_ms")} for r in rows), LIVE_CHAIN)


def standings(*, game_id: int) -> list[dict[str, Any]]:
    """Every (not kicked) player ranked with the shared tie-breaks."""
    rows = Player.objects.filter(game_id=game_id, banned=False).values(
        "id", "nickname", "team", "score", "time_ms", "last_correct_ms"
    )
    return players_ranked(rows)


def teams_ranked(ranked: list[dict[str, Any]], *, mode: str = "mean") -> list[dict[str, Any]]:
    members: dict[int, list[int]] = {}
    for row in ranked:
        if row.get("team") is not None:
            members.setdefault(row["team"], []).append(row["score"])
    return team_scores(members, mode=mode) if members else []


def podium_rows(ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who stands on the podium: rows ranked 1 to 3 that have points, with their leaderboard
    rank (a tie shares a step, so ranks 1, 2, 2 leave no bronze)."""
    return [r for r in ranked if r["rank"] <= 3 and r["score"] > 0][:PODIUM_MAX]


def podium(*, game: Game) -> dict[str, Any]:
    ranked = standings(game_id=game.id)
    teams = teams_ranked(ranked, mode=game.settings.get("team_mode", "mean"))
    return {
        "top": [
            {
                "rank": r["rank"],
                "player": r["id"],
                "nickname": r["nickname"],
                "team": r["team"],
                "score": r["score"],
            }
            for r in podium_rows(ranked)
        ],
        "teams": podium_rows(teams),
    }
