"""Atomic rate limits on every anonymous or participant entry point, keyed on the real client
address (an IPv6 client by its /64) and on the participant token it sends.

`ENTRY_POINTS` names every limited route (by URL name) and its bucket; `check()` is the one
decision, used by the Django middleware (core/middleware.py) and the ASGI fast path
(contest/fastpath.py, realtime/join.py); `record_result()` counts wrong PINs, wrong join codes and
unknown resume links toward the per-address lockout, and successful joins toward their game's
buckets. Every HTTP method counts (HEAD and OPTIONS like GET).

Look-ups and joins count FAILURES per address, not successes: a school behind one NAT is one
address, and 500 pupils joining at once must all get in (docs/deploy.md, "NAT"). Their per-address
bucket lends a token to every request in flight and takes it back when the request succeeds, so it
bounds a flood of concurrent guesses and keeps what failed; wrong PINs and wrong join codes also
lock the address out (RATE_LIMIT_PIN_MISSES). Successful joins are bounded per game
(RATE_LIMIT_JOIN_GAME) and per address within one game (RATE_LIMIT_JOIN_ADDRESS), and by the
screen's join code when the host turns it on.

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
from typing import Any

from django.conf import settings

# KEYS[1] bucket; ARGV: capacity, refill per second, now (seconds, float), cost, consume (1/0:
# 0 only asks whether `cost` tokens are there, e.g. before a join that only counts if it succeeds).
# A cost of -1 gives a token back (a look-up or join that succeeded), never above capacity.
# Returns {allowed (0/1), seconds until one token is back (ceil)}.
_LUA_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local consume = tonumber(ARGV[5] or 1)
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
if now > ts then tokens = math.min(capacity, tokens + (now - ts) * rate); ts = now end
local allowed = 0
if tokens >= cost then
  if consume == 1 then tokens = math.min(capacity, tokens - cost) end
  allowed = 1
end
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


def _limit_key(address: str) -> str | None:
    """The key a client address is limited by: an IPv4 address as such, an IPv6 address by its
    /64 (one subscriber's prefix: a single phone or home gets a whole /64 and can use any of its
    2**64 addresses), an IPv4-mapped IPv6 address as its IPv4 address. None if not an address."""
    text = str(address).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_address(request_meta: dict) -> str:
    """The key of the real client: REMOTE_ADDR, or the X-Forwarded-For entry the outermost trusted
    proxy appended when settings say how many proxies we trust; IPv6 clients by their /64."""
    raw = request_meta.get("REMOTE_ADDR") or "unknown"
    remote = _limit_key(raw) or raw
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request_meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    # Each trusted proxy appends the address it saw; the client is the entry the outermost
    # trusted proxy appended. Anything further left was written by the client and is ignored.
    if len(hops) < trusted:
        return remote
    return _limit_key(hops[-trusted]) or remote


class _MemoryBackend:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}
        self.counters: dict[str, tuple[int, float]] = {}

    def take(
        self, key: str, rate: Rate, now: float, consume: bool = True, cost: int = 1
    ) -> tuple[bool, int]:
        with self.lock:
            if len(self.buckets) > 100_000:  # bound memory under a spray of addresses
                self.buckets.clear()
            tokens, ts = self.buckets.get(key, (rate.amount, now))
            tokens = min(rate.amount, tokens + max(0.0, now - ts) * rate.per)
            allowed = tokens >= cost
            if allowed and consume:
                tokens = min(rate.amount, tokens - cost)
            self.buckets[key] = (tokens, now)
            return allowed, 0 if allowed else math.ceil((cost - tokens) / rate.per)

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

    def take(
        self, key: str, rate: Rate, now: float, consume: bool = True, cost: int = 1
    ) -> tuple[bool, int]:
        allowed, wait = self.bucket(
            keys=[self.prefix + key], args=[rate.amount, rate.per, now, cost, int(consume)]
        )
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


def take(
    name: str, key: str, rate: Rate, *, consume: bool = True, cost: int = 1
) -> tuple[bool, int]:
    """Take one token from bucket `name:key` (only look, with consume=False; give one back with
    cost=-1); (allowed, retry-after seconds).

    If Redis is unreachable we fall back to this process's memory rather than failing open."""
    now = time.time()
    try:
        return backend().take(f"{name}:{key}", rate, now, consume, cost)
    except Exception:
        return _memory.take(f"{name}:{key}", rate, now, consume, cost)


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


# --- Entry points ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryPoint:
    """A limited route: its per-address bucket (rate in settings.<setting>), whether the
    participant token it carries is limited too, and whether its failures (404: unknown PIN or
    resume link; a wrong join code) count toward the per-address lockout (RATE_LIMIT_PIN_MISSES).
    On such a route the per-address bucket counts failures only: the token a request takes is
    given back when it succeeds (record_result)."""

    bucket: str
    setting: str
    per_token: bool = True
    failures: bool = False


_JOIN = EntryPoint("join", "RATE_LIMIT_JOIN", per_token=False, failures=True)
_LOOKUP = EntryPoint("lookup", "RATE_LIMIT_LOOKUP", per_token=False, failures=True)
_REGISTER = EntryPoint("register", "RATE_LIMIT_REGISTER", per_token=False)
_ATTEMPT = EntryPoint("attempt", "RATE_LIMIT_ATTEMPT")
_ANSWER = EntryPoint("answer", "RATE_LIMIT_ANSWER")
_RESULTS = EntryPoint("results", "RATE_LIMIT_RESULTS")
_BOARD = EntryPoint("board", "RATE_LIMIT_BOARD")

# URL name -> entry point. Organiser-only routes are not here: they need a staff session.
ENTRY_POINTS: dict[str, EntryPoint] = {
    "game-join": _JOIN,
    "game-lookup": _LOOKUP,
    "contest-resume": _LOOKUP,
    "venue-ready": _LOOKUP,  # the venue key is the credential: a wrong one is a failed guess
    "contest-register": _REGISTER,
    "round-attempt-start": _ATTEMPT,
    "attempt-autosave": _ANSWER,
    "attempt-submit": _ANSWER,
    "attempt-detail": _RESULTS,
    "attempt-review": _RESULTS,
    "contest-me": _RESULTS,
    "round-results": _RESULTS,
    "round-leaderboard": _BOARD,
    "round-my-rank": _BOARD,
    "round-around": _BOARD,
    "round-unit-leaderboard": _BOARD,
    "contest-leaderboard": _BOARD,
    "contest-unit-leaderboard": _BOARD,
}

# Set in an ASGI scope by contest/fastpath.py once it counted the request (Django must not again).
CHECKED_KEY = "ratelimit.checked"


def token_key(token: str | None) -> str | None:
    """The bucket key of a participant token (a digest: tokens are credentials, keys are not)."""
    if not token:
        return None
    import hashlib

    return hashlib.sha256(str(token).encode("utf-8", "surrogatepass")).hexdigest()[:32]


# What a participant cookie and a failed guess look like is the apps' to say, not core's: contest
# registers its cookie prefix and realtime its wrong-join-code error code, from their ready().
TOKEN_COOKIE_PREFIXES: list[str] = []
FAILED_GUESS_CODES: set[str] = set()


def register_token_cookie(prefix: str) -> None:
    """Cookies whose name starts with `prefix` carry a participant token (per-token limits)."""
    if prefix not in TOKEN_COOKIE_PREFIXES:
        TOKEN_COOKIE_PREFIXES.append(prefix)


def register_failed_guess(code: str) -> None:
    """An error `code` on a guessing entry point counts toward the address's lockout, like a 404."""
    FAILED_GUESS_CODES.add(code)


def pin_of(data: Any) -> str:
    """The PIN a join names (its per-game buckets); "" if there is none to read. Django's
    middleware and the join fast path (realtime/join.py) read it alike."""
    pin = data.get("pin") if isinstance(data, dict) else None
    pin = str(pin).strip() if isinstance(pin, str | int) and not isinstance(pin, bool) else ""
    return pin if pin.isdigit() and len(pin) <= 12 else ""


def request_token(headers, cookies) -> str | None:
    """The participant token a request carries: the X-Participant-Token header, else the
    participant cookie (contest/services/registration.py names it)."""
    token = headers.get("X-Participant-Token") or headers.get("x-participant-token")
    if token:
        return str(token)
    names = sorted(
        name for name in cookies if any(name.startswith(p) for p in TOKEN_COOKIE_PREFIXES)
    )
    return cookies[names[0]] if names else None


def _join_buckets(pin: str, address: str) -> list[tuple[str, str, Rate]]:
    """A join's buckets of successful joins: its game's, and its address's in that game."""
    return [
        ("joingame", pin, Rate.parse(settings.RATE_LIMIT_JOIN_GAME)),
        ("joinaddr", f"{pin}:{address}", Rate.parse(settings.RATE_LIMIT_JOIN_ADDRESS)),
    ]


def check(url_name: str | None, *, address: str, token: str | None, pin: str = "") -> int | None:
    """None if a request to `url_name` from `address` (carrying `token`) may go on, else the
    seconds to wait. Takes one token from each bucket that applies; record_result() gives back
    those a request's outcome does not count against."""
    entry = ENTRY_POINTS.get(url_name or "")
    if entry is None or not settings.RATE_LIMITS_ENABLED:
        return None
    if entry.failures:
        window = Rate.parse(settings.RATE_LIMIT_PIN_MISSES)
        misses, reset_in = count("pinmiss", address, window, add=0)
        if misses >= window.amount:
            return max(1, reset_in)
    rate = Rate.parse(getattr(settings, entry.setting))
    allowed, wait = take(entry.bucket, address, rate)
    # Taken so far, to give back if a later bucket refuses (the request is then not in flight).
    taken = [(entry.bucket, address, rate)] if allowed and entry.failures else []
    key = token_key(token)
    if allowed and entry.per_token and key:
        allowed, wait = take("token", key, Rate.parse(settings.RATE_LIMIT_TOKEN))
    if allowed and entry is _JOIN and pin:
        # A game counts the players who got in, and so does one address in one game (a school
        # behind one NAT gets in; a bot farm on one address cannot fill the game): taken here,
        # atomically, and given back when the join fails (a taken nickname, a wrong code).
        for name, key, join_rate in _join_buckets(pin, address):
            allowed, wait = take(name, key, join_rate)
            if not allowed:
                break
            taken.append((name, key, join_rate))
    if not allowed:
        for name, key, taken_rate in taken:
            take(name, key, taken_rate, cost=-1)
    return None if allowed else max(1, wait)


def record_result(
    url_name: str | None, *, address: str, status: int, code: str = "", pin: str = ""
) -> None:
    """After the response (any status but 429, which check() gave): count a failed guess (a 404,
    or a wrong join code) toward the address's lockout, give a successful look-up's or join's
    token back to the address, and a failed join's tokens back to its game's buckets."""
    entry = ENTRY_POINTS.get(url_name or "")
    if entry is None or not settings.RATE_LIMITS_ENABLED or status == 429:
        return
    if entry is _JOIN and pin and status != 201:
        for name, key, rate in _join_buckets(pin, address):
            take(name, key, rate, cost=-1)
    if not entry.failures:
        return
    if status < 400:  # a join, a look-up, a resume link that worked (and redirected)
        take(entry.bucket, address, Rate.parse(getattr(settings, entry.setting)), cost=-1)
        return
    if status == 404 or code in FAILED_GUESS_CODES:  # e.g. a wrong join code (realtime)
        count("pinmiss", address, Rate.parse(settings.RATE_LIMIT_PIN_MISSES), add=1)
