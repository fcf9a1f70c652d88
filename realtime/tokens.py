"""Player tokens: signed (django.core.signing) proof of "player P of game G", issued at join."""

from __future__ import annotations

from django.core import signing

_SALT = "realtime.player"


def player_token(*, game_id: int, player_id: int) -> str:
    return signing.dumps({"g": game_id, "p": player_id}, salt=_SALT, compress=False)


def read_player_token(token: object) -> tuple[int, int] | None:
    """(game id, player id) or None for a bad token."""
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        data = signing.loads(token, salt=_SALT)
        return int(data["g"]), int(data["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
