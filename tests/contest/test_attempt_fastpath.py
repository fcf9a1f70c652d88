"""Autosave on the event loop (contest/attempt_fastpath.py) answers and stores exactly as Django's
view does: same request -> same status, headers and body, and the same rows; whatever it cannot
vouch for goes to Django, which refuses it as always."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection

from contest.models import Answer, Attempt

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path runs the PostgreSQL statement"
)


def _build():
    from contest import selectors, services
    from tests.contest.helpers import make_contest, make_school

    contest, round_, questions = make_contest(n_questions=3)
    units = make_school("CG", "THCS Cầu Giấy")
    people = []
    for name, day in (("Nguyễn Văn An", 1), ("Trần Thị Bình", 2)):
        p = services.participant_register(
            contest=contest,
            full_name=name,
            unit_id=units["school"].pk,
            consent=True,
            date_of_birth=date(2010, 5, day),
            email=f"p{day}@example.org",
        )
        attempt = services.attempt_start(participant=p, round_=round_)
        people.append((services.participant_token(p), selectors.attempt_state(attempt)))
    return people


def _rows(attempt_id: int) -> list[tuple]:
    return sorted(
        Answer.objects.filter(attempt_id=attempt_id).values_list(
            "question_id", "response", "fraction", "points"
        )
    )


def _comparable(response: dict) -> tuple:
    body = json.loads(response["body"])
    left = body.pop("time_left_ms", None)
    body.pop("server_now", None)
    headers = sorted((k, v) for k, v in response["headers"] if k.lower() != b"x-request-id")
    return response["status"], headers, body, left


@pytest.mark.django_db(transaction=True)
async def test_autosave_on_the_fast_path_answers_and_stores_exactly_as_django():
    from asgiref.sync import sync_to_async
    from channels.testing import HttpCommunicator

    from config.asgi import django_asgi_app
    from contest.attempt_fastpath import AttemptWrites

    (token, state), (other_token, _other) = await sync_to_async(_build)()
    calls = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    fast_app = AttemptWrites(django)

    async def post(app, path, body, token=token):
        data = json.dumps(body).encode()
        headers = [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            (b"x-participant-token", token.encode()),
        ]
        communicator = HttpCommunicator(app, "POST", path, data, headers)
        response = await communicator.get_response(timeout=30)
        await communicator.wait(timeout=30)
        return response

    try:
        attempt_id = state["id"]
        path = f"/api/attempts/{attempt_id}/answers/"
        q1, q2, q3 = state["questions"]

        def answer(q, k):
            return {"question": q["id"], "response": {"choice": q["choices"][k]["id"]}}

        # The first autosave goes through Django (this process learns the keys and the headers).
        first = await post(fast_app, path, {"answers": [answer(q1, 0)]})
        assert first["status"] == 200 and calls == [path]

        # The same request, once on the fast path and once through Django alone: same answer, same rows.
        request = {"answers": [answer(q2, 1), answer(q3, 2)], "prediction": 17}
        fast = await post(fast_app, path, request)
        assert calls == [path], "the fast path answered without Django"
        rows_fast = await sync_to_async(_rows)(attempt_id)
        prediction_fast = await sync_to_async(
            lambda: Attempt.objects.values_list("prediction", flat=True).get(pk=attempt_id)
        )()
        await sync_to_async(
            lambda: (
                Answer.objects.filter(attempt_id=attempt_id).exclude(question_id=q1["id"]).delete()
            )
        )()
        await sync_to_async(lambda: Attempt.objects.filter(pk=attempt_id).update(prediction=None))()
        by_django = await post(django_asgi_app, path, request)
        rows_django = await sync_to_async(_rows)(attempt_id)
        prediction_django = await sync_to_async(
            lambda: Attempt.objects.values_list("prediction", flat=True).get(pk=attempt_id)
        )()
        status, headers, body, left = _comparable(fast)
        status_d, headers_d, body_d, left_d = _comparable(by_django)
        assert (status, headers, body) == (status_d, headers_d, body_d) == (status, headers, body)
        assert status == 200 and body == {"saved": True}
        assert abs(left - left_d) < 5000
        assert rows_fast == rows_django and len(rows_fast) == 3
        assert prediction_fast == prediction_django == 17.0

        # An attempt another process started (no copy of its paper here): read once, then saved
        # on the fast path all the same.
        from contest.services import attempts

        attempts._PAPERS.pop(attempt_id)
        again = {"answers": [answer(q2, 2)]}
        fast = await post(fast_app, path, again)
        assert fast["status"] == 200 and calls == [path]
        rows_django = await sync_to_async(_rows)(attempt_id)
        assert rows_django != rows_fast and len(rows_django) == 3

        # What the fast path cannot vouch for goes to Django, which answers as always.
        refusals = [
            # someone else's attempt
            (path, {"answers": [answer(q1, 1)]}, other_token),
            # a choice that is not one of this attempt's options
            (path, {"answers": [{"question": q1["id"], "response": {"choice": "nope"}}]}, token),
            # a prediction that is not a whole number
            (path, {"prediction": 1.5}, token),
        ]
        for where, body, who in refusals:
            before = len(calls)
            fast = await post(fast_app, where, body, who)
            assert len(calls) == before + 1
            by_django = await post(django_asgi_app, where, body, who)
            assert fast["status"] == by_django["status"] >= 400
            assert json.loads(fast["body"]) == json.loads(by_django["body"])
        assert await sync_to_async(_rows)(attempt_id) == rows_django

        # After the hand-in, the statement refuses the save: Django says why (409), nothing changes.
        submitted = await post(django_asgi_app, f"/api/attempts/{attempt_id}/submit/", {})
        assert submitted["status"] == 200
        rows_submitted = await sync_to_async(_rows)(attempt_id)
        before = len(calls)
        late = {"answers": [answer(q1, 2)]}
        fast = await post(fast_app, path, late)
        assert len(calls) == before + 1
        by_django = await post(django_asgi_app, path, late)
        assert fast["status"] == by_django["status"] == 409
        assert json.loads(fast["body"]) == json.loads(by_django["body"])
        assert await sync_to_async(_rows)(attempt_id) == rows_submitted
    finally:
        await fast_app.close()


@pytest.mark.django_db(transaction=True)
async def test_a_burst_of_attempt_writes_waits_its_turn_for_django_instead_of_failing():
    """More starts and submits at once than the process has database connections: Django runs
    as many as there are connections, the rest wait on the event loop (a thread each would wait
    for a connection and fail after DB_POOL_TIMEOUT), and every one is answered."""
    import asyncio

    from channels.testing import HttpCommunicator

    from contest.attempt_fastpath import AttemptWrites

    running = 0
    most = 0

    async def django(scope, receive, send):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    app = AttemptWrites(django)
    slots = app._slots()._value

    async def post(path):
        communicator = HttpCommunicator(app, "POST", path, b"{}", [(b"host", b"testserver")])
        return (await communicator.get_response(timeout=30))["status"]

    paths = [f"/api/rounds/{n}/attempts/" for n in range(3 * slots)] + [
        f"/api/attempts/{n}/submit/" for n in range(3 * slots)
    ]
    statuses = await asyncio.gather(*(post(path) for path in paths))
    assert statuses == [201] * len(paths)
    assert most == slots
