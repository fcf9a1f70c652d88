"""The read-only broadcast feed of a live game: overlays and TV graphics (docs/broadcast.md).

A feed socket (`/ws/feed/game/<id>/?key=<overlay key>`) is a screen that cannot speak: it gets
the screen role's snapshot (`actions.snapshot`) and then the screen's frames through the hub's
fan-out, so it never sees the host's data or the answer key before the reveal. The REST twin
(`/api/feed/game/<id>?key=`) answers the same snapshot. The key is the game's `overlay_key`,
which the host rotates: every process closes the sockets that hold the old key at once.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import orjson
from asgiref.sync import sync_to_async
from django.http import JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from contest.models import overlay_key_ok
from core import ratelimit
from core.errors import error_body, wait_message
from realtime import actions
from realtime import protocol as p
from realtime.access import MSG_GAME_NOT_FOUND
from realtime.consumers import GameSocket
from realtime.frames import CLOSE_HELLO_FAILED, CLOSE_RATE_LIMITED, ClientError
from realtime.hub import game_bus_handlers, get_hub, hub_nowait
from realtime.models import Game
from realtime.store import get_store

# The socket's key was rotated, or never was right; the feed is rate-limited.
CLOSE_KEY_REFUSED = CLOSE_HELLO_FAILED


def _game_key(game_id: int) -> str | None:
    return Game.objects.filter(id=game_id).values_list("overlay_key", flat=True).first()


class FeedSocket(GameSocket):
    """The screen's frames for a graphics system or an overlay page; it only answers pings."""

    feed_key: str | None = None

    async def on_connect(self) -> None:
        await self._send({"type": "websocket.accept"})
        query = parse_qs((self.scope.get("query_string") or b"").decode("latin-1"))
        lang = (query.get("lang") or [""])[0]
        if lang in {"vi", "en"}:  # else the handshake's (LiveSocket)
            self.lang = lang
        headers = dict(self.scope.get("headers") or ())
        meta = {
            "REMOTE_ADDR": (self.scope.get("client") or ("unknown",))[0],
            "HTTP_X_FORWARDED_FOR": headers.get(b"x-forwarded-for", b"").decode("latin-1"),
        }
        wait = await sync_to_async(ratelimit.feed_wait)(meta)
        if wait is not None:  # new connections from this address, not messages, are too many
            with translation.override(self.lang):
                message = wait_message(wait)
            await self.refuse(
                ClientError(
                    p.E_RATE_LIMITED,
                    {"retry_after": wait},
                    close=CLOSE_RATE_LIMITED,
                    message=message,
                )
            )
            return
        key = (query.get("key") or [""])[0]
        expected = await sync_to_async(_game_key)(self.game_id)
        hub = await get_hub() if overlay_key_ok(expected or "", key) else None
        lg = await hub.game(self.game_id) if hub is not None else None
        if hub is None or lg is None:
            await self.error(p.E_NOT_AUTHORISED)
            await self.close(CLOSE_KEY_REFUSED)
            return
        self.role, self.lg, self.feed_key = p.ROLE_SCREEN, lg, key
        self.hold()
        lg.screens.add(self)  # the screen's fan-out: exactly the frames a screen gets
        await self.release_after(self.snapshot_text(None))

    async def _read_only(self, msg: dict) -> None:
        await self.error(p.E_NOT_AUTHORISED)

    # A feed never becomes another role, answers or drives the game.
    handle_hello = handle_answer = handle_host = _read_only


async def overlay_key_rotated(*, game_id: int, key: str) -> None:
    """Tell every process: sockets of this game's feed holding another key close now."""
    await get_store().publish(orjson.dumps({"g": game_id, "f": [], "ov": key}))


async def close_stale_feeds(lg, key: str) -> None:
    """This process's feed sockets of one game whose key is not `key` any more."""
    lg.game.overlay_key = key
    for sock in list(lg.screens):
        feed_key = getattr(sock, "feed_key", None)
        if feed_key is not None and not overlay_key_ok(key, feed_key):
            await sock.error(p.E_NOT_AUTHORISED)
            await sock.close(CLOSE_KEY_REFUSED)


async def game_feed(request, game_id: int):
    """GET /api/feed/game/<id>?key=: the screen's snapshot of the game, now (read-only)."""
    wait = await sync_to_async(ratelimit.feed_wait)(request.META)
    if wait is not None:
        from core.errors import too_many

        return too_many(wait)
    if request.method != "GET":
        body = error_body("method_not_allowed", _("This method is not allowed."))
        return JsonResponse(body, status=405)
    expected = await sync_to_async(_game_key)(game_id)
    if not overlay_key_ok(expected or "", request.GET.get("key", "")):
        return JsonResponse(error_body("not_found", MSG_GAME_NOT_FOUND), status=404)
    hub = hub_nowait()
    lg = await hub.game(game_id)
    if lg is None:
        return JsonResponse(error_body("not_found", MSG_GAME_NOT_FOUND), status=404)
    frame = await actions.snapshot(hub, lg, p.ROLE_SCREEN, None)
    response = JsonResponse(frame)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


game_bus_handlers["ov"] = close_stale_feeds  # the hub calls it for {"ov": key} envelopes
