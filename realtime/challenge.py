"""The optional rotating join challenge for big events.

When a game's `join_challenge` setting is on, joining needs a short code shown on the ceremony
screen, so a bot that only knows the PIN (shared online, guessed) cannot join. The code is derived
on the server: HMAC(game secret, time window), WINDOW_SECONDS long, and the previous window's code
is accepted too (a player typing while it rotates). Nothing is stored.

A game with venues has one code per venue, shown on that venue's screen only, and a player joins
a venue with its code: anyone with the PIN could otherwise join a rival venue from anywhere and
pull its mean down (realtime/venues.py). The game's own screen, often broadcast to every venue,
shows no code then.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotFoundError
from core.text import digit_code
from realtime.access import MSG_GAME_NOT_FOUND, may_host
from realtime.models import Game

WINDOW_SECONDS = 30
DIGITS = 4

# A wrong code counts as a wrong PIN toward the address's lockout (core/ratelimit.py).
CODE_WRONG = "challenge_wrong"

MSG_CHALLENGE_REQUIRED = _("This game needs the join code shown on the big screen.")
MSG_CHALLENGE_WRONG = _("This join code is wrong or has expired. Enter the code on the big screen.")


def challenge_enabled(game: Game) -> bool:
    return bool((game.settings or {}).get("join_challenge"))


def _window(now: float) -> int:
    return int(now // WINDOW_SECONDS)


def challenge_code(secret: str, window: int, venue_id: int | None = None) -> str:
    """The code of a time window: the game's, or one venue's (another code for each venue)."""
    scope = f"join-challenge:{window}" if venue_id is None else f"join-venue:{venue_id}:{window}"
    digest = hmac.new(secret.encode(), scope.encode(), hashlib.sha256)
    return str(int.from_bytes(digest.digest()[:8], "big") % 10**DIGITS).zfill(DIGITS)


def challenge_current(
    *, game: Game, venue_id: int | None = None, now: float | None = None
) -> dict[str, Any]:
    """What a screen shows: the code and when it changes (ms since the epoch). The screen of a
    venue (`venue_id`) shows its venue's code; in a game with venues, the game's screen and the
    host's console show none (`per_venue`: each venue's screen shows its own)."""
    from realtime.venues import game_venues

    now = time.time() if now is None else now
    if not challenge_enabled(game):
        return {"enabled": False, "code": None, "expires_at": None, "window": WINDOW_SECONDS}
    window = _window(now)
    per_venue = venue_id is None and bool(game_venues(game))
    return {
        "enabled": True,
        "code": None if per_venue else challenge_code(game.secret, window, venue_id),
        "per_venue": per_venue,
        "expires_at": (window + 1) * WINDOW_SECONDS * 1000,
        "window": WINDOW_SECONDS,
        "now": int(now * 1000),
    }


def challenge_check(
    *, game: Game, code: Any, venue_id: int | None = None, now: float | None = None
) -> None:
    """Raise a precise error unless the game needs no code or `code` is the current/previous one
    (of the venue the player joins, in a game with venues)."""
    if not challenge_enabled(game):
        return
    if code is None or (isinstance(code, str) and not code.strip()):
        raise ApplicationError("challenge_required", MSG_CHALLENGE_REQUIRED)
    given = digit_code(code, max_length=DIGITS)  # "" (not the code's digits) matches no code
    window = _window(time.time() if now is None else now)
    accepted = [challenge_code(game.secret, w, venue_id) for w in (window, window - 1)]
    # Compare with every accepted code (no early exit): timing says nothing about which matched.
    if not any([hmac.compare_digest(given.encode(), c.encode()) for c in accepted]):
        raise ApplicationError(CODE_WRONG, MSG_CHALLENGE_WRONG)


def join_challenge_set(*, game_id: int, host, on: bool) -> Game:
    """Turn the join challenge on or off (the host of the game only)."""
    game = Game.objects.filter(id=game_id).first()
    if game is None or not may_host(host, game):
        raise NotFoundError("not_found", MSG_GAME_NOT_FOUND)
    settings = {**(game.settings or {}), "join_challenge": bool(on)}
    Game.objects.filter(id=game.id).update(settings=settings)
    game.settings = settings
    return game
