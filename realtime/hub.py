"""The per-process hub: the registry of loaded games and their local sockets, the bus, the
fan-out and the timers. What a socket can ask a game to do lives in realtime/actions.py.

Fan-out: a broadcast is serialised once (orjson) by the process that caused it and published once
on the live store's bus; every process (this one included) receives it once and writes the same
text to its own local sockets (no per-socket channel-layer dispatch). Personal frames (results)
travel as one compact map and each process builds them for its own players.

Timers: every process that has a game loaded arms the close timer at the stored deadline; the
transition is a compare-and-set in PostgreSQL, so exactly one process closes and scores the
question, and after a restart the reloaded state re-arms the ORIGINAL deadline.

Sockets are reached through a small interface (`LiveSocket` below, implemented by
realtime/socket.py): the hub imports no socket module, no action and no ceremony.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol

import orjson
from channels.db import database_sync_to_async
from django.conf import settings

from core import metrics
from realtime import engine, scoring, services
from realtime.answer_store import AnswerBatcher
from realtime.frames import (
    CLOSE_KICKED,
    answers_frame,
    closed_frame,
    kicked_frame,
    lobby_frame,
    result_frame,
    reveal_frame,
)
from realtime.models import Game, Player
from realtime.selectors import PlayQuestion, active_players_count, play_question
from realtime.store import get_store
from realtime.wire import dumps, now_ms, ws_text_frame

logger = logging.getLogger(__name__)

TO_PLAYERS = 1
TO_HOST = 2
TO_SCREEN = 4
TO_ALL = TO_PLAYERS | TO_HOST | TO_SCREEN
TO_STAFF = TO_HOST | TO_SCREEN

# If the process that closed a question dies before scoring it, another one scores it after this.
SCORE_RETRY_SECONDS = 2.0
GC_FREEZE = os.environ.get("CQ_GC_FREEZE", "1") == "1"
# After a game ends (and its podium went out), one full collection frees what it left behind.
GC_AFTER_END_SECONDS = 1.0
# How long a process keeps an ended game loaded (podium pages) before it drops it from memory.
ENDED_GAME_KEEP_SECONDS = 600.0
# Count frames (players' lobby count, staff's answer count) are coalesced to at most one per this
# interval per game and process: one frame per join to every player made joining O(N^2).
COUNT_FRAME_INTERVAL = 0.25
# Players' lobby count, at most once a second per game and process: during a 10,000-phone join
# burst, 4 frames a second to every phone were a share of a join's CPU that grew with N (staff
# still see every arrival at once, with its nickname).
LOBBY_FRAME_INTERVAL = 1.0
# ... and no more often than this many lobby frames a second in all from one process: the
# interval grows with the players waiting here (10,000 on one process: one count every 5 s).
# Every frame costs a write and the event loop's two registrations of the socket for writing:
# with a count every second, 10,000 phones joined one process in 64-65 s, with this in 51-59 s
# (bench/README.md "What grows with the lobby").
LOBBY_FRAMES_PER_SECOND = 2000


def lobby_interval(players: int) -> float:
    """Seconds between two lobby counts to the `players` waiting in this process."""
    return max(LOBBY_FRAME_INTERVAL, players / LOBBY_FRAMES_PER_SECOND)


SWITCH_INTERVAL = 0.001


def grace_ms() -> int:
    return int(float(settings.ANSWER_GRACE_SECONDS) * 1000)


db = database_sync_to_async


class LiveSocket(Protocol):
    """What the hub needs of a socket (realtime/socket.py implements it)."""

    role: str | None
    player_id: int | None
    device: str | None
    lang: str

    def write_now(self, frame: bytes) -> bool: ...

    async def send_shared(self, text: str, message: dict) -> None: ...

    async def send_text(self, text: str, *, now: bool = False) -> None: ...

    async def close(self, code: int) -> None: ...

    async def resync(self, player: Player | None) -> None: ...


# Envelopes other modules publish on the bus (a ceremony's step, an overlay key rotation): they
# register their handler here at import, so the hub imports none of them. `bus_handlers[key]`
# gets the whole envelope; `game_bus_handlers[key]` gets the loaded game and env[key].
bus_handlers: dict[str, Callable[[dict], Awaitable[None]]] = {}
game_bus_handlers: dict[str, Callable[[LocalGame, Any], Awaitable[None]]] = {}


class LocalGame:
    """What this process knows about one game: its live state mirror and local sockets."""

    def __init__(self, game: Game, state: dict):
        self.id = game.id
        self.game = game
        self.state = state
        self.players: dict[int, LiveSocket] = {}
        self.hosts: set[LiveSocket] = set()
        self.screens: set[LiveSocket] = set()
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
        # The venues' status ticker (realtime/venue_live.py), when the game has venues.
        self.venue_ticker: asyncio.Future | None = None
        self.venue_wake: asyncio.Event | None = None
        # Devices a kick named (Hub.kicked): a player's socket from one of them that enters
        # after the kick went by (joined in the instant before it) is closed as it enters.
        self.kicked_devices: set[str] = set()

    @property
    def plan(self) -> list[dict]:
        return self.game.plan

    def sockets(self, mask: int) -> Iterator[LiveSocket]:
        if mask & TO_PLAYERS:
            yield from list(self.players.values())
        if mask & TO_HOST:
            yield from list(self.hosts)
        if mask & TO_SCREEN:
            yield from list(self.screens)


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
        self.batcher = AnswerBatcher(self.answers_counted)
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
        frames: Sequence[tuple[int, dict]] = (),
        personal: dict | None = None,
        kick: int | None = None,
        kick_device: str | None = None,
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
        if kick_device:
            envelope["kd"] = kick_device  # every socket playing from that device goes too
        if players is not None:
            envelope["n"] = players
        if players_lobby:
            envelope["lp"] = 1  # players' count changed: each process sends it coalesced
        await self.store.publish(orjson.dumps(envelope))

    async def on_envelope(self, env: dict) -> None:
        if env.get("resync"):
            await self.resync()
            return
        for key, handler in bus_handlers.items():
            if key in env:  # e.g. an award ceremony's step (realtime/ceremony.py)
                await handler(env)
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
        for key, game_handler in game_bus_handlers.items():
            if key in env:  # e.g. the overlay key was rotated (realtime/feed.py)
                await game_handler(lg, env[key])
        if "k" in env:
            await self.kicked(lg, env["k"], env.get("kd"))
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
                await sock.send_text(dumps(result_frame(row)))

    async def kicked(self, lg: LocalGame, player_id: int, device: str | None) -> None:
        """The host kicked a player: their socket here, and every other player's socket playing
        from the device they joined from (access.device_kicked keeps that device out: a second
        nickname on the same phone, joined before the kick, is out at once, not at its next
        hello), get `kicked` and close."""
        out = [player_id]
        if device:
            lg.kicked_devices.add(device)
            out += [pid for pid, sock in lg.players.items() if sock.device == device]
        for pid in out:
            sock = lg.players.pop(pid, None)
            if sock is not None:
                await sock.send_text(dumps(kicked_frame()))
                await sock.close(CLOSE_KICKED)

    async def send_all(self, lg: LocalGame, mask: int, text: str) -> None:
        """The same text to every local socket of the mask, framed once (see wire.DirectWriter)."""
        started = time.perf_counter()
        message = {"type": "websocket.send", "text": text}
        frame = ws_text_frame(text.encode())
        for sock in lg.sockets(mask):
            if not sock.write_now(frame):
                await sock.send_shared(text, message)
        metrics.broadcast_done(started)

    def lobby_soon(self, lg: LocalGame) -> None:
        """Players' lobby count: at most one frame per LOBBY_FRAME_INTERVAL (leading + trailing)."""
        if lg.lobby_timer is not None:
            return
        delay = max(0.0, lg.lobby_sent + lobby_interval(len(lg.players)) - time.monotonic())
        lg.lobby_timer = self.loop.call_later(delay, self._lobby_flush, lg)

    def _lobby_flush(self, lg: LocalGame) -> None:
        lg.lobby_timer = None
        lg.lobby_sent = time.monotonic()
        text = dumps(lobby_frame(lg.players_count))
        self.spawn(self.send_all(lg, TO_PLAYERS, text))

    async def resync(self) -> None:
        """The bus was lost (Redis restarted): reload each game from PostgreSQL and have every
        local socket send its full state again, since the events published meanwhile are gone."""
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
                player = by_id.get(sock.player_id) if sock.player_id is not None else None
                if sock.player_id is not None and player is None:
                    continue
                await sock.resync(player)

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
            # What the game left is in the oldest generation now, which a server's thresholds
            # (core/heap.py GC_THRESHOLDS) reach rarely: collected once, after the podium
            # went out, before another game's start would freeze it again (tests/realtime/
            # test_crash_soak.py: without this, memory grew by ~5 MiB a game).
            self.loop.call_later(GC_AFTER_END_SECONDS, gc.collect)
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
                result = await db(scoring.question_score)(game_id=lg.id, expected_seq=seq)
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
                frames=[(TO_ALL, reveal_frame(result["reveal"]))],
                personal={str(k): v for k, v in result["personal"].items()},
            )

    # --- answer counts (fed by the answer batcher) ------------------------------------------

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
        await self.publish(lg, frames=[(TO_STAFF, answers_frame(q, count, lg.players_count))])


# --- the process's hub -----------------------------------------------------------------------

_hubs: dict[int, Hub] = {}


async def get_hub() -> Hub:
    loop_id = id(asyncio.get_running_loop())
    hub = _hubs.get(loop_id)
    if hub is None:
        # In a fresh context: the hub's own tasks and timers serve every game, so they must not
        # inherit the log ids (core/logs.py) of the socket that happened to create the hub.
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
            hub.batcher.close()
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
