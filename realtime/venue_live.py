"""The live side of venues (realtime/venues.py): the "venues" frame the host console, the venue
screens and the MC views get about once a second (venue screens' access: realtime/access.py).

Question, timer and reveal frames reach venue screens by the game's one fan-out (the same bytes
as the main screen), so every venue shows the same question with the same server deadline. The
"venues" frame is built from the database by each process that holds staff sockets of the game
(one grouped query per second, whatever the number of players) and written to its local staff
sockets only: no bus traffic. The process also marks its venue screens as seen, so the host
console (in any process) can tell an offline screen.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

from realtime import engine
from realtime import protocol as p
from realtime.models import Game, Venue
from realtime.venues import venue_board_for_game, venue_settings, venue_status

if TYPE_CHECKING:
    from realtime.consumers import GameSocket
    from realtime.hub import Hub, LocalGame

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0
# A venue screen not seen by any process for this long shows as offline on the host console.
SCREEN_STALE_MS = 4000
BOARD_PHASES = {engine.REVEAL, engine.LEADERBOARD, engine.PODIUM, engine.ENDED}

db = database_sync_to_async


async def attach(hub: Hub, lg: LocalGame, sock: GameSocket) -> None:
    """A host or screen joined this process: when the game has venues, make sure its venues
    ticker runs and wake it, so the new socket hears the venues' status at once (a reloaded
    venue screen is back in its full state within a tick)."""
    if sock.venue is None and not await db(Venue.objects.filter(game_id=lg.id).exists)():
        return
    if lg.venue_ticker is None or lg.venue_ticker.done() or lg.venue_wake is None:
        lg.venue_wake = asyncio.Event()
        lg.venue_ticker = asyncio.ensure_future(_run(hub, lg, lg.venue_wake))
    lg.venue_wake.set()


def _local_venue_screens(lg: LocalGame) -> list[int]:
    return sorted(
        {
            venue[0]
            for venue, closed in (
                (getattr(s, "venue", None), getattr(s, "closed", False)) for s in lg.screens
            )
            if venue and not venue[1] and not closed
        }
    )


def _frame(game_id: int, seen: list[int], now: int) -> dict[str, Any] | None:
    if seen:
        Venue.objects.filter(game_id=game_id, id__in=seen).update(screen_seen_ms=now)
    game = Game.objects.filter(id=game_id).first()
    if game is None:
        return None
    state = game.state or {}
    q = state.get("q")
    status = venue_status(game_id=game_id, q=q, seen_after_ms=now - SCREEN_STALE_MS)
    if status is None:
        return None
    settings = venue_settings(game)
    frame: dict[str, Any] = {
        "type": p.S_VENUES,
        "q": q,
        "phase": game.phase,
        "method": settings["method"],
        "k": settings["k"],
        "podium": settings["podium"],
        **status,
        "board": None,
    }
    if game.phase in BOARD_PHASES and q is not None:
        frame["board"] = venue_board_for_game(game=game)
    return frame


async def _run(hub: Hub, lg: LocalGame, wake: asyncio.Event) -> None:
    from realtime.hub import TO_STAFF
    from realtime.wire import dumps, now_ms

    while lg.hosts or lg.screens:
        try:
            frame = await db(_frame)(lg.id, _local_venue_screens(lg), now_ms())
        except Exception:
            logger.exception("venues frame failed for game %s", lg.id)
            frame = None
        if frame is not None:
            await hub.send_all(lg, TO_STAFF, dumps(frame))
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), TICK_SECONDS)
        except TimeoutError:
            pass
