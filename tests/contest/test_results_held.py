"""Issue 18, "Nothing leaks early": while a prepared award ceremony has not reached its last step,
no public board, page or API shows the final standing of the round it reveals."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from contest import boards, services
from contest.models import Ceremony, Round
from contest.services import ceremony as svc
from contest.services.certificates import certificate_settings_update, certificates_issue
from contest.services.demo import DEMO_SLUG, FINAL_POSITION
from tests.contest.ceremony_helpers import closed_round
from tests.contest.conftest import clear_boards
from tests.contest.helpers import public_views
from tests.factories import make_user

pytestmark = pytest.mark.django_db

WINNER, WINNING_SCORE = "Hoàng Thu Giang", 2917
PEOPLE = [
    ("Nguyễn Văn An", "THCS Ba Đình", [(2713, 60_000, 30)]),
    ("Trần Thị Bình", "THCS Ba Đình", [(2611, 60_000, 30)]),
    ("Lê Minh Chi", "THCS Cầu Giấy", [(2509, 60_000, 30)]),
    # Giang's winning paper comes in during the last hour (inside a 2-hour freeze, if any).
    (WINNER, "THCS Cầu Giấy", [(2407, 60_000, 30), (WINNING_SCORE, 60_000, 0.5)]),
]


def _show(**round_fields):
    clear_boards()
    contest, round_, people = closed_round(PEOPLE, **round_fields)
    boss = make_user("boss", roles=["organiser"])
    contest.staff.add(boss)
    certificate_settings_update(
        round_=round_, actor=boss, tiers=[{"name_vi": "Giải Nhất", "name_en": "", "places": 1}]
    )
    ceremony = svc.ceremony_prepare(
        user=boss,
        contest=contest,
        data={"source": "round", "round_id": round_.pk, "places": 4, "masked": False},
    )
    return contest, round_, people, boss, ceremony


def _public_bodies(contest, round_, people) -> dict[str, str]:
    """Every public view of the round and its contest, as the anonymous public and the winner."""
    winner = next(p for p in people if p.full_name == WINNER)
    prize = next(c for c in certificates_issue(round_=round_) if c.participant_id == winner.pk)
    anonymous = Client()
    gets = {
        **public_views(contest, round_, winner),
        "verify page": (reverse("certificate-verify", args=[prize.code]), {}),
    }
    return {
        name: anonymous.get(url, **headers).content.decode()
        for name, (url, headers) in gets.items()
    }


def _leaks(bodies: dict[str, str], *needles: str) -> list[str]:
    return [name for name, body in bodies.items() if any(n in body for n in needles)]


def test_no_public_view_shows_a_held_rounds_winner_until_the_last_step_and_then_all_do():
    contest, round_, people, boss, ceremony = _show()
    winning = str(WINNING_SCORE)

    assert _leaks(_public_bodies(contest, round_, people), WINNER, winning, "Giải Nhất") == []
    staff = Client()
    staff.force_login(boss)
    for url in (
        reverse("round-leaderboard", args=[round_.pk]),
        reverse("round-results", args=[round_.pk]),
        reverse("contest-results", args=[contest.slug, round_.pk]),
    ):
        assert WINNER in staff.get(url).content.decode(), url
    page = Client().get(reverse("contest-results", args=[contest.slug, round_.pk]))
    assert "Results are announced at the award ceremony." in page.content.decode()

    # The console's moves: every step but the last keeps the results held.
    last = len(ceremony.steps) - 1
    svc.ceremony_go(user=boss, ceremony_id=ceremony.pk, index=last - 1)
    assert _leaks(_public_bodies(contest, round_, people), WINNER, winning) == []
    svc.ceremony_go(user=boss, ceremony_id=ceremony.pk, delta=1)

    bodies = _public_bodies(contest, round_, people)
    shown = {"round board", "my rank", "results API", "results page", "contest board"}
    assert shown <= set(_leaks(bodies, winning))
    assert "Giải Nhất" in bodies["verify page"]
    # Stepping back on stage does not take published results back.
    svc.ceremony_go(user=boss, ceremony_id=ceremony.pk, delta=-1)
    assert winning in Client().get(reverse("round-leaderboard", args=[round_.pk])).content.decode()


def test_a_held_round_with_a_freeze_shows_the_public_its_frozen_board_until_the_show_ends():
    contest, round_, people, boss, ceremony = _show(freeze_hours=2)
    board_url = reverse("round-leaderboard", args=[round_.pk])

    held = Client().get(board_url).json()
    assert held["board"] == "frozen"
    assert held["held"] is True
    assert [(row["name"], row["score"]) for row in held["rows"]][:1] == [("Nguyễn Văn An", 2713)]
    assert _leaks(_public_bodies(contest, round_, people), str(WINNING_SCORE)) == []

    svc.ceremony_go(user=boss, ceremony_id=ceremony.pk, index=len(ceremony.steps) - 1)
    final = Client().get(board_url).json()
    assert final["board"] == "final"
    assert (final["rows"][0]["name"], final["rows"][0]["score"]) == (WINNER, WINNING_SCORE)


def test_the_organiser_can_publish_held_results_from_the_console_without_running_the_show():
    contest, round_, people, boss, ceremony = _show()
    board_url = reverse("round-leaderboard", args=[round_.pk])
    assert WINNER not in Client().get(board_url).content.decode()
    stranger = Client()
    stranger.force_login(make_user("nosy", roles=["organiser"]))
    stranger.post(f"/organise/ceremony/{ceremony.pk}/", {"action": "release"})
    assert WINNER not in Client().get(board_url).content.decode()

    staff = Client()
    staff.force_login(boss)
    staff.post(f"/organise/ceremony/{ceremony.pk}/", {"action": "release"})
    assert WINNER in Client().get(board_url).content.decode()
    # Preparing the released show again does not hide what is already public.
    svc.ceremony_prepare(
        user=boss,
        contest=contest,
        data={"source": "round", "round_id": round_.pk},
        ceremony=ceremony,
    )
    assert Round.objects.get(pk=round_.pk).results_held is False


def test_a_contest_ceremony_holds_every_round_it_covers():
    contest, round_, people, boss, _round_show = _show()
    svc.ceremony_release(user=boss, ceremony=_round_show)
    show = svc.ceremony_prepare(user=boss, contest=contest, data={"source": "contest"})
    assert Round.objects.get(pk=round_.pk).results_held is True
    assert _leaks(_public_bodies(contest, round_, people), WINNER, str(WINNING_SCORE)) == []
    svc.ceremony_go(user=boss, ceremony_id=show.pk, index=len(show.steps) - 1)
    assert Round.objects.get(pk=round_.pk).results_held is False


def test_the_demo_ceremony_round_shows_its_frozen_board_before_the_show():
    clear_boards()
    call_command("seed_demo")
    final = Round.objects.get(contest__slug=DEMO_SLUG, position=FINAL_POSITION)
    ceremony = Ceremony.objects.get(contest__slug=DEMO_SLUG, round=final)
    public = Client().get(reverse("round-leaderboard", args=[final.pk])).json()
    assert public["board"] == "frozen"
    assert public["held"] is True
    assert ceremony.steps[1]["kind"] == "frozen"
    frozen_top = [row["score"] for row in ceremony.steps[1]["show"]["rows"]]
    assert [row["score"] for row in public["rows"][: len(frozen_top)]] == frozen_top
    final_top = [row["score"] for row in boards.top(boards.round_scope(final, public=False), 10)]
    assert final_top != frozen_top  # the demo's reveal has something to reveal


@pytest.mark.django_db(transaction=True)
async def test_the_fast_path_never_replays_a_held_board_after_the_show_ends_or_the_final_before():
    from asgiref.sync import sync_to_async
    from channels.testing import HttpCommunicator

    from config.asgi import django_asgi_app
    from contest.fastpath import BoardReplay

    def build():
        contest, round_, people, boss, ceremony = _show()
        return round_.pk, boss, ceremony.pk, len(ceremony.steps) - 1, people

    round_id, boss, ceremony_id, last, people = await sync_to_async(build)()
    winner = next(p for p in people if p.full_name == WINNER)
    token = await sync_to_async(services.participant_token)(winner)
    app = BoardReplay(django_asgi_app)

    async def get(path, *extra):
        headers = [(b"host", b"testserver"), *extra]
        communicator = HttpCommunicator(app, "GET", path, headers=headers)
        response = await communicator.get_response()
        await communicator.wait()
        return response["body"].decode()

    board = f"/api/rounds/{round_id}/leaderboard/"
    me = f"/api/rounds/{round_id}/leaderboard/me/"
    mine = (b"x-participant-token", token.encode())
    for _ in range(2):  # the second may be a replay
        assert WINNER not in await get(board)
        assert str(WINNING_SCORE) not in await get(board)
        assert str(WINNING_SCORE) not in await get(me, mine)
    await sync_to_async(svc.ceremony_go)(user=boss, ceremony_id=ceremony_id, index=last)
    assert WINNER in await get(board)
    assert str(WINNING_SCORE) in await get(me, mine)
