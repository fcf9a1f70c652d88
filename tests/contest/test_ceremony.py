"""The award ceremony's steps: places revealed from N up to 1st, prizes by tier, the Resolver's
moves after a freeze, and audience frames that hold only what has been revealed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest.ceremony_steps import resolver_order
from contest.models import Ceremony
from contest.prizes import DEFAULT_TIERS, award_for_rank
from contest.services import ceremony as svc
from core.errors import ApplicationError, ForbiddenError
from tests.contest.ceremony_helpers import closed_round
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NAMES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Chi", "Phạm Đức Dũng", "Hoàng Thu Giang",
    "Vũ Ngọc Hà", "Võ Quang Hải", "Đặng Thanh Hoa", "Bùi Hữu Hùng", "Đỗ Bảo Khánh",
    "Phan Thị Lan", "Huỳnh Văn Long",
]  # fmt: skip


@given(
    st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=5),
    st.integers(min_value=1, max_value=40),
)
def test_each_tier_covers_exactly_its_number_of_places(places, rank):
    tiers = [{"places": n, "name_vi": f"Giải {i}", "name_en": ""} for i, n in enumerate(places)]
    covered = [award_for_rank(r, tiers) for r in range(1, sum(places) + 1)]
    for tier in tiers:
        assert sum(1 for c in covered if c is tier) == tier["places"]
    if rank > sum(places):
        assert award_for_rank(rank, tiers) is None
    # a better rank never gets a lesser prize
    if rank > 1 and award_for_rank(rank, tiers) is not None:
        assert tiers.index(award_for_rank(rank - 1, tiers)) <= tiers.index(
            award_for_rank(rank, tiers)
        )


def _organiser(contest):
    user = make_user("boss", roles=["organiser"])
    contest.staff.add(user)
    return user


def _twelve():
    people = [
        (name, "THCS Cầu Giấy" if i % 2 else "THCS Ba Đình", [(3000 - 100 * i, 60_000, 30)])
        for i, name in enumerate(NAMES)
    ]
    return closed_round(people)


def test_places_are_revealed_from_the_last_up_to_the_first_with_their_prize():
    contest, round_, _people = _twelve()
    ceremony = svc.ceremony_prepare(
        user=_organiser(contest),
        contest=contest,
        data={
            "source": "round",
            "round_id": round_.pk,
            "places": 10,
            "tiers": DEFAULT_TIERS,
            "masked": False,
        },
    )
    kinds = [s["kind"] for s in ceremony.steps]
    assert kinds == ["intro"] + ["place"] * 10 + ["unit", "unit", "podium"]
    places = [s["show"]["card"]["place"] for s in ceremony.steps if s["kind"] == "place"]
    assert places == list(range(10, 0, -1))
    first = next(
        s for s in ceremony.steps if s["kind"] == "place" and s["show"]["card"]["place"] == 1
    )
    assert first["show"]["card"]["name"] == "Nguyễn Văn An"
    assert first["show"]["card"]["prize"] == {"vi": "Giải Nhất", "en": "First prize"}
    assert first["note"]["school"] == "THCS Ba Đình"  # the console's preview of the step
    tenth = ceremony.steps[1]["show"]["card"]
    assert tenth["name"] == "Đỗ Bảo Khánh"
    assert tenth["prize"] == {"vi": "Giải Khuyến khích", "en": "Honourable mention"}  # 1+2+3+4
    assert ceremony.steps[1]["show"]["card"]["place"] == 10


def test_an_audience_frame_never_holds_a_place_or_name_not_revealed_yet():
    contest, round_, _people = _twelve()
    user = _organiser(contest)
    ceremony = svc.ceremony_prepare(
        user=user,
        contest=contest,
        data={"source": "round", "round_id": round_.pk, "places": 10, "masked": False},
    )
    for index, step in enumerate(ceremony.steps):
        ceremony = svc.ceremony_go(user=user, ceremony_id=ceremony.pk, index=index)
        frame = json.dumps(svc.audience_frame(ceremony), ensure_ascii=False)
        if step["kind"] == "place":
            revealed = step["show"]["card"]["place"]
            for place, name in enumerate(NAMES[:10], start=1):
                assert (name in frame) == (place >= revealed), (index, name)
        if step["kind"] == "intro":
            assert not any(name in frame for name in NAMES)
        assert "note" not in frame  # the console's preview never reaches the audience
    blackout = svc.ceremony_go(user=user, ceremony_id=ceremony.pk, blackout=True)
    assert svc.audience_frame(blackout)["show"] is None


def test_names_are_masked_on_screens_when_the_organiser_asks():
    contest, round_, _people = _twelve()
    ceremony = svc.ceremony_prepare(
        user=_organiser(contest),
        contest=contest,
        data={"source": "round", "round_id": round_.pk, "places": 3},
    )
    text = json.dumps([s["show"] for s in ceremony.steps], ensure_ascii=False)
    assert "Nguyễn V. A." in text
    assert "Nguyễn Văn An" not in text


def test_a_submission_made_during_the_freeze_moves_on_the_reveal_in_the_resolvers_order():
    # The freeze is the last 2 hours. Before it: An 3000, Bình 2900, Chi 2800, Dũng 2700, Giang 2600.
    # During it: Dũng reaches 2950 (4th -> 2nd) and Giang 3100 (5th -> 1st).
    people = [
        ("Nguyễn Văn An", "THCS Ba Đình", [(3000, 60_000, 30)]),
        ("Trần Thị Bình", "THCS Ba Đình", [(2900, 60_000, 30)]),
        ("Lê Minh Chi", "THCS Cầu Giấy", [(2800, 60_000, 30)]),
        ("Phạm Đức Dũng", "THCS Cầu Giấy", [(2700, 60_000, 30), (2950, 60_000, 1)]),
        ("Hoàng Thu Giang", "THCS Cầu Giấy", [(2600, 60_000, 30), (3100, 60_000, 0.5)]),
    ]
    contest, round_, _made = closed_round(people, freeze_hours=2)
    ceremony = svc.ceremony_prepare(
        user=_organiser(contest),
        contest=contest,
        data={
            "source": "round",
            "round_id": round_.pk,
            "places": 5,
            "masked": False,
            "units": "none",
        },
    )
    frozen = next(s for s in ceremony.steps if s["kind"] == "frozen")
    assert [r["name"] for r in frozen["show"]["rows"]] == [p[0] for p in people]
    assert [r["score"] for r in frozen["show"]["rows"]] == [3000, 2900, 2800, 2700, 2600]
    moves = [s["show"] for s in ceremony.steps if s["kind"] == "resolve"]
    # From the bottom of the board upward: Giang (5th) first, to 1st; then Dũng (now 5th), to 3rd.
    assert [(m["moved"], m["from"], m["to"]) for m in moves] == [
        (_made[4].pk, 5, 1),
        (_made[3].pk, 5, 3),
    ]
    assert [r["name"] for r in moves[-1]["rows"]] == [
        "Hoàng Thu Giang", "Nguyễn Văn An", "Phạm Đức Dũng", "Trần Thị Bình", "Lê Minh Chi",
    ]  # fmt: skip
    # Nothing after the freeze shows before its move: the frozen board has the old scores only.
    assert "3100" not in json.dumps(frozen["show"])
    assert "2950" not in json.dumps(frozen["show"])


def test_a_round_that_has_not_closed_cannot_be_prepared(settings):
    from datetime import timedelta

    from django.utils import timezone

    contest, round_, _made = closed_round([("Nguyễn Văn An", "THCS Ba Đình", [(3000, 1000, 30)])])
    round_.closes_at = timezone.now() + timedelta(hours=1)
    round_.save()
    with pytest.raises(ApplicationError) as error:
        svc.ceremony_prepare(
            user=_organiser(contest),
            contest=contest,
            data={"source": "round", "round_id": round_.pk},
        )
    assert error.value.code == "not_finished"


def test_only_the_contests_staff_prepare_or_run_a_ceremony():
    contest, round_, _made = _twelve()
    stranger = make_user("other", roles=["organiser"])
    with pytest.raises(ForbiddenError):
        svc.ceremony_prepare(
            user=stranger, contest=contest, data={"source": "round", "round_id": round_.pk}
        )
    ceremony = svc.ceremony_prepare(
        user=_organiser(contest), contest=contest, data={"source": "round", "round_id": round_.pk}
    )
    with pytest.raises(ForbiddenError):
        svc.ceremony_go(user=stranger, ceremony_id=ceremony.pk, delta=1)
    assert Ceremony.objects.get(pk=ceremony.pk).step == 0


def test_bad_settings_get_a_clear_error_and_change_nothing():
    contest, round_, _made = _twelve()
    with pytest.raises(ApplicationError) as error:
        svc.ceremony_prepare(
            user=_organiser(contest),
            contest=contest,
            data={
                "source": "round",
                "round_id": round_.pk,
                "places": 0,
                "tiers": [{"places": "x"}],
            },
        )
    assert set(error.value.details) == {"places", "tiers"}
    assert not Ceremony.objects.exists()


def _game(contest, round_, *, status):
    from realtime.models import Game, Player

    host = make_user("host", roles=["teacher"])
    game = Game.objects.create(
        host=host,
        pin="123456",
        status=status,
        screen_key="k",
        secret="s",
        contest_round_id=round_.pk if round_ else None,
    )
    for i, nickname in enumerate(["Mèo Mướp", "Cá Heo", "Sóc Nâu"]):
        Player.objects.create(
            game=game, nickname=nickname, nickname_key=nickname.lower(), score=900 - 100 * i
        )
    return game


def test_a_finished_live_game_of_the_contest_is_revealed_from_its_last_place():
    contest, round_, _made = _twelve()
    game = _game(contest, round_, status="ended")
    ceremony = svc.ceremony_prepare(
        user=_organiser(contest),
        contest=contest,
        data={"source": "game", "game_id": game.pk, "places": 3},
    )
    cards = [s["show"]["card"] for s in ceremony.steps if s["kind"] == "place"]
    assert [(c["place"], c["name"]) for c in cards] == [
        (3, "Sóc Nâu"),
        (2, "Cá Heo"),
        (1, "Mèo Mướp"),
    ]
    assert cards[-1]["prize"]["vi"] == "Giải Nhất"


def test_a_live_game_still_running_or_of_another_contest_cannot_be_revealed():
    contest, round_, _made = _twelve()
    boss = _organiser(contest)
    running = _game(contest, round_, status="running")
    with pytest.raises(ApplicationError) as error:
        svc.ceremony_prepare(
            user=boss, contest=contest, data={"source": "game", "game_id": running.pk}
        )
    assert error.value.code == "not_finished"
    running.status, running.pin, running.contest_round_id = "ended", "654321", None
    running.save()
    with pytest.raises(ApplicationError) as error:
        svc.ceremony_prepare(
            user=boss, contest=contest, data={"source": "game", "game_id": running.pk}
        )
    assert error.value.code == "bad_source"


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(min_value=0, max_value=20)),
            st.integers(min_value=0, max_value=20),
        ),
        min_size=1,
        max_size=14,
    ),
    st.integers(min_value=1, max_value=8),
)
def test_the_resolver_ends_on_the_final_board_moving_each_changed_row_once(people, places):
    from contest.ranking import rank_rows

    def row(pid, score):
        return {"id": pid, "score": score * 100, "time_ms": 1000, "submitted_ms": 5}

    frozen = rank_rows([row(i, f) for i, (f, _final) in enumerate(people) if f is not None])
    final = rank_rows([row(i, final) for i, (_f, final) in enumerate(people)])
    moves = resolver_order(frozen, final, places=places, chain=("score",))
    changed = {i for i, (f, final) in enumerate(people) if f != final}
    moved = [m["id"] for m in moves]
    assert len(moved) == len(set(moved))
    assert set(moved) <= changed
    universe = {r["id"] for r in frozen if r["rank"] <= places}
    universe |= {r["id"] for r in final if r["rank"] <= places}
    start = rank_rows([r for r in frozen if r["id"] in universe])[:places]
    last = moves[-1]["board"] if moves else start
    assert [r["id"] for r in last] == [r["id"] for r in final[:places]]
    for move in moves:  # a move is shown only when the row starts or ends on the board
        assert move["from"] is not None or move["to"] is not None
        if move["to"] is not None:
            assert move["board"][move["to"] - 1]["id"] == move["id"]


def test_a_first_paper_handed_in_during_the_freeze_is_resolved_first_from_below_the_board():
    people = [
        ("Nguyễn Văn An", "THCS Ba Đình", [(3000, 60_000, 30)]),
        ("Trần Thị Bình", "THCS Ba Đình", [(2000, 60_000, 30), (2500, 60_000, 1)]),
        ("Lê Minh Chi", "THCS Cầu Giấy", [(2800, 60_000, 1)]),  # nothing before the freeze
    ]
    contest, round_, made = closed_round(people, freeze_hours=2)
    ceremony = svc.ceremony_prepare(
        user=_organiser(contest),
        contest=contest,
        data={
            "source": "round",
            "round_id": round_.pk,
            "places": 3,
            "masked": False,
            "units": "none",
        },
    )
    frozen = next(s for s in ceremony.steps if s["kind"] == "frozen")["show"]
    assert "Lê Minh Chi" not in json.dumps(frozen, ensure_ascii=False)  # not on the frozen board
    moves = [s["show"] for s in ceremony.steps if s["kind"] == "resolve"]
    assert [(m["moved"], m["from"], m["to"]) for m in moves] == [
        (made[2].pk, None, 2),  # Chi comes in from below the board
        (made[1].pk, 3, 3),  # then Bình, now last, keeps 3rd with 2,500
    ]
