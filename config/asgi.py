"""ASGI entry point: HTTP through Django, WebSockets through the live router."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from contest.attempt_fastpath import AttemptWrites  # noqa: E402
from contest.fastpath import BoardReplay  # noqa: E402
from core.ws_auth import AuthMiddlewareStack  # noqa: E402
from realtime.join import JoinFastPath  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The public top of a contest board, polled by every screen, is replayed while fresh;
        # autosave, a contest rush's most frequent write, is answered on the event loop;
        # anonymous joins of live games are answered without Django's request stack.
        "http": JoinFastPath(BoardReplay(AttemptWrites(django_asgi_app))),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
