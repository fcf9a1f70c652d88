"""Atomic rate limits keyed on the real client address (joins, PIN look-ups, PIN misses).

Token buckets live in Redis when REDIS_URL is set (one Lua script: check and take in one atomic
step, shared by every server process) and in process memory otherwise. DRF throttles are not used:
they read-then-write the cache and race under concurrency.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings

# KEYS[1] bucket; ARGV: capacity, refill per second, now (seconds, float), cost.
# Returns {allowed (0/1), seconds until one token is back (ceil)}.
_LUA_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
if now > ts then tokens = math.min(capacity, tokens + (now - ts) * rate); ts = now end
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
local wait = 0
if allowed == 0 then wait = math.ceil((cost - tokens) / rate) end
return {allowed, wait}
"""

# A fixed-window counter (INCR + EXPIRE on first hit), for "N misses in T seconds".
_LUA_COUNT = """
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return {n, redis.call('TTL', KEYS[1])}
"""


@dataclass(frozen=True)
class Rate:
    """`burst/per_second` for buckets ("10/1"); `count/seconds` for windows ("20/600")."""

    amount: float
    per: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        amount, _, per = str(text).partition("/")
        return cls(float(amount), float(per or 1))


def client_address(request_meta: dict) -> str:
    """REMOTE_ADDR; X-Forwarded-For only counts when settings say how many proxies we trust."""
    remote = request_meta.get("REMOTE_ADDR") or "unknown"
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request_meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    # Each trusted proxy appends the address it saw; the client is the entry the outermost
    # trusted proxy appended. Anything further left was written by the client and is ignored.
    if len(hops) < trusted:
        return remote
    candidate = hops[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class _MemoryBackend:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}
        self.counters: dict[str, tuple[int, float]] = {}

    def take(self, key: str, rate: Rate, now: float) -> tuple[bool, int]:
        with self.lock:
            if len(self.buckets) > 100_000:  # bound memory under a spray of addresses
                self.buckets.clear()
            tokens, ts = self.buckets.get(key, (rate.amount, now))
            tokens = min(rate.amount, tokens + max(0.0, now - ts) * rate.per)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self.buckets[key] = (tokens, now)
            return allowed, 0 if allowed else math.ceil((1 - tokens) / rate.per)

    def count(self, key: str, window: Rate, now: float, add: int) -> tuple[int, int]:
        with self.lock:
            if len(self.counters) > 100_000:
                self.counters.clear()
            n, expires = self.counters.get(key, (0, now + window.per))
            if now >= expires:
                n, expires = 0, now + window.per
            n += add
            self.counters[key] = (n, expires)
            return n, math.ceil(expires - now)

    def clear(self) -> None:
        with self.lock:
            self.buckets.clear()
            self.counters.clear()


class _RedisBackend:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = f"{prefix}:rl:"
        self.bucket = self.client.register_script(_LUA_BUCKET)
        self.counter = self.client.register_script(_LUA_COUNT)

    def take(self, key: str, rate: Rate, now: float) -> tuple[bool, int]:
        allowed, wait = self.bucket(keys=[self.prefix + key], args=[rate.amount, rate.per, now, 1])
        return bool(int(allowed)), int(wait)

    def count(self, key: str, window: Rate, now: float, add: int) -> tuple[int, int]:
        n, ttl = self.counter(keys=[self.prefix + key], args=[add, int(window.per)])
        return int(n), max(0, int(ttl))

    def clear(self) -> None:
        keys = list(self.client.scan_iter(self.prefix + "*"))
        if keys:
            self.client.delete(*keys)


_memory = _MemoryBackend()
_backends: dict[str, _RedisBackend] = {}


def backend():
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return _memory
    key = f"{url}|{settings.CHANNEL_PREFIX}"
    if key not in _backends:
        _backends[key] = _RedisBackend(url, settings.CHANNEL_PREFIX)
    return _backends[key]


def take(name: str, key: str, rate: Rate) -> tuple[bool, int]:
    """Take one token from bucket `name:key`; (allowed, retry-after seconds).

    If Redis is unreachable we fall back to this process's memory rather than failing open."""
    now = time.time()
    try:
        return backend().take(f"{name}:{key}", rate, now)
    except Exception:
        return _memory.take(f"{name}:{key}", rate, now)


def count(name: str, key: str, window: Rate, add: int = 1) -> tuple[int, int]:
    """Add to the window counter `name:key`; (count in the window, seconds until it resets)."""
    now = time.time()
    try:
        return backend().count(f"{name}:{key}", window, now, add)
    except Exception:
        return _memory.count(f"{name}:{key}", window, now, add)


def feed_wait(request_meta: dict) -> int | None:
    """The broadcast feeds and overlays' polls (docs/broadcast.md): None when this address may
    read once more, else the seconds to wait (one bucket per address, RATE_LIMIT_FEED)."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    allowed, wait = take("feed", client_address(request_meta), Rate.parse(settings.RATE_LIMIT_FEED))
    return None if allowed else max(1, wait)


def reset() -> None:
    """Forget every bucket and counter (tests)."""
    _memory.clear()
    try:
        if getattr(settings, "REDIS_URL", ""):
            backend().clear()
    except Exception:
        pass
