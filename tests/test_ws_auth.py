"""The WebSocket stack's session authentication (core/ws_auth.py): a socket without a session
cookie is anonymous at once; a signed-in browser's socket is still its user."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from core.ws_auth import AuthMiddlewareStack
from tests.factories import make_user
from tests.realtime.conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def _user_of(headers):
    seen = {}

    async def inner(scope, receive, send):
        seen["user"] = scope["user"]

    app = AuthMiddlewareStack(inner)
    await app({"type": "websocket", "path": "/ws/game/1/", "headers": headers}, None, None)
    user = seen["user"]
    return await sync_to_async(lambda: (user.is_authenticated, getattr(user, "username", "")))()


async def test_a_socket_without_a_session_is_anonymous_and_a_signed_in_one_is_its_user():
    assert await _user_of([]) == (False, "")
    assert await _user_of([(b"cookie", b"cq_device=abc")]) == (False, "")
    teacher = await sync_to_async(make_user)("wsauth", roles=["teacher"])
    cookie = await sync_to_async(session_cookie)(teacher)
    assert await _user_of([cookie]) == (True, "wsauth")
    # A session cookie that names no session: anonymous, as channels says.
    assert await _user_of([(b"cookie", b"sessionid=nothing")]) == (False, "")
