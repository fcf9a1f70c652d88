"""Overlay pages (docs/broadcast.md): thin shells that say nothing about a game without its feed,
in the language the URL asks for; the join card's QR code opens with the overlay key."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def game():
    host = make_user("pagehost", roles=["teacher"])
    return create_game(host, make_quiz(host))


def test_each_overlay_page_is_a_transparent_shell_with_the_key_and_no_game_data(client, game):
    for kind in ("lower-third", "ticker", "join", "distribution"):
        response = client.get(f"/overlay/game/{game.id}/{kind}?key={game.overlay_key}")
        assert response.status_code == 200
        body = response.content.decode()
        assert f'data-key="{game.overlay_key}"' in body
        assert "overlay.css" in body
        assert game.pin not in body
        assert game.screen_key not in body
        assert response["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/overlay/game/{game.id}/scores?key=x").status_code == 404
    assert client.get("/overlay/contest/some-contest/top10?key=x").status_code == 200
    assert client.get("/overlay/contest/some-contest/answers?key=x").status_code == 404


def test_the_overlay_speaks_the_language_of_its_url_not_the_browsers(client, game):
    url = f"/overlay/game/{game.id}/join?key={game.overlay_key}"
    english = client.get(url + "&lang=en", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="en"' in english
    assert "/overlay/jsi18n/en/" in english
    vietnamese = client.get(url + "&lang=vi", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="vi"' in vietnamese
    assert "Lớp phủ truyền hình" in vietnamese
    catalogue = client.get("/overlay/jsi18n/vi/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "5 ng\\u01b0\\u1eddi d\\u1eabn \\u0111\\u1ea7u" in catalogue
        or "5 người dẫn đầu" in catalogue
    )


def test_the_join_card_qr_code_opens_with_the_overlay_key_only(client, game):
    assert client.get(f"/qr/{game.id}.svg?key={game.overlay_key}").status_code == 200
    assert client.get(f"/qr/{game.id}.svg?key=wrong").status_code == 404
    assert client.get(f"/qr/{game.id}.svg").status_code == 404
