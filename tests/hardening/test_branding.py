"""Game branding (colours, logo, title) is validated on the server with translated errors."""

from __future__ import annotations

import pytest

from realtime.models import Game
from tests.factories import make_user
from tests.realtime.conftest import make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def host_client(api_client):
    host = make_user("brandhost", roles=["teacher"])
    api_client.force_authenticate(host)
    return api_client, make_quiz(host)


def _create(client, quiz, branding):
    return client.post(
        "/api/games/",
        {"quiz": quiz.id, "settings": {"branding": branding}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="vi",
    )


@pytest.mark.parametrize(
    ("branding", "field"),
    [
        ({"primary": "red; background: url(https://evil.example/x)"}, "primary"),
        ({"primary": "#12345"}, "primary"),
        ({"accent": "#1234567"}, "accent"),
        ({"accent": "rgb(1,2,3)"}, "accent"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"logo_url": "http://example.org/logo.png"}, "logo_url"),
        ({"logo_url": "//evil.example/logo.png"}, "logo_url"),
        ({"logo_url": "data:image/svg+xml,<svg onload=alert(1)>"}, "logo_url"),
        ({"logo_url": "https://example.org/" + "a" * 600}, "logo_url"),
        ({"logo_url": 'https://example.org/x.png" onerror="alert(1)'}, "logo_url"),
        ({"title": "x" * 121}, "title"),
        ({"title": 7}, "title"),
        ({"css": "body{}"}, "css"),
    ],
)
def test_bad_branding_is_refused_with_a_translated_message_and_no_game_is_made(
    host_client, branding, field
):
    client, quiz = host_client
    response = _create(client, quiz, branding)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "branding" in body["details"]["fields"]
    message = body["details"]["branding"][field]
    assert message
    assert message.isascii() is False
    assert not Game.objects.exists()


def test_good_branding_is_kept_with_colours_in_lower_case(host_client):
    client, quiz = host_client
    branding = {
        "title": "Tuần lễ học tập suốt đời",
        "primary": "#1A73E8",
        "accent": "#ff9900",
        "logo_url": "https://example.org/static/logo.png",
    }
    response = _create(client, quiz, branding)
    assert response.status_code == 201, response.json()
    stored = Game.objects.get(id=response.json()["id"]).settings["branding"]
    assert stored == {**branding, "primary": "#1a73e8"}
    site_logo = _create(client, quiz, {"logo_url": "/media/logos/school.png"})
    assert site_logo.status_code == 201
