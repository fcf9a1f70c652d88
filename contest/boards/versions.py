"""Version counters: when a process's copy of a round's row or of a rendered board is stale."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache

from contest.boards.backends import RedisBoards, _tie_of, backend

if TYPE_CHECKING:
    from contest.boards.scopes import Scope

# --- Version counters ------------------------------------------------------------------------
# Server processes keep copies of a round's row and of rendered boards; two counters per round,
# shared by every process, say when a copy is out of date: the round's row changed (a save, see
# apps.py) and the board was rebuilt (closing, corrections). With Redis they live next to the
# boards and are read with one MGET on the module's own connection pool (Django's cache client is
# per thread, and under ASGI every request runs in a new thread: a new connection per request).


def redis_client():
    """The boards' Redis client, or None on the embedded defaults (no Redis)."""
    b = backend()
    return b.client if isinstance(b, RedisBoards) else None


async def rank_row_async(client, scope: Scope, row_id: int) -> tuple[bool, dict | None, int]:
    """RedisBoards.rank_row with an asyncio Redis client (the ASGI fast path)."""
    zkey, mkey, dkey, built = backend()._keys(scope)
    async with client.pipeline(transaction=False) as pipe:
        pipe.exists(built).hget(mkey, row_id).hget(dkey, row_id).zcard(zkey)
        ready, member, raw, total = await pipe.execute()
    if not ready or member is None or raw is None:
        return bool(ready), None, int(total)
    async with client.pipeline(transaction=False) as pipe:
        pipe.zrank(zkey, member).zlexcount(zkey, "-", "(" + _tie_of(member))
        rank, ahead = await pipe.execute()
    if rank is None:
        return True, None, int(total)
    return True, dict(json.loads(raw), position=rank + 1, _ahead=int(ahead)), int(total)


def version_keys(round_id: int) -> tuple[str, str]:
    return _version_keys(round_id)


def _version_keys(round_id: int) -> tuple[str, str]:
    prefix = f"{settings.CHANNEL_PREFIX}:lb:"
    return f"{prefix}rowver:{round_id}", f"{prefix}ver:{round_id}"


def round_versions(round_id: int) -> tuple[int, int]:
    """(version of the round's row, version of its boards)."""
    client = redis_client()
    if client is None:
        return (
            int(cache.get(f"lbrowver:{round_id}") or 0),
            int(cache.get(f"lbver:{round_id}") or 0),
        )
    row, board = client.mget(_version_keys(round_id))
    return int(row or 0), int(board or 0)


def board_version(round_id: int) -> int:
    """Cached API payloads include this: corrections and closing invalidate them at once."""
    return round_versions(round_id)[1]


def _bump(key: str, fallback: str) -> None:
    client = redis_client()
    if client is not None:
        client.incr(key)
        return
    try:
        cache.incr(fallback)
    except ValueError:
        cache.set(fallback, 1, None)


def bump_version(round_id: int) -> None:
    _bump(_version_keys(round_id)[1], f"lbver:{round_id}")


def frozen_family(round_id: int) -> str:
    """The family of a round's frozen boards (one per freeze moment and chain they were built
    at: Scope.family)."""
    return f"r{round_id}:frozen"


def round_changed(round_id: int) -> None:
    """A round's row (or its contest's) changed: every process drops its copy, and the frozen
    boards are rebuilt on their next read (the freeze may have moved)."""
    backend().drop_family(frozen_family(round_id))
    _bump(_version_keys(round_id)[0], f"lbrowver:{round_id}")
