"""PIN enumeration: look-ups are rate-limited and a missing, ended or locked game looks the same."""

from __future__ import annotations

import random

import pytest

from realtime.models import Game
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def games():
    host = make_user("pinhost", roles=["teacher"])
    quiz = make_quiz(host)
    open_game = create_game(host, quiz)
    ended = create_game(host, quiz)
    Game.objects.filter(id=ended.id).update(status=Game.Status.ENDED)
    locked = create_game(host, quiz)
    locked.state = {**locked.state, "locked": True}
    locked.save(update_fields=["state"])
    return {"open": open_game, "ended": ended, "locked": locked}


def _unused_pin(taken: set[str]) -> str:
    while True:
        pin = str(random.randint(1_000_000, 9_999_999))
        if pin not in taken:
            return pin


def test_missing_ended_and_locked_games_give_the_same_answer_to_lookup_and_join(
    api_client, games, settings
):
    settings.RATE_LIMITS_ENABLED = False  # 3 x 30 samples from one address
    taken = {g.pin for g in games.values()}
    answers: dict[str, set] = {"missing": set(), "ended": set(), "locked": set()}
    for i in range(30):
        pins = {
            "missing": _unused_pin(taken),
            "ended": games["ended"].pin,
            "locked": games["locked"].pin,
        }
        for kind, pin in pins.items():
            lookup = api_client.get(f"/api/games/lookup?pin={pin}")
            join = api_client.post(
                "/api/games/join", {"pin": pin, "nickname": f"Probe {i}"}, format="json"
            )
            answers[kind].add((lookup.status_code, lookup.content, join.status_code, join.content))
    assert answers["missing"] == answers["ended"] == answers["locked"]
    assert len(answers["missing"]) == 1
    (lookup_status, _, join_status, _) = answers["missing"].pop()
    assert lookup_status == join_status == 404
    assert Game.objects.get(id=games["locked"].id).players.count() == 0


def test_pin_guessing_is_refused_after_twenty_misses_from_one_address(api_client, games):
    taken = {g.pin for g in games.values()}
    statuses = []
    for _ in range(1000):
        response = api_client.get(
            f"/api/games/lookup?pin={_unused_pin(taken)}", REMOTE_ADDR="203.0.113.9"
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            body = response.json()
            assert body["code"] == "rate_limited"
            assert int(response["Retry-After"]) > 0
    assert statuses.count(404) <= 20
    assert set(statuses) == {404, 429}
    # Even the right PIN is refused to the guesser now, for look-ups and joins alike...
    right = games["open"].pin
    assert (
        api_client.get(f"/api/games/lookup?pin={right}", REMOTE_ADDR="203.0.113.9").status_code
        == 429
    )
    joined = api_client.post(
        "/api/games/join",
        {"pin": right, "nickname": "Guesser"},
        format="json",
        REMOTE_ADDR="203.0.113.9",
    )
    assert joined.status_code == 429
    # ...and the phone's form says for how long (the lockout's 10-minute window), in its language.
    wait = joined.json()["details"]["retry_after"]
    assert 540 < wait <= 600
    # It says why, so a teacher behind the school's one address knows what happened.
    assert joined.json()["message"] == (
        "Too many wrong PINs, codes or links from your network. Please try again in 10 minutes."
    )
    assert joined.json()["details"]["reason"] == "wrong_guesses"
    in_vietnamese = api_client.get(
        f"/api/games/lookup?pin={right}", REMOTE_ADDR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert in_vietnamese.json()["message"] == (
        "Mạng của bạn đã nhập sai mã PIN, mã hoặc đường dẫn quá nhiều lần. "
        "Vui lòng thử lại sau 10 phút."
    )
    # ...while a player at another address still finds the game and joins.
    assert api_client.get(f"/api/games/lookup?pin={right}", REMOTE_ADDR="203.0.113.10").json() == {
        "game": games["open"].id,
        "challenge": False,
        "venues": [],
    }
    assert (
        api_client.post(
            "/api/games/join",
            {"pin": right, "nickname": "Lan"},
            format="json",
            REMOTE_ADDR="203.0.113.10",
        ).status_code
        == 201
    )


def test_a_spoofed_forwarded_for_header_does_not_reset_the_miss_counter(api_client, games):
    taken = {g.pin for g in games.values()}
    statuses = [
        api_client.get(
            f"/api/games/lookup?pin={_unused_pin(taken)}",
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"10.{i % 250}.{i // 250}.1",
        ).status_code
        for i in range(200)
    ]
    assert statuses.count(404) <= 20
    assert statuses.count(429) >= 180


def test_forwarded_for_is_used_only_behind_a_configured_trusted_proxy(api_client, games, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    taken = {g.pin for g in games.values()}
    # Behind one trusted proxy (REMOTE_ADDR is the proxy), each client address has its own count:
    # the proxy's address is not punished for one client's guesses.
    for _ in range(25):
        api_client.get(
            f"/api/games/lookup?pin={_unused_pin(taken)}",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="192.0.2.50",
        )
    guesser = api_client.get(
        f"/api/games/lookup?pin={games['open'].pin}",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.50",
    )
    other = api_client.get(
        f"/api/games/lookup?pin={games['open'].pin}",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.51",
    )
    assert guesser.status_code == 429
    assert other.status_code == 200
    # A client prepending its own XFF entries still lands on the address the proxy appended.
    forged = api_client.get(
        f"/api/games/lookup?pin={games['open'].pin}",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.50",
    )
    assert forged.status_code == 429


def test_rapid_lookups_of_a_valid_pin_from_one_address_all_succeed(api_client, games, settings):
    """A school behind one NAT: successful look-ups give their token back (docs/deploy.md "NAT");
    only failures use up the address's bucket."""
    settings.RATE_LIMIT_LOOKUP = "20/0.001"
    pin = games["open"].pin
    statuses = [
        api_client.get(f"/api/games/lookup?pin={pin}", REMOTE_ADDR="192.0.2.77").status_code
        for _ in range(100)
    ]
    assert statuses == [200] * 100
    failed = [
        api_client.get("/api/games/lookup?pin=12x", REMOTE_ADDR="192.0.2.77").status_code
        for _ in range(25)
    ]
    assert failed[:20] == [404] * 20
    assert set(failed[20:]) == {429}
