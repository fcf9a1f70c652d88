"""Fair live rankings (issue 13, "Results that are wrong or unfair"): games are scored with the
real service (question_score) from stored answers, then every place that shows a rank is read."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from realtime.selectors import podium, standings
from tests.realtime.played import add_player as _player
from tests.realtime.played import game_with_questions as _game
from tests.realtime.played import play_answers as _play

pytestmark = pytest.mark.django_db


def _ranks_by_name_from_sheet(rows) -> dict[str, int]:
    header, *body = rows
    return {str(row[1]): int(row[0]) for row in body}


def test_a_wrong_answer_does_not_rank_below_players_who_never_answered():
    # The board after question 1 read "1 Lan Anh 940, 2 Minh 0, 2 Sneaky 0, 4 Tom 0".
    game, keys = _game(1)
    lan, minh, sneaky, tom = (_player(game, n) for n in ("Lan Anh", "Minh", "Sneaky", "Tom"))
    result = _play(
        game,
        keys,
        {lan: [("right", 2400)], minh: [None], sneaky: [None], tom: [("wrong", 9000)]},
    )
    board = [(r["nickname"], r["rank"], r["score"]) for r in result["leaderboard"]["top"]]
    assert board[0][0:2] == ("Lan Anh", 1)
    assert sorted(board[1:]) == [("Minh", 2, 0), ("Sneaky", 2, 0), ("Tom", 2, 0)]


def test_the_podium_shows_only_players_with_points_and_their_leaderboard_ranks():
    game, keys = _game(2)
    a, b, c, d = (_player(game, n) for n in ("Ann", "Binh", "Chi", "Dung"))
    # Ann and Binh tie exactly (same points, same time): they share gold; no silver is given
    # away to the 0-point players, and there is no bronze.
    _play(
        game,
        keys,
        {
            a: [("right", 1000), ("wrong", 500)],
            b: [("right", 1000), None],
            c: [("wrong", 100), ("wrong", 100)],
            d: [None, None],
        },
    )
    top = podium(game=game)["top"]
    assert [(r["nickname"], r["rank"]) for r in top] == [("Ann", 1), ("Binh", 1)]


answer = st.none() | st.tuples(st.sampled_from(["right", "wrong"]), st.sampled_from([0, 1500]))


@st.composite
def games(draw):
    n_questions = draw(st.integers(1, 3))
    n_players = draw(st.integers(1, 7))
    plans = [
        draw(st.lists(answer, min_size=n_questions, max_size=n_questions)) for _ in range(n_players)
    ]
    # The twin answers exactly like player 0, plus one wrong answer where player 0 gave none.
    skipped = draw(st.integers(0, n_questions - 1))
    plans[0][skipped] = None
    twin = list(plans[0])
    twin[skipped] = ("wrong", draw(st.sampled_from([0, 1500, 9000])))
    options = {
        "scoring": draw(st.sampled_from(["speed", "accuracy"])),
        "streak_bonus": draw(st.booleans()),
    }
    return n_questions, plans, twin, options


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(games())
def test_a_wrong_answer_never_moves_a_player_against_players_with_the_same_score(spec):
    n_questions, plans, twin_plan, options = spec
    game, keys = _game(n_questions, **options)
    ids = [_player(game, f"P{i}") for i in range(len(plans))]
    twin = _player(game, "Twin")
    _play(game, keys, {**dict(zip(ids, plans, strict=True)), twin: twin_plan})
    ranked = {r["id"]: r for r in standings(game_id=game.id)}
    original, with_wrong = ranked[ids[0]], ranked[twin]
    if original["score"] == with_wrong["score"]:  # a streak bonus lost can change the score
        # Same place as without the wrong answer, so the same order against everyone.
        assert with_wrong["rank"] == original["rank"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(games())
def test_podium_leaderboard_results_csv_and_xlsx_agree_on_every_rank(spec):
    n_questions, plans, twin_plan, options = spec
    game, keys = _game(n_questions, **options)
    names = {_player(game, f"P{i}"): f"P{i}" for i in range(len(plans))}
    twin = _player(game, "Twin")
    names[twin] = "Twin"
    result = _play(game, keys, {**dict(zip(names, plans, strict=False)), twin: twin_plan})

    board = {r["player"]: r["rank"] for r in result["leaderboard"]["top"]}
    scores = {r["player"]: r["score"] for r in result["leaderboard"]["top"]}
    assert set(board) == set(names)
    # Competition ranking: a rank is 1 + the number of players strictly ahead.
    for player, rank in board.items():
        assert rank == 1 + sum(1 for other in board.values() if other < rank)
        assert all(rank <= board[o] for o in board if scores[o] < scores[player])
    # Players without points all share one rank: no tie-break among them.
    assert len({board[p] for p in board if scores[p] == 0}) <= 1
    # Each player's own frame says the same rank.
    assert {p: row[5] for p, row in result["personal"].items()} == board

    top = podium(game=game)["top"]
    assert [(r["player"], r["rank"]) for r in top] == [
        (r["player"], r["rank"])
        for r in result["leaderboard"]["top"]
        if r["rank"] <= 3 and r["score"] > 0
    ]

    client = Client()
    client.force_login(game.host)
    api = client.get(f"/api/games/{game.id}/results/").json()
    assert {r["player"]: r["rank"] for r in api["players"]} == board
    by_name = {names[p]: rank for p, rank in board.items()}
    csv_text = client.get(f"/api/games/{game.id}/results.csv").content.decode().lstrip("\ufeff")
    assert _ranks_by_name_from_sheet(list(csv.reader(io.StringIO(csv_text)))) == by_name
    book = load_workbook(io.BytesIO(client.get(f"/api/games/{game.id}/results.xlsx").content))
    sheet_rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert _ranks_by_name_from_sheet(sheet_rows) == by_name
