"""Frame encoding and the direct writer: how text reaches a WebSocket, below the ASGI send.

A broadcast is serialised once (`dumps`) and framed once (`ws_text_frame`); the same bytes then go
to every local socket (`DirectWriter.write` under Daphne, the ASGI send otherwise).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import orjson
from django.conf import settings


def now_ms() -> int:
    return int(time.time() * 1000)


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def without_session_save(send):
    """The send callable below Channels' session middleware, for data frames only.

    SessionMiddleware wraps `send` to save the session on "http.response.start"; for every
    WebSocket frame it still reads `scope["session"].modified` and `.is_empty()` through a lazy
    object and the settings (7 % of the server's CPU in a 2,000-player profile). A live socket
    never changes the session, so its data frames skip that wrapper; accept and close keep it.
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


def direct_writer(send) -> DirectWriter | None:
    """The DirectWriter for this socket when the server is Daphne (None otherwise)."""
    if not getattr(settings, "LIVE_DIRECT_WRITE", True):
        return None
    inner = without_session_save(send)
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
