"""Contest boards rank like everything else (issue 13): competition ranks (1, 2, 2, 4), time
counts only towards points, and the board, my rank, the results API, CSV and XLSX agree."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.contest.conftest import clear_boards
from tests.contest.helpers import (
    TOKEN_HEADER,
    close_round,
    correct_choice,
    make_contest,
    make_school,
    paper_answers,
    register,
    wrong_choice,
)
from tests.contest.helpers import start_attempt as start

pytestmark = pytest.mark.django_db

LETTERS = "ABCDEFG"
_counter = itertools.count()


def _contest(api_client, papers):
    """A contest whose participants (named Học Sinh A, B, ...) hand in the given papers: per
    question None (left blank), "right" or "wrong".

    Returns (contest, round, {public name: token}).
    """
    n = next(_counter)
    # The open board shows scores only when the organiser chose so (hidden by default).
    contest, round_, questions = make_contest(slug=f"ranks-{n}", scores_while_open=True)
    units = make_school(f"R{n}", f"Trường {n}")
    tokens = {}
    for letter, paper in zip(LETTERS, papers, strict=False):
        token = register(
            api_client,
            contest,
            units["school"],
            name=f"Học Sinh {letter}",
            email=f"hs{letter.lower()}{n}@example.org",
        )
        state = start(api_client, round_, token)
        answers = [
            {
                "question": q.pk,
                "response": {"choice": (correct_choice if kind == "right" else wrong_choice)(q)},
            }
            for q, kind in zip(questions, paper, strict=True)
            if kind is not None
        ]
        response = api_client.post(
            f"/api/attempts/{state['id']}/submit/",
            {"answers": paper_answers(state, answers)},
            format="json",
            **{TOKEN_HEADER: token},
        )
        assert response.status_code == 200, response.json()
        tokens[f"Học S. {letter}."] = token
    return contest, round_, tokens


def _board(api_client, url) -> dict[str, int]:
    rows = api_client.get(url).json()["rows"]
    return {row["name"].split(" (")[0]: row["rank"] for row in rows}


def _my_ranks(api_client, round_, tokens) -> dict[str, int]:
    out = {}
    for name, token in tokens.items():
        me = api_client.get(
            f"/api/rounds/{round_.pk}/leaderboard/me/", **{TOKEN_HEADER: token}
        ).json()["me"]
        out[name] = me["rank"]
    return out


def test_participants_without_points_share_one_rank_on_the_open_board(api_client, db):
    # A blank paper handed in at once and a wrong one handed in later are the same result.
    contest, round_, tokens = _contest(
        api_client,
        [["right", "right", "right"], [None, None, None], ["wrong", "wrong", "wrong"], [None] * 3],
    )
    board = _board(api_client, f"/api/rounds/{round_.pk}/leaderboard/?n=10")
    assert board == {"Học S. A.": 1, "Học S. B.": 2, "Học S. C.": 2, "Học S. D.": 2}
    assert _my_ranks(api_client, round_, tokens) == board
    assert _board(api_client, f"/api/contests/{contest.slug}/leaderboard/?n=10") == board


papers = st.lists(
    st.lists(st.sampled_from([None, "right", "wrong"]), min_size=3, max_size=3),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(papers)
def test_board_my_rank_results_csv_and_xlsx_agree_on_every_rank(api_client, organiser, spec):
    clear_boards()
    api_client.force_authenticate(None)
    contest, round_, tokens = _contest(api_client, spec)
    live = _board(api_client, f"/api/rounds/{round_.pk}/leaderboard/?n=10")
    assert _my_ranks(api_client, round_, tokens) == live

    close_round(round_)
    final = _board(api_client, f"/api/rounds/{round_.pk}/leaderboard/?n=10")
    assert set(final) == set(tokens)
    # Competition ranks: 1 + the number of participants strictly ahead.
    assert all(r == 1 + sum(1 for o in final.values() if o < r) for r in final.values())
    assert _my_ranks(api_client, round_, tokens) == final
    assert _board(api_client, f"/api/contests/{contest.slug}/leaderboard/?n=10") == final

    contest.staff.add(organiser)
    api_client.force_authenticate(organiser)
    results = api_client.get(f"/api/rounds/{round_.pk}/results/").json()["rows"]
    scores = {r["public_name"].split(" (")[0]: r["score"] for r in results}
    assert {r["public_name"].split(" (")[0]: r["rank"] for r in results} == final
    assert len({final[n] for n in final if scores[n] == 0}) <= 1
    text = api_client.get(f"/api/rounds/{round_.pk}/export.csv").content.decode("utf-8-sig")
    header, *body = list(csv.reader(io.StringIO(text)))
    name = header.index("Public name")
    assert {row[name].split(" (")[0]: int(row[0]) for row in body} == final
    book = load_workbook(io.BytesIO(api_client.get(f"/api/rounds/{round_.pk}/export.xlsx").content))
    header, *body = list(book.active.iter_rows(values_only=True))
    name = header.index("Public name")
    assert {str(row[name]).split(" (")[0]: int(row[0]) for row in body} == final


def test_a_final_seeds_no_participant_without_points(api_client, db):
    from datetime import timedelta

    from django.utils import timezone

    from contest.models import Round
    from contest.services import round_seed_qualifiers

    contest, round_, _tokens = _contest(
        api_client, [["right", "wrong", "wrong"], [None, None, None], ["wrong", "wrong", "wrong"]]
    )
    close_round(round_)
    final = Round.objects.create(
        contest=contest,
        title_vi="Chung kết",
        opens_at=timezone.now() - timedelta(minutes=1),
        closes_at=timezone.now() + timedelta(days=1),
        quiz=round_.quiz,
        qualifier_from=round_,
        qualifier_top_n=2,
    )
    assert round_seed_qualifiers(round_=final) == 1
    assert [p.full_name for p in final.qualified.all()] == ["Học Sinh A"]


def test_the_contest_board_after_the_close_counts_the_attempts_the_close_handed_in(api_client, db):
    # Closing a round rebuilds the round's board only: a contest board built while the round was
    # open must still show, at once, the papers left open that the close hands in.
    contest, round_, tokens = _contest(api_client, [["right", "wrong", "wrong"]])
    late = register(
        api_client, contest, make_school("RL", "Trường muộn")["school"], name="Học Sinh Muộn"
    )
    state = start(api_client, round_, late)
    questions = [q["id"] for q in state["questions"]]
    from quizzes.models import Question

    saved = api_client.post(
        f"/api/attempts/{state['id']}/answers/",
        {
            "answers": paper_answers(
                state,
                [
                    {"question": q.pk, "response": {"choice": correct_choice(q)}}
                    for q in Question.objects.filter(pk__in=questions)
                ],
            )
        },
        format="json",
        **{TOKEN_HEADER: late},
    )
    assert saved.status_code == 200
    contest_url = f"/api/contests/{contest.slug}/leaderboard/?n=10"
    assert _board(api_client, contest_url) == {"Học S. A.": 1}  # built while the round is open

    close_round(round_)
    final = _board(api_client, f"/api/rounds/{round_.pk}/leaderboard/?n=10")
    assert final == {"Học S. M.": 1, "Học S. A.": 2}
    assert _board(api_client, contest_url) == final
