"""Where live game state lives: one interface, an in-memory and a Redis implementation.

The live engine extends this interface; /healthz only needs ping().
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings


class LiveStore:
    async def ping(self) -> None:
        raise NotImplementedError


class MemoryStore(LiveStore):
    """The embedded default: state in this process only."""

    async def ping(self) -> None:
        return None


class RedisStore(LiveStore):
    def __init__(self, url: str):
        import redis.asyncio as redis

        self.url = url
        self._redis_module = redis
        self._clients: dict[int, object] = {}

    @property
    def client(self):
        # One client per event loop: redis-py's asyncio connections are bound to their loop.
        import asyncio

        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            client = self._redis_module.from_url(
                self.url,
                socket_timeout=None,
                max_connections=settings.REDIS_MAX_CONNECTIONS,
                decode_responses=False,
            )
            self._clients[loop_id] = client
        return client

    async def ping(self) -> None:
        await self.client.ping()


@lru_cache(maxsize=1)
def get_store() -> LiveStore:
    if settings.LIVE_STORE == "redis":
        return RedisStore(settings.REDIS_URL)
    return MemoryStore()
