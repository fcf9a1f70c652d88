"""PIN guessing against the join socket's batches (realtime/threads.py Batches): a batch's
rate-limit records are sent as it ends (core.ratelimit.records_deferred), and a guesser sending
from many sockets at once must still be stopped at the lockout."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from core import ratelimit
from realtime.join import ADDRESS_IN_FLIGHT
from tests.realtime.test_join_socket import JoinPhone, _world

pytestmark = pytest.mark.django_db(transaction=True)


async def test_pin_guesses_sent_at_once_from_one_address_are_stopped_at_the_lockout(settings):
    """Look-ups run in batches whose rate-limit records are sent as the batch ends
    (core.ratelimit.records_deferred): a guesser's many sockets guessing at once still get at
    most the lockout's misses (and the few in flight with them) before every answer is the
    lockout, the right PIN included, while a phone elsewhere still finds the game."""
    _host, game = await sync_to_async(_world)()
    misses = int(ratelimit.Rate.parse(settings.RATE_LIMIT_PIN_MISSES).amount)
    guesser = "203.0.113.66"
    phones = [await JoinPhone(client=guesser).connect() for _ in range(12)]
    wrong = [p for p in (str(3_000_000 + n) for n in range(60)) if p != game.pin]

    async def guess(phone, pins):
        codes = []
        for pin in pins:
            await phone.send({"type": "lookup", "pin": pin})
            codes.append((await phone.recv(timeout=20))["code"])
        return codes

    try:
        answers = await asyncio.gather(*(guess(p, wrong[n::12]) for n, p in enumerate(phones)))
        codes = [code for codes in answers for code in codes]
        assert set(codes) == {"game_not_found", "rate_limited"}
        assert codes.count("game_not_found") <= misses + ADDRESS_IN_FLIGHT
        await phones[0].send({"type": "lookup", "pin": game.pin})
        assert (await phones[0].recv(timeout=20))["code"] == "rate_limited"
    finally:
        for phone in phones:
            await phone.close()
    elsewhere = await JoinPhone(client="198.51.100.66").connect()
    await elsewhere.send({"type": "lookup", "pin": game.pin})
    assert (await elsewhere.recv(timeout=20))["type"] == "found"
    await elsewhere.close()
