"""WebSocket authorization matrix: hello, host commands and answers tried as every role.

Expected: only the owning teacher becomes host and may send host commands; the screen and players
never can; only players may answer; a token opens only its own game; a stranger gets nothing
(organisers included, of this contest or another). The live-round link: a game that its round
does not name records nothing when its host ends it over the socket; the named one records, as
its host."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from contest.models import AuditEntry, Round, RoundResult
from realtime.models import Game
from realtime.services import game_create
from tests.contest.helpers import make_contest
from tests.factories import make_user
from tests.realtime.conftest import (
    Socket,
    create_game,
    host_socket,
    join,
    make_quiz,
    session_cookie,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [
    "anon",
    "player_a",
    "player_b",
    "screen",
    "owner",
    "other_teacher",
    "organiser",
    "other_organiser",
    "admin",
]
# role -> (hello accepted, host command accepted, answer reaches the engine)
EXPECTED = {
    "anon": (False, False, False),
    "player_a": (True, False, True),
    "player_b": (True, False, True),
    "screen": (True, False, False),
    "owner": (True, True, False),
    "other_teacher": (False, False, False),
    "organiser": (False, False, False),
    "other_organiser": (False, False, False),
    "admin": (False, False, False),
}


@sync_to_async
def build():
    owner = make_user("wsowner", roles=["teacher"])
    users = {
        "owner": owner,
        "other_teacher": make_user("wsother", roles=["teacher"]),
        "organiser": make_user("wsorg", roles=["organiser"]),
        "other_organiser": make_user("wsorg_b", roles=["organiser"]),
        "admin": make_user("wsroot"),
    }
    users["admin"].is_superuser = users["admin"].is_staff = True
    users["admin"].save()
    quiz = make_quiz(owner)
    game = create_game(owner, quiz)
    other_game = create_game(owner, quiz)
    _, token_a = join(game, "Lan")
    _, token_b = join(game, "Minh")
    _, foreign = join(other_game, "Lan")
    cookies = {role: session_cookie(user) for role, user in users.items()}
    return game, other_game, {"player_a": token_a, "player_b": token_b}, foreign, cookies


async def hello_as(role, game, tokens, cookies) -> tuple[Socket, dict]:
    headers = [cookies[role]] if role in cookies else []
    sock = await Socket(game.id, headers=headers).connect()
    if role == "anon":
        frame = await sock.hello(role="player", token="forged.token:value")
    elif role in tokens:
        frame = await sock.hello(role="player", token=tokens[role])
    elif role == "screen":
        frame = await sock.hello(role="screen", key=game.screen_key)
    else:
        frame = await sock.hello(role="host")
    return sock, frame


@pytest.mark.parametrize("role", ROLES)
async def test_websocket_roles_match_the_expected_table(role):
    game, _, tokens, _, cookies = await build()
    hello_ok, host_ok, answer_ok = EXPECTED[role]
    sock, frame = await hello_as(role, game, tokens, cookies)
    try:
        if not hello_ok:
            assert frame["type"] == "error", frame
            assert frame["code"] == "not_authorised", frame
            closed = await sock.recv()
            assert closed == {"type": "__closed__", "code": 4001}
            return
        assert frame["type"] == "state"
        assert frame["role"] in {"player", "screen", "host"}
        assert ("you" in frame) == (role in tokens)
        await sock.send({"type": "host", "action": "lock"})
        reply = await sock.recv()
        if host_ok:
            assert reply["type"] == "flags"
            assert reply["locked"] is True
        else:
            assert reply == {**reply, "type": "error", "code": "not_authorised"}
            assert (await sync_to_async(Game.objects.get)(id=game.id)).state.get("locked") in (
                None,
                False,
            )
        await sock.send(
            {"type": "answer", "q": 0, "answer_id": "a" * 8, "response": {"choice": "x"}}
        )
        reply = await sock.until("error")
        # Players reach the engine (which says the lobby is not open); others are refused.
        assert reply["code"] == ("not_open" if answer_ok else "not_authorised"), reply
    finally:
        await sock.close()


async def test_a_player_token_does_not_open_another_game():
    game, other_game, tokens, foreign, _ = await build()
    sock = await Socket(game.id).connect()
    frame = await sock.hello(role="player", token=foreign)
    assert frame["code"] == "not_authorised"
    assert (await sock.recv())["code"] == 4001
    await sock.close()
    # And the screen key of one game does not open another.
    sock = await Socket(other_game.id).connect()
    frame = await sock.hello(role="screen", key=game.screen_key)
    assert frame["code"] == "not_authorised"
    await sock.close()


async def test_a_player_cannot_kick_or_act_for_another_player():
    game, _, tokens, _, _ = await build()
    sock = await Socket(game.id).connect()
    state = await sock.hello(role="player", token=tokens["player_b"])
    assert state["you"]["nickname"] == "Minh"
    await sock.send({"type": "host", "action": "kick", "player": 1, "as": "host"})
    assert (await sock.until("error"))["code"] == "not_authorised"
    # A second hello with another role on the same socket does not upgrade it.
    await sock.send({"type": "hello", "v": 1, "role": "host"})
    assert (await sock.until("error"))["code"] == "not_authorised"
    assert (await sock.recv())["code"] == 4001
    await sock.close()


@sync_to_async
def two_games_tied_to_a_live_round():
    contest, round_, _ = make_contest()
    live = Round.objects.create(
        contest=contest,
        title_vi="Chung kết",
        kind="live",
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
    )
    organiser = make_user("wsorg", roles=["organiser"])
    contest.staff.add(organiser)
    quiz = make_quiz(organiser)
    old = game_create(host=organiser, quiz_id=quiz.id, contest_round_id=live.pk)
    named = game_create(host=organiser, quiz_id=quiz.id, contest_round_id=live.pk)
    join(old, "Old game")
    join(named, "Named game")
    return organiser, live, old, named


@sync_to_async
def live_results(live):
    return list(RoundResult.objects.filter(round=live).values_list("nickname", flat=True))


@sync_to_async
def live_recorded_by(live):
    return AuditEntry.objects.get(round=live, action="live_results").actor


async def test_only_the_game_its_round_names_records_results_when_the_host_ends_it():
    organiser, live, old, named = await two_games_tied_to_a_live_round()
    for game in (old, named):
        host = await host_socket(game.id, organiser)
        try:
            await host.send({"type": "host", "action": "end_game"})
            await host.until("ended")
        finally:
            await host.close()
        if game is old:
            assert await live_results(live) == []
    assert await live_results(live) == ["Named game"]
    assert await live_recorded_by(live) == organiser
