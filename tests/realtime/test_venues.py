"""One live game, many venues (issue #17): joining a venue, the venue screens' access, the venues
frame, and a venue board that a big venue cannot win on size."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from core.errors import ApplicationError
from quizzes.models import Unit
from realtime.models import Player, Venue
from realtime.venues import (
    venue_board,
    venue_board_for_game,
    venue_board_recomputed,
    venue_settings_set,
    venues_add,
    venues_from_units,
)
from tests.factories import make_user
from tests.realtime.conftest import (
    Socket,
    create_game,
    host_socket,
    make_quiz,
    player_socket,
    screen_socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- the board: pure -------------------------------------------------------------------------


def test_a_big_venue_does_not_win_on_size_with_any_method():
    names = {1: "Big", 2: "Small"}
    # Big: ten average players; Small: three good ones. Totals would crown Big (500 vs 270).
    players = {1: [(50, 1)] * 10, 2: [(90, 2)] * 3}
    for method in ("mean", "top_k", "correct"):
        board = venue_board(players, names, method=method, k=3, questions=2)
        assert [row["name"] for row in board] == ["Small", "Big"], method
    mean = venue_board(players, names, method="mean", k=3, questions=2)
    assert [(r["value"], r["players"], r["rank"]) for r in mean] == [(90.0, 3, 1), (50.0, 10, 2)]
    share = venue_board(players, names, method="correct", k=3, questions=2)
    assert [r["value"] for r in share] == [100.0, 50.0]


def test_top_k_counts_missing_players_as_zero_and_equal_values_share_a_rank():
    names = {1: "One star", 2: "Full", 3: "Also full"}
    players = {1: [(100, 1)], 2: [(40, 1)] * 3, 3: [(40, 1)] * 5}
    board = venue_board(players, names, method="top_k", k=3, questions=1)
    assert [(r["name"], r["value"], r["rank"]) for r in board] == [
        ("Full", 40.0, 1),
        ("Also full", 40.0, 1),
        ("One star", 33.33, 3),
    ]


# --- venues and joining ----------------------------------------------------------------------


def _game_with_venues(name="vhost", venues=("Krông Pắc", "Ea Kar", "Buôn Đôn")):
    host = make_user(name, roles=["teacher"])
    quiz = make_quiz(host, ("single", "single"))
    game = create_game(host, quiz, time_limit=30)
    made = venues_add(game=game, names=list(venues))
    return host, game, made


def test_a_player_joins_a_venue_of_this_game_only_and_must_pick_one():
    from realtime.services import player_join

    _h, game, (a, _b, _c) = _game_with_venues()
    _h2, other, (foreign, *_rest) = _game_with_venues("vhost2", ("Elsewhere",))
    player, _token = player_join(pin=game.pin, nickname="Lan", venue=a.id)
    assert Player.objects.get(id=player.id).venue_id == a.id
    with pytest.raises(ApplicationError) as refused:
        player_join(pin=game.pin, nickname="Minh", venue=foreign.id)
    assert refused.value.code == "venue_unknown"
    with pytest.raises(ApplicationError) as missing:
        player_join(pin=game.pin, nickname="Minh")
    assert missing.value.code == "venue_required"
    assert not Player.objects.filter(game=game, nickname="Minh").exists()


def test_join_api_lists_the_venues_without_keys_and_stores_the_picked_one(client):
    _h, game, venues = _game_with_venues()
    lookup = client.get(f"/api/games/lookup?pin={game.pin}").json()
    assert lookup["venues"] == [{"id": v.id, "name": v.name} for v in venues]
    assert all(v.screen_key not in str(lookup) for v in venues)
    joined = client.post(
        "/api/games/join",
        {"pin": game.pin, "nickname": "Hoa", "venue": venues[1].id},
        content_type="application/json",
    )
    assert joined.status_code == 201, joined.json()
    assert joined.json()["venue"] == "Ea Kar"


def test_venues_from_units_make_one_venue_per_district():
    province = Unit.objects.create(code="DL", name="Đắk Lắk", level="province")
    for code, name in (("D1", "Krông Ana"), ("D2", "Cư M'gar")):
        Unit.objects.create(code=code, name=name, level="district", parent=province)
    host = make_user("uhost", roles=["teacher"])
    game = create_game(host, make_quiz(host, ("single",)))
    made = venues_from_units(game=game, parent_id=province.id)
    assert [v.name for v in made] == ["Cư M'gar", "Krông Ana"]
    assert len({v.screen_key for v in made}) == 2
    assert venues_from_units(game=game, parent_id=province.id) == []  # no duplicates


def test_a_venue_name_that_draws_nothing_is_refused_and_hidden_characters_make_no_twin():
    host = make_user("uhost", roles=["teacher"])
    game = create_game(host, make_quiz(host, ("single",)))
    for blank in ("\u200b", "\u3164\u200d", " \u202e ", "\u2800"):
        with pytest.raises(ApplicationError) as refused:
            venues_add(game=game, names=[blank])
        assert refused.value.code == "invalid_venue"
    (made,) = venues_add(game=game, names=["Ea\u200b Kar\u202e"])
    assert made.name == "Ea Kar"
    with pytest.raises(ApplicationError) as twin:
        venues_add(game=game, names=["ea kar\u2060"])
    assert twin.value.code == "duplicate_venue"
    assert list(Venue.objects.filter(game=game).values_list("name", flat=True)) == ["Ea Kar"]


def test_only_the_host_manages_venues_and_the_ready_button_needs_the_venue_key(client):
    host, game, venues = _game_with_venues()
    stranger = make_user("stranger", roles=["teacher"])
    client.force_login(stranger)
    assert client.get(f"/api/games/{game.id}/venues").status_code == 404
    client.force_login(host)
    listed = client.get(f"/api/games/{game.id}/venues").json()
    assert [v["name"] for v in listed["venues"]] == [v.name for v in venues]
    client.logout()
    url = f"/api/venues/{venues[0].id}/ready"
    wrong = client.post(url, {"key": venues[1].screen_key, "ready": True}, "application/json")
    assert wrong.status_code == 404
    right = client.post(url, {"key": venues[0].screen_key, "ready": True}, "application/json")
    assert right.status_code == 200
    assert Venue.objects.get(id=venues[0].id).ready


def test_the_venue_method_cannot_change_once_the_game_has_ended():
    from realtime.models import Game

    _h, game, _venues = _game_with_venues()
    Game.objects.filter(id=game.id).update(phase="ended")
    with pytest.raises(ApplicationError) as refused:
        venue_settings_set(game=game, method="top_k", k=3, podium="before")
    assert refused.value.code == "game_ended"
    assert Game.objects.get(id=game.id).settings.get("venues") is None


def test_venue_settings_refuse_an_unknown_method():
    _h, game, _v = _game_with_venues()
    with pytest.raises(ApplicationError):
        venue_settings_set(game=game, method="total", k=3, podium="after")
    assert venue_settings_set(game=game, method="top_k", k=3, podium="before")["k"] == 3


# --- venue screens over the socket ----------------------------------------------------------


async def _venue_screen(game_id: int, venue: Venue, **extra) -> tuple[Socket, dict]:
    sock = await Socket(game_id).connect()
    first = await sock.hello(role="screen", key=venue.screen_key, venue=venue.id, **extra)
    return sock, first


async def test_a_venue_key_opens_its_own_venue_screen_only():
    _h, game, (a, b, _c) = await sync_to_async(_game_with_venues)()
    _h2, other, (foreign,) = await sync_to_async(_game_with_venues)("vhost2", ("Elsewhere",))
    refused = []
    for venue_id, key, game_id in (
        (b.id, a.screen_key, game.id),  # another venue's screen
        (foreign.id, foreign.screen_key, game.id),  # a venue of another game
        (None, a.screen_key, game.id),  # the game's own screen
    ):
        sock = await Socket(game_id).connect()
        hello = {"role": "screen", "key": key}
        if venue_id is not None:
            hello["venue"] = venue_id
        first = await sock.hello(**hello)
        closed = await sock.recv()
        refused.append((first.get("code"), closed.get("code")))
        await sock.close()
    assert refused == [("not_authorised", 4001)] * 3
    sock, state = await _venue_screen(game.id, a)
    assert state["type"] == "state"
    await sock.close()


async def test_a_venue_screen_cannot_drive_the_game_and_learns_no_key_early():
    host, game, (a, b, _c) = await sync_to_async(_game_with_venues)()
    from realtime.services import player_join

    p1, t1 = await sync_to_async(player_join)(pin=game.pin, nickname="An", venue=a.id)
    host_ws = await host_socket(game.id, host)
    venue_ws, _state = await _venue_screen(game.id, a)
    phone = await player_socket(game.id, t1)
    try:
        await venue_ws.send({"type": "host", "action": "start"})
        assert (await venue_ws.until("error"))["code"] == "not_authorised"
        # A host hello with the venue key is a host hello: it needs the host's log-in.
        intruder = await Socket(game.id).connect()
        assert (await intruder.hello(role="host", key=a.screen_key, venue=a.id))["code"] == (
            "not_authorised"
        )
        await intruder.close()
        await host_ws.send({"type": "host", "action": "start"})
        assert (await venue_ws.until("question"))["q"] == 0
        status = await venue_ws.until("venues")
        mine = next(v for v in status["venues"] if v["id"] == a.id)
        assert mine["players"] == 1
        assert mine["screen"] is True
        await host_ws.send({"type": "host", "action": "end_question"})
        await venue_ws.until("reveal")
        before = venue_ws.raw[
            : next(i for i, f in enumerate(venue_ws.frames) if f["type"] == "reveal")
        ]
        assert all('"correct"' not in text for text in before)
        assert not any(f["type"] == "key" for f in venue_ws.frames)
        # No venue key in anything a venue screen hears.
        assert all(a.screen_key not in t and b.screen_key not in t for t in venue_ws.raw)
    finally:
        await phone.close()
        await venue_ws.close()
        await host_ws.close()


async def test_venue_screens_see_the_same_question_and_their_own_counts_and_board():
    host, game, (a, b, c) = await sync_to_async(_game_with_venues)()
    from realtime.services import player_join

    tokens = {}
    for venue, names in ((a, ["A1", "A2"]), (b, ["B1"]), (c, [])):
        for name in names:
            pid, token = await sync_to_async(player_join)(
                pin=game.pin, nickname=name, venue=venue.id
            )
            tokens[name] = (pid, token)
    host_ws = await host_socket(game.id, host)
    screens = [(await _venue_screen(game.id, v))[0] for v in (a, b, c)]
    main = await screen_socket(game)
    phones = {n: await player_socket(game.id, t) for n, (_pid, t) in tokens.items()}
    try:
        await host_ws.send({"type": "host", "action": "start"})
        frames = [await s.until("question") for s in (*screens, main)]
        # One frame, the same bytes: same question, same server deadline.
        assert len({(f["q"], f["opens_at"], f["ends_at"]) for f in frames}) == 1
        key = (await host_ws.until("key"))["correct"]
        right = key["choices"][0]
        wrong = next(c["id"] for c in frames[0]["question"]["choices"] if c["id"] != right)
        for name, choice in (("A1", right), ("A2", wrong), ("B1", right)):
            await phones[name].send(
                {
                    "type": "answer",
                    "q": 0,
                    "answer_id": str(uuid.uuid4()),
                    "response": {"choice": choice},
                }
            )
            ack = await phones[name].recv()
            while ack["type"] not in ("ack", "error"):
                ack = await phones[name].recv()
            assert ack["type"] == "ack", ack
        await host_ws.send({"type": "host", "action": "end_question"})
        await host_ws.until("reveal")
        await host_ws.send({"type": "host", "action": "next"})  # leaderboard
        status = None
        for _ in range(5):
            status = await screens[1].until("venues")
            if status["board"]:
                break
        counts = {v["name"]: (v["players"], v["answered"]) for v in status["venues"]}
        assert counts == {"Krông Pắc": (2, 2), "Ea Kar": (1, 1), "Buôn Đôn": (0, 0)}
        assert status["totals"] == {"players": 3, "answered": 3}
        board = status["board"]
        # By hand, mean method: Ea Kar = B1's points; Krông Pắc = (A1's points + 0) / 2.
        points = await sync_to_async(
            lambda: dict(Player.objects.filter(game=game).values_list("nickname", "score"))
        )()
        assert points["A2"] == 0
        assert points["A1"] > 0
        by_name = {r["name"]: r for r in board}
        assert by_name["Ea Kar"]["value"] == points["B1"]
        assert by_name["Krông Pắc"]["value"] == points["A1"] / 2
        assert by_name["Ea Kar"]["rank"] == 1
        assert by_name["Buôn Đôn"]["rank"] == 3
        assert board == await sync_to_async(venue_board_recomputed)(game=game)
        assert board == await sync_to_async(venue_board_for_game)(game=game)
    finally:
        for sock in (*phones.values(), *screens, main, host_ws):
            await sock.close()


async def test_a_reloaded_venue_screen_is_back_in_the_current_question():
    host, game, (a, _b, _c) = await sync_to_async(_game_with_venues)()
    host_ws = await host_socket(game.id, host)
    first, _state = await _venue_screen(game.id, a)
    try:
        await host_ws.send({"type": "host", "action": "start"})
        question = await first.until("question")
        await first.close()
        again, state = await _venue_screen(game.id, a)
        assert state["question"]["q"] == question["q"]
        assert state["question"]["ends_at"] == question["ends_at"]
        status = await again.until("venues", timeout=3)
        assert next(v for v in status["venues"] if v["id"] == a.id)["screen"] is True
        await again.close()
    finally:
        await host_ws.close()


def test_results_export_has_a_venue_sheet_with_the_board():
    import io

    from openpyxl import load_workbook

    from realtime.results import results_xlsx
    from realtime.services import player_join, player_seen

    _h, game, (a, b, _c) = _game_with_venues()
    for name, venue, score in (("A1", a, 30), ("A2", a, 10), ("B1", b, 15)):
        player, _t = player_join(pin=game.pin, nickname=name, venue=venue.id)
        player_seen(player_id=player.id)
        Player.objects.filter(id=player.id).update(score=score, answers=1)
    book = load_workbook(io.BytesIO(results_xlsx(game=game)))
    rows = list(book["Venues"].iter_rows(min_row=3, values_only=True))
    assert rows == [(1, "Krông Pắc", 2, 20), (2, "Ea Kar", 1, 15), (3, "Buôn Đôn", 0, 0)]


def test_a_player_who_never_answered_does_not_count_on_the_venue_board():
    """Anyone with the PIN can join any venue: a tester joined 20 players to the leading venue,
    connected each once and left, and its mean fell from first to last. Only players who have
    answered count (joined by REST alone, or connected and never answered: nowhere)."""
    from realtime.services import player_join, player_seen

    _h, game, (a, b, _c) = _game_with_venues()
    for name, venue, score, connected, answered in (
        ("A1", a, 30, True, True),
        ("A2", a, 10, True, True),
        ("B1", b, 24, True, True),
        ("ghost", b, 0, False, False),
        *((f"drive-by {n}", b, 0, True, False) for n in range(20)),
    ):
        player, _t = player_join(pin=game.pin, nickname=name, venue=venue.id)
        if connected:
            player_seen(player_id=player.id)
        Player.objects.filter(id=player.id).update(score=score, answers=int(answered))

    board = venue_board_for_game(game=game)

    assert [(r["name"], r["players"], r["value"]) for r in board][:2] == [
        ("Ea Kar", 1, 24.0),
        ("Krông Pắc", 2, 20.0),
    ]
    recomputed = {r["name"]: r["players"] for r in venue_board_recomputed(game=game)}
    assert recomputed == {"Ea Kar": 1, "Krông Pắc": 2, "Buôn Đôn": 0}


def test_venue_pages_name_the_game_only_with_the_venue_key(client):
    host, game, (a, b, _c) = _game_with_venues()
    good = client.get(f"/venue/{a.id}/screen?key={a.screen_key}")
    assert f'data-game="{game.id}"' in good.content.decode()
    for url in (
        f"/venue/{a.id}/screen?key={b.screen_key}",
        f"/venue/{a.id}/mc?key={game.screen_key}",
    ):
        page = client.get(url).content.decode()
        assert 'data-game="0"' in page
        assert a.name not in page
        assert game.pin not in page
    # The join QR code: the venue's key or the host; the sheet: the host only.
    assert client.get(f"/venue/{a.id}/qr.svg?key={b.screen_key}").status_code == 404
    assert client.get(f"/venue/{a.id}/qr.svg?key={a.screen_key}").status_code == 200
    stranger = make_user("sheet-stranger", roles=["teacher"])
    client.force_login(stranger)
    assert client.get(f"/host/{game.id}/venues/sheet").status_code == 404
    client.force_login(host)
    sheet = client.get(f"/host/{game.id}/venues/sheet").content.decode()
    assert all(v.name in sheet and v.screen_key in sheet for v in (a, b))


async def test_after_a_lost_bus_a_venue_player_gets_its_state_again_with_its_venue():
    from realtime.hub import get_hub
    from realtime.services import player_join

    _h, game, (a, _b, _c) = await sync_to_async(_game_with_venues)()
    _player, token = await sync_to_async(player_join)(pin=game.pin, nickname="Lan", venue=a.id)
    phone = await player_socket(game.id, token)
    try:
        assert phone.frames[0]["you"]["venue"] == "Krông Pắc"
        await (await get_hub()).resync()  # what a Redis restart triggers
        again = await phone.until("state")
        assert again["you"]["venue"] == "Krông Pắc"
    finally:
        await phone.close()
