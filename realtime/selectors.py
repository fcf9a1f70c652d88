"""Reads for the live engine: play plans, question payloads (answer key kept server-side), players.

Everything a player or screen receives before the reveal is built here from an allow-list
(`question_payload`): type, texts, image, opaque choice ids and texts, time limit, weight.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from contest.scoring import rank as rank_rows
from contest.scoring import team_scores
from quizzes.grading import answer_key, correct_response
from quizzes.models import Question, Quiz
from realtime.models import Game, Player


def play_plan(*, quiz: Quiz, seed: int) -> list[dict[str, Any]]:
    """The questions of a game: [{"question": revision id, "time_limit": s, "points": w}]."""
    try:
        from quizzes.services.quizzes import quiz_questions_for_play
    except ImportError:
        quiz_questions_for_play = None
    if quiz_questions_for_play is not None:
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
    return [
        {
            "question": item.question_id,
            "time_limit": item.effective_time_limit,
            "points": item.effective_points,
        }
        for item in quiz.items.select_related("question").order_by("position", "id")
    ]


def _first(item: Any, *names: str) -> Any:
    for name in names:
        if isinstance(item, dict) and name in item:
            return item[name]
        if hasattr(item, name):
            return getattr(item, name)
    raise KeyError(names[0])


def opaque_id(secret: str, choice_id: int | str) -> str:
    """A per-game choice id that reveals neither authored order nor correctness."""
    digest = hashlib.blake2s(f"{secret}:{choice_id}".encode(), digest_size=5).hexdigest()
    return "c" + digest


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
        """The client's response with opaque choice ids mapped to real ones (unknown ids kept
        as-is so validation rejects them)."""
        if not isinstance(response, dict):
            return response
        out = dict(response)
        if "choice" in out:
            out["choice"] = self.to_real.get(str(out["choice"]), "?")
        for name in ("choices", "order"):
            if isinstance(out.get(name), list):
                out[name] = [self.to_real.get(str(c), "?") for c in out[name]]
        return out

    def correct_public(self) -> dict[str, Any] | None:
        """The right answer with opaque choice ids: the reveal's "correct", the host's key."""
        correct = correct_response(self.key)
        if correct and "choices" in correct:
            return {"choices": sorted(self.to_opaque.get(c, c) for c in correct["choices"])}
        if correct and "order" in correct:
            return {"order": [self.to_opaque.get(c, c) for c in correct["order"]]}
        return correct

    def opaque_response(self, response: dict[str, Any] | None) -> dict[str, Any] | None:
        if not response:
            return response
        out = dict(response)
        if "choice" in out:
            out["choice"] = self.to_opaque.get(str(out["choice"]), out["choice"])
        for name in ("choices", "order"):
            if isinstance(out.get(name), list):
                out[name] = [self.to_opaque.get(str(c), c) for c in out[name]]
        return out


def play_question(*, game: Game, q: int) -> PlayQuestion:
    item = game.plan[q]
    question = Question.objects.prefetch_related("choices").get(id=item["question"])
    choices = sorted(question.choices.all(), key=lambda c: (c.position, c.id))
    to_opaque = {str(c.id): opaque_id(game.secret, c.id) for c in choices}
    shown = list(choices)
    if question.type == "order" and len(shown) > 1:
        # Authored order is the answer: show a per-game shuffle that is never the answer.
        rnd = random.Random(f"{game.secret}:{q}")
        while [c.id for c in shown] == [c.id for c in choices]:
            rnd.shuffle(shown)
    payload = {
        "type": str(question.type),
        "text": {"vi": question.text_vi, "en": question.text_en},
        "image": question.image.url if question.image else None,
        "choices": [
            {"id": to_opaque[str(c.id)], "text": {"vi": c.text_vi, "en": c.text_en}} for c in shown
        ],
        "time_limit": int(item["time_limit"]),
        "points": int(item["points"]),
        "shuffle": bool(game.quiz.shuffle_options) if game.quiz_id else False,
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
        explanation={"vi": question.explanation_vi, "en": question.explanation_en},
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


def standings(*, game_id: int) -> list[dict[str, Any]]:
    """Every (not kicked) player ranked with the shared tie-breaks."""
    rows = Player.objects.filter(game_id=game_id, banned=False).values(
        "id", "nickname", "team", "score", "time_ms", "last_correct_ms"
    )
    return rank_rows(rows)


def teams_ranked(ranked: list[dict[str, Any]], *, mode: str = "mean") -> list[dict[str, Any]]:
    members: dict[int, list[int]] = {}
    for row in ranked:
        if row.get("team") is not None:
            members.setdefault(row["team"], []).append(row["score"])
    return team_scores(members, mode=mode) if members else []


def podium(*, game: Game) -> dict[str, Any]:
    ranked = standings(game_id=game.id)
    return {
        "top": [
            {
                "rank": r["rank"],
                "player": r["id"],
                "nickname": r["nickname"],
                "team": r["team"],
                "score": r["score"],
            }
            for r in ranked[:3]
        ],
        "teams": teams_ranked(ranked, mode=game.settings.get("team_mode", "mean"))[:3],
    }
