"""The game WebSocket: one small ASGI socket for the three roles (player, host, screen).

Hello checks access (realtime/access.py), registers the socket with its game in the process hub
and sends the state snapshot; answers and host commands go to realtime/actions.py. Broadcasts
reach the socket through the hub's fan-out (realtime/socket.py: `write_now`, `send_shared`).
"""

from __future__ import annotations

import time

from django.utils import translation

from core import logs, metrics
from realtime import actions, venue_live
from realtime import protocol as p
from realtime.access import hello_check
from realtime.frames import CLOSE_HELLO_FAILED, CLOSE_NOT_FOUND, CLOSE_REPLACED, ClientError
from realtime.hub import LocalGame, get_hub
from realtime.models import Player
from realtime.socket import LiveSocket
from realtime.wire import dumps

__all__ = ["CLOSE_HELLO_FAILED", "GameSocket"]


class GameSocket(LiveSocket):
    client_types = p.CLIENT_TYPES

    def __init__(self, scope: dict, send):
        super().__init__(scope, send)
        self.lg: LocalGame | None = None
        self.venue: tuple[int, bool] | None = None  # (venue id, MC view): realtime/venue_live.py
        try:
            self.game_id = int(scope["url_route"]["kwargs"]["game_id"])
        except (KeyError, TypeError, ValueError):
            self.game_id = 0

    async def run(self, receive) -> None:
        logs.bind_socket(self.scope, self.game_id)
        await super().run(receive)

    def detach(self) -> None:
        metrics.socket_closed(self)
        lg = self.lg
        if lg is None:
            return
        if (
            self.role == p.ROLE_PLAYER
            and self.player_id is not None
            and lg.players.get(self.player_id) is self
        ):
            del lg.players[self.player_id]
        lg.hosts.discard(self)
        lg.screens.discard(self)

    async def snapshot_text(self, player: Player | None) -> str:
        assert self.lg is not None  # after a hello
        assert self.role is not None
        hub = await get_hub()
        with translation.override(self.lang):
            return dumps(await actions.snapshot(hub, self.lg, self.role, player))

    async def resync(self, player: Player | None) -> None:
        """The hub lost its bus: this socket's full state again."""
        await self.send_text(await self.snapshot_text(player))

    # --- handlers ------------------------------------------------------------------------------

    async def handle_hello(self, msg: dict) -> None:
        self.hello_lang(msg)
        role = msg.get("role")
        if role not in p.ROLES:
            raise ClientError(p.E_MALFORMED)
        hub = await get_hub()
        lg = await hub.game(self.game_id)
        if lg is None:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_NOT_FOUND)
        player, arrived = await hello_check(lg.game, role, msg, self.scope)
        self.detach()
        self.role, self.lg = role, lg
        # hello_check accepted the venue's key for this venue (screen role only).
        self.venue = (
            (msg["venue"], msg.get("mc") is True)
            if role == p.ROLE_SCREEN and "venue" in msg
            else None
        )
        metrics.socket_opened(self, role)
        self.hold()
        if player is not None:
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
            await self.release_after(self.snapshot_text(player))
        finally:
            # The hello marked them connected: count them in even if the snapshot failed.
            if player is not None and arrived:
                await actions.player_arrived(hub, lg, player)
        if player is None:
            await venue_live.attach(hub, lg, self)

    def _joined(self, role: str) -> LocalGame:
        if self.lg is None:
            raise ClientError(p.E_HELLO_REQUIRED)
        if self.role != role:
            raise ClientError(p.E_NOT_AUTHORISED)
        return self.lg

    async def handle_answer(self, msg: dict) -> None:
        lg = self._joined(p.ROLE_PLAYER)
        if self.player_id is None:  # a player's hello sets it
            raise ClientError(p.E_NOT_AUTHORISED)
        received = time.perf_counter()
        try:
            frame = await actions.answer(await get_hub(), lg, self.player_id, msg)
        except ClientError as exc:
            metrics.answer_replied(exc.frame(), received)
            raise
        await self.send_frame(frame)
        metrics.answer_replied(frame, received)

    async def handle_host(self, msg: dict) -> None:
        lg = self._joined(p.ROLE_HOST)
        await actions.command(await get_hub(), lg, msg)
