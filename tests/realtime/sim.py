"""Simulated players and host over REAL sockets (the `websockets` client) for multi-process tests."""

from __future__ import annotations

import asyncio
import json
import random
import urllib.request
import uuid
from dataclasses import dataclass, field

import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from quizzes.models import Question
from realtime.models import Game
from realtime.results import score_audit as recompute  # noqa: F401 (used by the tests)
from realtime.selectors import opaque_id


def http_join(base_url: str, pin: str, nickname: str) -> dict:
    request = urllib.request.Request(
        f"{base_url}/api/games/join",
        data=json.dumps({"pin": pin, "nickname": nickname}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 201
        return json.loads(response.read())


def ws_url(base_url: str, game_id: int) -> str:
    return base_url.replace("http://", "ws://") + f"/ws/game/{game_id}/"


def answer_keys(game: Game) -> list[dict]:
    """What a test needs to answer right or wrong: opaque ids of right/wrong choices per question."""
    keys = []
    for item in game.plan:
        question = Question.objects.prefetch_related("choices").get(id=item["question"])
        choices = sorted(question.choices.all(), key=lambda c: (c.position, c.id))
        right = [opaque_id(game.secret, c.id) for c in choices if c.weight >= 1]
        wrong = [opaque_id(game.secret, c.id) for c in choices if c.weight <= 0]
        keys.append({"type": question.type, "right": right, "wrong": wrong})
    return keys


@dataclass
class SimPlayer:
    index: int
    player_id: int
    token: str
    urls: list[str]
    origin_for: dict[str, str]
    keys: list[dict]
    url_index: int = 0
    acked: dict[int, str] = field(default_factory=dict)
    sent: dict[int, str] = field(default_factory=dict)
    results: dict[int, dict] = field(default_factory=dict)
    states: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    ended: bool = False
    reconnects: int = 0
    hold: asyncio.Event | None = None  # when set: answer only after it is set
    ws: object = None
    task: asyncio.Task | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def response(self, q: int) -> dict:
        key = self.keys[q]
        right = (self.index + q) % 3 != 0
        return {"choice": key["right"][0] if right else key["wrong"][0]}

    async def start(self) -> None:
        self.task = asyncio.create_task(self.run())
        await asyncio.wait_for(self.ready.wait(), 20)

    async def run(self) -> None:
        delay = 0.2
        while not self.ended:
            url = self.urls[self.url_index % len(self.urls)]
            try:
                async with connect(
                    url,
                    origin=self.origin_for[url],
                    open_timeout=5,
                    max_queue=None,
                    proxy=None,
                    compression=None,
                ) as ws:
                    self.ws = ws
                    await ws.send(
                        orjson.dumps(
                            {"type": "hello", "v": 1, "role": "player", "token": self.token}
                        ).decode()
                    )
                    delay = 0.2
                    async for raw in ws:
                        await self.on_frame(orjson.loads(raw))
                        if self.ended:
                            return
            except (ConnectionClosed, OSError, TimeoutError):
                pass
            if self.ended:
                return
            # Jittered backoff, then the other server (players may land on either process).
            self.reconnects += 1
            self.url_index += 1
            await asyncio.sleep(delay * random.uniform(0.7, 1.3))
            delay = min(delay * 2, 1.0)

    async def on_frame(self, frame: dict) -> None:
        kind = frame["type"]
        if kind == "state":
            self.states.append(frame)
            self.ready.set()
            you = frame.get("you") or {}
            q = frame["game"]["q"]
            if you.get("answered"):
                assert you["submission_id"] == self.acked.get(q, you["submission_id"])
            elif frame["game"]["phase"] in {"read", "open"} and q is not None:
                asyncio.create_task(self.answer(q))
        elif kind == "question":
            asyncio.create_task(self.answer(frame["q"]))
        elif kind == "ack":
            q = max(self.sent)  # one question at a time: the ack is for the latest answer
            self.acked.setdefault(q, frame["submission_id"])
            if frame["submission_id"] != self.sent[q]:
                self.errors.append({"code": "foreign_ack", "frame": frame})
        elif kind == "result":
            self.results[frame["q"]] = frame
        elif kind == "error":
            self.errors.append(frame)
        elif kind == "ended":
            self.ended = True

    async def answer(self, q: int) -> None:
        if self.hold is not None:
            await self.hold.wait()
        if q in self.acked or self.keys[q]["type"] == "slide":
            return
        answer_id = self.sent.setdefault(q, str(uuid.uuid4()))
        frame = {"type": "answer", "q": q, "answer_id": answer_id, "response": self.response(q)}
        try:
            await self.ws.send(orjson.dumps(frame).decode())
            if self.index % 10 == 0:  # a nervous retry: same answer_id again
                await self.ws.send(orjson.dumps(frame).decode())
        except ConnectionClosed:
            pass

    async def stop(self) -> None:
        self.ended = True
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:
                pass
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass


class SimHost:
    def __init__(self, url: str, origin: str, cookie: str):
        self.url, self.origin, self.cookie = url, origin, cookie
        self.queue: asyncio.Queue = asyncio.Queue()
        self.ws = None
        self.task = None

    async def start(self) -> dict:
        self.ws = await connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": self.cookie},
            open_timeout=5,
            max_queue=None,
            proxy=None,
            compression=None,
        )
        self.task = asyncio.create_task(self._read())
        await self.ws.send(orjson.dumps({"type": "hello", "v": 1, "role": "host"}).decode())
        return await self.until("state")

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                await self.queue.put(orjson.loads(raw))
        except ConnectionClosed:
            pass
        await self.queue.put({"type": "__closed__", "code": self.ws.close_code})

    async def until(self, kind: str, timeout: float = 30, where=None) -> dict:
        seen: list[dict] = []
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.queue.get()
                if frame["type"] == "__closed__":
                    raise ConnectionError(f"host socket closed {frame}; last frames {seen[-3:]}")
                seen.append(frame)
                if frame["type"] == kind and (where is None or where(frame)):
                    return frame

    async def command(self, action: str, **args) -> None:
        await self.ws.send(orjson.dumps({"type": "host", "action": action, **args}).decode())

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
