"""A phone's join form on the join socket (docs/protocol.md "Joining"): the PIN look-up asks for
the big screen's code at once, a refused join says why in the phone's language and the next try
on the same page gets in; the game then plays on that same socket."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from realtime.challenge import challenge_current
from realtime.device import DEVICE_COOKIE
from realtime.models import Player
from realtime.services import player_join
from tests.browser.conftest import new_page
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000

TEXT = {
    "vi": {"enter": "Vào chơi", "taken": "dùng biệt danh này", "in": "Bạn đã vào"},
    "en": {"enter": "Enter", "taken": "already uses this nickname", "in": "You're in"},
}


def _world():
    host = make_user("joinform-host", roles=["teacher"])
    game = create_game(host, make_quiz(host), join_challenge=True)
    player_join(pin=game.pin, nickname="Lan", challenge=challenge_current(game=game)["code"])
    return game


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_a_refused_join_says_why_and_the_next_try_gets_in(
    asgi_server, browser, artifacts, lang
):
    t = TEXT[lang]
    game = await sync_to_async(_world)()
    errors: list[str] = []
    phone = await new_page(browser, locale=lang, phone=True, errors=errors)
    sockets: list[str] = []
    phone.on("websocket", lambda ws: sockets.append(ws.url))
    await phone.goto(f"{asgi_server.url}/play?pin={game.pin}")
    # The page set the device cookie the join socket's handshake carries.
    cookies = {c["name"] for c in await phone.context.cookies()}
    assert DEVICE_COOKIE in cookies
    # The look-up on the join socket: this game needs the code on the big screen.
    await expect(phone.locator("#challenge-row")).to_be_visible(timeout=TIMEOUT)
    code = (await sync_to_async(challenge_current)(game=game))["code"]
    await phone.fill("#nickname", "lan")
    await phone.fill("#challenge", code)
    await phone.get_by_role("button", name=t["enter"]).click()
    error = phone.locator("#join-error")
    await expect(error).to_contain_text(t["taken"], timeout=TIMEOUT)
    await expect(phone.locator("#nickname")).to_have_attribute("aria-invalid", "true")
    await phone.screenshot(path=str(artifacts / f"join-form-taken-{lang}.png"))
    await phone.fill("#nickname", "Minh")
    code = (await sync_to_async(challenge_current)(game=game))["code"]
    await phone.fill("#challenge", code)
    await phone.get_by_role("button", name=t["enter"]).click()
    await expect(phone.locator("#stage")).to_contain_text(t["in"], timeout=TIMEOUT)
    await expect(phone.locator("#me-name")).to_have_text("Minh")
    await phone.screenshot(path=str(artifacts / f"join-form-in-{lang}.png"))
    # One socket from the look-up to the lobby: no HTTP join, no second socket.
    assert [url.split("/", 3)[3] for url in sockets] == ["ws/join/"]
    assert await sync_to_async(Player.objects.filter(game=game, nickname="Minh").count)() == 1
    assert errors == []


async def test_a_wrong_pin_is_told_from_the_look_up_without_a_join_that_costs_a_second_miss(
    asgi_server, browser
):
    """A school behind one address shares its wrong-PIN allowance: a PIN the look-up already
    found no game for is refused on the page, without sending the join (a second miss)."""
    errors: list[str] = []
    phone = await new_page(browser, locale="en", phone=True, errors=errors)
    sent: list[str] = []
    found: list[str] = []

    def watch(ws):
        ws.on("framesent", lambda payload: sent.append(str(payload)))
        ws.on("framereceived", lambda payload: found.append(str(payload)))

    phone.on("websocket", watch)
    await phone.goto(f"{asgi_server.url}/play")
    await phone.fill("#pin", "0000001")
    await phone.fill("#nickname", "Lan")  # the PIN field's change sends the look-up
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT / 1000
    while not any("game_not_found" in frame for frame in found):  # the look-up's answer
        assert loop.time() < deadline, found
        await asyncio.sleep(0.05)
    await phone.get_by_role("button", name=TEXT["en"]["enter"]).click()
    error = phone.locator("#join-error")
    await expect(error).to_contain_text("PIN", timeout=TIMEOUT)
    await expect(phone.locator("#pin")).to_have_attribute("aria-invalid", "true")
    assert [s for s in sent if '"type":"join"' in s.replace(" ", "")] == []
    assert errors == []


async def test_a_phone_left_at_the_form_past_the_idle_limit_still_joins(
    transactional_db, tmp_path, browser, artifacts
):
    """The server closes a join socket that has not joined in WS_JOIN_IDLE_SECONDS (docs/deploy.md
    "Sockets that say nothing"); the student who comes back to the form later still gets in, on
    a new socket the page opens for the join."""
    from tests.browser.conftest import AsgiServer, child_env, free_port

    server = AsgiServer(
        free_port(), tmp_path / "server.log", child_env({"WS_JOIN_IDLE_SECONDS": "1"})
    )
    try:
        host = await sync_to_async(make_user)("idleform-host", roles=["teacher"])
        game = await sync_to_async(create_game)(host, await sync_to_async(make_quiz)(host))
        errors: list[str] = []
        phone = await new_page(browser, locale="vi", phone=True, errors=errors)
        sockets = []
        phone.on("websocket", lambda ws: sockets.append(ws))
        await phone.goto(f"{server.url}/play?pin={game.pin}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT / 1000
        while not (sockets and sockets[0].is_closed()):  # the look-up's socket, closed idle
            assert loop.time() < deadline, sockets
            await asyncio.sleep(0.05)
        await phone.fill("#nickname", "Minh")
        await phone.get_by_role("button", name=TEXT["vi"]["enter"]).click()
        await expect(phone.locator("#stage")).to_contain_text(TEXT["vi"]["in"], timeout=TIMEOUT)
        await phone.screenshot(path=str(artifacts / "join-form-after-idle-close-vi.png"))
        assert [ws.url.split("/", 3)[3] for ws in sockets] == ["ws/join/", "ws/join/"]
        assert await sync_to_async(Player.objects.filter(game=game, nickname="Minh").count)() == 1
        assert errors == []
    finally:
        server.stop()


async def test_a_wrong_pin_sent_at_once_costs_one_miss_not_two(asgi_server, browser):
    """A school behind one address shares 20 wrong-PIN misses: pressing the button right after
    typing a wrong PIN waits for that PIN's look-up and never sends the join as well (a second
    miss)."""
    host = await sync_to_async(make_user)("typo-host", roles=["teacher"])
    game = await sync_to_async(create_game)(host, await sync_to_async(make_quiz)(host))
    wrong = "0000001" if game.pin != "0000001" else "0000002"
    errors: list[str] = []
    phone = await new_page(browser, locale="en", phone=True, errors=errors)
    sent, received = _watch_frames(phone)
    await phone.goto(f"{asgi_server.url}/play?pin={game.pin}")  # the socket is open, found
    await _until(lambda: any('"found"' in frame for frame in received))
    await phone.fill("#nickname", "Lan")
    await phone.fill("#pin", wrong)
    # Straight from the PIN to the button: leaving the field sends the look-up, the press comes
    # before its answer.
    await phone.get_by_role("button", name=TEXT["en"]["enter"]).click()
    await expect(phone.locator("#join-error")).to_contain_text("PIN", timeout=TIMEOUT)
    assert (_count(sent, "lookup"), _count(sent, "join")) == (2, 0)
    assert errors == []


async def test_a_pin_refused_while_its_game_was_locked_is_asked_again(asgi_server, browser):
    """The QR code's link looked the PIN up while the host had the game locked; once unlocked,
    the form does not keep refusing it: a refusal is used for one press, the next asks again."""
    host = await sync_to_async(make_user)("lockedform-host", roles=["teacher"])
    game = await sync_to_async(create_game)(host, await sync_to_async(make_quiz)(host))
    await sync_to_async(_set_locked)(game, True)
    errors: list[str] = []
    phone = await new_page(browser, locale="en", phone=True, errors=errors)
    sent, received = _watch_frames(phone)
    await phone.goto(f"{asgi_server.url}/play?pin={game.pin}")
    await _until(lambda: any("game_not_found" in frame for frame in received))
    await sync_to_async(_set_locked)(game, False)
    await phone.fill("#nickname", "Lan")
    button = phone.get_by_role("button", name=TEXT["en"]["enter"])
    await button.click()  # told what the look-up said, without asking again
    await expect(phone.locator("#join-error")).to_contain_text("PIN", timeout=TIMEOUT)
    assert (_count(sent, "lookup"), _count(sent, "join")) == (1, 0)
    await button.click()  # asked again: the game is open now
    await expect(phone.locator("#stage")).to_contain_text(TEXT["en"]["in"], timeout=TIMEOUT)
    assert (_count(sent, "lookup"), _count(sent, "join")) == (2, 1)
    assert await phone.locator("#conn").is_hidden()  # nothing said "Reconnecting…"
    assert errors == []


def _watch_frames(page) -> tuple[list[str], list[str]]:
    sent: list[str] = []
    received: list[str] = []

    def watch(ws):
        ws.on("framesent", lambda payload: sent.append(str(payload).replace(" ", "")))
        ws.on("framereceived", lambda payload: received.append(str(payload).replace(" ", "")))

    page.on("websocket", watch)
    return sent, received


def _count(frames: list[str], kind: str) -> int:
    return sum(f'"type":"{kind}"' in frame for frame in frames)


async def _until(condition) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT / 1000
    while not condition():
        assert loop.time() < deadline
        await asyncio.sleep(0.05)


def _set_locked(game, locked: bool) -> None:
    from realtime.models import Game

    row = Game.objects.get(id=game.id)
    Game.objects.filter(id=game.id).update(state={**row.state, "locked": locked})


def _wide(digits: str) -> str:
    return "".join(chr(ord(d) - ord("0") + ord("０")) for d in digits)


async def test_a_pin_and_code_typed_in_full_width_digits_join(asgi_server, browser, artifacts):
    """A keyboard in a CJK or Vietnamese input mode types "４８１…": the page reads the same PIN
    and code, from the box and from a shared link."""
    game = await sync_to_async(_world)()
    errors: list[str] = []
    phone = await new_page(browser, locale="en", phone=True, errors=errors)
    await phone.goto(f"{asgi_server.url}/play")
    await phone.fill("#pin", _wide(game.pin[:3]) + " " + _wide(game.pin[3:]))
    await phone.fill("#nickname", "Minh")  # the PIN field's change sends the look-up
    await expect(phone.locator("#challenge-row")).to_be_visible(timeout=TIMEOUT)
    code = (await sync_to_async(challenge_current)(game=game))["code"]
    await phone.fill("#challenge", _wide(code))
    assert await phone.input_value("#challenge") == code  # shown as the digits it sends
    assert await phone.input_value("#pin") == f"{game.pin[:3]} {game.pin[3:]}"
    await phone.screenshot(path=str(artifacts / "join-form-full-width.png"))
    await phone.get_by_role("button", name=TEXT["en"]["enter"]).click()
    await expect(phone.locator("#stage")).to_contain_text(TEXT["en"]["in"], timeout=TIMEOUT)
    assert await sync_to_async(Player.objects.filter(game=game, nickname="Minh").count)() == 1

    linked = await new_page(browser, locale="en", phone=True, errors=errors)
    await linked.goto(f"{asgi_server.url}/play?pin={_wide(game.pin)}")
    assert await linked.input_value("#pin") == game.pin
    await expect(linked.locator("#challenge-row")).to_be_visible(timeout=TIMEOUT)
    await linked.screenshot(path=str(artifacts / "join-form-full-width-link.png"))
    assert errors == []


async def test_a_pin_box_without_digits_says_what_a_pin_is(asgi_server, browser):
    """Letters or another script's digits are not "no PIN": the form says a PIN is digits."""
    phone = await new_page(browser, locale="vi", phone=True)
    await phone.goto(f"{asgi_server.url}/play")
    await phone.fill("#pin", "٩١٥٨٩٧٤")  # Arabic-Indic digits
    await phone.fill("#nickname", "Lan")
    await phone.get_by_role("button", name=TEXT["vi"]["enter"]).click()
    error = phone.locator("#join-error")
    await expect(error).to_have_text(
        "Mã PIN trò chơi chỉ gồm các chữ số từ 0 đến 9.", timeout=TIMEOUT
    )
    await phone.fill("#pin", "")
    await phone.get_by_role("button", name=TEXT["vi"]["enter"]).click()
    await expect(error).to_have_text("Hãy nhập mã PIN trò chơi.", timeout=TIMEOUT)
