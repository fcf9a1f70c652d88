"""The game WebSocket: one small ASGI consumer for the three roles (player, host, screen).

Deliberately not a Channels consumer class: it joins no channel-layer groups and has no per-message
thread hop (channels >= 4.2 awaits a sync_to_async call before every handler). Broadcasts arrive
through the process hub, which writes pre-serialised text straight to `send_text`.
"""

from __future__ import annotations

import functools
import logging
import time

import orjson
from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import translation

from config import logs, metrics
from realtime import protocol as p
from realtime import venue_live
from realtime.device import DEVICE_COOKIE, device_read
from realtime.hub import LocalGame, dumps, error_frame, get_hub, now_ms
from realtime.models import Player
from realtime.services import device_kicked
from realtime.tokens import read_player_token

logger = logging.getLogger(__name__)

CLOSE_REPLACED = 4000
CLOSE_HELLO_FAILED = 4001
CLOSE_KICKED = 4003
CLOSE_NOT_FOUND = 4004


def _without_session_save(send):
    """The send callable below Channels' session middleware, for data frames only.

    SessionMiddleware wraps `send` to save the session on "http.response.start"; for every
    WebSocket frame it still reads `scope["session"].modified` and `.is_empty()` through a lazy
    object and the settings (7 % of the server's CPU in a 2,000-player profile). This socket never
    changes the session, so its data frames skip that wrapper; accept and close keep it.
    """
    from channels.sessions import InstanceSessionWrapper

    wrapper = getattr(send, "__self__", None)
    if isinstance(wrapper, InstanceSessionWrapper) and callable(
        getattr(wrapper, "real_send", None)
    ):
        return wrapper.real_send
    return send


def ws_text_frame(data: bytes) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (RFC 6455 5.2), as a server sends it.

    Server frames carry no mask, so one broadcast is framed once and the same bytes go to every
    socket.
    """
    n = len(data)
    if n < 126:
        return bytes((0x81, n)) + data
    if n < 65536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big") + data
    return bytes((0x81, 127)) + n.to_bytes(8, "big") + data


class DirectWriter:
    """Under Daphne: write ready WebSocket frames to the connection, below the ASGI send.

    Profile of one Daphne process, 2,000 players: per frame sent, Daphne's ASGI send runs a
    coroutine, autobahn frames the payload again for every socket (and formats debug-log
    arguments even with logging off), and Twisted registers a writer with the event loop, waits
    for the next loop turn, sends, and unregisters it: together about half of the process's CPU
    during a question. This writes the pre-framed bytes with one send() when nothing is queued
    in Twisted's buffer, and hands them to Twisted otherwise (so frames never overtake each
    other). It stands aside (returns False: the caller uses the ASGI send) unless the socket is
    open, plain TCP (TLS terminates in nginx) and without compression.
    """

    __slots__ = ("protocol",)

    def __init__(self, protocol):
        self.protocol = protocol

    def write(self, frame: bytes) -> bool:
        protocol = self.protocol
        if (
            protocol.state != protocol.STATE_OPEN
            or getattr(protocol, "muted", False)
            or protocol._perMessageCompress is not None
        ):
            return False
        transport = protocol.transport
        if (
            transport is None
            or not transport.connected
            or transport.disconnecting
            or transport._writeDisconnected
            or getattr(transport, "TLS", True)
        ):
            return False
        if not transport.dataBuffer and not transport._tempDataBuffer:
            try:
                sent = transport.socket.send(frame)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                return False  # the peer is gone: Twisted reports the disconnect
            if sent == len(frame):
                return True
            frame = frame[sent:]
        transport.write(frame)  # the rest when the socket is writable again, in order
        return True


def _direct_writer(send) -> DirectWriter | None:
    """The DirectWriter for this socket when the server is Daphne (None otherwise)."""
    if not getattr(settings, "LIVE_DIRECT_WRITE", True):
        return None
    inner = _without_session_save(send)
    if not isinstance(inner, functools.partial) or not inner.args:
        return None
    try:
        from autobahn.twisted.websocket import WebSocketServerProtocol
    except ImportError:  # pragma: no cover - Daphne always brings autobahn
        return None
    protocol = inner.args[0]
    if not isinstance(protocol, WebSocketServerProtocol):
        return None
    required = ("state", "STATE_OPEN", "_perMessageCompress", "transport")
    if not all(hasattr(protocol, name) for name in required):
        return None
    return DirectWriter(protocol)


def _player_for_hello(game_id: int, player_id: int, device: str | None) -> Player | None:
    """The token's player; reported as banned when it is, or when this socket comes from a
    device kicked from the game (a token made elsewhere does not let a kicked device back in)."""
    player = Player.objects.select_related("venue").filter(id=player_id, game_id=game_id).first()
    if (
        player is not None
        and not player.banned
        and device
        and device != player.device
        and device_kicked(game_id=game_id, device=device)
    ):
        player.banned = True  # this socket only: the row is not changed
    return player


class GameSocket:
    def __init__(self, scope: dict, send):
        self.scope = scope
        self._send = send
        self._send_data = _without_session_save(send)
        self.direct = _direct_writer(send)
        self.role: str | None = None
        self.player_id: int | None = None
        self.venue: tuple[int, bool] | None = None  # (venue id, MC view): realtime/venue_live.py
        self.lg: LocalGame | None = None
        self.lang = "vi"
        self.closed = False
        # While hello builds the state frame, broadcasts are held here so "state" comes first.
        self.held: list[str] | None = None
        # Token bucket: MAX_MESSAGES_PER_SECOND sustained, same burst.
        self.tokens = float(p.MAX_MESSAGES_PER_SECOND)
        self.refilled = time.monotonic()
        self.warned_at = 0.0
        try:
            self.game_id = int(scope["url_route"]["kwargs"]["game_id"])
        except (KeyError, TypeError, ValueError):
            self.game_id = 0

    @classmethod
    def as_asgi(cls):
        async def app(scope, receive, send):
            await cls(scope, send).run(receive)

        app.consumer_class = cls
        return app

    async def run(self, receive) -> None:
        logs.bind_socket(self.scope, self.game_id)
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
            self.detach()

    async def on_connect(self) -> None:
        """Game sockets say who they are in hello; the feed (realtime/feed.py) checks at once."""
        await self._send({"type": "websocket.accept"})

    # --- sending -------------------------------------------------------------------------------

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

    async def send_message(self, message: dict) -> None:
        """A ready "websocket.send" message (the fan-out shares one dict across sockets)."""
        try:
            await self._send_data(message)
        except Exception:  # the peer is gone; the disconnect message cleans up
            self.closed = True

    async def send_frame(self, frame: dict) -> None:
        await self.send_text(dumps(frame))

    async def error(self, code: str, details: dict | None = None) -> None:
        with translation.override(self.lang):
            await self.send_frame(error_frame(code, details))

    async def close(self, code: int) -> None:
        if self.closed:
            return
        self.closed = True
        self.detach()
        try:
            await self._send({"type": "websocket.close", "code": code})
        except Exception:
            pass

    def detach(self) -> None:
        metrics.socket_closed(self)
        lg = self.lg
        if lg is None:
            return
        if self.role == p.ROLE_PLAYER and lg.players.get(self.player_id) is self:
            del lg.players[self.player_id]
        lg.hosts.discard(self)
        lg.screens.discard(self)

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
        if kind not in p.CLIENT_TYPES:
            await self.error(p.E_UNKNOWN_TYPE)
            return
        try:
            await getattr(self, f"handle_{kind}")(msg)
        except Exception:
            logger.exception("live socket handler failed")
            await self.error(p.E_BUSY)

    async def handle_ping(self, msg: dict) -> None:
        t = msg.get("t")
        await self.send_frame(
            {"type": p.S_PONG, "t": t if isinstance(t, int | float) else None, "now": now_ms()}
        )

    async def handle_hello(self, msg: dict) -> None:
        lang = msg.get("lang")
        if lang in {"vi", "en"}:
            self.lang = lang
        role = msg.get("role")
        if role not in p.ROLES:
            await self.error(p.E_MALFORMED)
            return
        hub = await get_hub()
        lg = await hub.game(self.game_id)
        if lg is None:
            await self.error(p.E_NOT_AUTHORISED)
            await self.close(CLOSE_NOT_FOUND)
            return
        player = venue = None
        if role == p.ROLE_PLAYER:
            ids = read_player_token(msg.get("token"))
            if ids is None or ids[0] != lg.id:
                await self.error(p.E_NOT_AUTHORISED)
                await self.close(CLOSE_HELLO_FAILED)
                return
            device = device_read((self.scope.get("cookies") or {}).get(DEVICE_COOKIE))
            player = await database_sync_to_async(_player_for_hello)(lg.id, ids[1], device)
            if player is None or player.banned:
                await self.error(p.E_KICKED if player else p.E_NOT_AUTHORISED)
                await self.close(CLOSE_KICKED if player else CLOSE_HELLO_FAILED)
                return
        elif role == p.ROLE_HOST:
            user = self.scope.get("user")
            if not getattr(user, "is_authenticated", False) or user.id != lg.game.host_id:
                await self.error(p.E_NOT_AUTHORISED)
                await self.close(CLOSE_HELLO_FAILED)
                return
        elif "venue" in msg:
            venue = await venue_live.screen_venue(lg, msg)
            if venue is None:
                await self.error(p.E_NOT_AUTHORISED)
                await self.close(CLOSE_HELLO_FAILED)
                return
        elif not hub.screen_key_ok(lg, msg.get("key")):
            await self.error(p.E_NOT_AUTHORISED)
            await self.close(CLOSE_HELLO_FAILED)
            return
        self.detach()
        self.venue = venue if role == p.ROLE_SCREEN and "venue" in msg else None
        self.role, self.lg = role, lg
        metrics.socket_opened(self, role)
        self.held = []
        if role == p.ROLE_PLAYER:
            self.player_id = player.id
            previous = lg.players.get(player.id)
            lg.players[player.id] = self
            if previous is not None and previous is not self:
                await previous.close(CLOSE_REPLACED)
        elif role == p.ROLE_HOST:
            lg.hosts.add(self)
        else:
            lg.screens.add(self)
        try:
            with translation.override(self.lang):
                state = await hub.state_frame(lg, role, player)
            await self.send_text(dumps(state), now=True)
        finally:
            held, self.held = self.held or [], None
            for text in held:
                await self.send_text(text)
        if player is not None:
            await hub.player_arrived(lg, player)
        else:
            await venue_live.attach(hub, lg, self)

    async def handle_answer(self, msg: dict) -> None:
        if self.lg is None:
            await self.error(p.E_HELLO_REQUIRED)
            return
        if self.role != p.ROLE_PLAYER:
            await self.error(p.E_NOT_AUTHORISED)
            return
        received = time.perf_counter()
        hub = await get_hub()
        frame = await hub.answer(self.lg, self.player_id, msg)
        if frame.get("type") == p.S_ERROR:
            await self.error(frame["code"], frame.get("details"))
        else:
            await self.send_frame(frame)
        metrics.answer_replied(frame, received)

    async def handle_host(self, msg: dict) -> None:
        if self.lg is None:
            await self.error(p.E_HELLO_REQUIRED)
            return
        if self.role != p.ROLE_HOST:
            await self.error(p.E_NOT_AUTHORISED)
            return
        hub = await get_hub()
        frame = await hub.command(self.lg, msg)
        if frame is not None:
            await self.error(frame["code"], frame.get("details"))
