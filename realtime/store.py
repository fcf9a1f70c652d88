"""Where live game state lives: one interface, an in-memory and a Redis implementation.

The store is a cache and a bus, never the system of record (PostgreSQL is): it keeps the current
live state of each game (no short expiry: it lives as long as the event), answer counters, and
carries one message per game event to every server process (`publish` / `listen`).

Redis may restart and come back empty (it keeps nothing on disk). Commands ride over a short outage
(retries with backoff); when the bus listener reconnects after losing Redis, the counters of the
games this process serves are re-seeded from PostgreSQL and the callback receives `RESYNC`, so the
hub can reload state from PostgreSQL and resend it to its sockets (events published while Redis
was down are lost with it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import lru_cache

import orjson
from django.conf import settings

logger = logging.getLogger(__name__)

STATE_TTL_AFTER_END = 24 * 3600
# Delivered to the listen() callback after the bus was lost and regained (not a game event).
RESYNC = b'{"g":0,"resync":1}'


class LiveStore:
    async def ping(self) -> None:
        raise NotImplementedError

    async def state_get(self, game_id: int) -> dict | None:
        raise NotImplementedError

    async def state_set(self, game_id: int, state: dict) -> None:
        """Cache a state unless a newer one (higher seq) is already there."""
        raise NotImplementedError

    async def answered_incr(self, game_id: int, q: int, n: int) -> int:
        raise NotImplementedError

    async def answered_get(self, game_id: int, q: int) -> int:
        raise NotImplementedError

    async def players_set(self, game_id: int, count: int) -> None:
        """Initialise the connected-players counter (only when it is missing)."""
        raise NotImplementedError

    async def players_incr(self, game_id: int, delta: int) -> int:
        raise NotImplementedError

    async def players_get(self, game_id: int) -> int | None:
        raise NotImplementedError

    async def publish(self, data: bytes) -> None:
        """Send one event to every server process (this one included), in order."""
        raise NotImplementedError

    async def listen(self, callback: Callable[[bytes], None]) -> None:
        """Start delivering published events to `callback` (once per process and loop)."""
        raise NotImplementedError

    async def forget(self, game_id: int) -> None:
        raise NotImplementedError


class MemoryStore(LiveStore):
    """The embedded default: state and bus in this process only."""

    def __init__(self) -> None:
        self.states: dict[int, dict] = {}
        self.counters: dict[tuple[int, int], int] = {}
        self.listeners: list[Callable[[bytes], None]] = []

    async def ping(self) -> None:
        return None

    async def state_get(self, game_id: int) -> dict | None:
        return self.states.get(game_id)

    async def state_set(self, game_id: int, state: dict) -> None:
        current = self.states.get(game_id)
        if current is None or current.get("seq", -1) <= state.get("seq", 0):
            self.states[game_id] = state

    async def answered_incr(self, game_id: int, q: int, n: int) -> int:
        key = (game_id, q)
        self.counters[key] = self.counters.get(key, 0) + n
        return self.counters[key]

    async def answered_get(self, game_id: int, q: int) -> int:
        return self.counters.get((game_id, q), 0)

    async def players_set(self, game_id: int, count: int) -> None:
        self.counters.setdefault((game_id, -1), count)

    async def players_incr(self, game_id: int, delta: int) -> int:
        key = (game_id, -1)
        self.counters[key] = self.counters.get(key, 0) + delta
        return self.counters[key]

    async def players_get(self, game_id: int) -> int | None:
        return self.counters.get((game_id, -1))

    async def publish(self, data: bytes) -> None:
        for callback in self.listeners:
            callback(data)

    async def listen(self, callback: Callable[[bytes], None]) -> None:
        self.listeners = [callback]

    async def forget(self, game_id: int) -> None:
        self.states.pop(game_id, None)
        for key in [k for k in self.counters if k[0] == game_id]:
            del self.counters[key]


_SET_IF_NEWER = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, old = pcall(cjson.decode, cur)
  if ok and old['seq'] and tonumber(old['seq']) > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


class RedisStore(LiveStore):
    def __init__(self, url: str):
        import redis.asyncio as redis

        self.url = url
        self._redis_module = redis
        self._clients: dict[int, object] = {}
        self.prefix = f"{settings.CHANNEL_PREFIX}:live"
        self.channel = f"{self.prefix}:bus"
        self._listener: asyncio.Task | None = None
        # Games this process serves -> their latest question: what to re-seed after data loss.
        self._seen: dict[int, int | None] = {}

    def _note(self, game_id: int, q: int | None = None) -> None:
        if q is not None or game_id not in self._seen:
            self._seen[game_id] = q if q is not None else self._seen.get(game_id)

    @property
    def client(self):
        # One client per event loop: redis-py's asyncio connections are bound to their loop.
        # socket_timeout None and a large pool: redis-py 8 defaults break idle readers and bursts.
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            from redis.asyncio.retry import Retry
            from redis.backoff import ExponentialWithJitterBackoff
            from redis.exceptions import ConnectionError, TimeoutError

            client = self._redis_module.from_url(
                self.url,
                socket_timeout=None,
                socket_connect_timeout=2,
                max_connections=settings.REDIS_MAX_CONNECTIONS,
                decode_responses=False,
                # A restart takes about a second: retry for ~6 s before an operation fails.
                retry=Retry(ExponentialWithJitterBackoff(base=0.1, cap=1.0), 8),
                retry_on_error=[ConnectionError, TimeoutError, OSError],
            )
            self._clients[loop_id] = client
        return client

    async def ping(self) -> None:
        await self.client.ping()

    async def state_get(self, game_id: int) -> dict | None:
        raw = await self.client.get(f"{self.prefix}:state:{game_id}")
        return orjson.loads(raw) if raw else None

    async def state_set(self, game_id: int, state: dict) -> None:
        await self.client.eval(
            _SET_IF_NEWER,
            1,
            f"{self.prefix}:state:{game_id}",
            orjson.dumps(state),
            int(state.get("seq", 0)),
        )

    async def answered_incr(self, game_id: int, q: int, n: int) -> int:
        self._note(game_id, q)
        return int(await self.client.incrby(f"{self.prefix}:ans:{game_id}:{q}", n))

    async def answered_get(self, game_id: int, q: int) -> int:
        self._note(game_id, q)
        raw = await self.client.get(f"{self.prefix}:ans:{game_id}:{q}")
        return int(raw or 0)

    async def players_set(self, game_id: int, count: int) -> None:
        self._note(game_id)
        await self.client.set(f"{self.prefix}:players:{game_id}", count, nx=True)

    async def players_incr(self, game_id: int, delta: int) -> int:
        self._note(game_id)
        key = f"{self.prefix}:players:{game_id}"
        count = await self.client.eval(_INCR_IF_EXISTS, 1, key, delta)
        if count is None:
            # The counter is gone (Redis restarted): PostgreSQL already holds this change.
            seeded = await _database_count(_active_players, game_id)
            await self.client.set(key, seeded, nx=True)
            count = await self.client.get(key)
        return int(count)

    async def players_get(self, game_id: int) -> int | None:
        self._note(game_id)
        raw = await self.client.get(f"{self.prefix}:players:{game_id}")
        return int(raw) if raw is not None else None

    async def reseed(self) -> None:
        """Counters of the games this process serves, rebuilt from PostgreSQL (after data loss)."""
        for game_id, q in list(self._seen.items()):
            players = await _database_count(_active_players, game_id)
            await self.client.set(f"{self.prefix}:players:{game_id}", players)
            if q is not None:
                answered = await _database_count(_answers, game_id, q)
                await self.client.set(f"{self.prefix}:ans:{game_id}:{q}", answered)

    async def publish(self, data: bytes) -> None:
        await self.client.publish(self.channel, data)

    async def listen(self, callback: Callable[[bytes], None]) -> None:
        if self._listener is None or self._listener.done():
            ready = asyncio.get_running_loop().create_future()
            self._listener = asyncio.create_task(self._listen(callback, ready))
            await ready

    async def _listen(self, callback: Callable[[bytes], None], ready: asyncio.Future) -> None:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # Its own client with no silent retries: redis-py would otherwise reconnect and
        # resubscribe quietly, and the events published meanwhile would be missed unnoticed.
        bus = self._redis_module.from_url(
            self.url, socket_timeout=None, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
        )
        delay = 0.2
        lost = False
        while True:
            pubsub = None
            try:
                pubsub = bus.pubsub()
                await pubsub.subscribe(self.channel)
                if not ready.done():
                    ready.set_result(True)
                if lost:
                    # Whatever was published meanwhile is gone, and so may be every key.
                    await self.reseed()
                    callback(RESYNC)
                    logger.warning("live bus listener is back on Redis; state resent")
                    lost = False
                delay = 0.2
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        callback(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not lost:
                    logger.warning("live bus listener lost Redis (%r); reconnecting", exc)
                lost = True
                if not ready.done():
                    ready.set_result(False)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            finally:
                if pubsub is not None:
                    try:
                        await pubsub.aclose()
                    except Exception:
                        pass

    async def forget(self, game_id: int) -> None:
        """The game ended: its counters go now, its last state a day later (late reconnects)."""
        await self.client.expire(f"{self.prefix}:state:{game_id}", STATE_TTL_AFTER_END)
        counters = [f"{self.prefix}:players:{game_id}"]
        async for key in self.client.scan_iter(match=f"{self.prefix}:ans:{game_id}:*", count=500):
            counters.append(key)
        await self.client.delete(*counters)
        self._seen.pop(game_id, None)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None


_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return false
"""


def _active_players(game_id: int) -> int:
    from realtime.selectors import active_players_count

    return active_players_count(game_id=game_id)


def _answers(game_id: int, q: int) -> int:
    from realtime.models import Answer

    return Answer.objects.filter(game_id=game_id, q=q).count()


async def _database_count(func: Callable[..., int], *args: int) -> int:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(func)(*args)


@lru_cache(maxsize=1)
def get_store() -> LiveStore:
    if settings.LIVE_STORE == "redis":
        return RedisStore(settings.REDIS_URL)
    return MemoryStore()
