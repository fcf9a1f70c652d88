"""Leaderboards: individuals per round and per contest, and units at every level.

Individual boards are kept as Redis sorted sets when REDIS_URL is set: every member has score 0
and is the fixed-width string ranking.encode_key(row), so Redis' lexicographic order of equal
scores *is* the whole tie-break chain (ZRANK = my rank, ZRANGE = top N / around me, O(log N)).
Without Redis, an in-process sorted list plays the same part. Both are caches: the database
(RoundResult rows) is the truth and `rebuild_leaderboards` / board_rebuild() rebuild them.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache

from contest import ranking
from contest.models import Attempt, Contest, Participant, Round, RoundResult

LIVE_ONLY_OFFSET = 10**11  # ids of live rows with no registered participant: offset + result id
UNIT_CACHE_SECONDS = 5


@dataclass(frozen=True)
class Scope:
    """Which board: a round (live, frozen, hidden or final) or a contest's combined ranking."""

    key: str
    chain: tuple[str, ...]
    actual: float | None = None
    round: Round | None = field(default=None, compare=False)
    contest: Contest | None = field(default=None, compare=False)
    before: Any = None  # frozen boards: attempts handed in before this moment
    hidden: bool = False  # scores kept until the close: the board has no rows
    # Public contest boards: the rounds seen frozen or hidden, ((round id, state), ...).
    masked: tuple[tuple[int, str], ...] = ()


def public_state(round_: Round, now=None) -> str:
    """What participants and the public see of a round's standing: "final" once its results are
    computed, "hidden" while it keeps scores until the close (Round.scores_hidden), "frozen"
    during its freeze, "live" otherwise. Organisers always see the live (or final) one.
    While an award ceremony holds the results (Round.results_held), the public keeps what it saw
    at the close: the frozen standing of a round with a freeze, no scores otherwise."""
    if round_.results_held:
        return "frozen" if round_.freeze_hours else "hidden"
    if round_.finalized_at is not None:
        return "final"
    if round_.scores_hidden(now):
        return "hidden"
    if round_.is_frozen(now):
        return "frozen"
    return "live"


def round_scope(round_: Round, *, public: bool = True, now=None) -> Scope:
    """The board a viewer sees: the public one (public_state) if asked, the live (or final, with
    the prediction) one otherwise."""
    chain = ranking.validate_chain(round_.ranking_chain)
    state = public_state(round_, now) if public else None
    if round_.finalized_at is not None and state in (None, "final"):
        return Scope(f"r{round_.pk}:final", chain, round_.prediction_actual, round=round_)
    live_chain = tuple(k for k in chain if k != "prediction") or ("score",)
    if state == "hidden":
        return Scope(f"r{round_.pk}:hidden", live_chain, round=round_, hidden=True)
    if state == "frozen":
        return Scope(f"r{round_.pk}:frozen", live_chain, round=round_, before=round_.freeze_at)
    return Scope(f"r{round_.pk}:live", live_chain, round=round_)


def contest_scope(contest: Contest, *, public: bool = False, now=None) -> Scope:
    """The contest ranking; the public one leaves out the rounds whose scores are hidden and
    takes frozen rounds at their freeze. Its key changes with the rounds' versions, so closing,
    corrections and round edits rebuild it."""
    chain = ("score", "time", "submitted")
    if public:
        rounds = list(contest.rounds.all())
        masked = tuple(
            (r.pk, state) for r in rounds if (state := public_state(r, now)) in ("hidden", "frozen")
        )
        if masked:
            stamp = repr((masked, [round_versions(r.pk) for r in rounds]))
            digest = hashlib.sha1(stamp.encode(), usedforsecurity=False).hexdigest()[:16]
            return Scope(f"c{contest.pk}:p{digest}", chain, contest=contest, masked=masked)
    return Scope(f"c{contest.pk}", chain, contest=contest)


def board_state(scope: Scope) -> dict[str, Any]:
    """Which standing a viewer sees, for pages and API replies: the board ("live", "frozen",
    "hidden", "final", "contest"), since when it is frozen, when hidden scores are published."""
    if scope.round is None:
        assert scope.contest is not None  # a board of no round is a contest's
        out: dict[str, Any] = {"board": "contest"}
        rounds = {r.pk: r for r in scope.contest.rounds.all()} if scope.masked else {}
        out["frozen_rounds"] = [
            {"round": pk, "frozen_since": rounds[pk].freeze_at.isoformat()}
            for pk, state in scope.masked
            if state == "frozen" and pk in rounds
        ]
        out["hidden_rounds"] = [
            {"round": pk, "scores_published_at": rounds[pk].closes_at.isoformat()}
            if not rounds[pk].results_held
            else {"round": pk, "held": True}
            for pk, state in scope.masked
            if state == "hidden" and pk in rounds
        ]
        return out
    board = scope.key.rsplit(":", 1)[-1]
    out = {"board": board}
    if board in ("frozen", "hidden") and scope.round.results_held:
        out["held"] = True  # "Results are announced at the award ceremony"
    if board == "frozen":
        out["frozen_since"] = scope.round.freeze_at.isoformat()
    elif board == "hidden" and not scope.round.results_held:
        out["scores_published_at"] = scope.round.closes_at.isoformat()
    return out


# --- Rows from the database (the truth) --------------------------------------------------------


def _ms(dt) -> int | None:
    return int(dt.timestamp() * 1000) if dt else None


def result_row(
    result: RoundResult, public_name: str | None, unit_name: str | None
) -> dict[str, Any]:
    pid = result.participant_id or LIVE_ONLY_OFFSET + result.pk
    return {
        "id": pid,
        "score": result.score,
        "prediction": result.prediction,
        "time_ms": result.time_ms,
        "submitted_ms": _ms(result.submitted_at),
        "name": public_name or result.nickname,
        "unit": unit_name or "",
        "rank": result.rank,
    }


def round_rows(round_: Round) -> list[dict[str, Any]]:
    qs = RoundResult.objects.filter(round=round_)
    values = qs.values_list(
        "pk",
        "participant_id",
        "score",
        "prediction",
        "time_ms",
        "submitted_at",
        "nickname",
        "rank",
        "participant__public_name",
        "unit__name",
    )
    rows = []
    for (
        pk,
        pid,
        score,
        prediction,
        time_ms,
        submitted,
        nickname,
        rank,
        public_name,
        unit_name,
    ) in values:
        rows.append(
            {
                "id": pid or LIVE_ONLY_OFFSET + pk,
                "score": score,
                "prediction": prediction,
                "time_ms": time_ms,
                "submitted_ms": _ms(submitted),
                "name": public_name or nickname,
                "unit": unit_name or "",
                "rank": rank,
            }
        )
    return rows


def frozen_rows(round_: Round, *, participant_id: int | None = None) -> list[dict[str, Any]]:
    """The standing at the freeze: per participant, the attempt that counted among those handed
    in before it (ranking.counted_attempt). Nothing handed in later moves it, not even a
    participant's better (or worse) later attempt. No prediction: it is not known before the
    close. Rows carry their participant's units for unit boards."""
    attempts = Attempt.objects.filter(
        round=round_,
        status__in=(Attempt.Status.SUBMITTED, Attempt.Status.EXPIRED),
        submitted_at__lt=round_.freeze_at,
    )
    if participant_id is not None:
        attempts = attempts.filter(participant_id=participant_id)
    per: dict[int, list[dict[str, Any]]] = {}
    for a in attempts.values(
        "participant_id",
        "number",
        "score",
        "time_ms",
        "submitted_at",
        "participant__public_name",
        "participant__unit__name",
        *(f"participant__{f}" for f in UNIT_FIELDS.values()),
    ):
        a["submitted_ms"] = _ms(a["submitted_at"])
        per.setdefault(a["participant_id"], []).append(a)
    rows = []
    for pid, tries in per.items():
        counted = ranking.counted_attempt(tries, round_.counting)
        assert counted is not None  # tries holds at least this participant's one attempt
        rows.append(
            {
                "id": pid,
                "score": counted["score"],
                "prediction": None,
                "time_ms": counted["time_ms"] or 0,
                "submitted_ms": counted["submitted_ms"],
                "name": counted["participant__public_name"],
                "unit": counted["participant__unit__name"] or "",
                "rank": None,
                **{f: counted[f"participant__{f}"] for f in UNIT_FIELDS.values()},
            }
        )
    return rows


def _contest_rows(
    contest: Contest, masked: dict[int, str], participant_id: int | None = None
) -> list[dict[str, Any]]:
    rounds = list(contest.rounds.all())
    weights = {r.pk: r.weight for r in rounds if masked.get(r.pk) != "hidden"}
    per_round: dict[int, list[dict]] = {pk: [] for pk in weights}
    names: dict[int, str] = {}
    results = RoundResult.objects.filter(round__contest=contest, participant__isnull=False)
    if masked:
        results = results.exclude(round_id__in=list(masked))
    if participant_id is not None:
        results = results.filter(participant_id=participant_id)
    for round_id, pid, score, time_ms, submitted, public_name in results.values_list(
        "round_id", "participant_id", "score", "time_ms", "submitted_at", "participant__public_name"
    ):
        per_round[round_id].append(
            {"id": pid, "score": score, "time_ms": time_ms, "submitted_ms": _ms(submitted)}
        )
        names[pid] = public_name
    for r in rounds:
        if masked.get(r.pk) == "frozen":
            for row in frozen_rows(r, participant_id=participant_id):
                per_round[r.pk].append(row)
                names[row["id"]] = row["name"]
    rows = ranking.combine_rounds(per_round, weights)
    for row in rows:
        row["name"] = names.get(row["id"], "")
        row["unit"] = ""
    return rows


def contest_rows(contest: Contest, masked: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The contest's rows; `masked` (round id -> "hidden" or "frozen") gives the public view."""
    return _contest_rows(contest, masked or {})


def contest_row(
    contest: Contest, participant_id: int, masked: dict[int, str] | None = None
) -> dict[str, Any] | None:
    rows = _contest_rows(contest, masked or {}, participant_id)
    return rows[0] if rows else None


def _scope_rows(scope: Scope) -> list[dict[str, Any]]:
    if scope.hidden:
        return []
    if scope.contest is not None:
        return contest_rows(scope.contest, dict(scope.masked))
    assert scope.round is not None  # not a contest's board: a round's
    if scope.before is not None:
        return frozen_rows(scope.round)
    return round_rows(scope.round)


def _display(row: dict[str, Any]) -> str:
    return json.dumps(
        {k: row.get(k) for k in ("id", "name", "unit", "score", "time_ms", "prediction", "rank")},
        ensure_ascii=False,
    )


# --- Backends --------------------------------------------------------------------------------


class RedisBoards:
    def __init__(self, url: str, prefix: str):
        import redis

        # Any: redis-py types every reply as "sync or awaitable" (ResponseT), and pipelines as the
        # client; with decode_responses these are the sync client's str/int/list replies.
        self.client: Any = redis.Redis.from_url(url, socket_timeout=5, decode_responses=True)
        self.prefix = f"{prefix}:lb:"

    def _keys(self, scope: Scope) -> tuple[str, str, str, str]:
        base = self.prefix + scope.key
        return base, base + ":m", base + ":d", base + ":built"

    def ready(self, scope: Scope) -> bool:
        return bool(self.client.exists(self._keys(scope)[3]))

    def replace(self, scope: Scope, rows: list[dict]) -> None:
        zkey, mkey, dkey, built = self._keys(scope)
        # Requests that find a board missing rebuild it at the same time: each writes its own
        # temporary keys (shared ones made the second RENAME fail: "no such key", a 500).
        suffix = ":tmp" + secrets.token_hex(6)
        tmp = [k + suffix for k in (zkey, mkey, dkey)]
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(*tmp)
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            members = {ranking.encode_key(r, scope.chain, scope.actual): 0 for r in chunk}
            pipe.zadd(tmp[0], members)
            pipe.hset(
                tmp[1],
                mapping={r["id"]: ranking.encode_key(r, scope.chain, scope.actual) for r in chunk},
            )
            pipe.hset(tmp[2], mapping={r["id"]: _display(r) for r in chunk})
        for key in tmp:
            pipe.expire(key, 3600)  # a rebuild that dies half-way leaves nothing for long
        pipe.execute()
        pipe = self.client.pipeline(transaction=True)
        for src, dst in zip(tmp, (zkey, mkey, dkey), strict=True):
            if rows:
                pipe.rename(src, dst)
                pipe.persist(dst)
            else:
                pipe.delete(dst)
        pipe.set(built, 1)
        pipe.execute()

    def put(self, scope: Scope, row: dict) -> None:
        zkey, mkey, dkey, _built = self._keys(scope)
        old = self.client.hget(mkey, row["id"])
        member = ranking.encode_key(row, scope.chain, scope.actual)
        pipe = self.client.pipeline(transaction=True)
        if old and old != member:
            pipe.zrem(zkey, old)
        pipe.zadd(zkey, {member: 0})
        pipe.hset(mkey, row["id"], member)
        pipe.hset(dkey, row["id"], _display(row))
        pipe.execute()

    def remove(self, scope: Scope, row_id: int) -> None:
        zkey, mkey, dkey, _built = self._keys(scope)
        old = self.client.hget(mkey, row_id)
        if old:
            self.client.pipeline().zrem(zkey, old).hdel(mkey, row_id).hdel(dkey, row_id).execute()

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
        self.client.delete(base, base + ":m", base + ":d", base + ":built")


class MemoryBoards:
    """Per-process fallback: a sorted list per scope, rebuilt from the database whenever another
    process (or this one) changed the board (a version number in the cache says so)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.boards: dict[str, tuple[int, list[str], dict[int, str], dict[int, dict]]] = {}

    def _version(self, scope: Scope) -> int:
        return int(cache.get(f"lbv:{scope.key}") or 0)

    def _bump(self, scope: Scope) -> None:
        try:
            cache.incr(f"lbv:{scope.key}")
        except ValueError:
            cache.set(f"lbv:{scope.key}", 1, None)

    def ready(self, scope: Scope) -> bool:
        board = self.boards.get(scope.key)
        return board is not None and board[0] == self._version(scope)

    def replace(self, scope: Scope, rows: list[dict]) -> None:
        encoded = sorted((ranking.encode_key(r, scope.chain, scope.actual), r) for r in rows)
        with self.lock:
            self.boards[scope.key] = (
                self._version(scope),
                [m for m, _ in encoded],
                {r["id"]: m for m, r in encoded},
                {r["id"]: r for _, r in encoded},
            )

    def put(self, scope: Scope, row: dict) -> None:
        self._bump(scope)  # every process rebuilds from the database on its next read

    def remove(self, scope: Scope, row_id: int) -> None:
        self._bump(scope)

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
        cache.delete(f"lbv:{scope_key}")


_backend = None


def backend():
    global _backend
    if _backend is None:
        url = getattr(settings, "REDIS_URL", "")
        _backend = RedisBoards(url, settings.CHANNEL_PREFIX) if url else MemoryBoards()
    return _backend


# --- Operations ------------------------------------------------------------------------------


def board_rebuild(scope: Scope) -> int:
    """Rebuild a board from the database; returns its size."""
    rows = _scope_rows(scope)
    backend().replace(scope, rows)
    return len(rows)


def _ensure(scope: Scope) -> None:
    if not backend().ready(scope):
        board_rebuild(scope)


def round_rebuild_all(round_: Round) -> None:
    """Rebuild every board a round feeds (its live/final board and its contest's)."""
    for suffix in ("live", "frozen", "hidden", "final"):
        backend().drop(f"r{round_.pk}:{suffix}")
    bump_version(round_.pk)
    board_rebuild(round_scope(round_, public=False))
    board_rebuild(contest_scope(round_.contest))


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


def my_rank_row(scope: Scope, row: dict, total: int) -> dict:
    """The my-rank answer for a board row (as my_rank gives it)."""
    return dict(_with_ranks(scope, [row])[0], total=total)


def my_rank_payload(scope: Scope, me: dict | None) -> dict[str, Any]:
    """The my-rank reply body (Django and the ASGI fast path give the same)."""
    return {"me": None if scope.hidden else me, **board_state(scope)}


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


def round_changed(round_id: int) -> None:
    """A round's row (or its contest's) changed: every process drops its copy, and the frozen
    board is rebuilt on its next read (the freeze may have moved)."""
    backend().drop(f"r{round_id}:frozen")
    _bump(_version_keys(round_id)[0], f"lbrowver:{round_id}")


def participant_changed(
    round_: Round, participant_id: int, *, result: RoundResult | None = None, participant=None
) -> None:
    """A participant's round result changed: update the round's and the contest's boards.
    A caller that has the fresh result and the participant (with its school) passes them."""
    scope = round_scope(round_, public=False)
    if result is None or participant is None:
        result = (
            RoundResult.objects.filter(round=round_, participant_id=participant_id)
            .select_related("participant__school")
            .first()
        )
        participant = result.participant if result is not None else None
    b = backend()
    if b.ready(scope):
        if result is None:
            b.remove(scope, participant_id)
        else:
            b.put(scope, result_row(result, participant.public_name, participant.school.name))
    for cscope in _contest_scopes_fed_by(round_):
        if b.ready(cscope):
            row = contest_row(round_.contest, participant_id, dict(cscope.masked))
            if row is None:
                b.remove(cscope, participant_id)
            else:
                b.put(cscope, row)


def _contest_scopes_fed_by(round_: Round) -> list[Scope]:
    """The contest boards a new result of this round changes: the organisers' one, and the
    public one unless it shows this round frozen or hidden."""
    live = contest_scope(round_.contest)
    public = contest_scope(round_.contest, public=True)
    if public.key == live.key or round_.pk in dict(public.masked):
        return [live]
    return [live, public]


def top(scope: Scope, n: int = 100, offset: int = 0) -> list[dict]:
    if scope.hidden:
        return []
    _ensure(scope)
    return _with_ranks(scope, backend().slice(scope, offset, offset + n))


def around(scope: Scope, participant_id: int, k: int = 5) -> list[dict]:
    if scope.hidden:
        return []
    _ensure(scope)
    position = backend().position(scope, participant_id)
    if position is None:
        return []
    return _with_ranks(scope, backend().slice(scope, position - 1 - k, position + k))


def my_rank(scope: Scope, participant_id: int) -> dict | None:
    if scope.hidden:
        return None
    b = backend()
    if isinstance(b, RedisBoards):
        ready, row, total = b.rank_row(scope, participant_id)
        if ready:
            return my_rank_row(scope, row, total) if row else None
    _ensure(scope)
    position = b.position(scope, participant_id)
    if position is None:
        return None
    rows = _with_ranks(scope, b.slice(scope, position - 1, position))
    return dict(rows[0], total=b.count(scope)) if rows else None


def size(scope: Scope) -> int:
    """How many rows the board has (a hidden board: how many results the round has, which says
    nothing about scores)."""
    if scope.hidden:
        assert scope.round is not None  # only a round's board is hidden
        scope = round_scope(scope.round, public=False)
    _ensure(scope)
    return backend().count(scope)


def _tie_of(member: str) -> str:
    """A board member without its participant id: equal for rows that tie on the chain."""
    return member.rsplit(".", 1)[0]


def _with_ranks(scope: Scope, rows: list[dict]) -> list[dict]:
    # Final boards keep the ranks stored with the results; live and contest boards compute the
    # same competition ranks (ranking.rank_rows: 1, 2, 2, 4) from the sorted members: a row's
    # rank is 1 + the rows whose tie key is strictly smaller. Rows of a slice arrive in order, so
    # only its first row asks the board.
    previous: tuple[str, int] | None = None
    for row in rows:
        tie, ahead = row.pop("_tie", None), row.pop("_ahead", None)
        if scope.key.endswith(":final") and row.get("rank"):
            pass
        elif ahead is not None:
            row["rank"] = ahead + 1
        elif tie is not None and previous is not None and previous[0] == tie:
            row["rank"] = previous[1]
        elif tie is not None and previous is None and row["position"] > 1:
            row["rank"] = backend().ahead(scope, tie) + 1
        else:
            row["rank"] = row["position"]
        if tie is not None:
            previous = (tie, row["rank"])
        if scope.actual is None:
            row.pop("prediction", None)
    return rows


# --- Unit boards -------------------------------------------------------------------------------

UNIT_FIELDS = {
    "class": "class_unit_id",
    "school": "school_id",
    "district": "district_id",
    "province": "province_id",
}


def unit_method(
    contest: Contest, round_: Round | None, method: str | None, *, public: bool = True
) -> str:
    """The aggregation a unit board uses: participation only while the public may not see the
    round's scores."""
    if public and round_ is not None and public_state(round_) == "hidden":
        return "participation"
    return method or contest.unit_aggregation


def unit_board(
    *,
    contest: Contest,
    round_: Round | None,
    level: str,
    method: str | None = None,
    top_n: int | None = None,
    parent_id: int | None = None,
    public: bool = True,
) -> list[dict]:
    """Units of one level ranked by an aggregation of their participants' scores (cached a few
    seconds: a ceremony screen polls it). The public sees a frozen round at its freeze, and only
    the participation of a round that keeps its scores hidden."""
    from quizzes.models import Unit

    method = unit_method(contest, round_, method, public=public)
    top_n = top_n or contest.aggregation_top_n
    state = public_state(round_) if round_ is not None and public else "live"
    cscope = contest_scope(contest, public=public) if round_ is None else None
    view = cscope.key if cscope is not None else state
    cache_key = f"ub:{contest.pk}:{round_.pk if round_ else 0}:{level}:{method}:{top_n}:{parent_id}:{view}:{round_.finalized_at if round_ else ''}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    unit_field = UNIT_FIELDS[level]
    parent_field = {"class": "school_id", "school": "district_id", "district": "province_id"}.get(
        level
    )
    participants = Participant.objects.filter(contest=contest)
    if parent_id and parent_field:
        participants = participants.filter(**{parent_field: parent_id})
    registered: dict[int, int] = {}
    for unit_id in participants.values_list(unit_field, flat=True):
        if unit_id:
            registered[unit_id] = registered.get(unit_id, 0) + 1
    if round_ is not None and state == "frozen":
        scores = [
            (row[unit_field], row["score"])
            for row in frozen_rows(round_)
            if row[unit_field]
            and not (parent_id and parent_field and row[parent_field] != parent_id)
        ]
    elif round_ is not None:
        results = RoundResult.objects.filter(round=round_, participant__in=participants)
        scores = [
            (u, s) for u, s in results.values_list(f"participant__{unit_field}", "score") if u
        ]
    else:
        assert cscope is not None  # no round: the contest's board
        unit_of = dict(participants.values_list("pk", unit_field))
        scores = [
            (unit_of[r["id"]], r["score"])
            for r in contest_rows(contest, dict(cscope.masked))
            if unit_of.get(r["id"])
        ]
    rows = ranking.aggregate_units(scores, registered, method, top_n)
    names = dict(Unit.objects.filter(pk__in=[r["unit_id"] for r in rows]).values_list("pk", "name"))
    for row in rows:
        row["name"] = names.get(row["unit_id"], "")
    cache.set(cache_key, rows, UNIT_CACHE_SECONDS)
    return rows
