"""Stored results of a game (players, answers, per-question statistics) and their exports."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from contest.scoring import ScoringOptions, get_strategy
from contest.services.exports import csv_text, xlsx_append
from quizzes.grading import answer_key
from quizzes.models import Question
from quizzes.options import opaque_id
from realtime.models import Answer, Game, Player, QuestionResult
from realtime.scoring import player_question_score
from realtime.selectors import standings


def game_results(*, game: Game) -> dict[str, Any]:
    ranked = standings(game_id=game.id)
    stats: dict[int, dict] = {}
    for row in game.players.filter(banned=False).values("id", "correct", "answers"):
        stats[row["id"]] = dict(row)
    questions = []
    results = {r.q: r for r in QuestionResult.objects.filter(game=game).select_related("question")}
    for q, item in enumerate(game.plan):
        result = results.get(q)
        question = result.question if result else None
        questions.append(
            {
                "q": q,
                "question": item["question"],
                "type": question.type if question else None,
                "text": {"vi": question.text_vi, "en": question.text_en} if question else None,
                "skipped": bool(result and result.skipped),
                "played": result is not None,
                "answers": result.answers if result else 0,
                "right": result.right if result else 0,
                "wrong": result.wrong if result else 0,
                "average_points": (
                    round(result.points_total / result.answers) if result and result.answers else 0
                ),
                "distribution": (result.reveal or {}).get("distribution", {}) if result else {},
            }
        )
    return {
        "game": {
            "id": game.id,
            "pin": game.pin,
            "status": game.status,
            "quiz": {"id": game.quiz_id, "title": game.quiz.title if game.quiz else ""},
            "started_at": game.started_at,
            "ended_at": game.ended_at,
        },
        "players": [
            {
                "rank": r["rank"],
                "player": r["id"],
                "nickname": r["nickname"],
                "team": r["team"],
                "score": r["score"],
                "correct": stats.get(r["id"], {}).get("correct", 0),
                "answers": stats.get(r["id"], {}).get("answers", 0),
                "time_ms": r["time_ms"],
            }
            for r in ranked
        ],
        "questions": questions,
    }


def _player_header() -> list[str]:
    return [
        _("Rank"),
        _("Nickname"),
        _("Team"),
        _("Score"),
        _("Correct"),
        pgettext("results column: how many", "Answers"),
        _("Time (s)"),
    ]


def _player_row(p: dict) -> list:
    return [
        p["rank"],
        p["nickname"],
        p["team"] if p["team"] is not None else "",
        p["score"],
        p["correct"],
        p["answers"],
        round(p["time_ms"] / 1000, 2),
    ]


def results_csv(*, game: Game) -> str:
    data = game_results(game=game)
    return csv_text(_player_header(), (_player_row(player) for player in data["players"]))


def results_xlsx(*, game: Game) -> bytes:
    from openpyxl import Workbook

    data = game_results(game=game)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Players")
    xlsx_append(sheet, _player_header())
    for player in data["players"]:
        xlsx_append(sheet, _player_row(player))
    questions = book.create_sheet(_("Questions"))
    xlsx_append(
        questions,
        [
            "#",
            _("Type"),
            _("Question"),
            pgettext("results column: how many", "Answers"),
            _("Right"),
            _("Wrong"),
            _("Average points"),
        ],
    )
    for q in data["questions"]:
        text = (q["text"] or {}).get("vi") or (q["text"] or {}).get("en") or ""
        xlsx_append(
            questions,
            [
                q["q"] + 1,
                q["type"] or "",
                text,
                q["answers"],
                q["right"],
                q["wrong"],
                q["average_points"],
            ],
        )
    answers = book.create_sheet(pgettext("results sheet: every answer", "Answers"))
    xlsx_append(answers, ["#", _("Nickname"), _("Answer"), _("Points"), _("Time (s)")])
    rows = Answer.objects.filter(game=game).select_related("player").order_by("q", "player_id")
    for a in rows:
        shown = {
            k: ([opaque_id(game.secret, c) for c in v] if isinstance(v, list) else v)
            for k, v in a.response.items()
        }
        xlsx_append(
            answers,
            [
                a.q + 1,
                a.player.nickname,
                str(shown),
                a.points or 0,
                round(a.elapsed_ms / 1000, 2),
            ],
        )
    from realtime.venues import venues_xlsx_sheet

    venues_xlsx_sheet(book, game=game)  # a game played at several venues: their board
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def score_audit(game_id: int) -> tuple[dict[int, int], list[str]]:
    """Every player's score rebuilt from the stored answers with the live scoring's per-player
    rule, and each difference from the stored points and totals (tests and bench/live.py)."""
    game = Game.objects.get(id=game_id)
    strategy = get_strategy(game.settings["scoring"])
    options = ScoringOptions.from_dict(game.settings)
    keys, types = [], []
    for item in game.plan:
        question = Question.objects.prefetch_related("choices").get(id=item["question"])
        keys.append(answer_key(question))
        types.append(str(question.type))
    skipped = set(game.state.get("skipped", []))
    played = game.state["q"] + 1 if game.state["q"] is not None else 0
    problems: list[str] = []
    scores: dict[int, int] = {}
    answers = {(a.player_id, a.q): a for a in Answer.objects.filter(game=game)}
    for player in Player.objects.filter(game=game, banned=False):
        streak, total = 0, 0
        for q in range(played):
            if q in skipped:
                continue
            answer = answers.get((player.id, q))
            result = player_question_score(
                key=keys[q],
                qtype=types[q],
                weight=game.plan[q]["points"],
                limit_ms=game.plan[q]["time_limit"] * 1000,
                answered=answer is not None,
                response=answer.response if answer is not None else None,
                elapsed_ms=answer.elapsed_ms if answer is not None else 0,
                streak=streak,
                strategy=strategy,
                options=options,
            )
            streak = result.streak
            if answer is None:
                continue
            if result.points != answer.points:
                problems.append(
                    f"player {player.id} q{q}: stored {answer.points} != {result.points}"
                )
            total += result.points
        scores[player.id] = total
        if total != player.score:
            problems.append(f"player {player.id}: score {player.score} != recomputed {total}")
    return scores, problems
