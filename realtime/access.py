"""Who may host, watch (screen) or play a live game: one home for each rule.

The WebSocket hello (`hello_check`), the REST endpoints (realtime/apis.py, the QR code page), the
join challenge's settings and the services all ask here.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from realtime import protocol as p
from realtime.device import DEVICE_COOKIE, device_read
from realtime.frames import CLOSE_HELLO_FAILED, CLOSE_KICKED, ClientError
from realtime.models import Game, Player
from realtime.threads import off_thread  # the join threads, not the one sync thread
from realtime.tokens import read_player_token

# The answer to anyone who may not see a game: the same as for a game that does not exist.
MSG_GAME_NOT_FOUND = _("Game not found.")


def may_host(user: Any, game: Game) -> bool:
    """The game's host: its signed-in creator, nobody else (not even staff)."""
    return bool(getattr(user, "is_authenticated", False)) and user.id == game.host_id


def screen_key_ok(game: Game, key: Any) -> bool:
    """The screen's secret key, compared in constant time."""
    return isinstance(key, str) and hmac.compare_digest(key.encode(), game.screen_key.encode())


def may_watch(game: Game, *, user: Any, key: Any) -> bool:
    """The host or a screen (its key, or a venue's key: realtime/venues.py): who may see the
    join code and the game's screen data."""
    from realtime.venues import venue_key_of_game

    return (
        screen_key_ok(game, key)
        or may_host(user, game)
        or venue_key_of_game(game_id=game.id, key=key)
    )


def device_kicked(*, game_id: int, device: str | None, user=None) -> bool:
    """Whether this device (realtime.device) or account has a kicked player in the game."""
    account = user if getattr(user, "is_authenticated", False) else None
    if not device and account is None:
        return False
    same = Q(device=device) if device else Q(pk__in=[])
    if account is not None:
        same |= Q(user=account)
    return Player.objects.filter(same, game_id=game_id, banned=True).exists()


def player_for_hello(game_id: int, player_id: int, device: str | None) -> Player | None:
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


async def hello_check(game: Game, role: str, msg: dict, scope: dict) -> Player | None:
    """May this socket take `role` in the game? The player (for a player), else None; raises
    ClientError (and the socket closes) when it may not."""

    if role == p.ROLE_PLAYER:
        ids = read_player_token(msg.get("token"))
        if ids is None or ids[0] != game.id:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        device = device_read((scope.get("cookies") or {}).get(DEVICE_COOKIE))
        player = await off_thread(player_for_hello)(game.id, ids[1], device)
        if player is None:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        if player.banned:
            raise ClientError(p.E_KICKED, close=CLOSE_KICKED)
        return player
    if role == p.ROLE_HOST:
        if not may_host(scope.get("user"), game):
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        return None
    if "venue" in msg:
        # A venue's screen or MC view: its own key opens its own venue of this game only (not
        # the game's screen, another venue or the host).
        from realtime.venues import venue_by_key

        venue = await off_thread(venue_by_key)(
            venue_id=msg.get("venue"), key=msg.get("key"), game_id=game.id
        )
        if venue is None:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        return None
    if not screen_key_ok(game, msg.get("key")):
        raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
    return None
