"""A board being built from the database misses nothing handed in meanwhile.

A board is rebuilt from the results when it is missing (a cold Redis, a correction, the first
read): the builder reads every result, then puts the whole board in place. A participant who
handed in between the read and the put used to be left out (their update found no board to
change, and the board put in place was read before them): missing from the board, "not ranked"
on their phone, until their next hand-in.
"""

from __future__ import annotations

import pytest

from contest import boards
from contest.boards import backends, operations
from contest.models import Participant, RoundResult
from tests.contest.helpers import close_round, make_contest, make_school, register, wrong_choice
from tests.contest.test_freeze_and_visibility import _take

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["redis", "memory"])
def board_backend(request, monkeypatch, settings):
    if request.param == "memory":
        monkeypatch.setattr(backends, "_backend", backends.MemoryBoards())
    return request.param


def test_a_hand_in_while_the_board_is_being_built_is_on_it_once_built(
    api_client, board_backend, monkeypatch
):
    contest, round_, questions = make_contest(scores_while_open=True)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    lan = register(api_client, contest, school, name="Nguyễn Thị Lan", email="l@x.org")
    binh = register(api_client, contest, school, name="Trần Văn Bình", email="b@x.org")
    _take(api_client, round_, lan, questions, right=1)
    scope = boards.round_scope(round_, public=False)
    boards.backend().drop(scope.key)  # the board is missing (a cold Redis, a correction)
    read_rows = operations._scope_rows

    def rows_then_a_hand_in(scope):
        rows = read_rows(scope)
        if scope.key.endswith(":live"):
            monkeypatch.setattr(operations, "_scope_rows", read_rows)
            _take(api_client, round_, binh, questions, right=2)  # Bình hands in meanwhile
        return rows

    monkeypatch.setattr(operations, "_scope_rows", rows_then_a_hand_in)
    assert [row["score"] for row in boards.top(scope)] == [2000, 1000]  # a reader builds it

    binh_id = Participant.objects.get(email="b@x.org").pk
    assert boards.my_rank(scope, binh_id)["score"] == 2000
    assert [row["score"] for row in boards.top(scope)] == [2000, 1000]
    assert boards.size(scope) == 2
    contest_scope = boards.contest_scope(contest)
    assert boards.my_rank(contest_scope, binh_id) is not None


def test_a_board_built_from_results_read_before_a_correction_never_replaces_the_corrected_one(
    api_client, board_backend, monkeypatch
):
    """A reader finds the board missing and reads the results; an organiser's correction then
    rebuilds the board from the corrected scores; the reader's board, read before, must not go
    in place over it (everyone would see the old scores until the next change)."""
    from contest.models import RoundResult

    contest, round_, questions = make_contest(scores_while_open=True)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    lan = register(api_client, contest, school, name="Nguyễn Thị Lan", email="l@x.org")
    _take(api_client, round_, lan, questions, right=1)
    scope = boards.round_scope(round_, public=False)
    boards.backend().drop(scope.key)
    read_rows = operations._scope_rows

    def rows_then_a_correction(scope):
        rows = read_rows(scope)
        if scope.key.endswith(":live"):
            monkeypatch.setattr(operations, "_scope_rows", read_rows)
            RoundResult.objects.filter(round=round_).update(score=3000)  # the corrected score
            boards.round_rebuild_all(round_)
        return rows

    monkeypatch.setattr(operations, "_scope_rows", rows_then_a_correction)
    boards.top(scope)
    assert [row["score"] for row in boards.top(scope)] == [3000]
    lan_id = Participant.objects.get(email="l@x.org").pk
    assert boards.my_rank(scope, lan_id)["score"] == 3000


def test_a_frozen_board_built_before_a_correction_never_replaces_the_corrected_one(
    api_client, board_backend, monkeypatch
):
    """The same for the public's board during a freeze (the standing at the freeze), which a
    correction also rebuilds."""
    from datetime import timedelta

    from django.utils import timezone

    from contest.models import Attempt, RoundResult

    contest, round_, questions = make_contest(
        scores_while_open=True, closes_at=timezone.now() + timedelta(hours=1), freeze_hours=2
    )
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    lan = register(api_client, contest, school, name="Nguyễn Thị Lan", email="l@x.org")
    _take(api_client, round_, lan, questions, right=1)
    earlier = timezone.now() - timedelta(hours=3)  # handed in before the freeze
    Attempt.objects.filter(round=round_).update(
        started_at=earlier - timedelta(minutes=5), submitted_at=earlier
    )
    RoundResult.objects.filter(round=round_).update(submitted_at=earlier)
    public = boards.round_scope(round_, public=True)
    assert public.board == "frozen"
    read_rows = operations._scope_rows

    def rows_then_a_correction(scope):
        rows = read_rows(scope)
        if scope.board == "frozen":
            monkeypatch.setattr(operations, "_scope_rows", read_rows)
            Attempt.objects.filter(round=round_).update(score=3000)  # the corrected paper
            RoundResult.objects.filter(round=round_).update(score=3000)
            boards.round_rebuild_all(round_)
        return rows

    monkeypatch.setattr(operations, "_scope_rows", rows_then_a_correction)
    boards.top(public)
    assert [row["score"] for row in boards.top(public)] == [3000]


def test_the_final_board_the_close_writes_is_the_one_a_rebuild_from_the_results_gives(
    api_client, board_backend
):
    """The close writes the final board from the rows it ranked, in a second thread while the
    database stores the ranks: the same board, in the same order with the same ranks and rows
    (and each participant's own rank), as one rebuilt afterwards from the stored results. The
    ranks it shows are the ones stored with the results, ties (two without points) included."""
    contest, round_, questions = make_contest(scores_while_open=True)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    for n, right in enumerate([1, 2, 0, 2, 1, 0]):
        token = register(api_client, contest, school, name=f"Học sinh {n}", email=f"{n}@x.org")
        _take(api_client, round_, token, questions, right=right)
    close_round(round_)
    round_.refresh_from_db()
    scope = boards.round_scope(round_, public=False)
    assert scope.key.endswith(":final")
    ids = list(Participant.objects.filter(contest=contest).values_list("pk", flat=True))
    written = boards.top(scope)
    ranks = {pid: boards.my_rank(scope, pid) for pid in ids}
    assert [row["score"] for row in written] == [2000, 2000, 1000, 1000, 0, 0]
    stored = dict(RoundResult.objects.filter(round=round_).values_list("participant_id", "rank"))
    assert {pid: ranks[pid]["rank"] for pid in ids} == stored
    assert [row["rank"] for row in written] == sorted(stored.values())
    assert written[-1]["rank"] == written[-2]["rank"] == 5
    boards.backend().drop(scope.key)
    assert boards.top(scope) == written  # rebuilt from the results by this read
    assert {pid: boards.my_rank(scope, pid) for pid in ids} == ranks


def test_a_correction_after_the_close_shows_the_new_ranks_on_the_final_board(
    api_client, board_backend, organiser
):
    """A key fixed after the close changes the standing: the final board, written again by the
    correction's close, shows each participant's new rank, never the one stored before it."""
    from contest.services import answer_key_fix

    contest, round_, questions = make_contest(scores_while_open=True)
    school = make_school("CG", "THCS Cầu Giấy")["school"]
    for right in (2, 1, 0):  # the first `right` questions right, the others wrong
        token = register(
            api_client, contest, school, name=f"Học sinh {right}", email=f"{right}@x.org"
        )
        _take(api_client, round_, token, questions, right=right)
    close_round(round_)
    round_.refresh_from_db()
    by_email = dict(Participant.objects.filter(contest=contest).values_list("email", "pk"))
    two, one, none = by_email["2@x.org"], by_email["1@x.org"], by_email["0@x.org"]
    scope = boards.round_scope(round_, public=False)
    assert [boards.my_rank(scope, pid)["rank"] for pid in (two, one, none)] == [1, 2, 3]

    # The first question's key was printed wrong: the choice taken as wrong was the right one.
    # Scores: 2000 -> 1000, 1000 -> 0, 0 -> 1000.
    answer_key_fix(
        round_=round_,
        question_id=questions[0].pk,
        correct=[wrong_choice(questions[0])],
        actor=organiser,
        reason="Đáp án in sai",
    )
    round_.refresh_from_db()
    scope = boards.round_scope(round_, public=False)
    stored = dict(RoundResult.objects.filter(round=round_).values_list("participant_id", "rank"))
    assert stored[one] == 3
    assert {pid: boards.my_rank(scope, pid)["rank"] for pid in stored} == stored
    top = boards.top(scope)
    assert [(row["id"], row["rank"]) for row in top] == sorted(
        stored.items(), key=lambda item: item[1]
    )
    assert top[-1]["id"] == one
