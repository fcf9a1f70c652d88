"""A text frame holding a lone surrogate (which `str.encode()` refuses) gets an error frame, never
`busy` (a handler raised), and the socket still answers a ping afterwards."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from tests.hardening.test_ws_fuzz import exercise, live_player  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "payload", ["\ud800", '{"type": "hello", "role": "player", "token": "\ud800\udfff\udbff"}']
)
def test_lone_surrogates_in_text_frames_get_an_error_frame(live_player, payload):  # noqa: F811
    game, token = live_player
    async_to_sync(exercise)(game.id, token, [payload])
