"""The join socket (/ws/join/, tests/realtime/test_join_socket.py) is limited like the join API:
a wrong PIN guessed on the socket counts toward the same per-address lockout."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from core import ratelimit
from tests.realtime.test_join_socket import JoinPhone, _api_join, _error, _world

pytestmark = pytest.mark.django_db(transaction=True)


async def test_guessing_pins_on_the_socket_counts_toward_the_same_lockout_as_the_api(settings):
    settings.RATE_LIMIT_PIN_MISSES = "4/600"
    await sync_to_async(ratelimit.reset)()
    _host, game = await sync_to_async(_world)()
    wrong = "0000001" if game.pin != "0000001" else "0000002"

    async def misses_until_refused(door) -> int:
        for n in range(10):
            if await door(n) == 429:
                return n
        raise AssertionError("never refused")

    # The API alone, from one address ...
    async def api(n: int) -> int:
        return (await _api_join({"pin": wrong, "nickname": "Bot"}, client="203.0.113.65"))[0]

    api_only = await misses_until_refused(api)
    # ... and the socket and the API taking turns from another: one counter, the same lockout.
    phone = await JoinPhone(client="203.0.113.66").connect()

    async def either(n: int) -> int:
        if n % 2:
            return (await _api_join({"pin": wrong, "nickname": "Bot"}, client="203.0.113.66"))[0]
        frame = _error(await phone.join(pin=wrong, nickname="Bot", lang="en"))
        return 429 if frame["code"] == "rate_limited" else 404

    assert await misses_until_refused(either) == api_only == 4
    refused = _error(await phone.join(pin=game.pin, nickname="Real", lang="en"))
    api = await _api_join({"pin": game.pin, "nickname": "Real"}, client="203.0.113.66")
    assert refused == api[1]
    assert refused["code"] == "rate_limited"
    assert refused["details"]["retry_after"] >= 1
    await phone.close()
    # A new socket from the same address is held back too; another address is not.
    again = await JoinPhone(client="203.0.113.66").connect()
    assert (await again.join(pin=game.pin, nickname="Real"))["code"] == "rate_limited"
    await again.close()
    elsewhere = await JoinPhone(client="198.51.100.9").connect()
    assert (await elsewhere.join(pin=game.pin, nickname="Real"))["type"] == "joined"
    await elsewhere.close()


async def test_pins_looked_up_on_the_socket_count_toward_the_same_lockout(settings):
    from tests.realtime.test_join_socket import _api_lookup

    settings.RATE_LIMIT_PIN_MISSES = "3/600"
    await sync_to_async(ratelimit.reset)()
    _host, game = await sync_to_async(_world)()
    wrong = "0000001" if game.pin != "0000001" else "0000002"
    phone = await JoinPhone(client="203.0.113.77").connect()
    codes = []
    for n in range(8):
        if n % 2:
            status = (await _api_lookup(wrong, client="203.0.113.77"))[0]
            codes.append("rate_limited" if status == 429 else "game_not_found")
        else:
            await phone.send({"type": "lookup", "pin": wrong})
            codes.append((await phone.recv())["code"])
    assert codes[:3] == ["game_not_found"] * 3
    assert set(codes[3:]) == {"rate_limited"}
    await phone.send({"type": "lookup", "pin": game.pin})
    assert (await phone.recv())["code"] == "rate_limited"
    await phone.close()
