"""REST: create a game, look up and join by PIN, nicknames, results and exports."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core.errors import ApplicationError
from realtime.models import Game, Player
from realtime.nicknames import clean_nickname, nickname_key
from realtime.tokens import read_player_token
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz(teacher):
    return make_quiz(teacher, ["single", "text"])


def test_teacher_creates_a_game_with_a_seven_digit_pin(api_client, teacher, quiz):
    api_client.force_authenticate(teacher)
    response = api_client.post(
        "/api/games/", {"quiz": quiz.id, "settings": {"scoring": "accuracy"}}, format="json"
    )
    assert response.status_code == 201, response.data
    body = response.data
    assert len(body["pin"]) == 7
    assert body["pin"].isdigit()
    assert body["join_url"].endswith(f"/play?pin={body['pin']}")
    assert body["screen_url"].startswith(f"/screen/{body['id']}/?key=")
    assert body["status"] == "lobby"
    assert api_client.get("/api/games/").data[0]["id"] == body["id"]


def test_a_student_cannot_host_a_game(api_client, student, quiz):
    api_client.force_authenticate(student)
    response = api_client.post("/api/games/", {"quiz": quiz.id}, format="json")
    assert response.status_code == 403


def test_bad_settings_are_refused(api_client, teacher, quiz):
    api_client.force_authenticate(teacher)
    response = api_client.post(
        "/api/games/", {"quiz": quiz.id, "settings": {"scoring": "lottery"}}, format="json"
    )
    assert response.status_code == 400
    assert response.data["details"] == {"fields": ["scoring"]}


def test_live_pins_are_never_shared(teacher, quiz):
    pins = {create_game(teacher, quiz).pin for _ in range(30)}
    assert len(pins) == 30


def test_players_join_by_pin_and_get_a_signed_token(api_client, teacher, quiz):
    game = create_game(teacher, quiz)
    assert api_client.get(f"/api/games/lookup?pin={game.pin}").data == {
        "game": game.id,
        "challenge": False,
        "venues": [],  # a game without venues: no venue picker (realtime/venues.py)
    }
    response = api_client.post(
        "/api/games/join", {"pin": game.pin, "nickname": " Lan\u200b Anh "}, format="json"
    )
    assert response.status_code == 201
    assert response.data["nickname"] == "Lan Anh"
    assert read_player_token(response.data["token"]) == (game.id, response.data["player"])


def test_a_pin_typed_in_full_width_digits_finds_and_joins_the_game(api_client, teacher, quiz):
    """A phone keyboard in a CJK or Vietnamese input mode may type "１２３": the same PIN."""
    game = create_game(teacher, quiz)
    wide = "".join(chr(ord(d) - ord("0") + ord("０")) for d in game.pin)
    assert api_client.get(f"/api/games/lookup?pin={wide}").data["game"] == game.id
    response = api_client.post("/api/games/join", {"pin": wide, "nickname": "Lan"}, format="json")
    assert response.status_code == 201
    assert response.data["game"] == game.id


def test_digits_that_are_not_a_pin_find_nothing(api_client, teacher, quiz):
    """Superscripts or another script's digits are not the PIN's digits."""
    game = create_game(teacher, quiz)
    arabic = "".join(chr(ord(d) - ord("0") + 0x0660) for d in game.pin)  # ٠١٢…
    superscript = "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)] for d in game.pin)
    for pin in (arabic, superscript):
        response = api_client.post(
            "/api/games/join", {"pin": pin, "nickname": "Lan"}, format="json"
        )
        assert response.status_code == 404, pin
        assert response.data["code"] == "game_not_found"


def test_missing_ended_and_locked_games_look_the_same(api_client, teacher, quiz):
    ended = create_game(teacher, quiz)
    Game.objects.filter(id=ended.id).update(status="ended")
    locked = create_game(teacher, quiz)
    locked.state = {**locked.state, "locked": True}
    locked.save()
    bodies = set()
    for pin in ("0000001", ended.pin, locked.pin):
        response = api_client.post("/api/games/join", {"pin": pin, "nickname": "X"}, format="json")
        assert response.status_code == 404
        bodies.add((response.data["code"], response.data["message"]))
    assert len(bodies) == 1
    assert next(iter(bodies))[0] == "game_not_found"


def test_nicknames_are_unique_after_folding(api_client, teacher, quiz):
    game = create_game(teacher, quiz)
    first = api_client.post(
        "/api/games/join", {"pin": game.pin, "nickname": "Đức Anh"}, format="json"
    )
    assert first.status_code == 201
    again = api_client.post(
        "/api/games/join", {"pin": game.pin, "nickname": "duc  ANH"}, format="json"
    )
    assert again.status_code == 400
    assert again.data["code"] == "nickname_taken"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "x" * 21, "\u202e\u200b", "f.u.c.k", "Sh1t", "đ!t mẹ", "cặc", 42],
)
def test_offensive_empty_or_overlong_nicknames_are_refused(raw):
    with pytest.raises(ApplicationError) as caught:
        clean_nickname(raw)
    assert getattr(caught.value, "code", None) == "nickname_invalid"


def test_nicknames_lose_invisible_characters_and_stacked_marks():
    cleaned = clean_nickname("Zalgo" + "\u0301" * 30)
    assert sum(1 for ch in cleaned if ch == "\u0301") <= 2
    assert clean_nickname("Ｌａｎ") == "Lan"  # NFKC: full-width letters
    assert clean_nickname("Minh Lớn") == "Minh Lớn"  # innocent Vietnamese words pass
    assert nickname_key("Nguyễn Văn A") == nickname_key("nguyen van a")


def test_teams_are_auto_balanced(api_client, teacher, quiz):
    game = create_game(teacher, quiz, teams=3)
    for i in range(7):
        api_client.post("/api/games/join", {"pin": game.pin, "nickname": f"P{i}"}, format="json")
    sizes = sorted(Player.objects.filter(game=game).values_list("team", flat=True))
    assert sizes.count(1) == 3
    assert sizes.count(2) == 2
    assert sizes.count(3) == 2


def test_full_game_refuses_joins(api_client, teacher, quiz):
    game = create_game(teacher, quiz, capacity=1)
    assert (
        api_client.post(
            "/api/games/join", {"pin": game.pin, "nickname": "One"}, format="json"
        ).status_code
        == 201
    )
    full = api_client.post("/api/games/join", {"pin": game.pin, "nickname": "Two"}, format="json")
    assert full.data["code"] == "game_full"


def test_results_are_for_the_host_only_and_export_as_csv_and_xlsx(api_client, teacher, quiz):
    game = create_game(teacher, quiz)
    Player.objects.create(game=game, nickname="=cmd()", nickname_key="cmd", score=1200, rank=1)
    Player.objects.create(game=game, nickname="Bình", nickname_key="binh", score=300, rank=2)
    other = make_user("otherteacher", roles=["teacher"])
    api_client.force_authenticate(other)
    assert api_client.get(f"/api/games/{game.id}/results/").status_code == 404
    api_client.force_authenticate(teacher)
    results = api_client.get(f"/api/games/{game.id}/results/").data
    assert [p["nickname"] for p in results["players"]] == ["=cmd()", "Bình"]
    assert len(results["questions"]) == 2
    csv_body = api_client.get(f"/api/games/{game.id}/results.csv").content.decode("utf-8-sig")
    assert "'=cmd()" in csv_body
    assert "Bình" in csv_body
    xlsx = api_client.get(f"/api/games/{game.id}/results.xlsx")
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book.worksheets[0].values)
    assert rows[1][1] == "'=cmd()"
    assert rows[2][3] == 300
