"""The durable answer write: micro-batched inserts, one implementation per database backend.

`AnswerBatcher` collects the answers that arrive within a few ms and hands them to the backend in
one batch; each answer's future resolves with (status, submission_id, new):
"ok" = stored (or already stored: the ORIGINAL submission id, new=False), "late" = the question
closed before the batch committed. When new answers are stored the batcher calls `on_stored(game,
q, n)` (the hub's answer count): it never sees the hub.

Backends (chosen once, on the first batch, by the default database's vendor):
- PostgreSQL: one statement per (game, question) group that reads the game row FOR SHARE and
  inserts (a concurrent close waits for it; a batch after the close stores nothing), awaited on
  the event loop over its own asyncio psycopg connection: no worker thread, no GIL hand-offs
  during an answer burst.
- Any other database (SQLite, the embedded default): one ORM transaction in a database thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from django.db import close_old_connections, connection, connections, transaction

from core import metrics
from realtime import engine
from realtime.models import Answer, Game

logger = logging.getLogger(__name__)

Result = tuple[str, str | None, bool]
OnStored = Callable[[int, int, int], Coroutine[Any, Any, None]]


class PostgresAnswers:
    """PostgreSQL: `_ANSWERS_PG_SQL` per (game, question) group over an asyncio connection."""

    def __init__(self) -> None:
        # asyncio psycopg connection in autocommit mode, made on first use
        self.conn: Any = None

    async def store(self, rows: list[dict[str, Any]]) -> list[Result]:
        if self.conn is None or self.conn.closed:
            await self._connect()
        try:
            return await self._store(rows)
        except Exception:
            # A broken connection: drop it (these answers get "busy"; the client retries with
            # the same answer_id) and connect again for the next batch.
            conn, self.conn = self.conn, None
            try:
                await conn.close()
            except Exception:
                pass
            raise

    async def _connect(self) -> None:
        import psycopg

        params = connections["default"].settings_dict
        kwargs = {
            "dbname": params["NAME"],
            "user": params.get("USER"),
            "password": params.get("PASSWORD"),
            "host": params.get("HOST"),
            "port": params.get("PORT"),
        }
        self.conn = await psycopg.AsyncConnection.connect(
            autocommit=True, **{k: v for k, v in kwargs.items() if v}
        )

    async def _store(self, rows: list[dict[str, Any]]) -> list[Result]:
        # Acks are sent only after this returns: each statement has committed (autocommit).
        out: list[Result] = [("late", None, False)] * len(rows)
        async with self.conn.cursor() as cursor:
            for (game_id, q), indexes in _groups(rows).items():
                first, params = _answers_pg_plan(rows, indexes, game_id, q)
                await cursor.execute(_ANSWERS_PG_SQL, params)
                is_live, inserted_ids = await cursor.fetchone()
                if not is_live:
                    continue  # the question closed first: every row stays "late"
                inserted = set(inserted_ids)
                existing: dict[int, Any] = {}
                conflicts = [pid for pid in first if pid not in inserted]
                if conflicts:
                    await cursor.execute(_ANSWERS_PG_CONFLICTS_SQL, [game_id, q, conflicts])
                    existing = dict(await cursor.fetchall())
                _answers_pg_fill(rows, indexes, first, inserted, existing, out)
        return out

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.pgconn.finish()
            except Exception:
                pass
            self.conn = None


class OrmAnswers:
    """Other databases: `_orm_store` in one database thread."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answers")

    async def store(self, rows: list[dict[str, Any]]) -> list[Result]:
        return await asyncio.get_running_loop().run_in_executor(self.executor, _orm_store, rows)

    def close(self) -> None:
        # In the database thread: `connection.close` looked up here would be this thread's.
        self.executor.submit(lambda: connection.close()).result()
        self.executor.shutdown(wait=False)


def answers_backend() -> PostgresAnswers | OrmAnswers:
    if connections["default"].vendor == "postgresql":
        return PostgresAnswers()
    return OrmAnswers()


def _groups(rows: list[dict[str, Any]]) -> dict[tuple[int, int], list[int]]:
    groups: dict[tuple[int, int], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r["game_id"], r["q"]), []).append(i)
    return groups


class AnswerBatcher:
    """Collects answers for a few ms and stores them as one batch; up to `in_flight` batches at
    once on PostgreSQL (each on its own connection), one at a time elsewhere.

    In an answer burst the answers that arrive while a batch is in its round trip used to wait
    for it to return, then `max_wait` more, before their own batch started: the burst's last
    answers waited up to two round trips plus the sleep for their ack. Now the next batch starts
    on a second connection as soon as the first is on its way, and `max_wait` is slept only when
    a batch starts from idle (to gather the burst's first answers into one statement).
    Durability is unchanged: each answer's future resolves after its own statement committed.
    """

    def __init__(
        self,
        on_stored: OnStored,
        *,
        max_wait: float = 0.004,
        max_batch: int = 1000,
        in_flight: int = 2,
    ):
        self.on_stored = on_stored
        self.max_wait = max_wait
        self.max_batch = max_batch
        self.in_flight = in_flight
        self.pending: list[tuple[dict, asyncio.Future]] = []
        self.wakeup = asyncio.Event()
        self.backend: PostgresAnswers | OrmAnswers | None = None  # the first one (tests read it)
        self.idle: list[PostgresAnswers | OrmAnswers] = []  # backends with no batch in flight
        self.backends: list[PostgresAnswers | OrmAnswers] = []
        self.storing: set[asyncio.Task] = set()
        self.free = asyncio.Event()  # a batch finished: a backend is idle again
        self.task = asyncio.create_task(self._run())

    async def submit(self, row: dict) -> Result:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((row, future))
        self.wakeup.set()
        return await future

    def _limit(self) -> int:
        # SQLite (the ORM backend) has one writer: a second batch would only wait for the lock.
        return self.in_flight if isinstance(self.backend, PostgresAnswers) else 1

    async def _run(self) -> None:
        while True:
            await self.wakeup.wait()
            if not self.storing:
                await asyncio.sleep(self.max_wait)  # from idle: gather the burst's first answers
            while self.storing and len(self.storing) >= self._limit():
                self.free.clear()
                await self.free.wait()  # answers keep arriving meanwhile: a bigger next batch
            batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
            if not self.pending:
                self.wakeup.clear()
            if not batch:
                continue
            if self.backend is None:
                self.backend = answers_backend()
                self.backends.append(self.backend)
                self.idle.append(self.backend)
            if not self.idle:
                backend = answers_backend()
                self.backends.append(backend)
                self.idle.append(backend)
            task = asyncio.create_task(self._store(self.idle.pop(), batch))
            self.storing.add(task)

    async def _store(
        self, backend: PostgresAnswers | OrmAnswers, batch: list[tuple[dict, asyncio.Future]]
    ) -> None:
        rows = [row for row, _ in batch]
        try:
            try:
                results = await backend.store(rows)
            except Exception:
                logger.exception("answer batch failed")
                results = [("busy", None, False)] * len(rows)
            counts: dict[tuple[int, int], int] = {}
            for (row, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
                if result[2]:
                    key = (row["game_id"], row["q"])
                    counts[key] = counts.get(key, 0) + 1
            metrics.answers_stored(sum(counts.values()))
            for (game_id, q), n in counts.items():
                asyncio.create_task(self.on_stored(game_id, q, n))
        finally:
            self.idle.append(backend)
            self.storing.discard(asyncio.current_task())  # type: ignore[arg-type]
            self.free.set()

    def close(self) -> None:
        """Tests: cancel the batcher and close its database connections."""
        self.task.cancel()
        for task in list(self.storing):
            task.cancel()
        for backend in self.backends:
            backend.close()


# --- PostgreSQL --------------------------------------------------------------------------------


_ANSWERS_PG_SQL = """WITH live AS (
    SELECT id FROM realtime_game
    WHERE id = %s AND phase = %s AND current_q = %s FOR SHARE
), ins AS (
    INSERT INTO realtime_answer (game_id, player_id, q, question_id, submission_id, response,
                                 received_ms, elapsed_ms)
    SELECT live.id, v.player_id, %s, v.question_id, v.submission_id, v.response, v.received_ms,
           v.elapsed_ms
    FROM live, jsonb_to_recordset(%s::jsonb) AS v(
        player_id bigint, question_id bigint, submission_id uuid, response jsonb,
        received_ms bigint, elapsed_ms integer)
    ON CONFLICT (game_id, player_id, q) DO NOTHING
    RETURNING player_id
)
SELECT (SELECT count(*) FROM live), ARRAY(SELECT player_id FROM ins)"""
_ANSWERS_PG_CONFLICTS_SQL = (
    "SELECT player_id, submission_id FROM realtime_answer"
    " WHERE game_id = %s AND q = %s AND player_id = ANY(%s::bigint[])"
)


def _answers_pg_plan(
    rows: list[dict[str, Any]], indexes: list[int], game_id: int, q: int
) -> tuple[dict[int, int], list]:
    """(player -> index of their first row in the batch, parameters of _ANSWERS_PG_SQL)."""
    first: dict[int, int] = {}
    for i in indexes:
        first.setdefault(rows[i]["player_id"], i)
    payload = orjson.dumps(
        [
            {
                "player_id": r["player_id"],
                "question_id": r["question_id"],
                "submission_id": r["submission_id"],
                "response": r["response"],
                "received_ms": r["received_ms"],
                "elapsed_ms": r["elapsed_ms"],
            }
            for r in (rows[i] for i in first.values())
        ]
    ).decode()
    return first, [game_id, engine.QUESTION, q, q, payload]


def _answers_pg_fill(
    rows: list[dict[str, Any]],
    indexes: list[int],
    first: dict[int, int],
    inserted: set[int],
    existing: dict[int, Any],
    out: list[tuple[str, str | None, bool]],
) -> None:
    for i in indexes:
        pid = rows[i]["player_id"]
        if pid in inserted:
            out[i] = ("ok", str(rows[first[pid]]["submission_id"]), i == first[pid])
        else:
            sid = existing.get(pid)
            out[i] = ("ok", str(sid) if sid else None, False)


# --- Other databases (the ORM) ------------------------------------------------------------


def _orm_store(rows: list[dict[str, Any]]) -> list[Result]:
    """The ORM backend's batch: one transaction (SQLite serialises writers, so a close waits)."""
    close_old_connections()
    out: list[Result] = [("late", None, False)] * len(rows)
    with transaction.atomic():
        game_ids = sorted({r["game_id"] for r in rows})
        live = {
            gid: (phase, q)
            for gid, phase, q in Game.objects.filter(id__in=game_ids).values_list(
                "id", "phase", "current_q"
            )
        }
        accepted = [
            i for i, r in enumerate(rows) if live.get(r["game_id"]) == (engine.QUESTION, r["q"])
        ]
        groups: dict[tuple[int, int], list[int]] = {}
        for i in accepted:
            groups.setdefault((rows[i]["game_id"], rows[i]["q"]), []).append(i)
        for (game_id, q), indexes in groups.items():
            players = {rows[i]["player_id"] for i in indexes}
            before = dict(
                Answer.objects.filter(game_id=game_id, q=q, player_id__in=players).values_list(
                    "player_id", "submission_id"
                )
            )
            fresh: dict[int, Answer] = {}
            for i in indexes:
                r = rows[i]
                if r["player_id"] in before or r["player_id"] in fresh:
                    continue
                fresh[r["player_id"]] = Answer(
                    game_id=game_id,
                    player_id=r["player_id"],
                    q=q,
                    question_id=r["question_id"],
                    submission_id=r["submission_id"],
                    response=r["response"],
                    received_ms=r["received_ms"],
                    elapsed_ms=r["elapsed_ms"],
                )
            if fresh:
                Answer.objects.bulk_create(fresh.values(), ignore_conflicts=True)
            after = dict(
                Answer.objects.filter(game_id=game_id, q=q, player_id__in=players).values_list(
                    "player_id", "submission_id"
                )
            )
            counted: set[int] = set()
            for i in indexes:
                pid = rows[i]["player_id"]
                sid = after.get(pid)
                new = (
                    pid not in before
                    and pid not in counted
                    and sid is not None
                    and sid == rows[i]["submission_id"]
                )
                if new:
                    counted.add(pid)
                out[i] = ("ok", str(sid) if sid else None, new)
    return out
