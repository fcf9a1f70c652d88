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
from realtime.frames import (
    CLOSE_HELLO_FAILED,
    CLOSE_KICKED,
    CLOSE_NOT_FOUND,
    CLOSE_REPLACED,
    ClientError,
    kicked_frame,
)
from realtime.hub import LocalGame, get_hub
from realtime.models import Player
from realtime.socket import LiveSocket
from realtime.wire import dumps

__all__ = ["CLOSE_HELLO_FAILED", "GameSocket", "JoinSocket"]


class GameSocket(LiveSocket):
    client_types: tuple[str, ...] = p.CLIENT_TYPES

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
        player, arrived, device = await hello_check(lg.game, role, msg, self.scope)
        # hello_check accepted the venue's key for this venue (screen role only).
        venue = (
            (msg["venue"], msg.get("mc") is True)
            if role == p.ROLE_SCREEN and "venue" in msg
            else None
        )
        await self.enter(hub, lg, role, player, arrived, venue, device)

    async def enter(
        self,
        hub,
        lg: LocalGame,
        role: str,
        player: Player | None,
        arrived: bool,
        venue: tuple[int, bool] | None,
        device: str | None = None,
    ) -> None:
        """Take the role the hello (or the join frame) was granted: register with the game in
        this process, then the state snapshot, ahead of any broadcast."""
        self.detach()
        self.role, self.lg = role, lg
        self.venue = venue
        metrics.socket_opened(self, role)
        self.hold()
        if player is not None:
            self.player_id = player.id
            self.device = device
            previous = lg.players.get(player.id)
            lg.players[player.id] = self
            if previous is not None and previous is not self:
                await previous.close(CLOSE_REPLACED)
            if device is not None and device in lg.kicked_devices:
                # The host kicked a player of this device while this one was joining (after
                # its join or hello was let in, before it got here): out as if it had been
                # playing (docs/security.md), still counted in as it was let in.
                del lg.players[player.id]
                try:
                    await self.send_text(dumps(kicked_frame()), now=True)
                    await self.close(CLOSE_KICKED)
                finally:
                    if arrived:
                        await actions.player_arrived(hub, lg, player)
                return
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


class JoinSocket(GameSocket):
    """/ws/join/: a phone looks its PIN up (protocol.C_LOOKUP), joins with one frame (C_JOIN)
    and plays on the same socket, where a ceremony's join burst made two HTTP requests and then
    opened a socket and said hello (bench/README.md): one connection, and one hop to the database
    threads per step. The look-up and the join are the API's (realtime/join.py lookup_limited,
    join_limited: the same limits, input, service and error body); `found` and `joined` carry
    the API's bodies (`joined` the token for later hellos on /ws/game/<id>/), then comes the
    state as after a hello. A refusal leaves the socket open for the next try."""

    client_types = (*p.CLIENT_TYPES, p.C_LOOKUP, p.C_JOIN)
    # A phone opens it at the form: the player may take a while to type a name.
    identify_within = "WS_JOIN_IDLE_SECONDS"

    def __init__(self, scope: dict, send):
        super().__init__(scope, send)
        self.looked_up: int | None = None  # the game of the last PIN looked up here

    async def handle_lookup(self, msg: dict) -> None:
        """The PIN look-up's answer (the form asks for the screen's code and a venue at once)."""
        from realtime.join import socket_lookup

        if self.lg is not None:
            raise ClientError(p.E_INVALID_ACTION)
        self.hello_lang(msg)
        body = await socket_lookup(self.scope, msg.get("pin"), self.lang)
        if "code" in body:
            raise ClientError(body["code"], body["details"], message=body["message"])
        # The game in this process now (its player count first: see handle_join).
        if await (await get_hub()).game(body["game"]) is not None:
            self.looked_up = body["game"]
        await self.send_text(dumps({"type": p.S_FOUND, **body}), now=True)

    async def handle_join(self, msg: dict) -> None:
        from realtime.access import player_hello
        from realtime.join import socket_join
        from realtime.threads import batched

        if self.lg is not None:
            raise ClientError(p.E_INVALID_ACTION)  # one join per socket: it plays from here on
        self.hello_lang(msg)
        data = {name: msg[name] for name in p.JOIN_FIELDS if name in msg}
        hub = await get_hub()
        # The hello that counts a player in must come after this process loaded the game, which
        # starts its player count from the players already counted in: a player counted in
        # before that is counted twice. One hop for both when the look-up loaded it.
        held = self.looked_up if self.looked_up in hub.games else None
        status, body, device, player, arrived = await socket_join(self.scope, data, self.lang, held)
        if status != 201:
            raise ClientError(body["code"], body["details"], message=body["message"])
        lg = await hub.game(body["game"])
        if lg is None:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_NOT_FOUND)
        if player is None:
            player, arrived = await batched(player_hello)(body["game"], body["player"], device)
        if player is None:  # joined, then gone (the game was deleted)
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_NOT_FOUND)
        if player.banned:  # kicked the moment they joined
            raise ClientError(p.E_KICKED, close=CLOSE_KICKED)
        self.game_id = player.game_id
        await self.send_text(dumps({"type": p.S_JOINED, **body}), now=True)
        await self.enter(hub, lg, p.ROLE_PLAYER, player, arrived, None, device)
