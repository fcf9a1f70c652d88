"""bench/live.py --venues V: one simulated big screen per venue (issue #17).

Each screen is a real WebSocket with the venue's own key (hello role "screen" + "venue"). It
records when each question frame arrived (this machine's clock: every screen runs in the bench's
own process, so their arrival times compare directly) and the last "venues" frame. One screen is
killed mid-question and restarted: the time until its full state with the current question is
back is `restart_ms`. After the game the screens' final venue board is compared with a
recomputation from the stored answers (`venue_mismatches`).
"""

from __future__ import annotations

import asyncio
import time


def _dumps(obj) -> str:
    import orjson

    return orjson.dumps(obj).decode()


class VenueScreen:
    def __init__(self, url: str, venue: dict):
        self.url, self.venue = url, venue
        self.arrivals: dict[int, float] = {}  # q -> arrival (ms, time.time)
        self.last_venues: dict | None = None
        self.states: asyncio.Queue = asyncio.Queue()
        self.ws = None
        self.reader: asyncio.Task | None = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        origin = self.url.split("/ws/")[0].replace("ws://", "http://")
        self.ws = await connect(
            self.url,
            origin=origin,
            compression=None,
            max_queue=None,
            ping_interval=None,
            proxy=None,
        )
        hello = {"type": "hello", "v": 1, "role": "screen"}
        await self.ws.send(_dumps({**hello, "key": self.venue["key"], "venue": self.venue["id"]}))
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        import orjson

        try:
            async for raw in self.ws:
                received = time.time() * 1000
                frame = orjson.loads(raw)
                kind = frame["type"]
                if kind == "question":
                    self.arrivals.setdefault(frame["q"], received)
                elif kind == "venues":
                    self.last_venues = frame
                elif kind == "state":
                    await self.states.put((received, frame))
        except Exception:  # noqa: BLE001 - a killed screen
            pass

    async def kill(self) -> None:
        if self.reader:
            self.reader.cancel()
        if self.ws is not None:
            self.ws.transport.abort()  # no close handshake: like a screen losing power


class VenueScreens:
    def __init__(self, ws_url: str, venues: list[dict]):
        self.screens = [VenueScreen(ws_url, v) for v in venues]
        self.restart_ms: float | None = None
        self.restart_ok = False

    async def open(self) -> None:
        await asyncio.gather(*(s.open() for s in self.screens))
        await asyncio.gather(*(asyncio.wait_for(s.states.get(), 30) for s in self.screens))

    async def restart_one(self, q: int) -> None:
        """Kill the first screen mid-question and bring it back: time to its full state."""
        screen = self.screens[0]
        await screen.kill()
        started = time.time() * 1000
        screen.states = asyncio.Queue()
        await screen.open()
        received, state = await asyncio.wait_for(screen.states.get(), 30)
        self.restart_ms = round(received - started, 1)
        question = state.get("question") or {}
        self.restart_ok = question.get("q") == q

    async def final_board(self, timeout: float = 10) -> None:
        """Wait until every screen heard a venues frame with the final (podium) board."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(
                s.last_venues and s.last_venues.get("phase") == "podium" and s.last_venues["board"]
                for s in self.screens
            ):
                return
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        for s in self.screens:
            if s.reader:
                s.reader.cancel()
            try:
                await s.ws.close()
            except Exception:  # noqa: BLE001
                pass

    def report(self, recomputed: list[dict], questions: int) -> dict:
        from bench.live import percentiles

        spreads = []
        for q in range(questions):
            # The restarted screen got question q in its state frame, not as a question frame.
            times = [s.arrivals[q] for s in self.screens if q in s.arrivals]
            if len(times) > 1:
                spreads.append(max(times) - min(times))
        mismatches = 0
        for s in self.screens:
            board = (s.last_venues or {}).get("board") or []
            shown = {(r["venue"], r["rank"], r["score"]) for r in board}
            expected = {(r["venue"], r["rank"], r["score"]) for r in recomputed}
            mismatches += len(shown ^ expected)
        return {
            "venue_skew_ms": percentiles(spreads, (50, 99)),
            "venue_mismatches": mismatches,
            "screens": {
                "count": len(self.screens),
                "question_frames": sum(len(s.arrivals) for s in self.screens),
                "restart_ms": self.restart_ms,
                "restart_in_right_state": self.restart_ok,
            },
        }
