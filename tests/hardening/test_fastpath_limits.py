"""The ASGI fast path (contest/fastpath.py) is limited like every entry point, counts each
request once, and its caches cannot be wiped by cycling query parameters or headers."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator

from core import ratelimit
from tests.contest.helpers import make_contest

pytestmark = pytest.mark.django_db(transaction=True)


def _round_id() -> int:
    _contest, round_, _questions = make_contest()
    return round_.pk


def _app(calls: list):
    from config.asgi import django_asgi_app
    from contest.fastpath import BoardReplay

    async def django(scope, receive, send):
        calls.append((scope["path"], scope.get("query_string", b"")))
        await django_asgi_app(scope, receive, send)

    return BoardReplay(django)


async def _get(app, path, *, query=b"", client="203.0.113.5", headers=(), method="GET"):
    communicator = HttpCommunicator(app, method, path, headers=[(b"host", b"testserver"), *headers])
    communicator.scope["client"] = (client, 40000)
    communicator.scope["query_string"] = query
    response = await communicator.get_response()
    await communicator.wait()
    return response


@pytest.mark.parametrize("suffix", ["leaderboard/", "leaderboard/me/"])
async def test_fast_path_refuses_an_address_past_its_burst_and_counts_each_request_once(
    suffix, settings
):
    settings.RATE_LIMIT_BOARD = "3/0.001"
    settings.RATE_LIMIT_TOKEN = "100000/100000"
    await sync_to_async(ratelimit.reset)()
    round_id = await sync_to_async(_round_id)()
    app = _app([])
    path = f"/api/rounds/{round_id}/{suffix}"
    statuses = [(await _get(app, path))["status"] for _ in range(3)]
    assert 429 not in statuses  # Django's middleware did not count them a second time
    refused = await _get(app, path)
    assert refused["status"] == 429
    assert json.loads(refused["body"])["code"] == "rate_limited"
    assert dict(refused["headers"])[b"Retry-After"] >= b"1"
    # HEAD counts like GET; another address is not affected.
    assert (await _get(app, path, method="HEAD"))["status"] == 429
    assert (await _get(app, path, client="198.51.100.7"))["status"] != 429


async def test_cycling_query_parameters_and_languages_does_not_wipe_the_board_cache(
    settings, monkeypatch
):
    from contest.apis import leaderboards as apis

    settings.RATE_LIMITS_ENABLED = False
    # A rendered body stays fresh for the whole test, however slowly this machine runs it.
    monkeypatch.setattr(apis, "BOARD_BODY_SECONDS", 3600.0)
    replayed = bool(settings.REDIS_URL)  # replays need the shared round versions in Redis
    round_id = await sync_to_async(_round_id)()
    calls: list = []
    app = _app(calls)
    path = f"/api/rounds/{round_id}/leaderboard/"
    first = await _get(app, path, query=b"n=10")
    assert first["status"] == 200
    assert len(calls) == 1
    # 2,500 requests that differ only in what the body does not depend on: unknown parameters,
    # out-of-range values, Accept-Language spellings of the same language.
    spellings = [b"en-US", b"en-GB,en;q=0.9", b"en", b"EN-us"]
    for i in range(2500):
        response = await _get(
            app,
            path,
            query=f"n=10&x={i}&utm_source=s{i}".encode(),
            headers=[(b"accept-language", spellings[i % len(spellings)])],
        )
        assert response["body"] == first["body"]
    if replayed:
        assert len(calls) == 1  # every one of them was the same entry, replayed
        assert len(app.entries) == 1


async def test_a_refusal_on_the_fast_path_says_its_language_as_every_reply_does(settings):
    settings.RATE_LIMIT_BOARD = "1/0.001"
    settings.RATE_LIMIT_TOKEN = "100000/100000"
    await sync_to_async(ratelimit.reset)()
    round_id = await sync_to_async(_round_id)()
    app = _app([])
    path = f"/api/rounds/{round_id}/leaderboard/"
    for language, client in (("vi", "203.0.113.41"), ("en", "203.0.113.42")):
        headers = [(b"accept-language", language.encode())]
        await _get(app, path, headers=headers, client=client)
        refused = await _get(app, path, headers=headers, client=client)
        assert refused["status"] == 429
        assert dict(refused["headers"])[b"Content-Language"] == language.encode()
