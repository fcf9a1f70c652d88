"""The rotating join challenge (realtime/challenge.py): when the host turns it on, joining needs
the code the ceremony screen shows; it rotates every 30 s, the previous code still works while
people type, and a missing, wrong, expired or malformed code gets a precise translated error."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.utils import translation

from realtime.challenge import (
    MSG_CHALLENGE_REQUIRED,
    MSG_CHALLENGE_WRONG,
    WINDOW_SECONDS,
    challenge_code,
)
from realtime.models import Player
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def game(teacher):
    return create_game(teacher, make_quiz(teacher, ["single"]), join_challenge=True)


def join(client, game, nickname, challenge=None, lang="en"):
    body = {"pin": game.pin, "nickname": nickname}
    if challenge is not None:
        body["challenge"] = challenge
    return client.post("/api/games/join", body, format="json", HTTP_ACCEPT_LANGUAGE=lang)


def screen_code(client, game) -> dict:
    response = client.get(f"/api/games/{game.id}/challenge?key={game.screen_key}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.json()


def test_the_host_turns_it_on_when_creating_the_game(api_client, teacher):
    api_client.force_authenticate(teacher)
    quiz = make_quiz(teacher, ["single"])
    body = api_client.post(
        "/api/games/", {"quiz": quiz.id, "settings": {"join_challenge": True}}, format="json"
    ).json()
    assert body["settings"]["join_challenge"] is True
    plain = api_client.post("/api/games/", {"quiz": quiz.id}, format="json").json()
    assert plain["settings"]["join_challenge"] is False


def test_the_code_on_the_screen_lets_a_player_join(api_client, game):
    shown = screen_code(api_client, game)
    assert shown["enabled"]
    assert len(shown["code"]) == 4
    assert shown["code"].isdigit()
    assert shown["expires_at"] - shown["now"] <= WINDOW_SECONDS * 1000
    response = join(api_client, game, "Lan", shown["code"])
    assert response.status_code == 201, response.content


def test_the_code_typed_in_full_width_digits_lets_a_player_join(api_client, game):
    code = screen_code(api_client, game)["code"]
    wide = "".join(chr(ord(d) - ord("0") + ord("０")) for d in code)
    response = join(api_client, game, "Lan", wide)
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_missing_code_gets_a_precise_translated_error(api_client, game, lang):
    response = join(api_client, game, "Lan", lang=lang)
    assert response.status_code == 400
    with translation.override(lang):
        expected = str(MSG_CHALLENGE_REQUIRED)
    assert response.json()["code"] == "challenge_required"
    assert response.json()["message"] == expected
    assert join(api_client, game, "Lan", "", lang=lang).json()["code"] == "challenge_required"


@pytest.mark.parametrize("bad", ["0000x", "12345", "-1", "１２３４", 1234.5, True, ["1"], {}])
def test_a_wrong_or_malformed_code_is_refused_and_no_player_is_created(api_client, game, bad):
    right = screen_code(api_client, game)["code"]
    if bad == "0000x":
        bad = str((int(right) + 1) % 10_000).zfill(4)  # a well-formed but wrong code
    response = join(api_client, game, "Lan", bad)
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"challenge_wrong", "invalid"}
    assert not Player.objects.filter(game=game).exists()


def test_the_code_rotates_and_the_previous_one_is_accepted_once_then_expires(api_client, game):
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    codes = [challenge_code(game.secret, w) for w in (window - 2, window - 1, window)]
    assert len(set(codes)) == 3  # rotates (distinct codes in three windows)
    assert join(api_client, game, "Current", codes[2]).status_code == 201
    assert join(api_client, game, "Previous", codes[1]).status_code == 201  # still typing
    expired = join(api_client, game, "Expired", codes[0])
    assert expired.status_code == 400
    assert expired.json()["code"] == "challenge_wrong"
    with translation.override("en"):
        assert expired.json()["message"] == str(MSG_CHALLENGE_WRONG)
    # Next window: the code shown before is now "previous", the one before that is gone.
    later = now + WINDOW_SECONDS
    with mock.patch("realtime.challenge.time.time", return_value=later):
        assert join(api_client, game, "Later", codes[2]).status_code == 201
        assert join(api_client, game, "Too late", codes[1]).status_code == 400


def test_the_host_toggles_it_from_the_console_and_only_the_host_can(api_client, teacher, game):
    from tests.factories import make_user

    other = make_user("intruder", roles=["teacher"])
    api_client.force_authenticate(other)
    refused = api_client.patch(f"/api/games/{game.id}/", {"join_challenge": False}, format="json")
    assert refused.status_code == 404
    api_client.force_authenticate(teacher)
    off = api_client.patch(f"/api/games/{game.id}/", {"join_challenge": False}, format="json")
    assert off.status_code == 200
    assert off.json()["settings"]["join_challenge"] is False
    assert api_client.get(f"/api/games/{game.id}/challenge").json()["enabled"] is False
    api_client.force_authenticate(None)
    assert join(api_client, game, "Free", None).status_code == 201  # no code needed now
    assert screen_code(api_client, game) == {
        "enabled": False,
        "code": None,
        "expires_at": None,
        "window": WINDOW_SECONDS,
    }


def test_the_code_is_not_readable_without_the_screen_key_or_host_session(api_client, game):
    for path in (
        f"/api/games/{game.id}/challenge",
        f"/api/games/{game.id}/challenge?key=wrong",
        f"/api/games/{game.id}/challenge?key=ĕ",
        f"/api/games/{game.id + 999}/challenge?key={game.screen_key}",
    ):
        response = api_client.get(path)
        assert response.status_code == 404
        assert "code" not in response.json() or response.json()["code"] == "not_found"


def test_in_a_game_with_venues_a_player_joins_a_venue_with_that_venues_own_code(api_client, game):
    """A tester joined 20 players to a rival venue from elsewhere and sank its mean: with the
    challenge on, each venue's screen shows its own code, and only it lets a phone into that
    venue. The game's own screen (often broadcast to every venue) and the host show none."""
    from realtime.venues import venues_add

    here, rival = venues_add(game=game, names=["Krông Pắc", "Buôn Đôn"])
    codes = {}
    for venue in (here, rival):
        shown = api_client.get(f"/api/games/{game.id}/challenge?key={venue.screen_key}").json()
        codes[venue.id] = shown["code"]
    assert codes[here.id] != codes[rival.id]
    broadcast = screen_code(api_client, game)
    assert (broadcast["enabled"], broadcast["code"], broadcast["per_venue"]) == (True, None, True)

    def join_at(venue, nickname, code):
        body = {"pin": game.pin, "nickname": nickname, "venue": venue.id, "challenge": code}
        return api_client.post("/api/games/join", body, format="json")

    refused = join_at(rival, "from elsewhere", codes[here.id])
    assert (refused.status_code, refused.json()["code"]) == (400, "challenge_wrong")
    assert join_at(rival, "at Buôn Đôn", codes[rival.id]).status_code == 201
    assert join_at(here, "at Krông Pắc", codes[here.id]).status_code == 201
    assert sorted(Player.objects.filter(game=game).values_list("nickname", "venue_id")) == [
        ("at Buôn Đôn", rival.id),
        ("at Krông Pắc", here.id),
    ]
