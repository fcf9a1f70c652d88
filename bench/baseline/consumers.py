"""The baseline: a stock Channels consumer, written the way the Channels tutorial writes one.

Every socket joins the game's group with `group_add`; the host's "start"/"next" becomes one
`group_send` through channels_redis; each consumer's handler serialises the event and sends it.
An answer is stored with `database_sync_to_async` and acknowledged. It speaks the subset of
docs/protocol.md the benchmark harness needs: hello -> state, question (with the server's send
time in "now"), answer -> ack, ended.
"""

from __future__ import annotations

import json
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import connection

QUESTION = {
    "type": "single",
    "text": {"vi": "Mục tiêu phát triển bền vững số 4 là gì?", "en": "What is SDG 4 about?"},
    "image": None,
    "choices": [
        {"id": "c1a2b3c4d", "text": {"vi": "Giáo dục có chất lượng", "en": "Quality education"}},
        {"id": "c2b3c4d5e", "text": {"vi": "Nước sạch", "en": "Clean water"}},
        {"id": "c3c4d5e6f", "text": {"vi": "Năng lượng sạch", "en": "Clean energy"}},
        {"id": "c4d5e6f7a", "text": {"vi": "Hòa bình", "en": "Peace"}},
    ],
    "time_limit": 60,
    "points": 1,
    "shuffle": False,
}


def now_ms() -> int:
    return int(time.time() * 1000)


def store_answer(player_id: int, q: int, submission_id: str, choice: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_baseline_answer (player_id, q, submission_id, choice, received_ms)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (player_id, q) DO NOTHING",
            [player_id, q, submission_id, choice, now_ms()],
        )
        cursor.execute(
            "SELECT submission_id FROM bench_baseline_answer WHERE player_id = %s AND q = %s",
            [player_id, q],
        )
        return str(cursor.fetchone()[0])


class GameConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group = f"game_{self.scope['url_route']['kwargs']['game_id']}"
        self.role = None
        self.player_id = None
        self.q = -1
        self.total = 0
        await self.accept()

    async def disconnect(self, code):
        if self.role:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        msg = json.loads(text_data)
        kind = msg.get("type")
        if kind == "hello":
            self.role = msg.get("role")
            if self.role == "player":
                self.player_id = int(msg["token"])
            await self.channel_layer.group_add(self.group, self.channel_name)
            await self.send(text_data=json.dumps({"type": "state", "v": 1, "role": self.role}))
        elif kind == "answer" and self.role == "player":
            submission = str(uuid.UUID(msg["answer_id"]))
            stored = await database_sync_to_async(store_answer)(
                self.player_id, int(msg["q"]), submission, msg["response"]["choice"]
            )
            await self.send(
                text_data=json.dumps({"type": "ack", "status": "received", "submission_id": stored})
            )
        elif kind == "host" and self.role == "host":
            self.total = int(msg.get("total", self.total or 1))
            self.q += 1
            if self.q < self.total:
                event = {"type": "game.question", "q": self.q, "total": self.total, "now": now_ms()}
            else:
                event = {"type": "game.ended"}
            await self.channel_layer.group_send(self.group, event)

    async def game_question(self, event):
        frame = {
            "type": "question",
            "q": event["q"],
            "total": event["total"],
            "now": event["now"],
            "question": QUESTION,
        }
        await self.send(text_data=json.dumps(frame))

    async def game_ended(self, event):
        await self.send(text_data=json.dumps({"type": "ended"}))
