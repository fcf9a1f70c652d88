"""A full game with every question type: no frame to a player or the screen leaks an answer key,
an explanation or the quiz's identity before that question's reveal."""

from __future__ import annotations

import uuid

import orjson
import pytest
from asgiref.sync import sync_to_async

from quizzes.models import Question
from realtime import protocol as realtime_protocol
from realtime.models import Answer, Game, Player
from realtime.selectors import opaque_id
from tests.factories import make_user
from tests.realtime.conftest import (
    ALL_TYPES,
    create_game,
    host_socket,
    join,
    make_quiz,
    player_socket,
    screen_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)

FORBIDDEN_KEYS = {
    "correct",
    "right",
    "is_correct",
    "solution",
    "accepted",
    "min_correct",
    "max_correct",
    "explanation",
    "weight",
    "weights",
    "quiz",
    "author",
    "title",
    "source",
}


@sync_to_async
def build():
    host = make_user("leakhost", roles=["teacher"])
    quiz = make_quiz(host, ALL_TYPES, title="Secret quiz title")
    game = create_game(host, quiz, time_limit=60, show_leaderboard=True)
    secrets = []
    for q, item in enumerate(game.plan):
        question = Question.objects.prefetch_related("choices").get(id=item["question"])
        choices = sorted(question.choices.all(), key=lambda c: (c.position, c.id))
        op = {c.id: opaque_id(game.secret, c.id) for c in choices}
        secret = {"type": question.type, "choices": [op[c.id] for c in choices], "texts": []}
        if question.type in {"single", "truefalse", "multi"}:
            secret["correct_set"] = {op[c.id] for c in choices if c.weight > 0}
        if question.type == "order":
            secret["order"] = [op[c.id] for c in choices]
        if question.type == "text":
            secret["texts"] = [t.casefold() for t in question.answer["accepted"]]
        if question.type == "numeric":
            secret["texts"] = [str(question.answer["value"])]
        secret["texts"].append(f"explained-secret-{q}.")
        secrets.append(secret)
    return host, quiz, game, secrets


def right_and_wrong(secret):
    """(a right response, a wrong response) for a question, from the test's own key."""
    kind, ids = secret["type"], secret["choices"]
    if kind in {"single", "truefalse"}:
        right = sorted(secret["correct_set"])[0]
        wrong = next(c for c in ids if c not in secret["correct_set"])
        return {"choice": right}, {"choice": wrong}
    if kind == "poll":
        return {"choice": ids[0]}, {"choice": ids[1]}
    if kind == "multi":
        return {"choices": sorted(secret["correct_set"])}, {"choices": [ids[2]]}
    if kind == "order":
        return {"order": secret["order"]}, {"order": list(reversed(secret["order"]))}
    if kind == "text":
        return {"text": "HANOI zebra"}, {"text": "Paris"}
    if kind == "numeric":
        return {"value": 1945.25}, {"value": 12}
    return None, None


def walk(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))


def leaks(raw: str, secret: dict, quiz_title: str, host_name: str) -> list[str]:
    found = []
    frame = orjson.loads(raw)
    if frame["type"] in {"reveal", "result", "leaderboard", "podium"}:
        keyed = {}  # after-reveal frames of an earlier question: only their values are checked
    else:
        keyed = {k: v for k, v in frame.items() if k not in {"reveal", "leaderboard", "podium"}}
    lowered = raw.casefold()
    for text in secret["texts"]:
        if text.casefold() in lowered:
            found.append(f"text {text!r}")
    if quiz_title.casefold() in lowered or host_name in raw:
        found.append("quiz identity")
    for path, _value in walk(keyed):
        if path and isinstance(path[-1], str) and path[-1] in FORBIDDEN_KEYS:
            found.append(f"key {path[-1]}")
    for _path, value in walk(frame):
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            if "correct_set" in secret and set(value) == secret["correct_set"]:
                if len(value) < len(secret["choices"]):
                    found.append("correct id set")
            if "order" in secret and value == secret["order"]:
                found.append("canonical order")
    return found


async def test_no_frame_leaks_an_answer_before_its_reveal(monkeypatch):
    # The host here clicks through 8 questions faster than a person can (3 commands each): lift
    # the per-socket frame limit (tested in test_consumers) so a fast server does not drop one.
    monkeypatch.setattr(realtime_protocol, "MAX_MESSAGES_PER_SECOND", 1000)
    host, quiz, game, secrets = await build()
    joined = [await sync_to_async(join)(game, name) for name in ("An", "Bình", "Chi", "Dũng")]
    host_ws = await host_socket(game.id, host)
    screen = await screen_socket(game)
    players = [await player_socket(game.id, token) for _pid, token in joined]
    retired = []
    try:
        await host_ws.send({"type": "host", "action": "start"})
        for q, secret in enumerate(secrets):
            for sock in players:
                await sock.until("question")
            right, wrong = right_and_wrong(secret)
            if right is not None:
                for index, sock in enumerate(players):
                    response = right if index % 2 == 0 else wrong
                    await sock.send(
                        {
                            "type": "answer",
                            "q": q,
                            "answer_id": str(uuid.uuid4()),
                            "response": response,
                        }
                    )
                    ack = await sock.until("ack")
                    assert set(ack) == {"type", "status", "submission_id"}
            if q == 0:
                # Player 1 reloads mid-question: the snapshot restores the answer, still no key.
                retired.append(players[1])
                await players[1].close()
                players[1] = await player_socket(game.id, joined[1][1])
                snapshot = players[1].frames[0]
                assert snapshot["you"]["answered"] is True
                assert snapshot["you"]["answer"] == wrong
                assert snapshot["game"]["phase"] == "open"
            await host_ws.send({"type": "host", "action": "end_question"})
            for sock in [*players, screen]:
                reveal = await sock.until("reveal")
                assert reveal["q"] == q
            for sock in players:
                result = await sock.until("result")
                assert result["q"] == q
            await host_ws.send({"type": "host", "action": "next"})
            await screen.until("leaderboard")
            await host_ws.send({"type": "host", "action": "next"})
        for sock in [*players, screen]:
            podium = await sock.until("podium")
            # Only An and Chi answered right: the players without points get no step.
            assert sorted(row["nickname"] for row in podium["top"]) == ["An", "Chi"]
        await host_ws.send({"type": "host", "action": "next"})
        for sock in [*players, screen]:
            await sock.until("ended")
    finally:
        for sock in [*players, screen, host_ws]:
            await sock.close()

    problems = []
    for who, sock in [("screen", screen)] + [
        (f"player{i}", s) for i, s in enumerate(retired + players)
    ]:
        revealed = -1
        for raw in sock.raw:
            frame = orjson.loads(raw)
            if frame["type"] == "reveal":
                revealed = frame["q"]
            for q in range(revealed + 1, len(secrets)):
                for leak in leaks(raw, secrets[q], quiz.title, host.username):
                    problems.append((who, q, leak, raw[:160]))
    assert problems == []

    @sync_to_async
    def stored():
        game_row = Game.objects.get(id=game.id)
        scores = {p.id: p.score for p in Player.objects.filter(game=game_row)}
        sums = {}
        for a in Answer.objects.filter(game=game_row):
            sums[a.player_id] = sums.get(a.player_id, 0) + (a.points or 0)
        return game_row, scores, sums

    game_row, scores, sums = await stored()
    assert game_row.status == "ended"
    assert scores == {pid: sums.get(pid, 0) for pid in scores}
    winners = {joined[0][0], joined[2][0]}
    assert all(scores[pid] > 0 for pid in winners)
    assert max(scores, key=scores.get) in winners
