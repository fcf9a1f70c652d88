"""WebSocket authorization matrix: hello, host commands and answers tried as every role.

Expected: only the owning teacher becomes host and may send host commands; the screen and players
never can; only players may answer; a token opens only its own game; a stranger gets nothing."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from realtime.models import Game
from tests.factories import make_user
from tests.realtime.conftest import Socket, create_game, join, make_quiz, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["anon", "player_a", "player_b", "screen", "owner", "other_teacher", "organiser", "admin"]
# role -> (hello accepted, host command accepted, answer reaches the engine)
EXPECTED = {
    "anon": (False, False, False),
    "player_a": (True, False, True),
    "player_b": (True, False, True),
    "screen": (True, False, False),
    "owner": (True, True, False),
    "other_teacher": (False, False, False),
    "organiser": (False, False, False),
    "admin": (False, False, False),
}


@sync_to_async
def build():
    owner = make_user("wsowner", roles=["teacher"])
    users = {
        "owner": owner,
        "other_teacher": make_user("wsother", roles=["teacher"]),
        "organiser": make_user("wsorg", roles=["organiser"]),
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
            assert frame["type"] == "error" and frame["code"] == "not_authorised", frame
            closed = await sock.recv()
            assert closed == {"type": "__closed__", "code": 4001}
            return
        assert frame["type"] == "state" and frame["role"] in {"player", "screen", "host"}
        assert ("you" in frame) == (role in tokens)
        await sock.send({"type": "host", "action": "lock"})
        reply = await sock.recv()
        if host_ok:
            assert reply["type"] == "flags" and reply["locked"] is True
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
