"""The game socket against the real router: join, answer, ack, errors, roles."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async

from realtime.models import Answer
from tests.factories import make_user
from tests.realtime.conftest import (
    Socket,
    create_game,
    host_socket,
    join,
    make_quiz,
    player_socket,
    screen_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def setup_game(types=("single", "single"), **settings):
    host = make_user("host1", roles=["teacher"])
    quiz = make_quiz(host, types)
    game = create_game(host, quiz, **settings)
    return host, game


def choice_ids(question_frame):
    return [c["id"] for c in question_frame["question"]["choices"]]


async def test_player_joins_answers_and_gets_only_a_received_ack():
    host, game = await setup_game(time_limit=30)
    pid, token = await sync_to_async(join)(game, "Lan Anh")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    try:
        lobby = await host_ws.until("lobby")
        assert lobby["joined"]["nickname"] == "Lan Anh"
        await host_ws.send({"type": "host", "action": "start"})
        question = await player.until("question")
        answer_id = str(uuid.uuid4())
        await player.send(
            {
                "type": "answer",
                "q": 0,
                "answer_id": answer_id,
                "response": {"choice": choice_ids(question)[0]},
            }
        )
        ack = await player.until("ack")
        assert ack == {"type": "ack", "status": "received", "submission_id": answer_id}
        assert await sync_to_async(Answer.objects.filter(player_id=pid, q=0).count)() == 1
        counted = await host_ws.until("answers")
        assert counted["count"] == 1
    finally:
        await player.close()
        await host_ws.close()


async def test_duplicate_answer_returns_the_original_submission_id():
    host, game = await setup_game(time_limit=30)
    pid, token = await sync_to_async(join)(game, "Minh")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    try:
        await host_ws.send({"type": "host", "action": "start"})
        question = await player.until("question")
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        a, b = choice_ids(question)[:2]
        await player.send({"type": "answer", "q": 0, "answer_id": first, "response": {"choice": a}})
        assert (await player.until("ack"))["submission_id"] == first
        await player.send({"type": "answer", "q": 0, "answer_id": first, "response": {"choice": a}})
        assert (await player.until("ack"))["submission_id"] == first
        await player.send(
            {"type": "answer", "q": 0, "answer_id": second, "response": {"choice": b}}
        )
        assert (await player.until("ack"))["submission_id"] == first
        stored = await sync_to_async(lambda: list(Answer.objects.filter(player_id=pid)))()
        assert len(stored) == 1
        assert str(stored[0].submission_id) == first
    finally:
        await player.close()
        await host_ws.close()


async def test_a_reconnecting_player_with_another_socket_cannot_answer_twice():
    host, game = await setup_game(time_limit=30)
    pid, token = await sync_to_async(join)(game, "Hoa")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    try:
        await host_ws.send({"type": "host", "action": "start"})
        question = await player.until("question")
        first = str(uuid.uuid4())
        await player.send(
            {
                "type": "answer",
                "q": 0,
                "answer_id": first,
                "response": {"choice": choice_ids(question)[0]},
            }
        )
        await player.until("ack")
        again = await player_socket(game.id, token)
        state = again.frames[0]
        assert state["you"]["answered"] is True
        assert state["you"]["submission_id"] == first
        assert (await player.until("__closed__"))["code"] == 4000
        await again.send(
            {
                "type": "answer",
                "q": 0,
                "answer_id": str(uuid.uuid4()),
                "response": {"choice": choice_ids(question)[1]},
            }
        )
        assert (await again.until("ack"))["submission_id"] == first
        await again.close()
    finally:
        await host_ws.close()


async def test_late_answer_is_rejected_with_a_translated_error(settings):
    settings.ANSWER_GRACE_SECONDS = 0.1
    host, game = await setup_game(time_limit=1)
    _pid, token = await sync_to_async(join)(game, "Trễ")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token, lang="vi")
    try:
        await host_ws.send({"type": "host", "action": "start"})
        question = await player.until("question")
        await player.until("closed")
        await player.send(
            {
                "type": "answer",
                "q": 0,
                "answer_id": str(uuid.uuid4()),
                "response": {"choice": choice_ids(question)[0]},
            }
        )
        error = await player.until("error")
        assert error["code"] == "late"
        assert error["message"] == "Hết giờ: câu trả lời này đến sau hạn chót."
        assert await sync_to_async(Answer.objects.count)() == 0
    finally:
        await player.close()
        await host_ws.close()


async def test_bad_frames_get_error_frames_and_the_socket_stays_open():
    _host, game = await setup_game()
    _pid, token = await sync_to_async(join)(game, "Fuzzy")
    player = await player_socket(game.id, token)
    try:
        await player.until("lobby")  # our own arrival
        for raw, code in [
            ("{not json", "malformed"),
            ("[1, 2]", "malformed"),
            ('{"type": 5}', "malformed"),
            ('{"type": "explode"}', "unknown_type"),
            ('{"type": "hello2"}', "unknown_type"),
            ('{"type": "answer", "pad": "' + "x" * 20000 + '"}', "too_large"),
            ('{"type": "answer", "q": 0, "answer_id": "nope", "response": {}}', "not_open"),
        ]:
            await player.send(raw)
            frame = await player.recv()
            assert frame["type"] == "error", (raw[:30], frame)
            assert frame["code"] == code, (raw[:30], frame)
            assert frame["message"]
        await player.send({"type": "ping", "t": 123})
        pong = await player.recv()
        assert pong["type"] == "pong"
        assert pong["t"] == 123
        assert pong["now"] > 0
    finally:
        await player.close()


async def test_a_flood_of_messages_is_rate_limited_and_the_socket_stays_open():
    _host, game = await setup_game()
    _pid, token = await sync_to_async(join)(game, "Spam")
    player = await player_socket(game.id, token)
    try:
        await player.until("lobby")
        for i in range(60):
            await player.send({"type": "ping", "t": i})
        error = await player.until("error")
        assert error["code"] == "rate_limited"
        await asyncio.sleep(1.1)  # let the token bucket refill (time-based by design)
        await player.send({"type": "ping", "t": 999})
        while (frame := await player.recv())["t" if "t" in frame else "type"] != 999:
            pass
        pongs = [f for f in player.frames if f["type"] == "pong" and f["t"] < 60]
        assert 15 <= len(pongs) < 60
    finally:
        await player.close()


async def test_a_frame_before_hello_is_refused():
    _host, game = await setup_game()
    sock = await Socket(game.id).connect()
    try:
        await sock.send({"type": "answer", "q": 0, "answer_id": "x", "response": {}})
        assert (await sock.recv())["code"] == "hello_required"
        await sock.send({"type": "host", "action": "start"})
        assert (await sock.recv())["code"] == "hello_required"
    finally:
        await sock.close()


async def test_screen_cannot_send_host_commands():
    _host, game = await setup_game()
    screen = await screen_socket(game)
    try:
        assert screen.frames[0]["role"] == "screen"
        await screen.send({"type": "host", "action": "start"})
        error = await screen.recv()
        assert error["code"] == "not_authorised"
        refreshed = await sync_to_async(lambda: type(game).objects.get(id=game.id))()
        assert refreshed.phase == "lobby"
    finally:
        await screen.close()


async def test_screen_with_a_wrong_key_is_refused():
    _host, game = await setup_game()
    sock = await Socket(game.id).connect()
    try:
        frame = await sock.hello(role="screen", key="guess")
        assert frame["code"] == "not_authorised"
        assert (await sock.recv())["type"] == "__closed__"
    finally:
        await sock.close()


async def test_player_cannot_act_as_host():
    host, game = await setup_game()
    _pid, token = await sync_to_async(join)(game, "Sneaky")
    player = await player_socket(game.id, token)
    other_teacher = await sync_to_async(make_user)("teacher2", roles=["teacher"])
    try:
        await player.send({"type": "host", "action": "start"})
        assert (await player.until("error"))["code"] == "not_authorised"
        anonymous = await Socket(game.id).connect()
        assert (await anonymous.hello(role="host", token=token))["code"] == "not_authorised"
        await anonymous.close()
        from tests.realtime.conftest import session_cookie

        cookie = await sync_to_async(session_cookie)(other_teacher)
        stranger = await Socket(game.id, headers=[cookie]).connect()
        assert (await stranger.hello(role="host"))["code"] == "not_authorised"
        await stranger.close()
        refreshed = await sync_to_async(lambda: type(game).objects.get(id=game.id))()
        assert refreshed.phase == "lobby"
    finally:
        await player.close()


async def test_a_token_of_another_game_is_refused():
    host, game = await setup_game()
    other = await sync_to_async(lambda: create_game(host, game.quiz))()
    _pid, token = await sync_to_async(join)(other, "Wanderer")
    sock = await Socket(game.id).connect()
    try:
        assert (await sock.hello(role="player", token=token))["code"] == "not_authorised"
    finally:
        await sock.close()


async def test_kicked_player_is_disconnected_and_cannot_come_back():
    host, game = await setup_game()
    pid, token = await sync_to_async(join)(game, "Troll")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    try:
        await host_ws.send({"type": "host", "action": "kick", "player": pid})
        assert (await player.until("kicked"))["type"] == "kicked"
        again = await Socket(game.id).connect()
        assert (await again.hello(role="player", token=token))["code"] == "kicked"
        await again.close()
    finally:
        await player.close()
        await host_ws.close()


async def test_wrong_origin_is_refused():
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    _host, game = await setup_game()
    comm = WebsocketCommunicator(
        application, f"/ws/game/{game.id}/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_late_join_works_only_when_the_host_allows_it():
    from core.errors import NotFoundError

    host, game = await setup_game(time_limit=30)
    _pid, token = await sync_to_async(join)(game, "Early")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    try:
        await host_ws.send({"type": "host", "action": "late_join", "on": False})
        await host_ws.until("flags")
        await host_ws.send({"type": "host", "action": "start"})
        await player.until("question")
        with pytest.raises(NotFoundError):
            await sync_to_async(join)(game, "Latecomer")
        await host_ws.send({"type": "host", "action": "late_join", "on": True})
        assert (await host_ws.until("flags"))["late_join"] is True
        _late_id, late_token = await sync_to_async(join)(game, "Latecomer")
        late = await player_socket(game.id, late_token)
        state = late.frames[0]
        assert state["game"]["phase"] == "open"
        assert state["question"]["q"] == 0
        assert state["you"]["score"] == 0
        assert state["you"]["answered"] is False
        await late.close()
    finally:
        await player.close()
        await host_ws.close()


async def test_pause_freezes_the_countdown_and_add_time_extends_it():
    host, game = await setup_game(time_limit=30)
    _pid, token = await sync_to_async(join)(game, "Timer")
    host_ws = await host_socket(game.id, host)
    player = await player_socket(game.id, token)
    try:
        await host_ws.send({"type": "host", "action": "start"})
        question = await player.until("question")
        await host_ws.send({"type": "host", "action": "add_time", "seconds": 10})
        timer = await player.until("timer")
        assert timer["ends_at"] == question["ends_at"] + 10_000
        await host_ws.send({"type": "host", "action": "pause"})
        paused = await player.until("timer")
        assert paused["paused"] is True
        await player.send(
            {
                "type": "answer",
                "q": 0,
                "answer_id": str(uuid.uuid4()),
                "response": {"choice": choice_ids(question)[0]},
            }
        )
        assert (await player.until("error"))["code"] == "not_open"
        await host_ws.send({"type": "host", "action": "resume"})
        resumed = await player.until("timer")
        assert resumed["paused"] is False
        assert resumed["ends_at"] >= timer["ends_at"]
    finally:
        await player.close()
        await host_ws.close()


async def test_a_join_burst_gives_players_few_lobby_frames_and_staff_every_arrival(monkeypatch):
    """Players' lobby count is coalesced (not one frame per join to everyone); staff see each join."""
    from realtime import hub

    # A wide window so the assertion does not depend on how fast this machine joins 12 sockets.
    monkeypatch.setattr(hub, "LOBBY_FRAME_INTERVAL", 2.0)
    host, game = await setup_game()
    names = [f"Burst {i:02d}" for i in range(12)]
    joined = [await sync_to_async(join)(game, name) for name in names]
    host_ws = await host_socket(game.id, host)
    first = await player_socket(game.id, joined[0][1])
    others = []
    try:
        for _pid, token in joined[1:]:
            others.append(await player_socket(game.id, token))
        arrivals = []
        while len(arrivals) < len(names):
            frame = await host_ws.until("lobby")
            arrivals.append(frame["joined"]["nickname"])
        assert sorted(arrivals) == sorted(names)
        counts = []
        while not counts or counts[-1] < len(names):
            counts.append((await first.until("lobby"))["players"])
        assert counts[-1] == len(names)
        assert len(counts) < len(names) - 1  # coalesced: fewer frames than the joins it saw
    finally:
        for sock in [first, *others, host_ws]:
            await sock.close()


@pytest.mark.parametrize("slow_bus", [False, True])
async def test_players_arriving_at_once_are_each_told_to_staff_with_their_own_count(
    monkeypatch, slow_bus
):
    """Arrivals that come while a count is on its way are counted in together (one increment,
    one event): the host still sees every arrival once, with the counts 1..N each once, in
    order, and the game counts N. slow_bus: arrivals also come while the event is on its way."""
    from realtime.hub import Hub, get_hub

    if slow_bus:  # the count and the event each take a while: arrivals come meanwhile
        store = type((await get_hub()).store)
        publish, incr = Hub.publish, store.players_incr

        async def publish_slowly(self, *args, **kwargs):
            await asyncio.sleep(0.02)
            await publish(self, *args, **kwargs)

        async def count_slowly(self, *args, **kwargs):
            await asyncio.sleep(0.02)
            return await incr(self, *args, **kwargs)

        monkeypatch.setattr(Hub, "publish", publish_slowly)
        monkeypatch.setattr(store, "players_incr", count_slowly)
    host, game = await setup_game()
    names = [f"Together {i:02d}" for i in range(16)]
    joined = [await sync_to_async(join)(game, name) for name in names]
    host_ws = await host_socket(game.id, host)
    sockets = []
    try:
        if slow_bus:  # one after another: each comes while an earlier arrival's event is out
            for _pid, token in joined:
                sockets.append(await player_socket(game.id, token))
                await asyncio.sleep(0.025)
        else:
            sockets = list(await asyncio.gather(*(player_socket(game.id, t) for _p, t in joined)))
        seen = []
        while len(seen) < len(names):
            frame = await host_ws.until("lobby")
            seen.append((frame["players"], frame["joined"]["nickname"]))
        assert [count for count, _name in seen] == list(range(1, len(names) + 1))
        assert sorted(name for _count, name in seen) == sorted(names)
        hub = await get_hub()
        assert await hub.store.players_get(game.id) == len(names)
    finally:
        for sock in [*sockets, host_ws]:
            await sock.close()


async def test_an_ended_game_is_let_go_by_the_process_and_reloads_on_a_later_visit(monkeypatch):
    """A server process does not keep every game it ever served in memory (soak: ~0.3 MiB each)."""
    from realtime import hub

    monkeypatch.setattr(hub, "ENDED_GAME_KEEP_SECONDS", 0.2)
    host, game = await setup_game()
    host_ws = await host_socket(game.id, host)
    try:
        await host_ws.send({"type": "host", "action": "end_game"})
        await host_ws.until("ended")
        the_hub = await hub.get_hub()
        for _ in range(50):
            if game.id not in the_hub.games:
                break
            await asyncio.sleep(0.05)
        assert game.id not in the_hub.games
    finally:
        await host_ws.close()
    # The host comes back to the podium later: the game loads again from the database.
    again = await host_socket(game.id, host)
    try:
        assert again.frames[0]["game"]["phase"] == "ended"
        assert game.id in the_hub.games
    finally:
        await again.close()


async def test_a_process_that_did_not_open_the_question_loads_it_once_for_a_burst(monkeypatch):
    """Another process's question: a burst of answers gets every ack after ONE question load.

    Only the process that opens a question (the host's) loads it to build the frame; the others
    first need it when their players' answers all arrive at once. Each answer used to load it
    again (2,000 players behind nginx: one process did 7x the other's work, ack p99 1.9 s).
    """
    from realtime import hub

    loads = []
    real = hub.play_question

    def counted(**kwargs):
        loads.append(kwargs["q"])
        return real(**kwargs)

    monkeypatch.setattr(hub, "play_question", counted)
    host, game = await setup_game(time_limit=30)
    joined = [await sync_to_async(join)(game, f"Burst {i:02d}") for i in range(10)]
    host_ws = await host_socket(game.id, host)
    players = [await player_socket(game.id, token) for _pid, token in joined]
    try:
        await host_ws.send({"type": "host", "action": "start"})
        questions = [await p.until("question") for p in players]
        the_hub = await hub.get_hub()
        the_hub.games[game.id].questions.clear()  # as in a process that did not open it
        loads.clear()
        await asyncio.gather(
            *[
                p.send(
                    {
                        "type": "answer",
                        "q": 0,
                        "answer_id": str(uuid.uuid4()),
                        "response": {"choice": choice_ids(frame)[0]},
                    }
                )
                for p, frame in zip(players, questions, strict=True)
            ]
        )
        acks = [await p.until("ack") for p in players]
        assert all(ack["status"] == "received" for ack in acks)
        assert loads == [0]
        stored = await sync_to_async(Answer.objects.filter(game_id=game.id, q=0).count)()
        assert stored == len(players)
    finally:
        for sock in [*players, host_ws]:
            await sock.close()


def test_a_big_lobby_gets_its_count_less_often_so_the_phones_cost_little_to_tell():
    """At most LOBBY_FRAMES_PER_SECOND count frames a second from one process: every second up
    to 2,000 players waiting here, then less often (10,000 on one process: every 5 s)."""
    from realtime.hub import lobby_interval

    assert lobby_interval(0) == lobby_interval(12) == lobby_interval(2000) == 1.0
    assert lobby_interval(5000) == 2.5
    assert lobby_interval(10_000) == 5.0
    sizes = range(0, 20_001, 250)
    assert all(n / lobby_interval(n) <= 2000 for n in sizes)  # frames a second, in all
    assert all(
        lobby_interval(a) <= lobby_interval(b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    )
