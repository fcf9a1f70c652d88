"""The WebSocket stack's session authentication (config/asgi.py): channels' AuthMiddlewareStack,
without its thread hop for a socket that carries no session cookie.

channels resolves every socket's user on a worker thread (`database_sync_to_async(get_user)`),
even when there is no session to read: a ceremony's join burst is thousands of phones, none
signed in, each paying a thread pool round trip at connect. Without a session cookie the session
is empty and get_user would answer AnonymousUser: that answer is given here at once. A socket
with the cookie goes through channels' own code, unchanged.
"""

from __future__ import annotations

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings


class SessionAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope):
        if settings.SESSION_COOKIE_NAME not in (scope.get("cookies") or {}):
            from django.contrib.auth.models import AnonymousUser

            scope["user"]._wrapped = AnonymousUser()
            return
        await super().resolve_scope(scope)


def AuthMiddlewareStack(inner):  # noqa: N802 (channels' name, a drop-in replacement)
    return CookieMiddleware(SessionMiddleware(SessionAuthMiddleware(inner)))
