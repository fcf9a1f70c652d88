"""One ceremony served by TWO Daphne processes sharing Redis and PostgreSQL: the operator on one,
screens on both; every screen follows each step, and a server restarted mid-show gives a
reconnecting screen the step where the show is."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from tests.realtime.conftest import session_cookie
from tests.realtime.test_ceremony_socket import _show
from tests.realtime.test_multiprocess import start_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Client:
    def __init__(self, base: str, ceremony_id: int, cookie: str | None = None):
        self.url = base.replace("http://", "ws://") + f"/ws/ceremony/{ceremony_id}/"
        self.origin = base
        self.cookie = cookie
        self.ws = None

    async def hello(self, **fields) -> dict:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await connect(
            self.url, origin=self.origin, additional_headers=headers, open_timeout=5, proxy=None
        )
        await self.ws.send(orjson.dumps({"type": "hello", **fields}).decode())
        return await self.recv()

    async def recv(self) -> dict:
        async with asyncio.timeout(10):
            return orjson.loads(await self.ws.recv())

    async def until_step(self, step: int) -> dict:
        while True:
            frame = await self.recv()
            if frame.get("type") in ("ceremony", "console") and frame["step"] == step:
                return frame

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def test_screens_on_two_processes_follow_one_operator_and_survive_a_restart(tmp_path):
    ceremony, boss = await sync_to_async(_show)()
    cookie = (await sync_to_async(session_cookie)(boss))[1].decode()
    a, b = start_server(tmp_path, "a"), start_server(tmp_path, "b")
    clients = []
    try:
        operator = Client(a.url, ceremony.pk, cookie)
        screens = [Client(a.url, ceremony.pk), Client(b.url, ceremony.pk)]
        clients = [operator, *screens]
        assert (await operator.hello(role="operator"))["type"] == "console"
        for screen in screens:
            assert (await screen.hello(role="screen", key=ceremony.screen_key))["step"] == 0
        for step in (1, 2):
            await operator.ws.send(orjson.dumps({"type": "go", "delta": 1}).decode())
            for screen in screens:
                frame = await screen.until_step(step)
                assert frame["show"]["kind"] == "place"
        # Server b restarts mid-show; its screen reconnects and starts at step 2.
        port = b.port
        b.stop()
        b = start_server(tmp_path, "b2", port)
        late = Client(b.url, ceremony.pk)
        clients.append(late)
        frame = await late.hello(role="screen", key=ceremony.screen_key)
        assert frame["step"] == 2
        assert frame["show"]["card"]["place"] == 3
        await operator.ws.send(orjson.dumps({"type": "go", "delta": 1}).decode())
        assert (await late.until_step(3))["show"]["card"]["place"] == 2
    finally:
        for client in clients:
            try:
                await client.close()
            except Exception:
                pass
        a.stop()
        b.stop()
