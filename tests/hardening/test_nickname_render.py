"""Hostile nicknames rendered in Chromium: the host console lobby and the ceremony screen (lobby
and podium) show them as text only. The same pages with as many harmless names have exactly the
same elements; no script runs, no CSP violation is reported; the CSP allows no inline script."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from core.errors import ApplicationError
from realtime.models import Player
from tests.browser.conftest import new_page
from tests.factories import make_user
from tests.hardening.nickname_corpus import corpus
from tests.realtime.conftest import create_game, make_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000
NAMES = 40

# Runs before any page script: counts dialogs and script-created alerts, records CSP violations.
PROBE = """
window.__hits = [];
window.__csp = [];
for (const name of ["alert", "confirm", "prompt"]) {
  const original = window[name];
  window[name] = (...args) => { window.__hits.push(name + ":" + String(args[0])); return true; };
}
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""

COUNT_ELEMENTS = """() => {
  const counts = {};
  for (const node of document.querySelectorAll("*")) counts[node.tagName] = (counts[node.tagName] || 0) + 1;
  return counts;
}"""


def hostile_names() -> list[str]:
    """Accepted corpus names, markup first: what an attacker can actually get onto a screen."""
    from realtime.nicknames import clean_nickname, nickname_key

    picked, keys = [], set()
    for category, raw in corpus():
        if category not in {"markup", "zalgo", "emoji"}:
            continue
        try:
            name = clean_nickname(raw)
        except ApplicationError:
            continue
        if nickname_key(name) in keys:
            continue
        keys.add(nickname_key(name))
        picked.append(name)
    markup = [n for n in picked if "<" in n or "&" in n or '"' in n]
    rest = [n for n in picked if n not in markup]
    return (markup + rest)[:NAMES]


def setup(names: list[str], username: str):
    teacher = make_user(username, roles=["teacher"], password="pw-123456")
    game = create_game(teacher, make_quiz(teacher, ["single"]), time_limit=30)
    for position, name in enumerate(names):
        # Scores put the first three names on the podium.
        Player.objects.create(
            game=game,
            nickname=name,
            nickname_key=f"k{position}",
            seen=True,
            score=1000 - position,
        )
    return game.id, game.screen_key


async def render(asgi_server, browser, artifacts, names, tag):
    game_id, key = await sync_to_async(setup)(names, f"render-{tag}")
    errors: list[str] = []
    host = await new_page(browser, errors=errors)
    await host.add_init_script(PROBE)
    host.on("dialog", lambda dialog: dialog.accept())
    await host.goto(asgi_server.url + f"/host/{game_id}/")
    await host.fill("#id_username", f"render-{tag}")
    await host.fill("#id_password", "pw-123456")
    await host.locator("main form button[type=submit]").click()
    await host.wait_for_url(re.compile(rf"/host/{game_id}/?$"))
    await expect(host.locator("#h-count")).to_have_text(str(len(names)), timeout=TIMEOUT)
    await expect(host.get_by_text(names[0], exact=True).first).to_be_visible(timeout=TIMEOUT)
    screen = await new_page(browser, errors=errors)
    await screen.add_init_script(PROBE)
    await screen.goto(asgi_server.url + f"/screen/{game_id}/?key={key}")
    await expect(screen.get_by_text(names[-1], exact=True).first).to_be_attached(timeout=TIMEOUT)
    result = {
        "host_lobby": await host.evaluate(COUNT_ELEMENTS),
        "screen_lobby": await screen.evaluate(COUNT_ELEMENTS),
    }
    await host.screenshot(path=str(artifacts / f"hardening-names-{tag}-host.png"))
    await screen.screenshot(path=str(artifacts / f"hardening-names-{tag}-screen.png"))
    await host.get_by_role("button", name="End game").click()
    podium = screen.locator(".sc-podium")
    await expect(podium.get_by_text(names[0], exact=True)).to_be_visible(timeout=TIMEOUT)
    await expect(podium.get_by_text(names[2], exact=True)).to_be_visible(timeout=TIMEOUT)
    result["screen_podium"] = await screen.evaluate(COUNT_ELEMENTS)
    await screen.screenshot(path=str(artifacts / f"hardening-names-{tag}-podium.png"))
    for page in (host, screen):
        result.setdefault("hits", []).extend(await page.evaluate("window.__hits"))
        result.setdefault("csp", []).extend(await page.evaluate("window.__csp"))
    result["errors"] = errors
    headers = (await host.request.get(asgi_server.url + f"/host/{game_id}/")).headers
    result["csp_header"] = headers.get("content-security-policy", "")
    await host.context.close()
    await screen.context.close()
    return result


async def test_hostile_names_render_as_text_with_no_injected_element(
    asgi_server, browser, artifacts
):
    names = await sync_to_async(hostile_names)()
    assert len(names) == NAMES
    assert any("<img" in n.lower() or "<svg" in n.lower() for n in names)
    harmless = [f"Player {i:02d}" for i in range(NAMES)]
    baseline = await render(asgi_server, browser, artifacts, harmless, "harmless")
    hostile = await render(asgi_server, browser, artifacts, names, "hostile")
    for view in ("host_lobby", "screen_lobby", "screen_podium"):
        assert hostile[view] == baseline[view], view
        for tag in ("SCRIPT", "IFRAME", "OBJECT", "EMBED", "STYLE", "LINK", "BASE", "META"):
            assert hostile[view].get(tag, 0) == baseline[view].get(tag, 0), (view, tag)
    # The only dialog is the host's own "End the game?" confirmation.
    assert [hit for hit in hostile["hits"] if not hit.startswith("confirm:End")] == []
    assert hostile["csp"] == []
    assert baseline["csp"] == []
    assert hostile["errors"] == []
    script_src = re.search(r"script-src ([^;]*)", hostile["csp_header"]).group(1)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert script_src.strip() == "'self'"
