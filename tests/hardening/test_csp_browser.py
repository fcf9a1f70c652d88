"""The CSP's connect-src names only the site's own origin: Chromium still opens the game's
WebSocket on the same host, and refuses a socket or a fetch to any other host."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Opens a WebSocket and reports how it ended: "open", or "blocked" when the page's CSP refused it
# (Chromium throws a SecurityError from the constructor), or "error"/"closed" for a server refusal.
PROBE = """async (url) => {
  const violations = [];
  document.addEventListener("securitypolicyviolation", (e) => violations.push(e.blockedURI));
  let outcome;
  try {
    outcome = await new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.onopen = () => { ws.close(); resolve("open"); };
      ws.onerror = () => resolve("error");
      ws.onclose = () => resolve("closed");
      setTimeout(() => resolve("timeout"), 5000);
    });
  } catch (e) {
    outcome = "blocked";
  }
  await new Promise((r) => setTimeout(r, 100));
  return {outcome, violations};
}"""


async def test_page_opens_a_websocket_to_its_own_host_but_not_to_another_host(asgi_server, browser):
    from asgiref.sync import sync_to_async

    from tests.factories import make_user
    from tests.realtime.conftest import create_game, make_quiz

    def _game():
        host = make_user("csphost", roles=["teacher"])
        return create_game(host, make_quiz(host))

    game = await sync_to_async(_game)()
    page = await new_page(browser)
    response = await page.goto(f"{asgi_server.url}/play?pin={game.pin}")
    csp = response.headers["content-security-policy"]
    connect = next(d for d in csp.split(";") if d.strip().startswith("connect-src")).split()[1:]
    host = asgi_server.url.removeprefix("http://")
    assert set(connect) <= {"'self'", f"ws://{host}", f"wss://{host}"}
    own = asgi_server.url.replace("http://", "ws://") + f"/ws/game/{game.id}/"
    result = await page.evaluate(PROBE, own)
    assert result == {"outcome": "open", "violations": []}
    # The same server under another host name is another origin: refused by the page itself.
    foreign = own.replace("127.0.0.1", "localhost")
    result = await page.evaluate(PROBE, foreign)
    assert result["outcome"] != "open"
    assert result["violations"], result
    await page.context.close()
