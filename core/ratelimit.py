"""Atomic rate limits on every anonymous or participant entry point, keyed on the real client
address (an IPv6 client by its /64) and on the participant token it sends.

`ENTRY_POINTS` names every limited route (by URL name) and its bucket; `check()` is the one
decision, used by the Django middleware (core/middleware.py) and the join's fast path
(realtime/join.py), and `check_async()` the same plan and decision run on the event loop (the
contest fast paths: contest/fastpath.py); `record_result()` counts wrong PINs, wrong join codes and
unknown resume links toward the per-address lockout, and successful joins toward their game's
buckets. Every HTTP method counts (HEAD and OPTIONS like GET).

Look-ups and joins count FAILURES per address, not successes: a school behind one NAT is one
address, and 500 pupils joining at once must all get in (docs/deploy.md, "NAT"). Their per-address
bucket lends a token to every request in flight and takes it back when the request succeeds, so it
bounds a flood of concurrent guesses and keeps what failed; wrong PINs and wrong join codes also
lock the address out (RATE_LIMIT_PIN_MISSES). Successful joins are bounded per game
(RATE_LIMIT_JOIN_GAME) and per address within one game (RATE_LIMIT_JOIN_ADDRESS), and by the
screen's join code when the host turns it on.

Token buckets live in Redis when REDIS_URL is set (shared by every server process) and in process
memory otherwise. Either way a check is one plan run atomically: in Redis one Lua script (one
round trip) checks and takes every bucket and window of the request and answers the wait, and a
request's outcome is at most one more. On the event loop, the checks of one loop turn go in one
pipeline (each still its own script run, in order: _LoopChecks, core.loopbatch). DRF throttles are not used:
they read-then-write the cache and race under concurrency.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from core.text import PIN_MAX_LENGTH, digit_code

# One script runs a whole plan (a list of steps, see _Step) atomically: every bucket and window
# a request touches, in one Redis round trip (EVALSHA with the sha cached by redis-py's Script,
# which loads the script again on NOSCRIPT). KEYS[i] is step i's key; ARGV[1] is now (seconds,
# float); then four ARGV per step: op, x, y, z.
#   G (gate)   x = limit, y = window seconds: the window's count (not increased) >= limit refuses
#              with the seconds until the window resets.
#   T (take)   x = capacity, y = refill per second, z = 1 if a later refusal gives it back: takes
#              one token; none there refuses with the seconds until one is back.
#   R (return) x = capacity, y = refill per second: gives one token back, never above capacity.
#   C (count)  x = add, y = window seconds: a fixed-window counter (INCRBY, EXPIRE on first hit).
# The first refusal stops the plan and gives back the tokens taken with z = 1 (the request is
# then not in flight). Returns {allowed (0/1), wait, count, ttl} (count and ttl of the last G/C).
# _MemoryBackend.run is the same plan in Python: tests/hardening/test_ratelimit_script.py checks
# that the two agree.
_LUA_PLAN = """
local now = tonumber(ARGV[1])
local function bucket(key, capacity, rate, cost)
  local state = redis.call('HMGET', key, 't', 'ts')
  local tokens = tonumber(state[1])
  local ts = tonumber(state[2])
  if tokens == nil then tokens = capacity; ts = now end
  if now > ts then tokens = math.min(capacity, tokens + (now - ts) * rate); ts = now end
  local allowed = tokens >= cost
  if allowed then tokens = math.min(capacity, tokens - cost) end
  redis.call('HSET', key, 't', tostring(tokens), 'ts', tostring(ts))
  redis.call('EXPIRE', key, math.ceil(capacity / rate) + 1)
  if allowed then return true, 0 end
  return false, math.ceil((cost - tokens) / rate)
end
local function counter(key, add, seconds)
  local n = redis.call('INCRBY', key, add)
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, seconds) end
  return n, redis.call('TTL', key)
end
local allowed, wait, n, ttl = 1, 0, 0, 0
local taken = {}
for i = 1, #KEYS do
  local op = ARGV[4 * i - 2]
  local x = tonumber(ARGV[4 * i - 1])
  local y = tonumber(ARGV[4 * i])
  if op == 'G' then
    n, ttl = counter(KEYS[i], 0, y)
    if n >= x then allowed = 0; wait = math.max(1, ttl); break end
  elseif op == 'T' then
    local ok, w = bucket(KEYS[i], x, y, 1)
    if not ok then allowed = 0; wait = w; break end
    if ARGV[4 * i + 1] == '1' then taken[#taken + 1] = {KEYS[i], x, y} end
  elseif op == 'R' then
    bucket(KEYS[i], x, y, -1)
  elseif op == 'C' then
    n, ttl = counter(KEYS[i], x, y)
  end
end
if allowed == 0 then
  for _, t in ipairs(taken) do bucket(t[1], t[2], t[3], -1) end
end
return {allowed, wait, n, ttl}
"""


class Refusal(int):
    """check()'s refusal: the seconds to wait, and whether the address is locked out by its
    wrong guesses (a wrong PIN, join code or resume link), which the refusal's message says."""

    wrong_guesses: bool = False

    def __new__(cls, seconds: int, *, wrong_guesses: bool = False) -> Refusal:
        refusal = super().__new__(cls, seconds)
        refusal.wrong_guesses = wrong_guesses
        return refusal


@dataclass(frozen=True)
class Rate:
    """`burst/per_second` for buckets ("10/1"); `count/seconds` for windows ("20/600")."""

    amount: float
    per: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        return _parse_rate(str(text))


@functools.lru_cache(maxsize=256)
def _parse_rate(text: str) -> Rate:
    amount, _, per = text.partition("/")
    return Rate(float(amount), float(per or 1))


@dataclass(frozen=True)
class _Step:
    """One step of a plan (see _LUA_PLAN): op G, T, R or C on bucket or window `key`."""

    op: str
    key: str
    rate: Rate
    refund: bool = False  # T: given back if a later step refuses
    add: int = 0  # C: how much to add


@dataclass(frozen=True)
class _Outcome:
    """A plan's answer: None if every step allowed, else the seconds to wait; and the count and
    seconds to reset of its last window (G or C)."""

    wait: int | None
    count: int = 0
    reset_in: int = 0


def _limit_key(address: str) -> str | None:
    """The key a client address is limited by: an IPv4 address as such, an IPv6 address by its
    /64 (one subscriber's prefix: a single phone or home gets a whole /64 and can use any of its
    2**64 addresses), an IPv4-mapped IPv6 address as its IPv4 address. None if not an address."""
    return _key_of(str(address))


@functools.lru_cache(maxsize=65536)
def _key_of(address: str) -> str | None:
    """_limit_key's answer, kept: parsing an address took 20-30 us, and a phone's join asks for
    its address's key four times (twice on the event loop, twice on a join thread)."""
    text = address.strip()
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
    """This process's buckets and windows (no REDIS_URL, or Redis unreachable): the same plans
    as _LUA_PLAN, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, tuple[float, float]] = {}
        self.counters: dict[str, tuple[int, float]] = {}

    def _bucket(self, key: str, rate: Rate, now: float, cost: int) -> tuple[bool, int]:
        if len(self.buckets) > 100_000:  # bound memory under a spray of addresses
            self.buckets.clear()
        tokens, ts = self.buckets.get(key, (rate.amount, now))
        tokens = min(rate.amount, tokens + max(0.0, now - ts) * rate.per)
        allowed = tokens >= cost
        if allowed:
            tokens = min(rate.amount, tokens - cost)
        self.buckets[key] = (tokens, now)
        return allowed, 0 if allowed else math.ceil((cost - tokens) / rate.per)

    def _counter(self, key: str, window: Rate, now: float, add: int) -> tuple[int, int]:
        if len(self.counters) > 100_000:
            self.counters.clear()
        n, expires = self.counters.get(key, (0, now + window.per))
        if now >= expires:
            n, expires = 0, now + window.per
        n += add
        self.counters[key] = (n, expires)
        return n, math.ceil(expires - now)

    def run(self, plan: list[_Step], now: float) -> _Outcome:
        n = reset_in = 0
        taken: list[_Step] = []
        with self.lock:
            for step in plan:
                if step.op == "G":
                    n, reset_in = self._counter(step.key, step.rate, now, 0)
                    if n >= step.rate.amount:
                        wait = max(1, reset_in)
                        break
                elif step.op == "T":
                    allowed, wait = self._bucket(step.key, step.rate, now, 1)
                    if not allowed:
                        break
                    if step.refund:
                        taken.append(step)
                elif step.op == "R":
                    self._bucket(step.key, step.rate, now, -1)
                else:
                    n, reset_in = self._counter(step.key, step.rate, now, step.add)
            else:
                return _Outcome(None, n, reset_in)
            for step in taken:
                self._bucket(step.key, step.rate, now, -1)
            return _Outcome(wait, n, reset_in)

    def clear(self) -> None:
        with self.lock:
            self.buckets.clear()
            self.counters.clear()


class _RedisBackend:
    """Buckets and windows in Redis, shared by every server process: a plan is one EVALSHA."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = f"{prefix}:rl:"
        self.script = self.client.register_script(_LUA_PLAN)
        self._async: dict[int, _LoopChecks] = {}  # event loop id -> its client and queue

    def _keys_args(self, plan: list[_Step], now: float) -> tuple[list[str], list[Any]]:
        args: list[Any] = [repr(now)]
        for step in plan:
            if step.op == "C":
                args += ("C", step.add, int(step.rate.per), 0)
            elif step.op == "G":
                args += ("G", repr(step.rate.amount), int(step.rate.per), 0)
            else:
                args += (step.op, repr(step.rate.amount), repr(step.rate.per), int(step.refund))
        return [self.prefix + s.key for s in plan], args

    @staticmethod
    def _outcome(reply: list) -> _Outcome:
        allowed, wait, n, ttl = reply
        return _Outcome(None if int(allowed) else int(wait), int(n), max(0, int(ttl)))

    def run(self, plan: list[_Step], now: float) -> _Outcome:
        keys, args = self._keys_args(plan, now)
        return self._outcome(self.script(keys=keys, args=args))

    def run_all(self, plans: list[list[_Step]], now: float) -> list[_Outcome]:
        """Each plan, in order, in one round trip: Redis runs them one after another, as if
        each had come alone (records_deferred, checks_ahead)."""
        pipe = self.client.pipeline(transaction=False)
        for plan in plans:
            keys, args = self._keys_args(plan, now)
            self.script(keys=keys, args=args, client=pipe)
        return [self._outcome(reply) for reply in pipe.execute()]

    async def arun(self, plan: list[_Step], now: float) -> _Outcome:
        """run() on the running event loop's own client (an ASGI fast path: no thread hop).
        The checks a loop makes in one turn go to Redis together, each its own EVALSHA in one
        pipeline (_LoopChecks): Redis runs them one after another, in order, as if each had come
        alone, and each caller gets its own plan's answer."""
        import asyncio

        loop = asyncio.get_running_loop()
        checks = self._async.get(id(loop))
        if checks is None or checks.loop is not loop:
            # A server has one loop for its life; a closed one's client is dropped (tests).
            for key in [k for k, other in self._async.items() if other.loop.is_closed()]:
                del self._async[key]
            checks = self._async[id(loop)] = _LoopChecks(loop, self.url)
        keys, args = self._keys_args(plan, now)
        return self._outcome(await checks.run(keys, args))

    def clear(self) -> None:
        keys = list(self.client.scan_iter(self.prefix + "*"))
        if keys:
            self.client.delete(*keys)


class _LoopChecks:
    """One event loop's Redis client for the rate limits. Its checks go in pipelines, one on its
    way at a time (core.loopbatch): the checks of one loop turn, or those that came while the
    previous pipeline was out, go together, each its own script run, in the order they came (in
    a contest rush about six a pipeline, against one or two when every turn sent its own). A
    pipeline's failure reaches each of its callers (check_async then decides from this process's
    memory, as for a lone check)."""

    def __init__(self, loop, url: str) -> None:
        import redis.asyncio

        from core.loopbatch import LoopBatches

        self.loop = loop
        self.client = redis.asyncio.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.sha = self.client.register_script(_LUA_PLAN).sha
        self.batches = LoopBatches(loop, self._pipeline)

    def run(self, keys: list[str], args: list[Any]):
        return self.batches.call((keys, args))

    async def _pipeline(self, queued: list) -> list:
        from redis.exceptions import NoScriptError

        replies = await self._evalshas(queued)
        if any(isinstance(reply, NoScriptError) for reply in replies):
            # Redis lost its scripts (a restart, SCRIPT FLUSH): load it, run those again.
            self.sha = await self.client.script_load(_LUA_PLAN)
            again = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            for i, reply in zip(
                again, await self._evalshas([queued[i] for i in again]), strict=True
            ):
                replies[i] = reply
        return replies

    async def _evalshas(self, queued: list) -> list:
        pipe = self.client.pipeline(transaction=False)
        for keys, args in queued:
            pipe.evalsha(self.sha, len(keys), *keys, *args)
        return await pipe.execute(raise_on_error=False)


_memory = _MemoryBackend()
_backends: dict[str, _RedisBackend] = {}


def backend() -> _MemoryBackend | _RedisBackend:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return _memory
    key = f"{url}|{settings.CHANNEL_PREFIX}"
    if key not in _backends:
        _backends[key] = _RedisBackend(url, settings.CHANNEL_PREFIX)
    return _backends[key]


_deferred = threading.local()


@contextlib.contextmanager
def records_deferred():
    """record_result's round trips within, sent together as the block ends (one Redis pipeline):
    a batch of phones' look-ups and joins on a join thread (realtime/threads.py Batches). A
    record's answer is never read; the block's checks run as they come, and see the block's
    records once it ends, as they would see those of requests still in flight."""
    if getattr(_deferred, "plans", None) is not None:
        yield  # already deferred by an outer block
        return
    plans: list[list[_Step]] = []
    _deferred.plans = plans
    try:
        yield
    finally:
        _deferred.plans = None
        if plans:
            _records(plans)


def _records(plans: list[list[_Step]]) -> None:
    """Plans whose answers are not read (records, refunds), in one round trip."""
    now = time.time()
    chosen = backend()
    try:
        if isinstance(chosen, _RedisBackend):
            chosen.run_all(plans, now)
        else:
            for plan in plans:
                chosen.run(plan, now)
    except Exception:  # Redis unreachable: this process's memory, as _run falls back
        for plan in plans:
            _memory.run(plan, now)


_ahead = threading.local()


@contextlib.contextmanager
def checks_ahead(asked: list[tuple[str, str, str]]):
    """The checks that calls about to run one after another on this thread will make, each
    (url_name, address, pin), run ahead in one Redis round trip (a batch of phones' look-ups and
    joins: realtime/threads.py Batches), where each check was a round trip of its own. Redis runs
    them in order, each as if it had come alone; and within records_deferred a check sees none
    of the batch's records anyway, so its answer is the one it would get when its turn came.
    check() within takes the answer of its own plan (the same route, address and PIN), in
    order. A check asked ahead that no call took (its caller went away) gives back what it took
    as the block ends. When Redis does not answer, nothing is asked ahead: each check runs as
    it comes, as before."""
    if getattr(_ahead, "ready", None) is not None:
        yield  # already inside a block
        return
    plans = []
    for url_name, address, pin in asked:
        planned = _check_plan(url_name, address=address, token=None, pin=pin)
        if planned is not None:
            plans.append(planned[1])
    ready: dict[tuple[_Step, ...], list[_Outcome]] = {}
    chosen = backend()
    if plans and isinstance(chosen, _RedisBackend):
        try:
            outcomes = chosen.run_all(plans, time.time())
        except Exception:
            outcomes = []  # each check falls back as it comes (_run)
        for plan, outcome in zip(plans, outcomes, strict=False):
            ready.setdefault(tuple(plan), []).append(outcome)
    _ahead.ready = ready
    try:
        yield
    finally:
        _ahead.ready = None
        left = [
            [_Step("R", step.key, step.rate) for step in plan if step.op == "T"]
            for plan, outcomes in ready.items()
            for outcome in outcomes
            if outcome.wait is None
        ]
        if left:
            _records(left)


def _taken_ahead(plan: list[_Step]) -> _Outcome | None:
    """check()'s answer when checks_ahead asked for this plan (its first one not yet taken)."""
    ready = getattr(_ahead, "ready", None)
    if not ready:
        return None
    outcomes = ready.get(tuple(plan))
    if not outcomes:
        return None
    return outcomes.pop(0)


def _run(plan: list[_Step]) -> _Outcome:
    """Run `plan` atomically (one Redis round trip). If Redis is unreachable we fall back to this
    process's memory rather than failing open."""
    now = time.time()
    try:
        return backend().run(plan, now)
    except Exception:
        return _memory.run(plan, now)


def take(name: str, key: str, rate: Rate, *, cost: int = 1) -> tuple[bool, int]:
    """Take one token from bucket `name:key` (give one back with cost=-1); (allowed, retry-after
    seconds)."""
    outcome = _run([_Step("T" if cost >= 0 else "R", f"{name}:{key}", rate)])
    return outcome.wait is None, outcome.wait or 0


def count(name: str, key: str, window: Rate, add: int = 1) -> tuple[int, int]:
    """Add to the window counter `name:key`; (count in the window, seconds until it resets)."""
    outcome = _run([_Step("C", f"{name}:{key}", window, add=add)])
    return outcome.count, outcome.reset_in


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
    return digit_code(
        data.get("pin") if isinstance(data, dict) else None, max_length=PIN_MAX_LENGTH
    )


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


def _join_buckets(pin: str, address: str) -> list[tuple[str, Rate]]:
    """A join's buckets of successful joins: its game's, and its address's in that game."""
    return [
        (f"joingame:{pin}", Rate.parse(settings.RATE_LIMIT_JOIN_GAME)),
        (f"joinaddr:{pin}:{address}", Rate.parse(settings.RATE_LIMIT_JOIN_ADDRESS)),
    ]


def check(url_name: str | None, *, address: str, token: str | None, pin: str = "") -> int | None:
    """None if a request to `url_name` from `address` (carrying `token`) may go on, else the
    seconds to wait. Takes one token from each bucket that applies, in one atomic step (one Redis
    round trip); record_result() gives back those a request's outcome does not count against."""
    planned = _check_plan(url_name, address=address, token=token, pin=pin)
    if planned is None:
        return None
    outcome = _taken_ahead(planned[1])
    return _refusal(planned, outcome if outcome is not None else _run(planned[1]))


async def check_async(
    url_name: str | None, *, address: str, token: str | None, pin: str = ""
) -> int | None:
    """check() on the event loop (the ASGI fast paths): the same plan and decision, its Redis
    round trip on the loop's own connection instead of a thread's."""
    planned = _check_plan(url_name, address=address, token=token, pin=pin)
    if planned is None:
        return None
    now = time.time()
    chosen = backend()
    try:
        if isinstance(chosen, _RedisBackend):
            outcome = await chosen.arun(planned[1], now)
        else:
            outcome = chosen.run(planned[1], now)
    except Exception:  # Redis unreachable: this process's memory, as _run falls back
        outcome = _memory.run(planned[1], now)
    return _refusal(planned, outcome)


def _check_plan(
    url_name: str | None, *, address: str, token: str | None, pin: str
) -> tuple[EntryPoint, list[_Step], Rate] | None:
    """What check() runs: the route's entry point, the plan, the lockout's window (None: the
    route is not limited)."""
    entry = ENTRY_POINTS.get(url_name or "")
    if entry is None or not settings.RATE_LIMITS_ENABLED:
        return None
    plan: list[_Step] = []
    misses = Rate.parse(settings.RATE_LIMIT_PIN_MISSES)
    if entry.failures:  # an address locked out by its wrong guesses waits for the window's end
        plan.append(_Step("G", f"pinmiss:{address}", misses))
    # A request in flight holds its address's token; if a later bucket refuses, it is given back
    # (the request is then not in flight).
    rate = Rate.parse(getattr(settings, entry.setting))
    plan.append(_Step("T", f"{entry.bucket}:{address}", rate, refund=entry.failures))
    key = token_key(token)
    if entry.per_token and key:
        plan.append(_Step("T", f"token:{key}", Rate.parse(settings.RATE_LIMIT_TOKEN)))
    if entry is _JOIN and pin:
        # A game counts the players who got in, and so does one address in one game (a school
        # behind one NAT gets in; a bot farm on one address cannot fill the game): taken here,
        # atomically, and given back when the join fails (a taken nickname, a wrong code).
        plan += [
            _Step("T", name, join_rate, refund=True)
            for name, join_rate in _join_buckets(pin, address)
        ]
    return entry, plan, misses


def _refusal(planned: tuple[EntryPoint, list[_Step], Rate], outcome: _Outcome) -> int | None:
    entry, _plan, misses = planned
    if outcome.wait is None:
        return None
    # The gate runs first: its count is the last window the plan read, at or past the limit
    # only when the gate itself refused.
    return Refusal(outcome.wait, wrong_guesses=entry.failures and outcome.count >= misses.amount)


def record_result(
    url_name: str | None, *, address: str, status: int, code: str = "", pin: str = ""
) -> None:
    """After the response (any status but 429, which check() gave): count a failed guess (a 404,
    or a wrong join code) toward the address's lockout, give a successful look-up's or join's
    token back to the address, and a failed join's tokens back to its game's buckets; at most one
    Redis round trip."""
    entry = ENTRY_POINTS.get(url_name or "")
    if entry is None or not settings.RATE_LIMITS_ENABLED or status == 429:
        return
    plan: list[_Step] = []
    if entry is _JOIN and pin and status != 201:
        plan += [_Step("R", name, rate) for name, rate in _join_buckets(pin, address)]
    if entry.failures:
        if status < 400:  # a join, a look-up, a resume link that worked (and redirected)
            rate = Rate.parse(getattr(settings, entry.setting))
            plan.append(_Step("R", f"{entry.bucket}:{address}", rate))
        elif status == 404 or code in FAILED_GUESS_CODES:  # e.g. a wrong join code (realtime)
            window = Rate.parse(settings.RATE_LIMIT_PIN_MISSES)
            plan.append(_Step("C", f"pinmiss:{address}", window, add=1))
    if plan:
        deferred = getattr(_deferred, "plans", None)
        if deferred is not None:
            deferred.append(plan)
        else:
            _run(plan)
