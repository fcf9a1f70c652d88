"""Every anonymous or participant entry point is rate-limited per address (IPv6: per /64) and per
participant token, whatever the HTTP method; failed guesses (unknown PINs, wrong join codes) lock
an address out of look-ups and joins (core/ratelimit.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest.models import Attempt
from core import ratelimit
from realtime.challenge import challenge_current
from realtime.models import Game
from realtime.venues import venues_add
from tests.contest.helpers import TOKEN_HEADER, make_contest, make_school, register
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db

SLOW = "3/0.001"  # a burst of 3, then practically nothing: no test depends on the clock
WIDE = "100000/100000"


@pytest.fixture
def world(api_client):
    contest, round_, _questions = make_contest()
    units = make_school("CG", "THCS Cầu Giấy")
    token = register(api_client, contest, units["school"])
    attempt = api_client.post(
        f"/api/rounds/{round_.pk}/attempts/", {}, format="json", **{TOKEN_HEADER: token}
    ).json()
    host = make_user("limithost", roles=["teacher"])
    game = create_game(host, make_quiz(host))
    # venues on a game of their own: a game with venues asks every player to pick one
    (venue,) = venues_add(game=create_game(host, make_quiz(host)), names=["Ea Kar"])
    ratelimit.reset()
    return {
        "venue": venue,
        "contest": contest,
        "round": round_,
        "school": units["school"],
        "token": token,
        "attempt": attempt["id"],
        "game": game,
    }


def _join(c, w, i, **meta):
    body = {"pin": w["game"].pin, "nickname": f"Player {i}"}
    return c.post("/api/games/join", body, format="json", **meta)


def _register(c, w, i, **meta):
    body = {
        "full_name": f"Nguyễn Văn {chr(65 + i)}",
        "unit": w["school"].pk,
        "consent": True,
        "date_of_birth": "2010-05-01",
        "email": f"limit{i}@example.org",
    }
    return c.post(f"/api/contests/{w['contest'].slug}/register/", body, format="json", **meta)


def _tok(w, meta):
    return {TOKEN_HEADER: w["token"], **meta}


# name -> how to send one request to it (client, world, request number, extra META)
ENTRY_REQUESTS = {
    "game-join": _join,
    "game-lookup": lambda c, w, i, **m: c.get(f"/api/games/lookup?pin={w['game'].pin}", **m),
    "contest-resume": lambda c, w, i, **m: c.get(
        f"/contests/{w['contest'].slug}/resume/{w['token']}/", **m
    ),
    "contest-register": _register,
    "venue-ready": lambda c, w, i, **m: c.post(
        f"/api/venues/{w['venue'].pk}/ready",
        {"key": w["venue"].screen_key, "ready": bool(i % 2)},
        format="json",
        **m,
    ),
    "round-attempt-start": lambda c, w, i, **m: c.post(
        f"/api/rounds/{w['round'].pk}/attempts/", {}, format="json", **_tok(w, m)
    ),
    "attempt-autosave": lambda c, w, i, **m: c.post(
        f"/api/attempts/{w['attempt']}/answers/", {"answers": []}, format="json", **_tok(w, m)
    ),
    "attempt-submit": lambda c, w, i, **m: c.post(
        f"/api/attempts/{w['attempt']}/submit/", {"answers": []}, format="json", **_tok(w, m)
    ),
    "attempt-detail": lambda c, w, i, **m: c.get(f"/api/attempts/{w['attempt']}/", **_tok(w, m)),
    "attempt-review": lambda c, w, i, **m: c.get(
        f"/api/attempts/{w['attempt']}/review/", **_tok(w, m)
    ),
    "contest-me": lambda c, w, i, **m: c.get(
        f"/api/contests/{w['contest'].slug}/me/", **_tok(w, m)
    ),
    "round-results": lambda c, w, i, **m: c.get(f"/api/rounds/{w['round'].pk}/results/", **m),
    "round-leaderboard": lambda c, w, i, **m: c.get(
        f"/api/rounds/{w['round'].pk}/leaderboard/", **m
    ),
    "round-my-rank": lambda c, w, i, **m: c.get(
        f"/api/rounds/{w['round'].pk}/leaderboard/me/", **_tok(w, m)
    ),
    "round-around": lambda c, w, i, **m: c.get(
        f"/api/rounds/{w['round'].pk}/leaderboard/around/", **_tok(w, m)
    ),
    "round-unit-leaderboard": lambda c, w, i, **m: c.get(
        f"/api/rounds/{w['round'].pk}/leaderboard/units/", **m
    ),
    "contest-leaderboard": lambda c, w, i, **m: c.get(
        f"/api/contests/{w['contest'].slug}/leaderboard/", **m
    ),
    "contest-unit-leaderboard": lambda c, w, i, **m: c.get(
        f"/api/contests/{w['contest'].slug}/leaderboard/units/", **m
    ),
}
# Look-ups and joins count failures per address (a school behind one NAT succeeds): these fail.
FAILING_REQUESTS = {
    "game-join": lambda c, w, i, **m: c.post(
        "/api/games/join", {"pin": w["game"].pin, "nickname": ""}, format="json", **m
    ),
    "game-lookup": lambda c, w, i, **m: c.get("/api/games/lookup?pin=12", **m),
    "venue-ready": lambda c, w, i, **m: c.post(
        f"/api/venues/{w['venue'].pk}/ready",
        {"key": f"guess-{i}", "ready": True},
        format="json",
        **m,
    ),
    "contest-resume": lambda c, w, i, **m: c.get(
        f"/contests/{w['contest'].slug}/resume/not-a-token-{i}/", **m
    ),
}
TOKEN_ENTRIES = [
    name
    for name, entry in ratelimit.ENTRY_POINTS.items()
    if entry.per_token and name in ENTRY_REQUESTS
]


def test_every_entry_point_is_in_the_table_and_has_a_test():
    assert set(ENTRY_REQUESTS) == set(ratelimit.ENTRY_POINTS)


def _assert_rate_limited(response):
    assert response.status_code == 429, (response.status_code, response.content[:200])
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize("name", sorted(ENTRY_REQUESTS))
def test_one_address_is_refused_past_its_burst_while_another_address_goes_on(
    name, api_client, world, settings
):
    settings.RATE_LIMIT_TOKEN = WIDE
    setattr(settings, ratelimit.ENTRY_POINTS[name].setting, SLOW)
    send = FAILING_REQUESTS.get(name, ENTRY_REQUESTS[name])
    statuses = [send(api_client, world, i, REMOTE_ADDR="203.0.113.5").status_code for i in range(3)]
    assert 429 not in statuses
    _assert_rate_limited(send(api_client, world, 3, REMOTE_ADDR="203.0.113.5"))
    assert send(api_client, world, 4, REMOTE_ADDR="198.51.100.7").status_code != 429


@pytest.mark.parametrize("name", sorted(TOKEN_ENTRIES))
def test_one_participant_token_is_refused_past_its_burst_from_any_address(
    name, api_client, world, settings
):
    settings.RATE_LIMIT_TOKEN = SLOW
    setattr(settings, ratelimit.ENTRY_POINTS[name].setting, WIDE)
    send = ENTRY_REQUESTS[name]
    for i in range(3):
        assert send(api_client, world, i, REMOTE_ADDR=f"203.0.113.{10 + i}").status_code != 429
    _assert_rate_limited(send(api_client, world, 3, REMOTE_ADDR="203.0.113.50"))


@pytest.mark.parametrize("method", ["head", "options"])
def test_head_and_options_take_from_the_same_bucket_as_get(method, api_client, world, settings):
    settings.RATE_LIMIT_BOARD = SLOW
    url = f"/api/rounds/{world['round'].pk}/leaderboard/"
    for _ in range(3):
        assert getattr(api_client, method)(url, REMOTE_ADDR="203.0.113.6").status_code != 429
    _assert_rate_limited(api_client.get(url, REMOTE_ADDR="203.0.113.6"))


def test_pin_guessing_with_head_requests_locks_the_address_out(api_client, world, settings):
    settings.RATE_LIMIT_LOOKUP = WIDE
    pins = [str(1_000_000 + i) for i in range(40) if str(1_000_000 + i) != world["game"].pin]
    statuses = [
        api_client.head(f"/api/games/lookup?pin={pin}", REMOTE_ADDR="203.0.113.8").status_code
        for pin in pins
    ]
    assert statuses.count(404) == 20
    assert statuses[20:] == [429] * (len(pins) - 20)
    right = f"/api/games/lookup?pin={world['game'].pin}"
    _assert_rate_limited(api_client.get(right, REMOTE_ADDR="203.0.113.8"))


def test_wrong_join_codes_count_as_pin_misses(api_client, world, settings):
    settings.RATE_LIMIT_JOIN = WIDE
    game = world["game"]
    Game.objects.filter(id=game.id).update(settings={**game.settings, "join_challenge": True})
    game.refresh_from_db()
    right = challenge_current(game=game)["code"]
    wrong = str((int(right) + 5000) % 10000).zfill(4)
    for i in range(20):
        body = {"pin": game.pin, "nickname": f"Bot {i}", "challenge": wrong}
        response = api_client.post(
            "/api/games/join", body, format="json", REMOTE_ADDR="203.0.113.9"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "challenge_wrong"
    # Locked out now, even with the right code and for a plain look-up.
    body = {"pin": game.pin, "nickname": "Bot right", "challenge": right}
    _assert_rate_limited(
        api_client.post("/api/games/join", body, format="json", REMOTE_ADDR="203.0.113.9")
    )
    _assert_rate_limited(
        api_client.get(f"/api/games/lookup?pin={game.pin}", REMOTE_ADDR="203.0.113.9")
    )
    assert game.players.count() == 0
    # Another address (a player reading the screen) still joins.
    ok = api_client.post(
        "/api/games/join",
        {"pin": game.pin, "nickname": "Reader", "challenge": right},
        format="json",
        REMOTE_ADDR="198.51.100.9",
    )
    assert ok.status_code == 201


def test_ipv6_clients_are_limited_per_64_prefix(api_client, world, settings):
    settings.RATE_LIMIT_BOARD = SLOW
    url = f"/api/rounds/{world['round'].pk}/leaderboard/"
    # Four different addresses of one /64 are one client.
    for host in ("1", "2", "ffff:1:2"):
        assert api_client.get(url, REMOTE_ADDR=f"2001:db8:7:8::{host}").status_code == 200
    _assert_rate_limited(api_client.get(url, REMOTE_ADDR="2001:db8:7:8:aaaa::9"))
    # The neighbouring /64 is somebody else.
    assert api_client.get(url, REMOTE_ADDR="2001:db8:7:9::1").status_code == 200


def test_client_address_keys_ipv6_by_64_and_mapped_ipv4_as_ipv4(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    key = ratelimit.client_address
    assert key({"REMOTE_ADDR": "2001:db8:7:8::1"}) == key({"REMOTE_ADDR": "2001:DB8:7:8:ab::ff"})
    assert key({"REMOTE_ADDR": "2001:db8:7:8::1"}) == "2001:db8:7:8::/64"
    assert key({"REMOTE_ADDR": "2001:db8:7:8::1"}) != key({"REMOTE_ADDR": "2001:db8:7:9::1"})
    assert key({"REMOTE_ADDR": "::ffff:203.0.113.7"}) == key({"REMOTE_ADDR": "203.0.113.7"})
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "2001:db8:7:8::77"}
    assert key(forwarded) == "2001:db8:7:8::/64"


def test_a_submitted_attempt_stays_unchanged_when_the_participant_is_refused(
    api_client, world, settings
):
    settings.RATE_LIMIT_TOKEN = SLOW
    url = f"/api/attempts/{world['attempt']}/answers/"
    for i in range(3):
        api_client.post(
            url,
            {"answers": []},
            format="json",
            REMOTE_ADDR=f"203.0.113.{20 + i}",
            **{TOKEN_HEADER: world["token"]},
        )
    refused = api_client.post(
        f"/api/attempts/{world['attempt']}/submit/",
        {"answers": []},
        format="json",
        REMOTE_ADDR="203.0.113.30",
        **{TOKEN_HEADER: world["token"]},
    )
    _assert_rate_limited(refused)
    assert Attempt.objects.get(pk=world["attempt"]).status == Attempt.Status.OPEN


def test_a_game_counts_the_players_who_got_in_not_the_failed_attempts(api_client, world, settings):
    settings.RATE_LIMIT_JOIN = WIDE
    settings.RATE_LIMIT_JOIN_GAME = SLOW
    pin = world["game"].pin
    for i in range(5):  # failed joins (no nickname) from many addresses cost the game nothing
        failed = api_client.post(
            "/api/games/join",
            {"pin": pin, "nickname": ""},
            format="json",
            REMOTE_ADDR=f"203.0.113.{60 + i}",
        )
        assert failed.status_code == 400
    for i in range(3):
        joined = _join(api_client, world, i, REMOTE_ADDR=f"198.51.100.{60 + i}")
        assert joined.status_code == 201
    _assert_rate_limited(_join(api_client, world, 9, REMOTE_ADDR="198.51.100.99"))
    assert world["game"].players.count() == 3


@given(
    prefix=st.integers(min_value=0, max_value=2**64 - 1),
    other_prefix=st.integers(min_value=0, max_value=2**64 - 1),
    a=st.integers(min_value=0, max_value=2**64 - 1),
    b=st.integers(min_value=0, max_value=2**64 - 1),
)
def test_two_ipv6_addresses_share_a_limit_exactly_when_they_share_their_64(
    prefix, other_prefix, a, b
):
    import ipaddress

    first = str(ipaddress.IPv6Address((prefix << 64) | a))
    same_64 = str(ipaddress.IPv6Address((prefix << 64) | b))
    other = str(ipaddress.IPv6Address((other_prefix << 64) | a))
    key = ratelimit.client_address
    assert key({"REMOTE_ADDR": first}) == key({"REMOTE_ADDR": same_64})
    if ipaddress.IPv6Address(first).ipv4_mapped is None and (
        ipaddress.IPv6Address(other).ipv4_mapped is None
    ):
        assert (key({"REMOTE_ADDR": first}) == key({"REMOTE_ADDR": other})) == (
            prefix == other_prefix
        )


def test_five_hundred_phones_behind_one_address_all_look_up_and_join_with_the_defaults(
    api_client, world
):
    """A school's Wi-Fi NAT: every pupil's request comes from one public address."""
    pin = world["game"].pin
    for i in range(500):
        looked = api_client.get(f"/api/games/lookup?pin={pin}", REMOTE_ADDR="203.0.113.77")
        assert looked.status_code == 200, (i, looked.content[:200])
        joined = _join(api_client, world, i, REMOTE_ADDR="203.0.113.77")
        assert joined.status_code == 201, (i, joined.content[:200])
    assert world["game"].players.count() == 500


def test_wrong_pin_guessing_from_one_address_is_stopped_with_the_defaults(api_client, world):
    pins = [str(2_000_000 + i) for i in range(40) if str(2_000_000 + i) != world["game"].pin]
    statuses = [
        api_client.post(
            "/api/games/join",
            {"pin": pin, "nickname": "Guess"},
            format="json",
            REMOTE_ADDR="203.0.113.78",
        ).status_code
        for pin in pins
    ]
    assert statuses.count(404) == 20
    assert statuses[20:] == [429] * (len(pins) - 20)
    # Locked out: even the right PIN is refused from that address, not from another.
    _assert_rate_limited(_join(api_client, world, 1, REMOTE_ADDR="203.0.113.78"))
    assert _join(api_client, world, 2, REMOTE_ADDR="203.0.113.79").status_code == 201


def test_one_address_cannot_fill_a_game_while_other_addresses_join(api_client, world, settings):
    settings.RATE_LIMIT_JOIN_ADDRESS = SLOW
    for i in range(3):
        assert _join(api_client, world, i, REMOTE_ADDR="203.0.113.80").status_code == 201
    _assert_rate_limited(_join(api_client, world, 3, REMOTE_ADDR="203.0.113.80"))
    assert _join(api_client, world, 4, REMOTE_ADDR="203.0.113.81").status_code == 201
    # Another game is another bucket for the same address.
    host = make_user("limithost2", roles=["teacher"])
    other = create_game(host, make_quiz(host))
    joined = api_client.post(
        "/api/games/join",
        {"pin": other.pin, "nickname": "Elsewhere"},
        format="json",
        REMOTE_ADDR="203.0.113.80",
    )
    assert joined.status_code == 201


@pytest.mark.parametrize(
    ("seconds", "english", "vietnamese"),
    [
        (1, "Please try again in 1 second.", "thử lại sau 1 giây."),
        (2, "Please try again in 2 seconds.", "thử lại sau 2 giây."),
        (90, "Please try again in 90 seconds.", "thử lại sau 90 giây."),
        (91, "Please try again in 2 minutes.", "thử lại sau 2 phút."),
        (600, "Please try again in 10 minutes.", "thử lại sau 10 phút."),
    ],
)
def test_a_refusal_by_a_rate_limit_says_how_long_to_wait(seconds, english, vietnamese):
    """The 429 body and the join socket's error frame (core.errors.too_many_body): whole
    minutes, rounded up, past 90 seconds; never less than a second."""
    from django.utils import translation

    from core.errors import too_many_body

    with translation.override("en"):
        body = too_many_body(seconds)
        assert body["message"] == f"Too many requests. {english}"
        assert body["details"] == {"retry_after": seconds}
        assert too_many_body(0)["message"] == "Too many requests. Please try again in 1 second."
    with translation.override("vi"):
        assert too_many_body(seconds)["message"] == f"Quá nhiều yêu cầu. Vui lòng {vietnamese}"


def test_only_a_lockout_by_wrong_guesses_says_so(settings):
    """A look-up flood is refused as 'too many requests'; an address past its wrong-PIN allowance
    is told that its wrong PINs, codes or links locked it out (core.ratelimit.Refusal)."""
    from django.utils import translation

    from core import ratelimit
    from core.errors import too_many_body

    settings.RATE_LIMIT_LOOKUP = "3/0.001"
    settings.RATE_LIMIT_PIN_MISSES = "2/600"
    flood = [ratelimit.check("game-lookup", address="198.51.100.7", token=None) for _ in range(4)]
    assert flood[:3] == [None, None, None]
    assert flood[3] is not None
    assert not flood[3].wrong_guesses
    with translation.override("en"):
        assert too_many_body(flood[3])["message"].startswith("Too many requests.")
        assert "reason" not in too_many_body(flood[3])["details"]

    for _ in range(2):
        ratelimit.record_result("game-lookup", address="198.51.100.8", status=404)
    locked = ratelimit.check("game-lookup", address="198.51.100.8", token=None)
    assert locked is not None
    assert locked.wrong_guesses
    assert 590 <= locked <= 600
    with translation.override("vi"):
        body = too_many_body(locked)
    assert body["message"] == (
        "Mạng của bạn đã nhập sai mã PIN, mã hoặc đường dẫn quá nhiều lần. "
        "Vui lòng thử lại sau 10 phút."
    )
    assert body["details"] == {"retry_after": int(locked), "reason": "wrong_guesses"}


def test_records_deferred_in_a_batch_count_as_they_would_one_by_one():
    """A batch of look-ups and joins sends its rate limits' records together as it ends
    (core.ratelimit.records_deferred): a wrong PIN still counts toward the address's lockout, and
    a successful look-up still gives its token back, once the batch is done."""
    from django.conf import settings

    ratelimit.reset()
    misses = ratelimit.Rate.parse(settings.RATE_LIMIT_PIN_MISSES)
    address = "203.0.113.77"
    with ratelimit.records_deferred():
        for _ in range(int(misses.amount)):
            assert ratelimit.check("game-lookup", address=address, token=None) is None
            ratelimit.record_result("game-lookup", address=address, status=404)
    assert ratelimit.check("game-lookup", address=address, token=None) is not None  # locked out
    other = "203.0.113.78"
    burst = ratelimit.Rate.parse(settings.RATE_LIMIT_LOOKUP)
    for _ in range(3):
        with ratelimit.records_deferred():
            for _ in range(int(burst.amount)):
                assert ratelimit.check("game-lookup", address=other, token=None) is None
                ratelimit.record_result("game-lookup", address=other, status=200)
    # Every successful look-up gave its token back: the address is not held back.
    assert ratelimit.check("game-lookup", address=other, token=None) is None


_ASKS = [
    ("game-lookup", "203.0.113.91", ""),
    ("game-join", "203.0.113.91", "1234567"),
    ("game-join", "203.0.113.91", "1234567"),
    ("game-lookup", "203.0.113.91", ""),
    ("game-join", "203.0.113.92", "1234567"),
    ("game-join", "203.0.113.91", "1234567"),
    ("game-join", "203.0.113.92", "7654321"),
    ("game-lookup", "203.0.113.91", ""),
    ("game-join", "203.0.113.91", "1234567"),
    ("game-join", "203.0.113.92", "1234567"),
]


def _checks(asks) -> list[bool]:
    return [
        ratelimit.check(route, address=address, token=None, pin=pin) is None
        for route, address, pin in asks
    ]


def test_checks_asked_ahead_for_a_batch_answer_as_they_would_one_by_one(settings):
    """A batch of look-ups and joins asks Redis for its rate limits' checks in one round trip
    (core.ratelimit.checks_ahead): each phone gets the answer it would have got when its turn
    came, refusals included, and a check whose phone went away before its turn gives back what it
    took, so the address and the game are held back by the phones that came only."""
    settings.RATE_LIMIT_LOOKUP = SLOW
    settings.RATE_LIMIT_JOIN = SLOW
    settings.RATE_LIMIT_JOIN_ADDRESS = "2/0.001"
    settings.RATE_LIMIT_JOIN_GAME = "4/0.001"
    ratelimit.reset()
    one_by_one = _checks(_ASKS)
    assert not all(one_by_one)  # the limits refuse some: the answers tell something
    ratelimit.reset()
    with ratelimit.checks_ahead(_ASKS):
        ahead = _checks(_ASKS)
    assert ahead == one_by_one
    for came in (0, 3, 6):  # the others went away before their turn
        ratelimit.reset()
        with ratelimit.checks_ahead(_ASKS):
            _checks(_ASKS[:came])
        after = _checks(_ASKS)
        ratelimit.reset()
        _checks(_ASKS[:came])
        assert after == _checks(_ASKS), came
