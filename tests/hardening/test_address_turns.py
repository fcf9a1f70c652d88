"""One address cannot hold the join threads: its look-ups and joins wait their turn, at most
ADDRESS_IN_FLIGHT at once in a process, so another school's look-ups and joins still go through
while one machine floods look-ups of a valid PIN (each succeeds, so no rate limit refuses them)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from realtime import join
from realtime.threads import JOIN_THREADS, Turns
from tests.realtime.test_join_socket import JoinPhone, _world

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_flooding_address_holds_at_most_its_share_of_the_join_threads(monkeypatch):
    _host, game = await sync_to_async(_world)()
    release = threading.Event()
    real = join.lookup_limited
    most: list[int] = []

    def lookup_limited(pin, *, address, user=None):
        if address == "203.0.113.120":  # the flood: stuck in the database until released
            most.append(join.address_turns.in_flight(address))
            release.wait(20)
        return real(pin, address=address, user=user)

    monkeypatch.setattr(join, "lookup_limited", lookup_limited)
    flood = [await JoinPhone(client="203.0.113.120").connect() for _ in range(3 * JOIN_THREADS)]
    try:
        for phone in flood:
            await phone.send({"type": "lookup", "pin": game.pin})
        # A student elsewhere looks the PIN up and joins meanwhile.
        student = await JoinPhone(client="198.51.100.30").connect()
        await student.send({"type": "lookup", "pin": game.pin})
        assert (await student.recv(timeout=10))["type"] == "found"
        assert (await student.join(pin=game.pin, nickname="Lan"))["type"] == "joined"
        assert join.address_turns.in_flight("203.0.113.120") == join.ADDRESS_IN_FLIGHT
        assert join.ADDRESS_IN_FLIGHT < JOIN_THREADS
    finally:
        release.set()
    for phone in flood:  # every look-up of the flood is answered in the end
        assert (await phone.recv(timeout=20))["type"] == "found"
        await phone.close()
    await student.close()
    assert max(most) <= join.ADDRESS_IN_FLIGHT
    assert join.address_turns.in_flight("203.0.113.120") == 0


async def test_turns_are_served_in_order_and_a_caller_that_gives_up_frees_its_place():
    turns = Turns(2)
    order: list[int] = []
    gate = asyncio.Event()

    async def call(i: int) -> None:
        async with turns.turn("a"):
            order.append(i)
            await gate.wait()

    tasks = [asyncio.create_task(call(i)) for i in range(6)]
    await asyncio.sleep(0)
    assert order == [0, 1]
    assert turns.in_flight("a") == 2
    tasks[3].cancel()  # gives up while waiting
    async with turns.turn("b"):  # another key is not held back
        pass
    gate.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert order == [0, 1, 2, 4, 5]
    assert turns.in_flight("a") == 0
    assert turns.waiting == {}
    assert turns.busy == {}


async def test_a_turn_released_while_its_waiter_is_being_cancelled_is_not_lost():
    turns = Turns(1)
    await turns.acquire("a")
    waiter = asyncio.create_task(turns.acquire("a"))
    await asyncio.sleep(0)  # queued
    waiter.cancel()
    turns.release("a")  # before the waiter has run its cancellation: the turn is not handed to it
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert turns.in_flight("a") == 0
    assert turns.waiting == {}
    await turns.acquire("a")  # free for the next caller
    assert turns.in_flight("a") == 1
