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


async def _post(app, path, body, token, *, headers=(), client=None):
    """A participant's JSON POST with the token header through `app` (an ASGI app)."""
    from channels.testing import HttpCommunicator

    data = json.dumps(body).encode()
    communicator = HttpCommunicator(
        app,
        "POST",
        path,
        data,
        [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            *headers,
            (b"content-length", str(len(data)).encode()),
            (b"x-participant-token", token.encode()),
        ],
    )
    if client is not None:
        communicator.scope["client"] = (client, 1234)
    response = await communicator.get_response(timeout=30)
    await communicator.wait(timeout=30)
    return response


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

    from config.asgi import django_asgi_app
    from contest.attempt_fastpath import AttemptWrites

    (token, state), (other_token, _other) = await sync_to_async(_build)()
    calls = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    fast_app = AttemptWrites(django)

    async def post(app, path, body, token=token):
        return await _post(app, path, body, token)

    try:
        attempt_id = state["id"]
        path = f"/api/attempts/{attempt_id}/answers/"
        q1, q2, q3 = state["questions"]

        def answer(q, k):
            return {"question": q["id"], "response": {"choice": q["choices"][k]["id"]}}

        # The first autosave goes through Django (this process learns the keys and the headers).
        first = await post(fast_app, path, {"answers": [answer(q1, 0)]})
        assert first["status"] == 200
        assert calls == [path]

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
        assert status == 200
        assert body == {"saved": True}
        assert abs(left - left_d) < 5000
        assert rows_fast == rows_django
        assert len(rows_fast) == 3
        assert prediction_fast == prediction_django == 17.0

        # An attempt another process started (no copy of its paper here): read once, then saved
        # on the fast path all the same.
        from contest.services import attempts

        attempts._PAPERS.pop(attempt_id)
        again = {"answers": [answer(q2, 2)]}
        fast = await post(fast_app, path, again)
        assert fast["status"] == 200
        assert calls == [path]
        rows_django = await sync_to_async(_rows)(attempt_id)
        assert rows_django != rows_fast
        assert len(rows_django) == 3

        # What the fast path cannot vouch for goes to Django, which answers as always.
        refusals = [
            # someone else's attempt
            (path, {"answers": [answer(q1, 1)]}, other_token),
            # a choice that is not one of this attempt's options
            (path, {"answers": [{"question": q1["id"], "response": {"choice": "nope"}}]}, token),
            # a prediction that is not a whole number
            (path, {"prediction": 1.5}, token),
            # one question twice, an answer too large for any question: refused for that question
            (path, {"answers": [answer(q1, 1), answer(q1, 2)]}, token),
            (path, {"answers": [{"question": q1["id"], "response": {"text": "x" * 501}}]}, token),
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


def _build_many(n: int):
    """A contest with an open round and a closed one, and n registered participants."""
    from datetime import timedelta

    from django.utils import timezone

    from contest import services
    from contest.models import Round
    from tests.contest.helpers import make_contest, make_school

    contest, round_, _questions = make_contest(n_questions=3)
    now = timezone.now()
    closed = Round.objects.create(
        contest=contest,
        title_vi="Vòng 0",
        title_en="Round 0",
        opens_at=now - timedelta(days=2),
        closes_at=now - timedelta(days=1),
        time_limit_seconds=600,
        max_attempts=1,
        quiz=round_.quiz,
        position=0,
    )
    units = make_school("CG", "THCS Cầu Giấy")
    people = []
    for day in range(1, n + 1):
        p = services.participant_register(
            contest=contest,
            full_name=f"Nguyễn Văn {chr(64 + day)}",
            unit_id=units["school"].pk,
            consent=True,
            date_of_birth=date(2010, 5, day),
            email=f"q{day}@example.org",
        )
        people.append((p, services.participant_token(p)))
    return contest, round_, closed, people


def _stored(attempt_id: int) -> tuple:
    """What a hand-in stores, as a participant would see it in their review and on the board."""
    from contest.models import RoundResult

    attempt = Attempt.objects.get(pk=attempt_id)
    answers = sorted(
        Answer.objects.filter(attempt_id=attempt_id).values_list("question_id", "points")
    )
    result = RoundResult.objects.filter(
        round_id=attempt.round_id, participant_id=attempt.participant_id
    ).values_list("score", flat=True)
    return attempt.status, attempt.score, attempt.prediction, answers, list(result)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["vi", "en"])
async def test_start_and_submit_on_the_fast_path_answer_and_store_exactly_as_django(
    language, settings
):
    from asgiref.sync import sync_to_async

    from config.asgi import django_asgi_app
    from contest.attempt_fastpath import AttemptWrites
    from contest.services.registration import participant_token_revoke

    settings.RATE_LIMITS_ENABLED = False
    contest, round_, closed, people = await sync_to_async(_build_many)(6)
    (a, token_a), (b, token_b), (c, token_c), (d, token_d), (e, token_e), (f, token_f) = people
    calls: list[str] = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    fast_app = AttemptWrites(django)

    async def post(app, path, body, token):
        headers = ((b"accept", b"application/json"), (b"accept-language", language.encode()))
        return await _post(app, path, body, token, headers=headers)

    def same(fast, by_django, drop=("server_now", "time_left_ms", "submitted_at", "time_ms")):
        """Same status, headers (but the request id) and body (but the clock)."""
        status, headers, body, _left = _comparable(fast)
        status_d, headers_d, body_d, _left_d = _comparable(by_django)
        for name in drop:
            body.pop(name, None)
            body_d.pop(name, None)
        # The length follows the clock's digits (time_ms, submitted_at).
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers_d = [(k, v) for k, v in headers_d if k.lower() != b"content-length"]
        assert (status, headers, body) == (status_d, headers_d, body_d)
        return status, body

    start = f"/api/rounds/{round_.pk}/attempts/"

    async def submit_path(attempt_id):
        return f"/api/attempts/{attempt_id}/submit/"

    try:
        # Django answers the first start and the first submit (this process learns the headers).
        first = await post(fast_app, start, {}, token_a)
        assert first["status"] == 201
        first_state = json.loads(first["body"])
        assert calls == [start]
        warm = await post(fast_app, await submit_path(first_state["id"]), {}, token_a)
        assert warm["status"] == 200
        assert len(calls) == 2

        # A new attempt started on the fast path, and the same attempt resumed through Django.
        fast = await post(fast_app, start, {}, token_b)
        assert len(calls) == 2, "the fast path answered without Django"
        state_b = json.loads(fast["body"])
        resumed = await post(django_asgi_app, start, {}, token_b)
        status, body = same(fast, resumed)
        assert status == 201
        assert body["status"] == "open"
        assert len(body["questions"]) == 3
        # ... and resumed on the fast path: the same attempt, not a second one.
        again = await post(fast_app, start, {}, token_b)
        assert json.loads(again["body"])["id"] == state_b["id"]
        assert len(calls) == 2
        assert await sync_to_async(Attempt.objects.filter(participant=b).count)() == 1

        # Refusals, both paths alike (and nothing stored by either).
        await sync_to_async(participant_token_revoke)(
            contest=contest, participant_id=d.pk, actor=None
        )
        closed_start = f"/api/rounds/{closed.pk}/attempts/"
        refusals: list[tuple[str, dict, str, int, str]] = [
            (closed_start, {}, token_c, 409, "round_not_open"),  # a closed round
            (closed_start, {}, token_b, 409, "attempt_open"),  # another attempt in progress
            (start, {}, token_d, 403, "token_revoked"),  # a revoked token
            (await submit_path(state_b["id"]), {}, token_c, 404, "not_found"),  # not theirs
            (await submit_path(first_state["id"]), {}, token_a, 409, "attempt_finished"),
            (f"/api/rounds/{round_.pk + 1000}/attempts/", {}, token_c, 404, "not_found"),
        ]
        for where, body, who, code, error in refusals:
            before = len(calls)
            fast = await post(fast_app, where, body, who)
            assert len(calls) == before, f"the fast path answered {where} itself"
            by_django = await post(django_asgi_app, where, body, who)
            status, body = same(fast, by_django)
            assert (status, body["code"]) == (code, error)
        assert await sync_to_async(Attempt.objects.filter(participant=c).count)() == 0
        # In the participant's language (the catalog is there: the two languages differ).
        from django.utils import translation

        from contest.services.attempts import MSG_NOT_OPEN

        with translation.override(language):
            expected = str(MSG_NOT_OPEN)
        with translation.override("en" if language == "vi" else "vi"):
            assert str(MSG_NOT_OPEN) != expected
        refused = await post(fast_app, closed_start, {}, token_c)
        assert json.loads(refused["body"])["message"] == expected
        assert (b"Content-Language", language.encode()) in refused["headers"]

        # A hand-in on the fast path and one through Django, with the same answers: same reply,
        # stored alike (answers graded, score, prediction, result).
        state_e = json.loads((await post(django_asgi_app, start, {}, token_e))["body"])
        hand_in = {}
        for state in (state_b, state_e):
            q = {item["id"]: item for item in state["questions"]}
            hand_in[state["id"]] = {
                "answers": [
                    {"question": qid, "response": {"choice": q[qid]["choices"][0]["id"]}}
                    for qid in sorted(q)
                ],
                "prediction": 42,
            }
        before = len(calls)
        fast = await post(
            fast_app, await submit_path(state_b["id"]), hand_in[state_b["id"]], token_b
        )
        assert len(calls) == before
        by_django = await post(
            django_asgi_app, await submit_path(state_e["id"]), hand_in[state_e["id"]], token_e
        )
        status, body = same(fast, by_django)
        assert status == 200
        assert body == {"status": "submitted"}
        stored_b = await sync_to_async(_stored)(state_b["id"])
        stored_e = await sync_to_async(_stored)(state_e["id"])
        assert stored_b[0] == stored_e[0] == "submitted"
        assert stored_b[2] == stored_e[2] == 42.0
        assert len(stored_b[3]) == len(stored_e[3]) == 3
        assert stored_b[1] == sum(p for _q, p in stored_b[3])
        assert stored_b[4] == [stored_b[1]]
        assert stored_e[1] == sum(p for _q, p in stored_e[3])
        assert stored_e[4] == [stored_e[1]]

        # Handed in twice: already finished, both paths alike.
        fast = await post(fast_app, await submit_path(state_b["id"]), {}, token_b)
        by_django = await post(django_asgi_app, await submit_path(state_b["id"]), {}, token_b)
        assert same(fast, by_django)[1]["code"] == "attempt_finished"

        # A hand-in after the deadline: refused (409), the attempt expires with what was saved.
        late = []
        for _person, token in ((c, token_c), (f, token_f)):
            late.append(json.loads((await post(django_asgi_app, start, {}, token))["body"])["id"])
        from datetime import timedelta

        from django.utils import timezone

        past = timezone.now() - timedelta(minutes=5)
        await sync_to_async(lambda: Attempt.objects.filter(pk__in=late).update(deadline=past))()
        before = len(calls)
        fast = await post(fast_app, await submit_path(late[0]), {"prediction": 3}, token_c)
        assert len(calls) == before
        by_django = await post(
            django_asgi_app, await submit_path(late[1]), {"prediction": 3}, token_f
        )
        status, body = same(fast, by_django)
        assert (status, body["code"]) == (409, "deadline_passed")
        assert (await sync_to_async(_stored)(late[0]))[0] == "expired"
        assert (await sync_to_async(_stored)(late[1]))[0] == "expired"
    finally:
        await fast_app.close()


@pytest.mark.django_db(transaction=True)
async def test_start_and_submit_are_rate_limited_on_the_fast_path_as_through_django(settings):
    from asgiref.sync import sync_to_async

    from config.asgi import django_asgi_app
    from contest.attempt_fastpath import AttemptWrites

    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_ATTEMPT = "2/0.001"
    _contest, round_, _closed, people = await sync_to_async(_build_many)(2)
    (_a, token_a), (_b, token_b) = people
    calls: list[str] = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    fast_app = AttemptWrites(django)

    async def post(app, token, client):
        return await _post(app, f"/api/rounds/{round_.pk}/attempts/", {}, token, client=client)

    try:
        statuses_fast = [(await post(fast_app, token_a, "10.0.0.1"))["status"] for _ in range(3)]
        statuses_django = [
            (await post(django_asgi_app, token_b, "10.0.0.2"))["status"] for _ in range(3)
        ]
        assert statuses_fast == statuses_django == [201, 201, 429]
        assert len(calls) == 1, "the second start and the refusal were answered on the fast path"
    finally:
        await fast_app.close()


@pytest.mark.django_db(transaction=True)
async def test_a_round_closed_early_refuses_the_next_start_on_the_fast_path_at_once(settings):
    """The fast path starts attempts with its process's copy of the round: an organiser who
    closes the round early (or opens it later) is obeyed by the very next start, as by Django."""
    from datetime import timedelta

    from asgiref.sync import sync_to_async
    from django.utils import timezone

    from config.asgi import django_asgi_app
    from contest import services
    from contest.attempt_fastpath import AttemptWrites

    settings.RATE_LIMITS_ENABLED = False
    _contest, round_, _closed, people = await sync_to_async(_build_many)(4)
    calls: list[str] = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    fast_app = AttemptWrites(django)
    start = f"/api/rounds/{round_.pk}/attempts/"
    try:
        assert (await _post(fast_app, start, {}, people[0][1]))["status"] == 201  # via Django
        assert (await _post(fast_app, start, {}, people[1][1]))["status"] == 201  # fast path
        assert len(calls) == 1
        closes = timezone.now() - timedelta(seconds=1)
        await sync_to_async(services.round_update)(round_=round_, closes_at=closes)
        for _person, token in people[2:]:
            refused = await _post(fast_app, start, {}, token)
            assert refused["status"] == 409
            assert json.loads(refused["body"])["code"] == "round_not_open"
        assert len(calls) == 1, "the fast path refused it itself"
        ids = [p.pk for p, _token in people[2:]]
        assert not await sync_to_async(Attempt.objects.filter(participant_id__in=ids).exists)()
    finally:
        await fast_app.close()


@pytest.mark.django_db(transaction=True)
async def test_on_another_database_every_autosave_is_djangos_and_no_pool_is_opened(monkeypatch):
    """`make run`'s embedded defaults use SQLite: the fast path's PostgreSQL pool waited 30 s for
    a connection it could never open before handing each save (after the first) to Django, so a
    save sent near the deadline came back refused."""
    from asgiref.sync import sync_to_async

    from config.asgi import django_asgi_app
    from contest import attempt_fastpath
    from contest.attempt_fastpath import AttemptWrites

    (token, state), _other = await sync_to_async(_build)()
    calls = []

    async def django(scope, receive, send):
        calls.append(scope["path"])
        await django_asgi_app(scope, receive, send)

    opened = []

    async def no_pool(self):
        opened.append(True)  # (it waited 30 s here before giving up on SQLite)
        raise RuntimeError("no PostgreSQL here")

    monkeypatch.setattr(attempt_fastpath, "_postgres", lambda: False, raising=False)
    monkeypatch.setattr(AttemptWrites, "_connections", no_pool)
    app = AttemptWrites(django)
    path = f"/api/attempts/{state['id']}/answers/"
    q = state["questions"][0]
    for k in (0, 1, 2):
        body = {"answers": [{"question": q["id"], "response": {"choice": q["choices"][k]["id"]}}]}
        response = await _post(app, path, body, token)
        assert response["status"] == 200
    assert calls == [path, path, path]
    assert opened == []
    saved = await sync_to_async(_rows)(state["id"])
    assert len(saved) == 1
