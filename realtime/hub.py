"""The per-process hub: local sockets per game, the event bus, timers and the answer batcher.

Fan-out: a broadcast is serialised once (orjson) by the process that caused it and published once
on the live store's bus; every process (this one included) receives it once and writes the same
text to its own local sockets (no per-socket channel-layer dispatch). Personal frames (results)
travel as one compact map and each process builds them for its own players.

Timers: every process that has a game loaded arms the close timer at the stored deadline; the
transition is a compare-and-set in PostgreSQL, so exactly one process closes and scores the
question, and after a restart the reloaded state re-arms the ORIGINAL deadline.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import hmac
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import orjson
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections

from config import metrics
from realtime import engine, services
from realtime import protocol as p
from realtime.models import Answer, Game, Player, QuestionResult
from realtime.selectors import PlayQuestion, active_players_count, play_question, podium, roster
from realtime.store import get_store

if TYPE_CHECKING:
    from realtime.consumers import GameSocket

logger = logging.getLogger(__name__)

TO_PLAYERS = 1
TO_HOST = 2
TO_SCREEN = 4
TO_ALL = TO_PLAYERS | TO_HOST | TO_SCREEN
TO_STAFF = TO_HOST | TO_SCREEN

# If the process that closed a question dies before scoring it, another one scores it after this.
SCORE_RETRY_SECONDS = 2.0
GC_FREEZE = os.environ.get("CQ_GC_FREEZE", "1") == "1"
# How long a process keeps an ended game loaded (podium pages) before it drops it from memory.
ENDED_GAME_KEEP_SECONDS = 600.0
# Count frames (players' lobby count, staff's answer count) are coalesced to at most one per this
# interval per game and process: one frame per join to every player made joining O(N^2).
COUNT_FRAME_INTERVAL = 0.25
SWITCH_INTERVAL = 0.001


def now_ms() -> int:
    return int(time.time() * 1000)


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def grace_ms() -> int:
    return int(float(settings.ANSWER_GRACE_SECONDS) * 1000)


db = database_sync_to_async


class LocalGame:
    """What this process knows about one game: its live state mirror and local sockets."""

    def __init__(self, game: Game, state: dict):
        self.id = game.id
        self.game = game
        self.state = state
        self.players: dict[int, GameSocket] = {}
        self.hosts: set[GameSocket] = set()
        self.screens: set[GameSocket] = set()
        self.questions: dict[int, PlayQuestion] = {}
        # Loads in flight: concurrent cache misses for one question share a single load.
        self.question_loads: dict[int, asyncio.Future] = {}
        self.answered: dict[int, str] = {}  # player -> submission id, for the current question
        self.answered_q: int | None = None
        self.players_count = 0
        self.lock = asyncio.Lock()
        self.timer: asyncio.TimerHandle | None = None
        self.timer_key: tuple | None = None
        self.gc_frozen = False
        # Coalesced count frames: the pending timer and when the last frame went out.
        self.lobby_timer: asyncio.TimerHandle | None = None
        self.lobby_sent = 0.0
        self.answers_timer: asyncio.TimerHandle | None = None
        self.answers_sent = 0.0
        self.answers_latest: tuple[int, int] = (-1, 0)  # (q, highest count seen)

    @property
    def plan(self) -> list[dict]:
        return self.game.plan

    def sockets(self, mask: int):
        if mask & TO_PLAYERS:
            yield from list(self.players.values())
        if mask & TO_HOST:
            yield from list(self.hosts)
        if mask & TO_SCREEN:
            yield from list(self.screens)


class AnswerBatcher:
    """Collects answers for a few ms and stores them in one transaction (one DB thread)."""

    def __init__(self, hub: Hub, *, max_wait: float = 0.004, max_batch: int = 1000):
        self.hub = hub
        self.max_wait = max_wait
        self.max_batch = max_batch
        self.pending: list[tuple[dict, asyncio.Future]] = []
        self.wakeup = asyncio.Event()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answers")
        self.conn = None  # asyncio psycopg connection (PostgreSQL), made on first use
        self.use_loop: bool | None = None
        self.task = asyncio.create_task(self._run())

    async def submit(self, row: dict) -> tuple[str, str | None, bool]:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((row, future))
        self.wakeup.set()
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.wakeup.wait()
            await asyncio.sleep(self.max_wait)
            batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
            if not self.pending:
                self.wakeup.clear()
            if not batch:
                continue
            rows = [row for row, _ in batch]
            try:
                if self.on_loop():
                    results = await self._store_on_loop(rows)
                else:
                    results = await loop.run_in_executor(self.executor, _store_batch, rows)
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
                asyncio.create_task(self.hub.answers_counted(game_id, q, n))

    def on_loop(self) -> bool:
        """PostgreSQL: store batches on the event loop (asyncio psycopg), not in a thread."""
        if self.use_loop is None:
            from django.db import connections

            self.use_loop = connections["default"].vendor == "postgresql" and getattr(
                settings, "LIVE_ANSWERS_ON_LOOP", True
            )
        return self.use_loop

    async def _store_on_loop(self, rows: list[dict]) -> list[tuple[str, str | None, bool]]:
        import psycopg
        from django.db import connections

        if self.conn is None or self.conn.closed:
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
        try:
            return await services.answers_store_async(self.conn, rows)
        except Exception:
            # A broken connection: drop it (these answers get "busy"; the client retries with
            # the same answer_id) and connect again for the next batch.
            conn, self.conn = self.conn, None
            try:
                await conn.close()
            except Exception:
                pass
            raise

    def close_connection(self) -> None:
        from django.db import connection

        if self.conn is not None:
            try:
                self.conn.pgconn.finish()
            except Exception:
                pass
            self.conn = None
        self.executor.submit(connection.close).result()


def _store_batch(rows: list[dict]) -> list[tuple[str, str | None, bool]]:
    close_old_connections()
    return services.answers_store(rows)


class Hub:
    def __init__(self) -> None:
        # The answer batcher's database thread needs the GIL back after each round trip; with
        # the default 5 ms switch interval a busy event loop (a fan-out, an answer burst) makes
        # it wait up to 5 ms every time, and every answer of the batch waits for its ack.
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.loop = asyncio.get_running_loop()
        self.store = get_store()
        self.games: dict[int, LocalGame] = {}
        self.loading: dict[int, asyncio.Lock] = {}
        self.inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.batcher = AnswerBatcher(self)
        self.started = False
        self.starting: asyncio.Task | None = None
        self.start_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task] = set()

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the bus and re-arm the timers of running games (after a restart)."""
        async with self.start_lock:
            if self.started:
                return
            self.tasks.add(asyncio.create_task(self._drain()))
            await self.store.listen(self.inbox.put_nowait)
            self.started = True
        running = await db(lambda: list(Game.objects.filter(status=Game.Status.RUNNING)))()
        for game in running:
            await self.game(game.id, game=game)

    async def _drain(self) -> None:
        while True:
            data = await self.inbox.get()
            try:
                await self.on_envelope(orjson.loads(data))
            except Exception:
                logger.exception("bad live event")

    def shutdown(self) -> None:
        for lg in self.games.values():
            for timer in (lg.timer, lg.lobby_timer, lg.answers_timer):
                if timer:
                    timer.cancel()
        for task in self.tasks:
            task.cancel()
        self.batcher.task.cancel()
        stop = getattr(self.store, "stop", None)
        if stop:
            stop()

    def spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- loading -----------------------------------------------------------------------------

    async def game(self, game_id: int, *, game: Game | None = None) -> LocalGame | None:
        lg = self.games.get(game_id)
        if lg is not None:
            return lg
        lock = self.loading.setdefault(game_id, asyncio.Lock())
        async with lock:
            lg = self.games.get(game_id)
            if lg is not None:
                return lg
            if game is None:
                game = await db(
                    lambda: Game.objects.select_related("quiz").filter(id=game_id).first()
                )()
                if game is None:
                    return None
            elif game.quiz_id:
                await db(lambda: game.quiz)()
            # The database is the system of record: every transition is written there first.
            state = {**game.state, "seq": game.seq}
            lg = LocalGame(game, state)
            lg.players_count = await db(active_players_count)(game_id=game_id)
            await self.store.players_set(game_id, lg.players_count)
            self.games[game_id] = lg
        self.arm(lg)
        return lg

    async def reload(self, lg: LocalGame) -> None:
        game = await db(lambda: Game.objects.get(id=lg.id))()
        if game.seq >= lg.state["seq"]:
            lg.state = {**game.state, "seq": game.seq}
            self.arm(lg)

    async def question(self, lg: LocalGame, q: int) -> PlayQuestion:
        """The question as this process holds it: loaded once per process, however many ask.

        Only the process that opens a question (the host's) builds its frame and so loads it;
        every other process first needs it when its players' answers arrive, all at once. Each
        of those answers used to run its own load in the database thread (three queries each:
        ~1,000 loads in a row for 1,000 players), so that process did several times the other's
        work and its acks waited behind the loads. Concurrent misses now await one load, and
        `on_envelope` starts it as soon as the question's state arrives on the bus.
        """
        pq = lg.questions.get(q)
        if pq is not None:
            return pq
        loading = lg.question_loads.get(q)
        if loading is None:
            loading = asyncio.ensure_future(db(play_question)(game=lg.game, q=q))
            lg.question_loads[q] = loading

            def done(future: asyncio.Future, q: int = q) -> None:
                if lg.question_loads.get(q) is future:
                    del lg.question_loads[q]  # a failed load is tried again by the next caller
                if not future.cancelled() and future.exception() is None:
                    lg.questions[q] = future.result()

            loading.add_done_callback(done)
        # Shielded: one caller cancelled (its socket closed) does not cancel the others' load.
        return await asyncio.shield(loading)

    def question_soon(self, lg: LocalGame) -> None:
        """Start loading the current question in the background (other processes' questions)."""
        state = lg.state
        q = state.get("q")
        if (
            state.get("phase") == engine.QUESTION
            and q is not None
            and q not in lg.questions
            and q not in lg.question_loads
        ):
            self.spawn(self._question_quietly(lg, q))

    async def _question_quietly(self, lg: LocalGame, q: int) -> None:
        try:
            await self.question(lg, q)
        except Exception:
            logger.exception("loading question %s of game %s failed", q, lg.id)

    # --- bus ---------------------------------------------------------------------------------

    async def publish(
        self,
        lg: LocalGame,
        *,
        state: dict | None = None,
        frames: list[tuple[int, dict]] = (),
        personal: dict | None = None,
        kick: int | None = None,
        players: int | None = None,
        players_lobby: bool = False,
    ) -> None:
        """One event for every process: each frame serialised once, here."""
        envelope: dict[str, Any] = {"g": lg.id, "f": [[mask, dumps(f)] for mask, f in frames]}
        if state is not None:
            envelope["s"] = state
            await self.store.state_set(lg.id, state)
        if personal is not None:
            envelope["r"] = personal
        if kick is not None:
            envelope["k"] = kick
        if players is not None:
            envelope["n"] = players
        if players_lobby:
            envelope["lp"] = 1  # players' count changed: each process sends it coalesced
        await self.store.publish(orjson.dumps(envelope))

    async def on_envelope(self, env: dict) -> None:
        if env.get("resync"):
            await self.resync()
            return
        if "cer" in env:  # an award ceremony's step (realtime/ceremony.py)
            from realtime.ceremony import on_envelope as ceremony_envelope

            await ceremony_envelope(env)
            return
        lg = self.games.get(env["g"])
        if lg is None:
            return
        state = env.get("s")
        if state is not None and state["seq"] > lg.state["seq"]:
            lg.state = state
            self.arm(lg)
        if "n" in env:
            lg.players_count = env["n"]
        if "ov" in env:  # the overlay key was rotated (realtime/feed.py)
            from realtime.feed import close_stale_feeds

            await close_stale_feeds(lg, env["ov"])
        if "k" in env:
            sock = lg.players.pop(env["k"], None)
            if sock is not None:
                await sock.send_text(dumps({"type": p.S_KICKED}))
                await sock.close(4003)
        for mask, text in env.get("f", ()):
            await self.send_all(lg, mask, text)
        if state is not None:
            self.question_soon(lg)  # after the fan-out: its answers will need it
        if env.get("lp"):
            self.lobby_soon(lg)
        personal = env.get("r")
        if personal:
            for pid, sock in list(lg.players.items()):
                row = personal.get(str(pid))
                if row is None:
                    continue
                q, correct, fraction, points, score, rank, streak = row
                await sock.send_text(
                    dumps(
                        {
                            "type": p.S_RESULT,
                            "q": q,
                            "correct": correct,
                            "fraction": fraction,
                            "points": points,
                            "score": score,
                            "rank": rank,
                            "streak": streak,
                        }
                    )
                )

    async def send_all(self, lg: LocalGame, mask: int, text: str) -> None:
        """The same text to every local socket of the mask, framed once (see DirectWriter)."""
        from realtime.consumers import ws_text_frame

        started = time.perf_counter()
        message = {"type": "websocket.send", "text": text}
        frame = ws_text_frame(text.encode())
        for sock in lg.sockets(mask):
            if sock.held is not None or sock.closed:
                await sock.send_text(text)
            elif sock.direct is None or not sock.direct.write(frame):
                await sock.send_message(message)
        metrics.broadcast_done(started)

    def lobby_soon(self, lg: LocalGame) -> None:
        """Players' lobby count: at most one frame per COUNT_FRAME_INTERVAL (leading + trailing)."""
        if lg.lobby_timer is not None:
            return
        delay = max(0.0, lg.lobby_sent + COUNT_FRAME_INTERVAL - time.monotonic())
        lg.lobby_timer = self.loop.call_later(delay, self._lobby_flush, lg)

    def _lobby_flush(self, lg: LocalGame) -> None:
        lg.lobby_timer = None
        lg.lobby_sent = time.monotonic()
        text = dumps({"type": p.S_LOBBY, "players": lg.players_count})
        self.spawn(self.send_all(lg, TO_PLAYERS, text))

    async def resync(self) -> None:
        """The bus was lost (Redis restarted): reload each game from PostgreSQL and send every
        local socket its full state again, since the events published meanwhile are gone."""
        from django.utils import translation

        for lg in list(self.games.values()):
            await self.reload(lg)
            players = await self.store.players_get(lg.id)
            if players is not None:
                lg.players_count = players
            rows = await db(
                lambda ids=list(lg.players): list(
                    Player.objects.select_related("venue").filter(id__in=ids)
                )
            )()
            by_id = {row.id: row for row in rows}
            for sock in list(lg.sockets(TO_ALL)):
                player = by_id.get(sock.player_id) if sock.role == p.ROLE_PLAYER else None
                if sock.role == p.ROLE_PLAYER and player is None:
                    continue
                with translation.override(sock.lang):
                    frame = await self.state_frame(lg, sock.role, player)
                await sock.send_text(dumps(frame))

    # --- timers ------------------------------------------------------------------------------

    def arm(self, lg: LocalGame) -> None:
        state = lg.state
        key = (state["seq"], state["phase"])
        if lg.timer_key == key:
            return
        if GC_FREEZE and state["phase"] not in {engine.LOBBY, engine.ENDED} and not lg.gc_frozen:
            # What the join phase allocated (sockets, players, frames) lives as long as the game:
            # move it out of the cyclic collector's reach, so that no full collection walks it
            # in the middle of the first answer burst.
            lg.gc_frozen = True
            gc.freeze()
        elif state["phase"] == engine.ENDED and lg.gc_frozen:
            lg.gc_frozen = False
            gc.unfreeze()  # the collector may look at it all again (and free the game's cycles)
        if lg.timer is not None:
            lg.timer.cancel()
            lg.timer = None
        lg.timer_key = key
        if lg.answered_q != state["q"]:
            lg.answered = {}
            lg.answered_q = state["q"]
        deadline = engine.close_deadline(state, grace_ms())
        if deadline is not None:
            delay = max(0.0, (deadline - now_ms()) / 1000)
            lg.timer = self.loop.call_later(
                delay, lambda: self.spawn(self.close_question(lg, state["seq"]))
            )
        elif state["phase"] == engine.CLOSED:
            lg.timer = self.loop.call_later(
                SCORE_RETRY_SECONDS, lambda: self.spawn(self.score(lg, state["seq"]))
            )
        elif state["phase"] == engine.ENDED:
            # Podium pages may stay open a while; then the process lets the game go (a later
            # visit reloads it from the database).
            lg.timer = self.loop.call_later(ENDED_GAME_KEEP_SECONDS, self.evict, lg)

    def evict(self, lg: LocalGame) -> None:
        """Forget an ended game in this process (its sockets, if any, just stop hearing it)."""
        if self.games.get(lg.id) is lg:
            del self.games[lg.id]
        self.loading.pop(lg.id, None)
        lg.questions.clear()
        lg.question_loads.clear()
        lg.answered.clear()

    async def close_question(self, lg: LocalGame, seq: int) -> None:
        async with lg.lock:
            if lg.state["seq"] != seq or lg.state["phase"] != engine.QUESTION:
                return
            new = engine.close(lg.state, now=now_ms())
            try:
                persisted = await db(services.game_transition)(
                    game_id=lg.id, expected_seq=seq, new_state=new
                )
            except Exception:
                # PostgreSQL away at the deadline: try again, or the question never closes.
                logger.exception("closing a question failed for game %s; retrying", lg.id)
                lg.timer = self.loop.call_later(
                    SCORE_RETRY_SECONDS, lambda: self.spawn(self.close_question(lg, seq))
                )
                return
            if persisted is None:
                await self.reload(lg)
                return
            lg.state = persisted
            self.arm(lg)
            await self.publish(lg, state=persisted, frames=[(TO_ALL, closed_frame(persisted))])
        await self.score(lg, persisted["seq"])

    async def score(self, lg: LocalGame, seq: int) -> None:
        async with lg.lock:
            if lg.state["seq"] != seq or lg.state["phase"] != engine.CLOSED:
                return
            try:
                result = await db(services.question_score)(game_id=lg.id, expected_seq=seq)
            except Exception:
                logger.exception("scoring failed for game %s", lg.id)
                self.arm(lg)
                return
            if result is None:
                await self.reload(lg)
                return
            lg.state = result["state"]
            self.arm(lg)
            await self.publish(
                lg,
                state=lg.state,
                frames=[(TO_ALL, {"type": p.S_REVEAL, **result["reveal"]})],
                personal={str(k): v for k, v in result["personal"].items()},
            )

    # --- answers -----------------------------------------------------------------------------

    async def answer(self, lg: LocalGame, player_id: int, msg: dict) -> dict:
        """Validate against the live state, store durably, then acknowledge."""
        now = now_ms()  # the server's clock, read once: this decides
        q = msg.get("q")
        answer_id = msg.get("answer_id")
        if not isinstance(answer_id, str) or len(answer_id) > 64:
            return error_frame(p.E_MALFORMED)
        error = engine.answer_error(lg.state, q, now=now, grace_ms=grace_ms())
        if error in {p.E_LATE, p.E_NOT_OPEN} and lg.answered_q == q:
            known = lg.answered.get(player_id)
            if known:
                return ack_frame(known)  # a retry of a stored answer: the original stands
        if error:
            return error_frame(error)
        known = lg.answered.get(player_id)
        if known:
            return ack_frame(known)
        submission = services.new_submission_id(answer_id)
        if submission is None:
            return error_frame(p.E_MALFORMED)
        from quizzes.grading import InvalidResponse, response_within_bounds, validate_response

        if not response_within_bounds(msg.get("response")):
            return error_frame(p.E_TOO_LARGE)
        pq = await self.question(lg, q)

        try:
            response = validate_response(pq.key, pq.real_response(msg.get("response")))
        except InvalidResponse:
            return error_frame(p.E_INVALID_ANSWER)
        status, stored, _new = await self.batcher.submit(
            {
                "game_id": lg.id,
                "player_id": player_id,
                "q": q,
                "question_id": pq.question_id,
                "submission_id": submission,
                "response": response,
                "received_ms": now,
                "elapsed_ms": engine.elapsed_ms(lg.state, now, pq.limit_ms),
            }
        )
        if status == "ok" and stored:
            if lg.answered_q == q:
                lg.answered[player_id] = stored
            return ack_frame(stored)
        if status == "late":
            return error_frame(p.E_LATE)
        return error_frame(p.E_BUSY)

    async def answers_counted(self, game_id: int, q: int, n: int) -> None:
        lg = self.games.get(game_id)
        if lg is None:
            return
        total = await self.store.answered_incr(game_id, q, n)
        # Envelopes from several processes may arrive out of order: read the shared count.
        players = await self.store.players_get(game_id)
        if players is not None:
            lg.players_count = players
        await self.answers_frame_soon(lg, q, total)
        state = lg.state
        if (
            state["auto_advance"]
            and state["phase"] == engine.QUESTION
            and state["q"] == q
            and lg.players_count
            and total >= lg.players_count
        ):
            await self.close_question(lg, state["seq"])

    async def answers_frame_soon(self, lg: LocalGame, q: int, total: int) -> None:
        """Staff's answer count: at once when complete, else at most one per COUNT_FRAME_INTERVAL."""
        q_seen, count_seen = lg.answers_latest
        lg.answers_latest = (q, max(total, count_seen) if q == q_seen else total)
        complete = lg.players_count and total >= lg.players_count
        if complete or time.monotonic() - lg.answers_sent >= COUNT_FRAME_INTERVAL:
            if lg.answers_timer is not None:
                lg.answers_timer.cancel()
                lg.answers_timer = None
            await self._answers_publish(lg)
        elif lg.answers_timer is None:
            delay = lg.answers_sent + COUNT_FRAME_INTERVAL - time.monotonic()
            lg.answers_timer = self.loop.call_later(
                max(0.0, delay), lambda: self.spawn(self._answers_publish(lg, timer=True))
            )

    async def _answers_publish(self, lg: LocalGame, *, timer: bool = False) -> None:
        if timer:
            lg.answers_timer = None
        lg.answers_sent = time.monotonic()
        q, count = lg.answers_latest
        frame = {"type": p.S_ANSWERS, "q": q, "count": count, "total": lg.players_count}
        await self.publish(lg, frames=[(TO_STAFF, frame)])

    # --- host commands -----------------------------------------------------------------------

    async def command(self, lg: LocalGame, msg: dict) -> dict | None:
        """Run a host action; returns an error frame or None."""
        action = msg.get("action")
        if action not in p.HOST_ACTIONS:
            return error_frame(p.E_UNKNOWN_TYPE)
        if action == p.A_KICK:
            return await self.kick(lg, msg.get("player"))
        if action == p.A_TEAM:
            return await self.set_team(lg, msg.get("player"), msg.get("team"))
        if action in (p.A_START, p.A_NEXT) and not await db(services.game_quiz_playable)(
            game_id=lg.id
        ):
            # The quiz joined a contest round still open after this game was made: its keys
            # (the host's key frame, the reveals) stay with the round's staff.
            return error_frame(p.E_QUIZ_LOCKED)
        for _attempt in range(2):
            async with lg.lock:
                old = lg.state
                now = now_ms()
                try:
                    new = engine.apply(old, action, msg, now=now, plan=lg.plan)
                except engine.InvalidTransition:
                    return error_frame(p.E_INVALID_ACTION)
                persisted = await db(services.game_transition)(
                    game_id=lg.id, expected_seq=old["seq"], new_state=new
                )
                if persisted is None:
                    await self.reload(lg)
                    continue
                lg.state = persisted
                self.arm(lg)
                frames = await self.frames_for(lg, old, persisted, action, now)
                await self.publish(lg, state=persisted, frames=frames)
            if persisted["phase"] == engine.CLOSED and old["phase"] == engine.QUESTION:
                await self.score(lg, persisted["seq"])
            if persisted["phase"] == engine.ENDED:
                await self.store.forget(lg.id)
            return None
        return error_frame(p.E_INVALID_ACTION)

    async def frames_for(
        self, lg: LocalGame, old: dict, new: dict, action: str, now: int
    ) -> list[tuple[int, dict]]:
        frames: list[tuple[int, dict]] = []
        if old["phase"] in {engine.QUESTION, engine.CLOSED} and action == p.A_SKIP:
            pq = await self.question(lg, old["q"])
            await db(services.question_skip_record)(
                game_id=lg.id, q=old["q"], question_id=pq.question_id
            )
            frames.append((TO_ALL, {"type": p.S_SKIPPED, "q": old["q"]}))
        if new["phase"] == engine.QUESTION and (
            old["phase"] != engine.QUESTION or old["q"] != new["q"]
        ):
            pq = await self.question(lg, new["q"])
            # "now" = the server clock when the frame leaves (after the state was persisted).
            frames.append((TO_ALL, question_frame(new, pq, now_ms())))
            # The key goes to the host console only, never to the screen or the phones.
            frames.append((TO_HOST, key_frame(pq)))
        elif new["phase"] == engine.QUESTION:
            frames.append((TO_ALL, timer_frame(new, now_ms())))
        if new["phase"] == engine.CLOSED and old["phase"] == engine.QUESTION:
            frames.append((TO_ALL, closed_frame(new)))
        if new["phase"] == engine.LEADERBOARD and old["phase"] != engine.LEADERBOARD:
            board = await db(_leaderboard)(lg.id, new["q"])
            frames.append((TO_STAFF, {"type": p.S_LEADERBOARD, **board}))
        if new["phase"] in {engine.PODIUM, engine.ENDED} and old["phase"] != engine.PODIUM:
            frames.append((TO_ALL, {"type": p.S_PODIUM, **await db(podium)(game=lg.game)}))
        if new["phase"] == engine.ENDED:
            frames.append((TO_ALL, {"type": p.S_ENDED}))
        flags = ("locked", "late_join", "auto_advance", "show_leaderboard", "paused")
        if any(old.get(f) != new.get(f) for f in flags):
            frames.append((TO_STAFF, flags_frame(new)))
        return frames

    async def kick(self, lg: LocalGame, player_id: Any) -> dict | None:
        if not isinstance(player_id, int) or isinstance(player_id, bool):
            return error_frame(p.E_INVALID_ACTION)
        kicked = await db(services.player_kick)(game_id=lg.id, player_id=player_id)
        if kicked is None:
            return error_frame(p.E_INVALID_ACTION)
        count = await self.store.players_incr(lg.id, -1) if kicked else lg.players_count
        await self.publish(
            lg,
            kick=player_id,
            players=count,
            players_lobby=True,
            frames=[(TO_STAFF, {"type": p.S_LOBBY, "players": count, "left": player_id})],
        )
        return None

    async def set_team(self, lg: LocalGame, player_id: Any, team: Any) -> dict | None:
        teams = int(lg.game.settings.get("teams", 0))
        valid_team = team is None or (
            isinstance(team, int) and not isinstance(team, bool) and 1 <= team <= max(teams, 1)
        )
        if not isinstance(player_id, int) or not valid_team:
            return error_frame(p.E_INVALID_ACTION)
        if not await db(services.player_team_set)(game_id=lg.id, player_id=player_id, team=team):
            return error_frame(p.E_INVALID_ACTION)
        row = await db(
            lambda: Player.objects.filter(id=player_id).values_list("nickname", flat=True).first()
        )()
        frame = {
            "type": p.S_LOBBY,
            "players": lg.players_count,
            "joined": {"player": player_id, "nickname": row, "team": team},
        }
        await self.publish(lg, frames=[(TO_STAFF, frame)])
        return None

    # --- joining -----------------------------------------------------------------------------

    async def player_arrived(self, lg: LocalGame, player: Player) -> None:
        if not await db(services.player_seen)(player_id=player.id):
            return
        metrics.player_joined()
        count = await self.store.players_incr(lg.id, 1)  # atomic across processes
        joined = {"player": player.id, "nickname": player.nickname, "team": player.team}
        await self.publish(
            lg,
            players=count,
            players_lobby=True,
            frames=[(TO_STAFF, {"type": p.S_LOBBY, "players": count, "joined": joined})],
        )

    async def state_frame(self, lg: LocalGame, role: str, player: Player | None) -> dict:
        """The full current state for one socket (hello and every reconnect)."""
        state = lg.state
        now = now_ms()
        phase = engine.public_phase(state, now)
        game = lg.game
        info = {
            "id": lg.id,
            "pin": game.pin,
            "phase": phase,
            "paused": state["paused"],
            "locked": state["locked"],
            "late_join": state["late_join"],
            "auto_advance": state["auto_advance"],
            "show_leaderboard": state["show_leaderboard"],
            "players": lg.players_count,
            "q": state["q"],
            "total": state["total"],
            "branding": game.settings.get("branding", {}),
            "practice": game.practice,
        }
        if role == p.ROLE_HOST:
            info["title"] = game.quiz.title if game.quiz_id else ""
        frame: dict[str, Any] = {
            "type": p.S_STATE,
            "v": p.PROTOCOL_VERSION,
            "role": role,
            "now": now,
            "game": info,
            "question": None,
            "reveal": None,
            "leaderboard": None,
            "podium": None,
        }
        q = state["q"]
        in_question = state["phase"] in {
            engine.QUESTION,
            engine.CLOSED,
            engine.REVEAL,
            engine.LEADERBOARD,
        }
        pq = await self.question(lg, q) if in_question and q is not None else None
        if pq is not None:
            frame["question"] = question_frame(state, pq, now)
            if role == p.ROLE_HOST:
                frame["key"] = {"q": pq.q, "correct": pq.correct_public()}
        if state["phase"] in {engine.REVEAL, engine.LEADERBOARD} and q is not None:
            result = await db(
                lambda: (
                    QuestionResult.objects.filter(game_id=lg.id, q=q)
                    .values("reveal", "leaderboard")
                    .first()
                )
            )()
            if result:
                frame["reveal"] = {"type": p.S_REVEAL, **result["reveal"]}
                if state["phase"] == engine.LEADERBOARD and role != p.ROLE_PLAYER:
                    frame["leaderboard"] = {"type": p.S_LEADERBOARD, **result["leaderboard"]}
        if state["phase"] in {engine.PODIUM, engine.ENDED} and state["q"] is not None:
            frame["podium"] = {"type": p.S_PODIUM, **await db(podium)(game=game)}
        if role == p.ROLE_PLAYER and player is not None:
            answer = None
            if q is not None and in_question:
                answer = await db(
                    lambda: (
                        Answer.objects.filter(game_id=lg.id, q=q, player_id=player.id)
                        .values("response", "submission_id")
                        .first()
                    )
                )()
            frame["you"] = {
                "player": player.id,
                "nickname": player.nickname,
                "team": player.team,
                "venue": player.venue.name if player.venue_id else None,
                "score": player.score,
                "rank": player.rank,
                "streak": player.streak,
                "answered": answer is not None,
                "answer": pq.opaque_response(answer["response"]) if answer and pq else None,
                "submission_id": str(answer["submission_id"]) if answer else None,
            }
        else:
            frame["roster"] = await db(roster)(game_id=lg.id)
            count = await self.store.answered_get(lg.id, q) if q is not None else 0
            frame["answers"] = {"q": q, "count": count, "total": lg.players_count}
        return frame

    def screen_key_ok(self, lg: LocalGame, key: Any) -> bool:
        return isinstance(key, str) and hmac.compare_digest(key, lg.game.screen_key)


def _leaderboard(game_id: int, q: int) -> dict:
    row = QuestionResult.objects.filter(game_id=game_id, q=q).values("leaderboard").first()
    return row["leaderboard"] if row else {"q": q, "top": [], "teams": []}


# --- frames ----------------------------------------------------------------------------------


def question_frame(state: dict, pq: PlayQuestion, now: int) -> dict:
    return {
        "type": p.S_QUESTION,
        "q": state["q"],
        "total": state["total"],
        "now": now,
        "shows_at": state["shows_at"],
        "opens_at": state["opens_at"],
        "ends_at": state["ends_at"],
        "paused": state["paused"],
        "question": pq.payload,
    }


def key_frame(pq: PlayQuestion) -> dict:
    return {"type": p.S_KEY, "q": pq.q, "correct": pq.correct_public()}


def timer_frame(state: dict, now: int) -> dict:
    reference = state["paused_at"] if state["paused"] else now
    return {
        "type": p.S_TIMER,
        "q": state["q"],
        "now": now,
        "opens_at": state["opens_at"],
        "ends_at": state["ends_at"],
        "paused": state["paused"],
        "remaining_ms": max(0, state["ends_at"] - max(reference, state["opens_at"])),
    }


def closed_frame(state: dict) -> dict:
    return {"type": p.S_CLOSED, "q": state["q"]}


def flags_frame(state: dict) -> dict:
    return {
        "type": p.S_FLAGS,
        "locked": state["locked"],
        "late_join": state["late_join"],
        "auto_advance": state["auto_advance"],
        "show_leaderboard": state["show_leaderboard"],
        "paused": state["paused"],
    }


def ack_frame(submission_id: str) -> dict:
    return {"type": p.S_ACK, "status": p.ACK_RECEIVED, "submission_id": submission_id}


def error_frame(code: str, details: dict | None = None) -> dict:
    from realtime.messages import error_message

    return {"type": p.S_ERROR, "code": code, "message": error_message(code), "details": details}


# --- the process's hub -----------------------------------------------------------------------

_hubs: dict[int, Hub] = {}


async def get_hub() -> Hub:
    loop_id = id(asyncio.get_running_loop())
    hub = _hubs.get(loop_id)
    if hub is None:
        # In a fresh context: the hub's own tasks and timers serve every game, so they must not
        # inherit the log ids (config/logs.py) of the socket that happened to create the hub.
        hub = contextvars.Context().run(Hub)
        _hubs[loop_id] = hub
    if not hub.started:
        if hub.starting is None or hub.starting.done():
            hub.starting = asyncio.create_task(hub.start(), context=contextvars.Context())
        await hub.starting
    return hub


def reset_hubs() -> None:
    """Tests: drop every hub (timers, listeners) so the next test starts clean."""
    for hub in list(_hubs.values()):
        try:
            hub.batcher.close_connection()
        except Exception:
            pass
        hub.shutdown()
    _hubs.clear()


def hub_nowait() -> Hub:
    """This loop's hub for a Django request's async view (the REST feed): its start is scheduled,
    not awaited. A view runs under a request whose sync middleware holds the one global sync
    thread, which the start's database calls (in their own fresh context) wait for: awaiting the
    start there is a deadlock. The view's own calls go through its request's thread."""
    loop_id = id(asyncio.get_running_loop())
    hub = _hubs.get(loop_id)
    if hub is None:
        hub = contextvars.Context().run(Hub)
        _hubs[loop_id] = hub
    if not hub.started and hub.starting is None:
        hub.starting = asyncio.create_task(hub.start(), context=contextvars.Context())
    return hub
