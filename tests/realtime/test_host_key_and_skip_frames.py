"""What each socket learns during a question: the host alone gets the key before the reveal, and
everyone is told when the host skips a question."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from tests.factories import make_user
from tests.realtime.conftest import (
    create_game,
    host_socket,
    join,
    make_quiz,
    player_socket,
    screen_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def setup_game(types=("single", "single")):
    host = make_user("keyhost", roles=["teacher"])
    quiz = make_quiz(host, types)
    game = create_game(host, quiz, time_limit=30)
    return host, game


def right_choice(game, q: int) -> str:
    """The opaque id of the right choice of question q, as the reveal would name it."""
    from realtime.scoring import reveal_payload
    from realtime.selectors import play_question

    return reveal_payload(play_question(game=game, q=q), [], {})["correct"]


async def test_only_the_host_socket_gets_the_key_of_the_question_before_the_reveal():
    host, game = await setup_game()
    _pid, token = await sync_to_async(join)(game, "Lan Anh")
    host_ws = await host_socket(game.id, host)
    screen = await screen_socket(game)
    player = await player_socket(game.id, token)
    try:
        await host_ws.send({"type": "host", "action": "start"})
        key = await host_ws.until("key")
        expected = await sync_to_async(right_choice)(game, 0)
        assert key == {"type": "key", "q": 0, "correct": expected}
        await player.until("question")
        await screen.until("question")
        # The host's state frame after a reload carries the key too.
        again = await host_socket(game.id, host)
        assert again.frames[0]["key"] == {"q": 0, "correct": expected}
        await again.close()
        await host_ws.send({"type": "host", "action": "end_question"})
        await player.until("reveal")
        await screen.until("reveal")
        # Nothing the screen or the phone received before the reveal names the right choice.
        for sock in (screen, player):
            before = sock.raw[: next(i for i, f in enumerate(sock.frames) if f["type"] == "reveal")]
            assert before and all('"correct"' not in text for text in before)
            assert not any(f["type"] == "key" or "key" in f for f in sock.frames)
        screen_again = await screen_socket(game)
        assert "key" not in screen_again.frames[0]
        await screen_again.close()
    finally:
        await player.close()
        await screen.close()
        await host_ws.close()


async def test_skipping_a_question_tells_every_socket_which_question_was_skipped():
    host, game = await setup_game()
    _pid, token = await sync_to_async(join)(game, "Minh")
    host_ws = await host_socket(game.id, host)
    screen = await screen_socket(game)
    player = await player_socket(game.id, token)
    try:
        await host_ws.send({"type": "host", "action": "start"})
        await player.until("question")
        await host_ws.send({"type": "host", "action": "skip"})
        for sock in (player, screen, host_ws):
            assert await sock.until("skipped") == {"type": "skipped", "q": 0}
            nxt = await sock.until("question")
            assert nxt["q"] == 1
    finally:
        await player.close()
        await screen.close()
        await host_ws.close()
