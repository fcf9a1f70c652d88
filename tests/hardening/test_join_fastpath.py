"""The join fast path (realtime/join.py) answers exactly as Django's join API does: same status,
same body (same error codes, messages and language), same device cookie, same rate limits."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator

from core import ratelimit
from realtime.challenge import challenge_current
from realtime.models import Game, Player
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


def _apps():
    from config.asgi import django_asgi_app
    from realtime.join import JoinFastPath

    reached: list[str] = []

    async def django(scope, receive, send):
        reached.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    return JoinFastPath(django), django_asgi_app, reached


async def _post(app, body, *, client="203.0.113.5", headers=()):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    communicator = HttpCommunicator(
        app,
        "POST",
        "/api/games/join",
        body=raw,
        headers=[
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(raw)).encode()),
            *headers,
        ],
    )
    communicator.scope["client"] = (client, 40000)
    response = await communicator.get_response(timeout=30)
    await communicator.wait()
    headers_ = {}
    for key, value in response["headers"]:
        headers_.setdefault(key.decode().lower(), []).append(value.decode())
    raw_body = response["body"]
    return response["status"], json.loads(raw_body or b"null"), headers_, raw_body


def _world(**settings):
    host = make_user(f"fasthost{Game.objects.count()}", roles=["teacher"])
    return create_game(host, make_quiz(host), **settings)


def _same(fast, django, ignore=()):
    (fs, fb, fh, fraw), (ds, db, dh, draw) = fast, django
    assert fs == ds, (fast, django)
    if not ignore:
        assert fraw == draw  # byte for byte, not only the same JSON
    if isinstance(fb, dict) and isinstance(db, dict):
        fb = {k: v for k, v in fb.items() if k not in ignore}
        db = {k: v for k, v in db.items() if k not in ignore}
    assert fb == db
    for name in set(fh) | set(dh):
        if name not in ("set-cookie", "content-length") and not (fs == 429 and name == "vary"):
            assert fh.get(name) == dh.get(name), (name, fh.get(name), dh.get(name), fh, dh)
    cookie = lambda h: sorted(c.split("=", 1)[0] for c in h.get("set-cookie", []))  # noqa: E731
    assert cookie(fh) == cookie(dh)


async def test_a_join_gets_the_same_reply_from_the_fast_path_and_from_django(settings):
    settings.RATE_LIMIT_JOIN = "100000/100000"
    fast, django, reached = _apps()
    game = await sync_to_async(_world)(teams=2)
    body = lambda name, **extra: {"pin": game.pin, "nickname": name, **extra}  # noqa: E731
    ok_fast = await _post(fast, body("Lan"), client="198.51.100.1")
    ok_django = await _post(django, body("Minh"), client="198.51.100.2")
    _same(ok_fast, ok_django, ignore=("player", "token", "nickname", "team"))
    assert ok_fast[0] == 201
    assert "cq_device=" in ok_fast[2]["set-cookie"][0]
    assert reached == []  # the fast path answered without Django
    # Errors: every rule of the service, each asked of both paths with the same input.
    cases = [
        body("Lan"),  # nickname taken
        body("  lan "),  # the same nickname, folded
        {"pin": "0000001", "nickname": "Nam"},  # wrong PIN
        body("\u200b"),  # invalid nickname
        body("Nam", team=7),  # a team out of range: placed automatically (a 201 each)
    ]
    for case in cases:
        if "team" in case:
            fast_reply = await _post(fast, {**case, "nickname": "Nam"}, client="198.51.100.3")
            django_reply = await _post(django, {**case, "nickname": "Hoa"}, client="198.51.100.4")
            _same(fast_reply, django_reply, ignore=("player", "token", "nickname", "team"))
            continue
        _same(await _post(fast, case), await _post(django, case))
    for lang in (b"vi", b"en"):
        headers = [(b"accept-language", lang)]
        _same(
            await _post(fast, body("Lan"), headers=headers),
            await _post(django, body("Lan"), headers=headers),
        )
    # Input the serializer refuses goes to Django itself: identical by construction.
    reached.clear()
    invalid = {"pin": game.pin}
    _same(await _post(fast, invalid), await _post(django, invalid))
    assert reached == ["/api/games/join"]


async def test_capacity_challenge_and_kicked_device_answer_the_same(settings):
    settings.RATE_LIMIT_JOIN = "100000/100000"
    fast, django, _reached = _apps()
    game = await sync_to_async(_world)(capacity=1)
    first = await _post(fast, {"pin": game.pin, "nickname": "First"})
    assert first[0] == 201
    full = {"pin": game.pin, "nickname": "Second"}
    _same(await _post(fast, full), await _post(django, full))
    assert (await _post(fast, full))[1]["code"] == "game_full"
    # The join challenge: missing, wrong, right.
    other = await sync_to_async(_world)()
    await sync_to_async(Game.objects.filter(id=other.id).update)(
        settings={**other.settings, "join_challenge": True}
    )
    other = await sync_to_async(Game.objects.get)(id=other.id)
    shown = (await sync_to_async(challenge_current)(game=other))["code"]
    for code in (None, "0000" if shown != "0000" else "1111"):
        case = {"pin": other.pin, "nickname": "Coder", "challenge": code}
        _same(await _post(fast, case), await _post(django, case))
    # A kicked device stays out on both paths.
    cookie = [c.split(";")[0] for c in first[2]["set-cookie"] if c.startswith("cq_device=")][0]
    await sync_to_async(Player.objects.filter(game=game).update)(banned=True)
    kicked = {"pin": game.pin, "nickname": "Again"}
    headers = [(b"cookie", cookie.encode())]
    reply = await _post(fast, kicked, headers=headers)
    _same(reply, await _post(django, kicked, headers=headers))
    assert reply[0] == 403
    assert reply[1]["code"] == "banned"


async def test_the_fast_path_is_limited_like_django(settings):
    settings.RATE_LIMIT_PIN_MISSES = "3/600"
    await sync_to_async(ratelimit.reset)()
    fast, django, _reached = _apps()
    game = await sync_to_async(_world)()
    wrong = {"pin": "0000001" if game.pin != "0000001" else "0000002", "nickname": "Bot"}
    for _ in range(2):  # fast path and Django share one miss counter
        assert (await _post(fast, wrong))[0] == 404
    assert (await _post(django, wrong))[0] == 404
    _same(await _post(fast, wrong), await _post(django, wrong))
    refused = await _post(fast, {"pin": game.pin, "nickname": "Real"})
    assert refused[0] == 429
    assert refused[1]["code"] == "rate_limited"
    # Another address is not affected.
    assert (await _post(fast, {"pin": game.pin, "nickname": "Real"}, client="198.51.100.9"))[
        0
    ] == 201


async def _get(app, query: bytes, *, client="203.0.113.5", headers=()):
    communicator = HttpCommunicator(
        app, "GET", "/api/games/lookup", headers=[(b"host", b"testserver"), *headers]
    )
    communicator.scope["client"] = (client, 40000)
    communicator.scope["query_string"] = query
    response = await communicator.get_response(timeout=30)
    await communicator.wait()
    headers_ = {}
    for key, value in response["headers"]:
        headers_.setdefault(key.decode().lower(), []).append(value.decode())
    raw_body = response["body"]
    return response["status"], json.loads(raw_body or b"null"), headers_, raw_body


async def test_a_pin_look_up_gets_the_same_reply_from_the_fast_path_and_from_django(settings):
    settings.RATE_LIMIT_PIN_MISSES = "4/600"
    await sync_to_async(ratelimit.reset)()
    fast, django, reached = _apps()
    game = await sync_to_async(_world)(join_challenge=True)
    pin = game.pin.encode()
    for query in (b"pin=" + pin, b"pin=1&pin=" + pin, b"pin=+" + pin, b""):
        _same(await _get(fast, query), await _get(django, query))
    assert reached == []
    assert (await _get(fast, b"pin=" + pin))[1] == {
        "game": game.id,
        "challenge": True,
        "venues": [],  # no venues: no venue picker (realtime/venues.py)
    }
    # Wrong PINs count on both paths toward one lockout (4 here), then 429 on both.
    wrong = b"pin=0000001" if game.pin != "0000001" else b"pin=0000002"
    _same(await _get(fast, wrong), await _get(django, wrong))
    for lang in (b"vi", b"en"):
        headers = [(b"accept-language", lang)]
        _same(await _get(fast, wrong, headers=headers), await _get(django, wrong, headers=headers))
    _same(await _get(fast, b"pin=" + pin), await _get(django, b"pin=" + pin))
    assert (await _get(fast, b"pin=" + pin))[0] == 429


async def test_a_game_played_at_venues_answers_the_same_on_both_paths(settings):
    """The venue picker's rows and a join's venue (one statement each: realtime/venues.py)."""
    from realtime.venues import venues_add

    settings.RATE_LIMIT_JOIN = "100000/100000"
    settings.RATE_LIMIT_LOOKUP = "100000/100000"
    fast, django, _reached = _apps()
    game = await sync_to_async(_world)()
    hanoi, hue = await sync_to_async(venues_add)(game=game, names=["Hà Nội", "Huế"])
    pin = game.pin.encode()
    _same(await _get(fast, b"pin=" + pin), await _get(django, b"pin=" + pin))
    assert (await _get(fast, b"pin=" + pin))[1]["venues"] == [
        {"id": hanoi.id, "name": "Hà Nội"},
        {"id": hue.id, "name": "Huế"},
    ]
    for venue in (None, hue.id + 1000):
        case = {"pin": game.pin, "nickname": "Nowhere", "venue": venue}
        _same(await _post(fast, case), await _post(django, case))
    fast_reply = await _post(fast, {"pin": game.pin, "nickname": "Lan", "venue": hue.id})
    django_reply = await _post(django, {"pin": game.pin, "nickname": "Mai", "venue": hue.id})
    _same(fast_reply, django_reply, ignore=("player", "nickname", "token"))
    assert fast_reply[0] == 201
    assert fast_reply[1]["venue"] == "Huế"
