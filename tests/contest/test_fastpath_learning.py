"""The attempt fast path answers with the headers Django gave the same route, host and language
(contest/attempt_fastpath.py). Until it has them, one request learns them through Django and the
others wait for its answer, then take the fast path: in a rush's first second a hundred
autosaves and starts each went through Django's whole path, and the starts queued behind them
for seconds. Nothing may be lost or answered differently for it: if the learning request gets a
refusal (whose headers are not remembered), the others are answered by Django, as before."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from tests.contest.test_attempt_fastpath import _post
from tests.contest.test_autosave_batches import _choice, _people, _saved

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path runs the PostgreSQL statement"
)


async def _held_app():
    """AttemptWrites over Django, whose first call is held until `release` is set."""
    from config.asgi import django_asgi_app
    from contest.attempt_fastpath import AttemptWrites

    calls: list[str] = []
    release = asyncio.Event()

    async def django(scope, receive, send):
        calls.append(scope["path"])
        if len(calls) == 1:
            await release.wait()
        await django_asgi_app(scope, receive, send)

    return AttemptWrites(django), calls, release


async def _until(condition, seconds: float = 10) -> None:
    for _n in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
async def test_while_one_autosave_learns_the_headers_the_others_wait_and_take_the_fast_path():
    people = await sync_to_async(_people)(6)
    app, calls, release = await _held_app()
    try:
        sent = [(token, state, {"answers": [_choice(state, 0, 1)]}) for token, state in people]
        tasks = [
            asyncio.create_task(_post(app, f"/api/attempts/{s['id']}/answers/", body, t))
            for t, s, body in sent
        ]
        await _until(lambda: len(calls) == 1)
        await asyncio.sleep(0.3)  # the others have arrived, and wait
        assert len(calls) == 1
        release.set()
        replies = await asyncio.gather(*tasks)
        assert [r["status"] for r in replies] == [200] * len(sent)
        bodies = [json.loads(r["body"]) for r in replies]
        assert all(b["saved"] is True for b in bodies)
        headers = [
            sorted(k for k, _v in r["headers"] if k.lower() != b"x-request-id") for r in replies
        ]
        assert all(h == headers[0] for h in headers)  # the fast path's are Django's
        assert len(calls) == 1, "only the first went through Django"
        for _token, state, body in sent:
            expected = {a["question"]: a["response"] for a in body["answers"]}
            assert await sync_to_async(_saved)(state["id"]) == expected
    finally:
        await app.close()


@pytest.mark.django_db(transaction=True)
async def test_when_the_learning_request_is_refused_the_waiting_ones_are_answered_by_django():
    people = await sync_to_async(_people)(5)
    (done_token, done), *rest = people
    app, calls, release = await _held_app()
    try:
        release.set()
        finished = await _post(app, f"/api/attempts/{done['id']}/submit/", {}, done_token)
        assert finished["status"] == 200  # through Django: the hand-in's headers, not autosave's
        calls.clear()
        release.clear()
        # The first autosave is for the finished attempt: refused, nothing learnt.
        first = asyncio.create_task(
            _post(
                app,
                f"/api/attempts/{done['id']}/answers/",
                {"answers": [_choice(done, 0, 0)]},
                done_token,
            )
        )
        await _until(lambda: len(calls) == 1)
        others = [
            asyncio.create_task(
                _post(app, f"/api/attempts/{s['id']}/answers/", {"answers": [_choice(s, 1, 0)]}, t)
            )
            for t, s in rest
        ]
        await asyncio.sleep(0.3)
        assert len(calls) == 1  # they wait for the first
        release.set()
        refused = await first
        assert refused["status"] == 409
        assert json.loads(refused["body"])["code"] == "attempt_finished"
        replies = await asyncio.gather(*others)
        assert [r["status"] for r in replies] == [200] * len(rest)
        for _token, state in rest:
            saved = await sync_to_async(_saved)(state["id"])
            assert saved == {_choice(state, 1, 0)["question"]: _choice(state, 1, 0)["response"]}
    finally:
        await app.close()
