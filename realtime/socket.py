"""What every live WebSocket shares (the game's, the feed's and the ceremony's sockets).

Deliberately not a Channels consumer class: it joins no channel-layer groups and has no
per-message thread hop (channels >= 4.2 awaits a sync_to_async call before every handler).
Broadcasts arrive through the process hub, which calls the small interface below:
`write_now(frame)` (the pre-framed bytes, written directly when it can), `send_shared(text,
message)` (otherwise), `send_text`, `close`, and `role`/`player_id`/`lang`.

A frame from the client is parsed and dispatched to `handle_<type>` in `on_frame`, the ONE place
where a `ClientError` raised anywhere below becomes an error frame (and a close, if it says so).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable

import orjson
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from realtime import protocol as p
from realtime.frames import CLOSE_NOT_IDENTIFIED, CLOSE_RATE_LIMITED, ClientError, pong_frame
from realtime.wire import direct_writer, dumps, now_ms, without_session_save, ws_text_frame

logger = logging.getLogger(__name__)

MSG_TOO_MANY_SOCKETS = _(
    "Too many connections from your network are waiting to join. Please try again in a moment."
)

# Sockets of this process that have not said who they are yet (no role), per client address.
_pending: dict[str, int] = {}


def pending_sockets(address: str) -> int:
    """How many sockets from `address` (ratelimit.client_address's key) wait in this process."""
    return _pending.get(address, 0)


class LiveSocket:
    client_types: tuple[str, ...] = (p.C_PING,)
    # The setting that bounds how long the socket may stay without saying who it is (its role).
    identify_within = "WS_HELLO_SECONDS"

    def __init__(self, scope: dict, send):
        from contest.fastpath import _language

        self.scope = scope
        self._send = send
        self._send_data = without_session_save(send)
        self.direct = direct_writer(send)
        self._role: str | None = None
        # While without a role: counted in _pending under this address, and closed when due.
        self.pending_address: str | None = None
        self.identify_timer: asyncio.TimerHandle | None = None
        self.expiry: asyncio.Task | None = None
        self.player_id: int | None = None
        # The device (realtime.device) this socket's player plays from: a kick of a player who
        # joined from it closes this socket too (hub.on_envelope).
        self.device: str | None = None
        # Until a frame says otherwise ("lang" in hello or join), in the handshake's language (the
        # language cookie, then Accept-Language), as the API answers the same browser.
        self.lang = _language(scope)
        self.closed = False
        # While hello builds the first frame, broadcasts are held here so that frame comes first.
        self.held: list[str] | None = None
        # Token bucket: MAX_MESSAGES_PER_SECOND sustained, same burst.
        self.tokens = float(p.MAX_MESSAGES_PER_SECOND)
        self.refilled = time.monotonic()
        self.warned_at = 0.0

    @classmethod
    def as_asgi(cls):
        async def app(scope, receive, send):
            await cls(scope, send).run(receive)

        app.consumer_class = cls  # type: ignore[attr-defined]  # a function's attribute: tests read it
        return app

    @property
    def role(self) -> str | None:
        return self._role

    @role.setter
    def role(self, role: str | None) -> None:
        self._role = role
        if role is not None:
            self.leave_pending()

    async def run(self, receive) -> None:
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.connect":
                    await self.on_connect()
                elif kind == "websocket.receive":
                    await self.on_frame(message.get("text"), message.get("bytes"))
                elif kind == "websocket.disconnect":
                    break
        finally:
            self.closed = True
            self.leave_pending()
            self.detach()

    async def on_connect(self) -> None:
        """Sockets say who they are in hello (the feed overrides this and checks at once). Until
        then the socket counts toward its address's sockets that say nothing
        (WS_PENDING_PER_ADDRESS: over it, refused at once) and is closed if it says nothing for
        its `identify_within` setting's seconds."""
        from realtime.join import scope_address

        address = scope_address(self.scope)
        await self._send({"type": "websocket.accept"})
        if pending_sockets(address) >= settings.WS_PENDING_PER_ADDRESS:
            with translation.override(self.lang):
                message = str(MSG_TOO_MANY_SOCKETS)
            await self.refuse(
                ClientError(p.E_RATE_LIMITED, close=CLOSE_RATE_LIMITED, message=message)
            )
            return
        if self._role is None:
            self.pending_address = address
            _pending[address] = _pending.get(address, 0) + 1
            seconds = float(getattr(settings, self.identify_within))
            self.identify_timer = asyncio.get_running_loop().call_later(seconds, self._too_late)

    def leave_pending(self) -> None:
        """The socket said who it is, or closed: it no longer counts as waiting."""
        if self.identify_timer is not None:
            self.identify_timer.cancel()
            self.identify_timer = None
        address, self.pending_address = self.pending_address, None
        if address is not None:
            left = _pending.get(address, 1) - 1
            if left > 0:
                _pending[address] = left
            else:
                _pending.pop(address, None)

    def _too_late(self) -> None:
        self.identify_timer = None
        if self._role is None and not self.closed:
            self.expiry = asyncio.ensure_future(self.close(CLOSE_NOT_IDENTIFIED))

    def detach(self) -> None:
        """Leave whatever this socket was registered with (closed, replaced, kicked)."""

    # --- sending (the hub's interface) ---------------------------------------------------------

    def write_now(self, frame: bytes) -> bool:
        """A broadcast's pre-framed bytes, written at once when nothing holds it back."""
        if self.held is not None or self.closed or self.direct is None:
            return False
        return self.direct.write(frame)

    async def send_shared(self, text: str, message: dict) -> None:
        """A broadcast `write_now` did not take: `message` is one dict shared by every socket."""
        if self.held is not None or self.closed:
            await self.send_text(text)
            return
        try:
            await self._send_data(message)
        except Exception:  # the peer is gone; the disconnect message cleans up
            self.closed = True

    async def send_text(self, text: str, *, now: bool = False) -> None:
        if self.closed:
            return
        if self.held is not None and not now:
            self.held.append(text)
            return
        if self.direct is not None:
            try:
                frame = ws_text_frame(text.encode())
            except UnicodeEncodeError:
                frame = None
            if frame is not None and self.direct.write(frame):
                return
        try:
            await self._send_data({"type": "websocket.send", "text": text})
        except Exception:  # the peer is gone; the disconnect message cleans up
            self.closed = True

    async def send_frame(self, frame: dict) -> None:
        await self.send_text(dumps(frame))

    async def error(self, code: str, details: dict | None = None) -> None:
        await self.refuse(ClientError(code, details))

    async def refuse(self, exc: ClientError) -> None:
        """The error frame of `exc`, in this socket's language (at once: a reply is never held
        behind broadcasts); then the close it asks for."""
        with translation.override(self.lang):
            text = dumps(exc.frame())
        await self.send_text(text, now=True)
        if exc.close is not None:
            await self.close(exc.close)

    async def close(self, code: int) -> None:
        if self.closed:
            return
        self.closed = True
        self.leave_pending()
        self.detach()
        try:
            await self._send({"type": "websocket.close", "code": code})
        except Exception:
            pass

    def hold(self) -> None:
        """Hold broadcasts back until `release_after` sent the first frame (the snapshot)."""
        self.held = []

    async def release_after(self, first: Awaitable[str]) -> None:
        """Send `first`, then what was held meanwhile: a broadcast never slips in ahead of the
        state it follows, nor is lost. (`first` may drop `held` itself, refusing the socket.)"""
        try:
            await self.send_text(await first, now=True)
        finally:
            held, self.held = self.held or [], None
            for text in held:
                await self.send_text(text)

    # --- receiving -----------------------------------------------------------------------------

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(
            float(p.MAX_MESSAGES_PER_SECOND),
            self.tokens + (now - self.refilled) * p.MAX_MESSAGES_PER_SECOND,
        )
        self.refilled = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    async def on_frame(self, text: str | None, data: bytes | None) -> None:
        if not self.allow():
            now = time.monotonic()
            if now - self.warned_at >= 1.0:  # one warning per second; excess frames dropped
                self.warned_at = now
                await self.error(p.E_RATE_LIMITED)
            return
        raw = text if text is not None else data
        if (
            raw is None
            or len(raw) > p.MAX_FRAME_BYTES
            or (text and len(text.encode("utf-8", "surrogatepass")) > p.MAX_FRAME_BYTES)
        ):
            await self.error(p.E_TOO_LARGE if raw is not None else p.E_MALFORMED)
            return
        try:
            msg = orjson.loads(raw)
        except ValueError:
            await self.error(p.E_MALFORMED)
            return
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            await self.error(p.E_MALFORMED)
            return
        kind = msg["type"]
        if kind not in self.client_types:
            await self.error(p.E_UNKNOWN_TYPE)
            return
        try:
            await getattr(self, f"handle_{kind}")(msg)
        except ClientError as exc:
            await self.refuse(exc)
        except Exception:
            logger.exception("live socket handler failed")
            await self.error(p.E_BUSY)

    def hello_lang(self, msg: dict) -> None:
        """A frame's `lang`, as Django reads a language code ("en-US" is English, as in
        Accept-Language); one it does not know leaves the socket's language as it was."""
        from django.utils.translation import get_supported_language_variant

        lang = msg.get("lang")
        if isinstance(lang, str) and 0 < len(lang) <= 35:
            try:
                self.lang = get_supported_language_variant(lang.lower())
            except LookupError:
                pass

    async def handle_ping(self, msg: dict) -> None:
        await self.send_text(dumps(pong_frame(msg.get("t"), now_ms())), now=True)
