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
from realtime.threads import batched, off_thread  # the join threads, not the one sync thread
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


def kicked_device(*, game_id: int, player_id: int) -> str | None:
    """The device a kicked player joined from (device_kicked's rule keeps it out of the game)."""
    device = (
        Player.objects.filter(id=player_id, game_id=game_id, banned=True)
        .values_list("device", flat=True)
        .first()
    )
    return device or None


def player_for_hello(game_id: int, player_id: int, device: str | None) -> Player | None:
    """The token's player; reported as banned when it is, or when this socket comes from a
    device kicked from the game: neither a token made elsewhere nor another player joined from
    the same device before the kick lets it back in (a shared device stays out for everyone on
    it: docs/security.md)."""
    player = Player.objects.select_related("venue").filter(id=player_id, game_id=game_id).first()
    if (
        player is not None
        and not player.banned
        and device
        and device_kicked(game_id=game_id, device=device)
    ):
        player.banned = True  # this socket only: the row is not changed
    return player


def player_seen(*, player_id: int) -> bool:
    """Mark a player as connected; True the first time (they appear in the lobby)."""
    return bool(Player.objects.filter(id=player_id, seen=False).update(seen=True))


def _player_columns() -> list:
    return list(Player._meta.concrete_fields)


def _venue_columns() -> list:
    from realtime.models import Venue

    return list(Venue._meta.concrete_fields)


def _hello_sql() -> str:
    from realtime.models import Venue

    players, venues = Player._meta.db_table, Venue._meta.db_table
    columns = ", ".join(
        [f"p.{f.column}" for f in _player_columns()] + [f"v.{f.column}" for f in _venue_columns()]
    )
    # The device check reads only kicked rows (the player_banned_device index).
    return f"""
WITH p AS (
    SELECT * FROM {players} WHERE id = %(player)s::bigint AND game_id = %(game)s::bigint
), kicked AS (
    SELECT EXISTS (
        SELECT 1 FROM {players} AS k
        WHERE %(device)s::text <> ''
          AND k.game_id = %(game)s::bigint AND k.banned AND k.device = %(device)s::text
    ) AS yes
), arrived AS (
    UPDATE {players} SET seen = true
    WHERE id = %(player)s::bigint AND game_id = %(game)s::bigint AND NOT banned AND NOT seen
      AND NOT (SELECT yes FROM kicked)
    RETURNING id
)
SELECT {columns}, (SELECT yes FROM kicked), EXISTS (SELECT 1 FROM arrived)
FROM p LEFT JOIN {venues} AS v ON v.id = p.venue_id
"""


_HELLO_SQL: str | None = None


def player_hello(game_id: int, player_id: int, device: str | None) -> tuple[Player | None, bool]:
    """A player's hello: the token's player (player_for_hello's rule: reported as banned when
    this socket's device was kicked) and whether this is their first hello, which marks them
    as connected (player_seen) when it is let in.

    On PostgreSQL one statement: the hello used to read the player, then write `seen`, each a
    query for Django to compile, for every phone of the join burst."""
    global _HELLO_SQL
    from django.db import connection

    if connection.vendor != "postgresql":
        player = player_for_hello(game_id, player_id, device)
        if player is None or player.banned:
            return player, False
        return player, player_seen(player_id=player.id)
    if _HELLO_SQL is None:
        _HELLO_SQL = _hello_sql()
    with connection.cursor() as cursor:
        cursor.execute(_HELLO_SQL, {"player": player_id, "game": game_id, "device": device or ""})
        row = cursor.fetchone()
    if row is None:
        return None, False
    player_fields, venue_fields = _player_columns(), _venue_columns()
    n = len(player_fields)
    player = Player.from_db(connection.alias, [f.attname for f in player_fields], row[:n])
    venue_row = row[n : n + len(venue_fields)]
    if player.venue_id is not None and venue_row[0] is not None:
        from realtime.models import Venue

        player.venue = Venue.from_db(connection.alias, [f.attname for f in venue_fields], venue_row)
    else:
        player.venue = None
    kicked, arrived = row[-2], row[-1]
    if kicked:
        player.banned = True  # this socket only: the row is not changed
    elif arrived:
        player.seen = True
    return player, bool(arrived)


async def hello_check(
    game: Game, role: str, msg: dict, scope: dict
) -> tuple[Player | None, bool, str | None]:
    """May this socket take `role` in the game? The player (for a player), else None, whether
    the player just connected for the first time (player_hello), and the socket's device (a
    player's); raises ClientError (and the socket closes) when it may not."""

    if role == p.ROLE_PLAYER:
        ids = read_player_token(msg.get("token"))
        if ids is None or ids[0] != game.id:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        device = device_read((scope.get("cookies") or {}).get(DEVICE_COOKIE))
        player, arrived = await batched(player_hello)(game.id, ids[1], device)
        if player is None:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        if player.banned:
            raise ClientError(p.E_KICKED, close=CLOSE_KICKED)
        return player, arrived, device
    if role == p.ROLE_HOST:
        if not may_host(scope.get("user"), game):
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        return None, False, None
    if "venue" in msg:
        # A venue's screen or MC view: its own key opens its own venue of this game only (not
        # the game's screen, another venue or the host).
        from realtime.venues import venue_by_key

        venue = await off_thread(venue_by_key)(
            venue_id=msg.get("venue"), key=msg.get("key"), game_id=game.id
        )
        if venue is None:
            raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
        return None, False, None
    if not screen_key_ok(game, msg.get("key")):
        raise ClientError(p.E_NOT_AUTHORISED, close=CLOSE_HELLO_FAILED)
    return None, False, None
