"""Where boards live: Redis sorted sets (members are ranking.encode_key strings, so Redis'
lexicographic order is the whole tie-break chain) or an in-process sorted list."""

from __future__ import annotations

import bisect
import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings
from django.core.cache import cache

from contest import ranking

if TYPE_CHECKING:
    from contest.boards.scopes import Scope


# --- Backends --------------------------------------------------------------------------------


STAGE_CHUNK = 10_000  # rows per pipeline when a whole board is written (RedisBoards.stage)
_DISPLAY_KEYS = ("id", "name", "unit", "score", "time_ms", "prediction", "rank")


def _display(row: dict[str, Any]) -> bytes:
    """A row as readers show it: compact UTF-8 JSON (a rebuild writes 100,000 rows: 0.53 s with
    json, 0.30 s with orjson, most of it now building the dict)."""
    return orjson.dumps({k: row.get(k) for k in _DISPLAY_KEYS})


@dataclass(frozen=True)
class Staged:
    """A board written where no reader sees it yet (Boards.stage), for Boards.publish."""

    key: str  # the scope's key
    size: int  # rows
    data: Any  # the backend's: temporary key names, or the sorted rows
    since: Any = None  # Boards.since before the rows were read (None: the caller knows better)


class RedisBoards:
    def __init__(self, url: str, prefix: str):
        import redis

        # Any: redis-py types every reply as "sync or awaitable" (ResponseT), and pipelines as the
        # client; with decode_responses these are the sync client's str/int/list replies.
        self.client: Any = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
        self.prefix = f"{prefix}:lb:"
        self._change_script: Any = None

    def _keys(self, scope: Scope) -> tuple[str, str, str, str]:
        base = self.prefix + scope.key
        return base, base + ":m", base + ":d", base + ":built"

    # Compare-and-delete: only the holder's token ends a lease (a lease that ran out and was
    # taken by another builder is not ended by the first one finishing late).
    _RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

    def lease(self, scope_key: str, seconds: float) -> str | None:
        """The right to build this board, for every process: a token, or None while another
        builder holds it (it ends with release() or after `seconds`)."""
        token = secrets.token_hex(8)
        if self.client.set(
            self.prefix + scope_key + ":lease", token, nx=True, px=int(seconds * 1000)
        ):
            return token
        return None

    def release(self, scope_key: str, token: str) -> None:
        self.client.eval(self._RELEASE, 1, self.prefix + scope_key + ":lease", token)

    def building(self, scope: Scope) -> bool:
        """Somebody holds the right to build this board (lease)."""
        return bool(self.client.exists(self.prefix + scope.key + ":lease"))

    def ready(self, scope: Scope) -> bool:
        return bool(self.client.exists(self._keys(scope)[3]))

    def since(self, scope: Scope) -> str:
        """Taken before a builder reads the rows (stage's `since`): the board's generation. A
        board dropped meanwhile (a correction rebuilt it from newer results) is not replaced by
        one built from older reads; changes recorded meanwhile are applied at publish."""
        return self.client.get(self.prefix + scope.key + ":gen") or "0"

    def stage(self, scope: Scope, rows: list[dict], since: Any = None) -> Staged:
        """Write a whole board where no reader looks (temporary keys); publish() puts it in place.
        Apart, so that a close can write its final board while the database stores the ranks."""
        zkey, mkey, dkey, _built = self._keys(scope)
        # Requests that find a board missing rebuild it at the same time: each writes its own
        # temporary keys (shared ones made the second RENAME fail: "no such key", a 500).
        suffix = ":tmp" + secrets.token_hex(6)
        tmp = [k + suffix for k in (zkey, mkey, dkey)]
        encode = ranking.key_encoder(scope.chain, scope.actual)
        # One pipeline per 10,000 rows, sent by a second thread while this one encodes the next:
        # Redis stores a chunk while Python encodes (at 100,000 rows, a third of the time). One
        # sender, so the chunks arrive in order; the first deletes, the last sets the expiry.
        with ThreadPoolExecutor(1, thread_name_prefix="board-stage") as sender:
            sent = []
            pipe = self.client.pipeline(transaction=False)
            pipe.delete(*tmp)
            for start in range(0, len(rows), STAGE_CHUNK):
                chunk = rows[start : start + STAGE_CHUNK]
                ids = [r["id"] for r in chunk]
                members = list(map(encode, chunk))
                pipe.zadd(tmp[0], dict.fromkeys(members, 0))
                pipe.hset(tmp[1], mapping=dict(zip(ids, members, strict=True)))
                pipe.hset(tmp[2], mapping=dict(zip(ids, map(_display, chunk), strict=True)))
                sent.append(sender.submit(pipe.execute))
                pipe = self.client.pipeline(transaction=False)
            for key in tmp:
                pipe.expire(key, 3600)  # a rebuild that dies half-way leaves nothing for long
            sent.append(sender.submit(pipe.execute))
            for reply in sent:
                reply.result()
        return Staged(scope.key, len(rows), tmp, since)

    # Put a staged board in place, in one step: first the changes recorded while it was being
    # built (pending: the builder read the results before them), then the renames. A reader or a
    # writer sees the old board (missing) or the new one with every change, never one without.
    _PUBLISH = """
    local tz, tm, td, z, m, d, built, pending, gen = unpack(KEYS)
    if ARGV[3] ~= '' and (redis.call('get', gen) or '0') ~= ARGV[3] then
      redis.call('del', tz, tm, td)  -- dropped since its rows were read: a newer build exists
      return 0
    end
    local changes = redis.call('hgetall', pending)
    for i = 1, #changes, 2 do
      local id, change = changes[i], cjson.decode(changes[i + 1])
      local old = redis.call('hget', tm, id)
      if old then redis.call('zrem', tz, old) end
      if change[1] then
        redis.call('zadd', tz, 0, change[1])
        redis.call('hset', tm, id, change[1])
        redis.call('hset', td, id, change[2])
      else
        redis.call('hdel', tm, id)
        redis.call('hdel', td, id)
      end
    end
    local sources, targets = {tz, tm, td}, {z, m, d}
    for i = 1, 3 do
      if redis.call('exists', sources[i]) == 1 then
        redis.call('rename', sources[i], targets[i])
        redis.call('persist', targets[i])
      else
        redis.call('del', targets[i])
      end
    end
    redis.call('del', pending)
    redis.call('set', built, 1)
    if ARGV[1] ~= '' then redis.call('sadd', ARGV[1], ARGV[2]) end
    """

    def publish(self, scope: Scope, staged: Staged) -> None:
        assert staged.key == scope.key
        zkey, mkey, dkey, built = self._keys(scope)
        family = self.prefix + scope.family + ":keys" if scope.family else ""
        self.client.eval(
            self._PUBLISH,
            9,
            *staged.data,
            zkey,
            mkey,
            dkey,
            built,
            zkey + ":pending",
            zkey + ":gen",
            family,
            scope.key,
            "" if staged.since is None else staged.since,
        )

    def pending(self, scope: Scope, row_id: int, row: dict | None) -> None:
        """A change the board being built must take in (publish applies it): `row`, or None
        for a row that left the board."""
        change = [] if row is None else [ranking.encode_key(row, scope.chain, scope.actual)]
        if row is not None:
            change.append(_display(row).decode())
        key = self._keys(scope)[0] + ":pending"
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(key, str(row_id), json.dumps(change))
        pipe.expire(key, 3600)  # a board nobody builds: its next build reads the results anyway
        pipe.execute()

    # One row of a board in place changes, in one round trip and atomically: nothing if the board
    # is not in place (0), else the row put (its old ranking key replaced) or, with an empty
    # member, taken off; a change recorded for it while the board was built is dropped.
    # KEYS: the ranking, the members, the display rows, the "built" mark, the pending changes.
    # ARGV: row id, its ranking key ("" to take it off), its display row.
    _CHANGE = """
if redis.call('exists', KEYS[4]) == 0 then return 0 end
local old = redis.call('hget', KEYS[2], ARGV[1])
redis.call('hdel', KEYS[5], ARGV[1])
if ARGV[2] == '' then
  if old then
    redis.call('zrem', KEYS[1], old)
    redis.call('hdel', KEYS[2], ARGV[1])
    redis.call('hdel', KEYS[3], ARGV[1])
  end
  return 1
end
if old and old ~= ARGV[2] then redis.call('zrem', KEYS[1], old) end
redis.call('zadd', KEYS[1], 0, ARGV[2])
redis.call('hset', KEYS[2], ARGV[1], ARGV[2])
redis.call('hset', KEYS[3], ARGV[1], ARGV[3])
return 1
"""

    def change(self, scope: Scope, row_id: int, row: dict | None) -> bool:
        """The row `row_id` of the board in place becomes `row` (None: it leaves the board);
        False, and nothing done, when the board is not in place."""
        zkey, mkey, dkey, built = self._keys(scope)
        display: bytes = b""
        if row is None:
            member = ""
        else:
            member = ranking.encode_key(row, scope.chain, scope.actual)
            display = _display(row)
        if self._change_script is None:
            self._change_script = self.client.register_script(self._CHANGE)
        keys = [zkey, mkey, dkey, built, zkey + ":pending"]
        return bool(self._change_script(keys=keys, args=[str(row_id), member, display]))

    def slice(self, scope: Scope, start: int, stop: int) -> list[dict]:
        zkey, _m, dkey, _b = self._keys(scope)
        members = self.client.zrange(zkey, max(0, start), stop - 1)
        if not members:
            return []
        ids = [m.rsplit(".", 1)[1].lstrip("0") or "0" for m in members]
        out = []
        raws = self.client.hmget(dkey, ids)
        for position, (member, raw) in enumerate(
            zip(members, raws, strict=True), max(0, start) + 1
        ):
            if raw:
                out.append(dict(json.loads(raw), position=position, _tie=_tie_of(member)))
        return out

    def ahead(self, scope: Scope, tie: str) -> int:
        """How many rows rank strictly before rows with this tie key."""
        return int(self.client.zlexcount(self._keys(scope)[0], "-", "(" + tie))

    def rank_row(self, scope: Scope, row_id: int) -> tuple[bool, dict | None, int]:
        """(board built?, the row with its position or None, board size) in two round trips:
        my-rank is asked far more often than anything else on a big board."""
        zkey, mkey, dkey, built = self._keys(scope)
        ready, member, raw, total = (
            self.client.pipeline(transaction=False)
            .exists(built)
            .hget(mkey, row_id)
            .hget(dkey, row_id)
            .zcard(zkey)
            .execute()
        )
        if not ready or member is None or raw is None:
            return bool(ready), None, int(total)
        rank, ahead = (
            self.client.pipeline(transaction=False)
            .zrank(zkey, member)
            .zlexcount(zkey, "-", "(" + _tie_of(member))
            .execute()
        )
        if rank is None:
            return True, None, int(total)
        return True, dict(json.loads(raw), position=rank + 1, _ahead=int(ahead)), int(total)

    def position(self, scope: Scope, row_id: int) -> int | None:
        zkey, mkey, _d, _b = self._keys(scope)
        member = self.client.hget(mkey, row_id)
        if member is None:
            return None
        rank = self.client.zrank(zkey, member)
        return None if rank is None else rank + 1

    def count(self, scope: Scope) -> int:
        return int(self.client.zcard(self._keys(scope)[0]))

    def drop(self, scope_key: str) -> None:
        base = self.prefix + scope_key
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(base, base + ":m", base + ":d", base + ":built", base + ":pending")
        pipe.incr(base + ":gen")  # a build from reads before this drop is not put in place
        pipe.execute()

    def drop_family(self, family: str) -> None:
        """Drop every board published under this family (Scope.family)."""
        index = self.prefix + family + ":keys"
        members = list(self.client.smembers(index))
        for scope_key in members:
            self.drop(scope_key)
        if members:  # only these: a board published meanwhile stays in the index
            self.client.srem(index, *members)


class MemoryBoards:
    """Per-process fallback: a sorted list per scope, rebuilt from the database whenever another
    process (or this one) changed the board (a version number in the cache says so)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.boards: dict[str, tuple[int, list[str], dict[int, str], dict[int, dict]]] = {}
        self.leases: dict[str, str] = {}  # per process: each process builds its own copy

    def lease(self, scope_key: str, seconds: float) -> str | None:
        with self.lock:
            if scope_key in self.leases:
                return None
            token = self.leases[scope_key] = secrets.token_hex(8)
            return token

    def release(self, scope_key: str, token: str) -> None:
        with self.lock:
            if self.leases.get(scope_key) == token:
                del self.leases[scope_key]

    def building(self, scope: Scope) -> bool:
        return scope.key in self.leases

    def _version(self, scope: Scope) -> int:
        return int(cache.get(f"lbv:{scope.key}") or 0)

    def _bump(self, scope_key: str) -> None:
        try:
            cache.incr(f"lbv:{scope_key}")
        except ValueError:
            cache.set(f"lbv:{scope_key}", 1, None)

    def ready(self, scope: Scope) -> bool:
        board = self.boards.get(scope.key)
        return board is not None and board[0] == self._version(scope)

    def since(self, scope: Scope) -> int:
        return self._version(scope)

    def stage(self, scope: Scope, rows: list[dict], since: Any = None) -> Staged:
        # The version before the rows were read (since): a change recorded meanwhile (pending)
        # leaves the board published from them stale, rebuilt on its next read.
        version = self._version(scope) if since is None else since
        encode = ranking.key_encoder(scope.chain, scope.actual)
        encoded = sorted(((encode(r), r) for r in rows), key=lambda mr: mr[0])
        return Staged(scope.key, len(rows), (version, encoded))

    def publish(self, scope: Scope, staged: Staged) -> None:
        assert staged.key == scope.key
        version, encoded = staged.data
        with self.lock:
            self.boards[scope.key] = (
                version,
                [m for m, _ in encoded],
                {r["id"]: m for m, r in encoded},
                {r["id"]: r for _, r in encoded},
            )

    def change(self, scope: Scope, row_id: int, row: dict | None) -> bool:
        if not self.ready(scope):
            return False
        self._bump(scope.key)  # every process rebuilds from the database on its next read
        return True

    def pending(self, scope: Scope, row_id: int, row: dict | None) -> None:
        self._bump(scope.key)

    def slice(self, scope: Scope, start: int, stop: int) -> list[dict]:
        _v, members, _m, data = self.boards[scope.key]
        out = []
        for position, member in enumerate(members[max(0, start) : stop], start=max(0, start) + 1):
            row = data[int(member.rsplit(".", 1)[1])]
            out.append(dict(json.loads(_display(row)), position=position, _tie=_tie_of(member)))
        return out

    def ahead(self, scope: Scope, tie: str) -> int:
        return bisect.bisect_left(self.boards[scope.key][1], tie)

    def position(self, scope: Scope, row_id: int) -> int | None:
        _v, members, by_id, _d = self.boards[scope.key]
        member = by_id.get(row_id)
        return None if member is None else bisect.bisect_left(members, member) + 1

    def count(self, scope: Scope) -> int:
        return len(self.boards[scope.key][1])

    def drop(self, scope_key: str) -> None:
        self.boards.pop(scope_key, None)
        self._bump(scope_key)  # a build from reads before this drop is stale once published

    def drop_family(self, family: str) -> None:
        with self.lock:
            keys = [k for k in self.boards if k.startswith(family + ":")]
        for scope_key in keys:
            self.drop(scope_key)


_backend = None


def backend():
    global _backend
    if _backend is None:
        url = getattr(settings, "REDIS_URL", "")
        _backend = RedisBoards(url, settings.CHANNEL_PREFIX) if url else MemoryBoards()
    return _backend


def _tie_of(member: str) -> str:
    """A board member without its participant id: equal for rows that tie on the chain."""
    return member.rsplit(".", 1)[0]
