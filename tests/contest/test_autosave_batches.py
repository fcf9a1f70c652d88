"""Autosaves that reach a server together are stored by one statement (contest/attempt_fastpath.py
_Autosaves, attempts.AUTOSAVES_SQL). Each participant must still get their own answer: every
acknowledged autosave is stored as sent, a later autosave of the same attempt wins over an earlier
one, a refused autosave among them is refused with its reason and stores nothing, and a statement
that fails loses nothing (Django answers each of its autosaves)."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from contest.models import Answer
from tests.contest.test_attempt_fastpath import _post

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path runs the PostgreSQL statement"
)


def _people(n: int):
    """n participants, each with an attempt started: (token, attempt state)."""
    from contest import selectors, services
    from tests.contest.test_attempt_fastpath import _build_many

    _contest, round_, _closed, people = _build_many(n)
    return [
        (token, selectors.attempt_state(services.attempt_start(participant=p, round_=round_)))
        for p, token in people
    ]


def _stored(attempt_id: int) -> dict[int, dict]:
    return dict(Answer.objects.filter(attempt_id=attempt_id).values_list("question_id", "response"))


def _saved(attempt_id: int) -> dict[int, dict]:
    """The attempt's saved answers as its participant sees them (opaque ids)."""
    from contest.models import Attempt
    from contest.selectors import attempt_state

    state = attempt_state(Attempt.objects.select_related("round").get(pk=attempt_id))
    return {q["id"]: q["saved"] for q in state["questions"] if q["saved"] is not None}


def _choice(state: dict, q: int, k: int) -> dict:
    question = state["questions"][q]
    return {"question": question["id"], "response": {"choice": question["choices"][k]["id"]}}


async def _app():
    from config.asgi import django_asgi_app
    from contest.attempt_fastpath import AttemptWrites

    calls: list[str] = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    return AttemptWrites(django), calls


@pytest.mark.django_db(transaction=True)
async def test_autosaves_arriving_together_each_get_their_own_answer():
    people = await sync_to_async(_people)(9)
    app, calls = await _app()
    try:
        (warm_token, warm), *rest = people
        path = f"/api/attempts/{warm['id']}/answers/"
        first = await _post(app, path, {"answers": [_choice(warm, 0, 0)]}, warm_token)
        assert first["status"] == 200  # through Django: the fast path learns the headers
        done_token, done = rest.pop()
        submitted = await _post(app, f"/api/attempts/{done['id']}/submit/", {}, done_token)
        assert submitted["status"] == 200
        done_before = await sync_to_async(_saved)(done["id"])
        calls.clear()

        requests = []  # (token, attempt id, body): two autosaves of each attempt, one finished
        for k, (token, state) in enumerate(rest):
            requests.append((token, state["id"], {"answers": [_choice(state, 0, k % 2)]}))
            requests.append(
                (
                    token,
                    state["id"],
                    {"answers": [_choice(state, 0, 1 - k % 2), _choice(state, 1, 0)]},
                )
            )
        requests.insert(3, (done_token, done["id"], {"answers": [_choice(done, 0, 1)]}))
        replies = await asyncio.gather(
            *(_post(app, f"/api/attempts/{a}/answers/", body, t) for t, a, body in requests)
        )

        for (_token, attempt_id, _body), reply in zip(requests, replies, strict=True):
            if attempt_id == done["id"]:
                assert reply["status"] == 409
                assert json.loads(reply["body"])["code"] == "attempt_finished"
            else:
                assert reply["status"] == 200, reply
                assert json.loads(reply["body"])["saved"] is True
        assert calls == [f"/api/attempts/{done['id']}/answers/"], "only the refusal went to Django"
        for _token, state in rest:
            # The later autosave of each attempt is the one stored (both were acknowledged).
            later = [body for _t, a, body in requests if a == state["id"]][-1]
            expected = {item["question"]: item["response"] for item in later["answers"]}
            assert await sync_to_async(_saved)(state["id"]) == expected
        assert await sync_to_async(_saved)(done["id"]) == done_before
    finally:
        await app.close()


@pytest.mark.django_db(transaction=True)
async def test_a_failed_statement_loses_no_autosave(monkeypatch):
    from contest.services import attempts

    people = await sync_to_async(_people)(4)
    app, calls = await _app()
    try:
        (warm_token, warm), *rest = people
        path = f"/api/attempts/{warm['id']}/answers/"
        assert (await _post(app, path, {"answers": [_choice(warm, 0, 0)]}, warm_token))[
            "status"
        ] == 200
        calls.clear()
        monkeypatch.setattr(attempts, "AUTOSAVES_SQL", "SELECT 1 / 0")  # the database refuses
        replies = await asyncio.gather(
            *(
                _post(app, f"/api/attempts/{s['id']}/answers/", {"answers": [_choice(s, 2, 1)]}, t)
                for t, s in rest
            )
        )
        assert [r["status"] for r in replies] == [200] * len(rest)
        assert sorted(calls) == sorted(f"/api/attempts/{s['id']}/answers/" for _t, s in rest)
        for _token, state in rest:
            assert state["questions"][2]["id"] in await sync_to_async(_stored)(state["id"])
    finally:
        await app.close()


@pytest.mark.django_db(transaction=True)
async def test_an_attempt_held_by_a_long_transaction_does_not_hold_the_others():
    """One participant's attempt row is locked by a transaction that does not end (a hand-in
    held up). The autosaves that came with theirs are saved and acknowledged meanwhile; theirs
    waits for its row alone and is saved once the row is free."""
    import threading

    import psycopg

    people = await sync_to_async(_people)(5)
    app, _calls = await _app()
    (warm_token, warm), (held_token, held), *rest = people
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        settings = connection.settings_dict
        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings.get("USER") or None,
            password=settings.get("PASSWORD") or None,
            host=settings.get("HOST") or None,
            port=settings.get("PORT") or None,
        ) as conn:
            conn.execute("SELECT 1 FROM contest_attempt WHERE id = %s FOR UPDATE", [held["id"]])
            locked.set()
            release.wait(30)
            conn.rollback()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        path = f"/api/attempts/{warm['id']}/answers/"
        assert (await _post(app, path, {"answers": [_choice(warm, 0, 0)]}, warm_token))[
            "status"
        ] == 200
        await asyncio.get_running_loop().run_in_executor(None, locked.wait, 10)

        def post(token, state):
            body = {"answers": [_choice(state, 1, 1)]}
            return _post(app, f"/api/attempts/{state['id']}/answers/", body, token)

        waiting = asyncio.ensure_future(post(held_token, held))
        others = await asyncio.wait_for(asyncio.gather(*(post(t, s) for t, s in rest)), timeout=20)
        assert [r["status"] for r in others] == [200] * len(rest)
        assert not waiting.done(), "the held attempt's save waits for its row"
        release.set()
        assert (await asyncio.wait_for(waiting, timeout=20))["status"] == 200
        for _token, state in [(held_token, held), *rest]:
            assert await sync_to_async(_saved)(state["id"]) == {
                state["questions"][1]["id"]: {"choice": state["questions"][1]["choices"][1]["id"]}
            }
    finally:
        release.set()
        holder.join()
        await app.close()
