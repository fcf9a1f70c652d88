"""Accessibility of the live pages in Chromium (WCAG 2.1 AA where a test can tell):

- every visible piece of text has a contrast ratio of at least 4.5:1 (3:1 for large text) against
  the background it is drawn on, on the phone, the host console and the ceremony screen, at each
  phase of a game (join form, lobby, question, reveal, podium);
- every control has a name a screen reader can read;
- a player joins and answers, and the host starts and moves the game on, with the keyboard only;
- answers are told apart by shape and text as well as colour, and the reveal says in words which
  answer was right.
"""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from realtime.models import Game
from tests.browser.conftest import new_page
from tests.browser.test_live_game import TEXT, build_quiz, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000

LOW_CONTRAST = """() => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  // The backgrounds a text may sit on: the colour layers below it, and for a gradient each of
  // its colour stops (the text must be readable on the worst one).
  const backgrounds = (el) => {
    const layers = [];
    let stops = null;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (!stops && s.backgroundImage.includes('gradient')) {
        stops = (s.backgroundImage.match(/rgba?\\([^)]+\\)/g) || []).map(parse);
        if (stops.every((c) => c.a >= 1)) break;
      }
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) bg = over(layer, bg);
    return stops && stops.length ? stops.map((c) => over(c, bg)) : [bg];
  };
  const bad = [];
  let measured = 0;
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('[aria-hidden=true], .visually-hidden, .skip-link, :disabled, svg')) continue;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (!r.width || !r.height || s.visibility !== 'visible' || r.bottom < 0 || r.top > innerHeight) continue;
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    if (opacity < 0.05) continue;
    let ratio = Infinity;
    let bg = null;
    for (const under of backgrounds(el)) {
      const fg = over({ ...parse(s.color), a: parse(s.color).a * opacity }, under);
      const [hi, lo] = [lum(fg), lum(under)].sort((a, b) => b - a);
      if ((hi + 0.05) / (lo + 0.05) < ratio) { ratio = (hi + 0.05) / (lo + 0.05); bg = under; }
    }
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    measured += 1;
    if (ratio < (large ? 3 : 4.5) - 0.01) {
      bad.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ` +
               `${ratio.toFixed(2)}:1 (${s.color} on rgb(${Math.round(bg.r)},${Math.round(bg.g)},${Math.round(bg.b)}))`);
    }
  }
  return { measured, bad };
}"""

UNNAMED = """() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
  .filter((el) => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || el.type === 'hidden') return false;
    const labelled = el.labels && [...el.labels].some((l) => l.textContent.trim());
    const named = (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby')
      || (el.textContent || '').trim() || (el.getAttribute('title') || '').trim()
      || (el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type) && el.value)
      || el.querySelector('img[alt]:not([alt=""])');
    return !(labelled || named);
  })
  .map((el) => el.outerHTML.slice(0, 80))"""


async def check_page(page, where: str, failures: list[str]) -> None:
    await settled(page)
    result = await page.evaluate(LOW_CONTRAST)
    assert result["measured"] > 0, f"{where}: no text measured"
    failures.extend(f"{where}: {line}" for line in result["bad"])
    failures.extend(f"{where}: unnamed control {html}" for html in await page.evaluate(UNNAMED))


async def focus_by_tab(page, locator, *, limit: int = 40) -> None:
    """Press Tab until the locator's element has the focus (as a keyboard user would)."""
    handle = await locator.element_handle()
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("(el) => document.activeElement === el", handle):
            return
    raise AssertionError(f"{locator} cannot be reached with Tab")


@pytest.mark.parametrize("lang", ["en", "vi"])
async def test_live_pages_are_readable_named_and_keyboard_operable(
    asgi_server, browser, artifacts, lang
):
    t = TEXT[lang]
    username, password = await sync_to_async(build_quiz)()
    failures: list[str] = []

    host = await new_page(browser, locale=lang)
    await host.goto(asgi_server.url + "/host/")
    await check_page(host, "login", failures)
    await host.fill("#id_username", username)
    await host.fill("#id_password", password)
    await host.keyboard.press("Enter")
    await host.wait_for_url(re.compile(r"^http://[^/]+/host/$"))  # not the login URL ?next=/host/
    await check_page(host, "host index", failures)
    await host.get_by_role("button", name=t["host"], exact=False).first.click()
    await host.wait_for_url(re.compile(r"/host/\d+/?$"))
    await expect(host.locator("#h-pin")).to_have_text(re.compile(r"^\d{7,}$"), timeout=TIMEOUT)
    pin = await host.locator("#h-pin").inner_text()
    screen = await new_page(browser, locale=lang)
    await screen.goto(asgi_server.url + await host.locator("#h-screen").get_attribute("href"))
    await expect(screen.locator("#s-pin")).to_have_text(re.compile(r"\d"), timeout=TIMEOUT)

    # A player joins with the keyboard only: Tab to each field, type, Enter.
    phone = await new_page(browser, locale=lang, phone=True)
    await phone.goto(asgi_server.url + "/play")
    await check_page(phone, "join form", failures)
    await focus_by_tab(phone, phone.locator("#pin"))
    await phone.keyboard.type(pin)
    await focus_by_tab(phone, phone.locator("#nickname"))
    await phone.keyboard.type("Lan Anh")
    await phone.keyboard.press("Enter")
    await expect(phone.locator("#stage")).to_contain_text(t["in"], timeout=TIMEOUT)
    await expect(host.locator("#h-count")).to_have_text("1", timeout=TIMEOUT)
    await check_page(phone, "phone lobby", failures)
    await check_page(host, "host lobby", failures)
    await check_page(screen, "screen lobby", failures)

    # The host starts the game from the keyboard.
    await focus_by_tab(host, host.get_by_role("button", name=t["start"], exact=True))
    await host.keyboard.press("Enter")
    await expect(phone.locator(".play-qtext")).to_have_text(t["q1"], timeout=TIMEOUT)
    right = phone.locator(".answer", has_text=t["right1"])
    await expect(right).to_be_visible(timeout=TIMEOUT)

    # Answers differ by shape and text, not only by colour.
    shapes = await phone.locator(".answer").evaluate_all(
        "(els) => els.map((el) => [getComputedStyle(el).backgroundColor,"
        " (el.querySelector('[class*=shape], svg, .glyph') || {}).outerHTML || el.dataset.shape || ''])"
    )
    assert len({shape for _colour, shape in shapes}) == len(shapes), shapes
    await check_page(phone, "phone question", failures)
    await check_page(host, "host question", failures)
    await check_page(screen, "screen question", failures)

    # The player answers with the keyboard.
    await focus_by_tab(phone, right)
    await phone.keyboard.press("Enter")
    await expect(phone.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)

    # The host ends the question from the keyboard; the reveal says in words what was right.
    await focus_by_tab(host, host.get_by_role("button", name=t["end_question"]))
    await host.keyboard.press("Enter")
    await expect(phone.locator(".play-result")).to_contain_text(t["correct"], timeout=TIMEOUT)
    await expect(screen.locator(".sc-chart")).to_be_visible(timeout=TIMEOUT)
    right_column = screen.locator(".sc-col.right")
    await expect(right_column).to_contain_text(t["right1"])
    marks = await right_column.evaluate(
        "(el) => (el.getAttribute('aria-label') || '') + el.textContent"
    )
    others = await screen.locator(".sc-col:not(.right)").first.evaluate(
        "(el) => (el.getAttribute('aria-label') || '') + el.textContent"
    )
    # Something besides the colour (a mark or words) sets the right answer apart.
    assert set(marks) - set(others) - set(t["right1"]) - set("0123456789 %()"), (marks, others)
    await check_page(phone, "phone reveal", failures)
    await check_page(host, "host reveal", failures)
    await check_page(screen, "screen reveal", failures)

    # Next from the keyboard until the podium.
    for _ in range(4):
        if await screen.locator(".sc-podium").is_visible():
            break
        await focus_by_tab(host, host.get_by_role("button", name=t["next"]))
        await host.keyboard.press("Enter")
        await host.wait_for_timeout(300)
        state = await sync_to_async(lambda: Game.objects.values_list("state", flat=True).last())()
        if state and state.get("phase") == "question":
            await focus_by_tab(host, host.get_by_role("button", name=t["end_question"]))
            await host.keyboard.press("Enter")
    await expect(screen.locator(".sc-podium")).to_be_visible(timeout=TIMEOUT)
    await check_page(screen, "screen podium", failures)
    await check_page(phone, "phone final", failures)
    await screen.screenshot(path=str(artifacts / f"a11y-{lang}-screen-podium.png"))

    assert failures == []
