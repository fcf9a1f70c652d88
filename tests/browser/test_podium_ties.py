"""The podium in Chromium with a tie and players without points (issue 13): the screen shows one
step per leaderboard rank, tied players share it, and nobody without points stands on it; the
phones agree. Screenshot: tests/artifacts/podium-ties.png (and the two phones next to it)."""

from __future__ import annotations

import json
import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from realtime import engine
from realtime.models import Game
from realtime.tokens import player_token
from tests.browser.conftest import new_page
from tests.realtime.played import add_player, game_with_questions, play_answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000


def _game_at_the_podium() -> tuple[Game, dict[str, tuple[int, str]]]:
    """After two questions: Lan Anh first; Minh and Hoa exactly equal (same answers, same
    times); Tom answered wrongly and Sneaky never answered (0 points each)."""
    game, keys = game_with_questions(2)
    names = ("Lan Anh", "Minh", "Hoa", "Tom", "Sneaky")
    ids = {name: add_player(game, name) for name in names}
    play_answers(
        game,
        keys,
        {
            ids["Lan Anh"]: [("right", 1000), ("right", 1000)],
            ids["Minh"]: [("right", 4000), ("wrong", 2000)],
            ids["Hoa"]: [("right", 4000), None],
            ids["Tom"]: [("wrong", 3000), ("wrong", 3000)],
            ids["Sneaky"]: [None, None],
        },
    )
    state = {**game.state, "phase": engine.PODIUM}
    Game.objects.filter(id=game.id).update(
        state=state, phase=engine.PODIUM, status=Game.Status.RUNNING
    )
    game.refresh_from_db()
    tokens = {n: (pid, player_token(game_id=game.id, player_id=pid)) for n, pid in ids.items()}
    return game, tokens


async def _phone(browser, base_url, game, nickname, player_id, token, errors):
    """A phone that joined this game earlier (its session is in localStorage) and comes back."""
    page = await new_page(browser, phone=True, errors=errors)
    session = {"game": game.id, "player": player_id, "token": token, "nickname": nickname}
    session["pin"] = game.pin
    await page.add_init_script(
        f"localStorage.setItem('cq.live.game.{game.id}', {json.dumps(json.dumps(session))});"
        f"localStorage.setItem('cq.live.current', '{game.id}');"
    )
    await page.goto(f"{base_url}/play")
    return page


async def test_the_podium_shares_a_step_for_a_tie_and_leaves_out_players_without_points(
    asgi_server, browser, artifacts
):
    game, tokens = await sync_to_async(_game_at_the_podium)()
    errors: list[str] = []

    screen = await new_page(browser, errors=errors)
    await screen.goto(f"{asgi_server.url}/screen/{game.id}/?key={game.screen_key}")
    await expect(screen.locator(".sc-podium")).to_be_visible(timeout=TIMEOUT)
    steps = screen.locator(".sc-place")
    await expect(steps).to_have_count(2)  # gold and one shared silver step; no bronze
    await expect(screen.locator(".sc-place.p1 .sc-pname")).to_have_text(["Lan Anh"])
    await expect(screen.locator(".sc-place.p2 .sc-pname")).to_have_text(["Minh", "Hoa"])
    await expect(screen.locator(".sc-place.p3")).to_have_count(0)
    await expect(screen.locator(".sc-podium")).not_to_contain_text("Tom")
    await expect(screen.locator(".sc-podium")).not_to_contain_text("Sneaky")
    await screen.evaluate("document.getAnimations().forEach((a) => a.finish())")
    await screen.screenshot(path=str(artifacts / "podium-ties.png"))

    hoa_id, hoa_token = tokens["Hoa"]
    hoa = await _phone(browser, asgi_server.url, game, "Hoa", hoa_id, hoa_token, errors)
    await expect(hoa.locator(".play-final-rank")).to_have_text("Final rank: 2", timeout=TIMEOUT)
    await expect(hoa.locator(".play-final-medal.m2")).to_be_visible()
    await expect(hoa.locator("#announce")).to_have_text(
        re.compile(r"^Final results\. Final rank: 2\. [\d,]+ points\. Thank you for playing!$")
    )
    await hoa.screenshot(path=str(artifacts / "podium-ties-phone-silver.png"))

    tom_id, tom_token = tokens["Tom"]
    tom = await _phone(browser, asgi_server.url, game, "Tom", tom_id, tom_token, errors)
    # Tom shares the rank of every player without points, and gets no medal.
    await expect(tom.locator(".play-final-rank")).to_have_text("Final rank: 4", timeout=TIMEOUT)
    await expect(tom.locator(".play-final-medal.m0")).to_be_visible()
    # Nothing on Tom's final screen says or shows "correct": no ✓, the rank on a grey badge.
    await expect(tom.locator(".play-final-medal")).to_have_text("4")
    await expect(tom.locator(".play-final-medal")).to_have_class(re.compile(r"\bno-points\b"))
    await expect(tom.locator("#announce")).to_have_text(
        "Final results. Final rank: 4. 0 points. Thank you for playing!"
    )
    await expect(tom.locator("#stage")).not_to_contain_text("✓")
    await tom.screenshot(path=str(artifacts / "podium-ties-phone-no-points.png"))
    assert errors == []
