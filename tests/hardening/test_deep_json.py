"""A JSON body nested deeper than Python's recursion limit is a malformed body (400, the shared
error body), on every JSON entry point and whichever path answers it (the fast paths, Django):
it was a 500 RecursionError (found by a black-box test: the debug page with a traceback)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = b'{"answers": ' + b"[" * 5000 + b"]" * 5000 + b"}"


def _world():
    from contest import services
    from realtime.venues import venues_add
    from tests.contest.helpers import make_contest, make_school, registered
    from tests.factories import make_user
    from tests.realtime.conftest import create_game, make_quiz

    contest, round_, _questions = make_contest(n_questions=2)
    units = make_school("CG", "THCS Cầu Giấy")
    participant = registered(contest, units["school"])
    attempt = services.attempt_start(participant=participant, round_=round_)
    host = make_user("deephost", roles=["teacher"])
    (venue,) = venues_add(game=create_game(host, make_quiz(host)), names=["Ea Kar"])
    return {
        "token": services.participant_token(participant),
        "paths": [
            "/api/games/join",
            f"/api/attempts/{attempt.pk}/answers/",
            f"/api/attempts/{attempt.pk}/submit/",
            f"/api/contests/{contest.slug}/register/",
            f"/api/venues/{venue.pk}/ready",
        ],
    }


async def test_a_deeply_nested_body_is_refused_as_malformed_on_every_json_entry_point():
    from channels.testing import HttpCommunicator

    from config.asgi import application

    world = await sync_to_async(_world)()
    for path in world["paths"]:
        for language in ("vi", "en"):
            headers = [
                (b"host", b"testserver"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(DEEP)).encode()),
                (b"accept-language", language.encode()),
                (b"x-participant-token", world["token"].encode()),
            ]
            communicator = HttpCommunicator(application, "POST", path, DEEP, headers)
            response = await communicator.get_response(timeout=30)
            await communicator.wait(timeout=30)
            assert response["status"] == 400, (path, response["status"], response["body"][:200])
            body = json.loads(response["body"])
            assert body["code"] == "malformed", (path, body)
            assert (language == "vi") == ("yêu cầu" in body["message"].lower()), body["message"]
