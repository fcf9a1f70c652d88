"""A whole award ceremony in Chromium: one operator and two audience screens. The operator
reveals 10 places and 2 unit awards with the keyboard, goes back one step; a screen reloaded
mid-show comes back at the same step; every frame and response an audience screen received is
checked for names not revealed yet. Screenshots of each kind of step: tests/artifacts/ceremony-*."""

from __future__ import annotations

import io
import re

import pytest
from asgiref.sync import sync_to_async

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Chi", "Phạm Đức Dũng", "Hoàng Thu Giang",
    "Vũ Ngọc Hà", "Võ Quang Hải", "Đặng Thanh Hoa", "Bùi Hữu Hùng", "Đỗ Bảo Khánh",
    "Phan Thị Lan", "Huỳnh Văn Long",
]  # fmt: skip


def _show(freeze: bool = False):
    from contest.services import ceremony as svc
    from tests.contest.ceremony_helpers import closed_round
    from tests.factories import make_user

    if freeze:
        people = [
            ("Nguyễn Văn An", "THCS Ba Đình", [(3000, 60_000, 30)]),
            ("Trần Thị Bình", "THCS Ba Đình", [(2900, 60_000, 30)]),
            ("Lê Minh Chi", "THCS Cầu Giấy", [(2800, 60_000, 30)]),
            ("Phạm Đức Dũng", "THCS Cầu Giấy", [(2700, 60_000, 30), (2950, 60_000, 1)]),
            ("Hoàng Thu Giang", "THCS Cầu Giấy", [(2600, 60_000, 30), (3100, 60_000, 0.5)]),
        ]
        contest, round_, _made = closed_round(people, freeze_hours=2)
    else:
        people = [
            (name, "THCS Cầu Giấy" if i % 2 else "THCS Ba Đình", [(3000 - 100 * i, 60_000, 30)])
            for i, name in enumerate(NAMES)
        ]
        contest, round_, _made = closed_round(people)
    boss = make_user("show-organiser", roles=["organiser"], password="pw-123456")
    contest.staff.add(boss)
    ceremony = svc.ceremony_prepare(
        user=boss,
        contest=contest,
        data={
            "source": "round",
            "round_id": round_.pk,
            "places": 10 if not freeze else 5,
            "masked": False,
            "units": "after" if not freeze else "none",
            "stage_offset": 10,
        },
    )
    return ceremony.pk, ceremony.screen_key


async def _operator(browser, base, ceremony_id, errors):
    page = await new_page(browser, errors=errors)
    await page.goto(f"{base}/accounts/login/?next=/organise/ceremony/{ceremony_id}/")
    await page.fill("input[name=username]", "show-organiser")
    await page.fill("input[name=password]", "pw-123456")
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url(re.compile(rf".*/organise/ceremony/{ceremony_id}/$"))
    await page.wait_for_selector("#console[data-step='0']")
    return page


class Recorder:
    """Every WebSocket frame and HTTP response body an audience page received."""

    def __init__(self, page):
        self.texts: list[str] = []
        page.on("websocket", self.socket)
        page.on("response", self.response)
        self.pending = []

    def socket(self, ws):
        ws.on("framereceived", lambda payload: self.texts.append(str(payload)))

    def response(self, response):
        self.pending.append(response)

    async def everything(self) -> str:
        for response in self.pending:
            try:
                self.texts.append((await response.body()).decode("utf-8", "replace"))
            except Exception:
                pass  # redirects and aborted requests have no body
        self.pending = []
        return "\n".join(self.texts)


async def _at(page, step: int) -> None:
    await page.wait_for_selector(f"#ceremony[data-step='{step}']")


async def test_a_whole_ceremony_with_two_screens_reveals_nothing_early(
    asgi_server, browser, artifacts
):
    ceremony_id, key = await sync_to_async(_show)()
    base = asgi_server.url
    errors: list[str] = []
    operator = await _operator(browser, base, ceremony_id, errors)
    screens = [await new_page(browser, errors=errors) for _ in range(2)]
    # The first screen prefers reduced motion: rows and cards are drawn at once (screenshots show
    # each step's final look); the second one animates.
    await screens[0].emulate_media(reduced_motion="reduce")
    recorder = Recorder(screens[1])
    for screen in screens:
        await screen.goto(f"{base}/ceremony/{ceremony_id}/screen?key={key}")
        await _at(screen, 0)
    await screens[0].screenshot(path=str(artifacts / "ceremony-intro.png"))
    seen = await recorder.everything()
    assert not any(name in seen for name in NAMES)

    # Places 10 .. 1 with PageDown (a clicker) and the arrow key; nothing above shows early.
    for step in range(1, 11):
        await operator.keyboard.press("PageDown" if step % 2 else "ArrowRight")
        for screen in screens:
            await _at(screen, step)
        revealed = 11 - step
        seen = await recorder.everything()
        for place, name in enumerate(NAMES[:10], start=1):
            assert (name in seen) == (place >= revealed), (step, name)
        assert not any(name in seen for name in NAMES[10:])  # never in the top 10
        if step == 1:
            preview = await operator.locator("#cc-next").inner_text()
            assert NAMES[8] in preview  # place 9: the console alone sees what comes next
        if step == 8:
            await screens[0].screenshot(path=str(artifacts / "ceremony-place.png"))
    card = screens[0].locator(".cs-award")
    assert "Nguyễn Văn An" in await card.text_content()
    assert "First prize" in await card.text_content()

    # Two unit awards: best school, best district.
    for step in (11, 12):
        await operator.keyboard.press("Space")
        await _at(screens[0], step)
        await screens[0].screenshot(path=str(artifacts / f"ceremony-unit-{step - 10}.png"))
    assert "Best district" in await screens[0].locator(".cs-award").text_content()

    # One step back; a screen reloaded mid-show comes back at the operator's step.
    await operator.keyboard.press("PageUp")
    for screen in screens:
        await _at(screen, 11)
    await screens[1].reload()
    await _at(screens[1], 11)
    assert "Best school" in await screens[1].locator(".cs-award").text_content()

    # The overlay: transparent, only the current award card.
    overlay = await new_page(browser, errors=errors)
    await overlay.emulate_media(reduced_motion="reduce")  # the card is drawn at once, no fade
    await overlay.goto(f"{base}/ceremony/{ceremony_id}/overlay?key={key}")
    await _at(overlay, 11)
    shot = await overlay.screenshot(omit_background=True)
    _overlay_checks(shot, artifacts)

    await operator.keyboard.press("ArrowRight")
    await operator.keyboard.press("ArrowRight")
    await _at(screens[0], 13)
    await screens[0].screenshot(path=str(artifacts / "ceremony-podium.png"))
    await operator.screenshot(path=str(artifacts / "ceremony-console.png"), full_page=True)
    await operator.keyboard.press("b")
    await screens[0].wait_for_selector("body.cs-blackout")
    assert not await screens[0].locator(".cs-show").inner_text()
    assert errors == []


def _overlay_checks(png: bytes, artifacts) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.size == (1920, 1080)
    assert image.getpixel((5, 5))[3] == 0
    assert image.getpixel((1910, 20))[3] == 0
    assert any(image.getpixel((x, 900))[3] == 255 for x in range(100, 1200, 50))  # the card
    # Over a test video frame (colour bars), as in OBS.
    frame = Image.new("RGBA", image.size)
    colours = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0), (0, 0, 192)]  # fmt: skip
    for i, colour in enumerate(colours):
        frame.paste((*colour, 255), (i * 1920 // 7, 0, (i + 1) * 1920 // 7, 1080))
    Image.alpha_composite(frame, image).convert("RGB").save(artifacts / "ceremony-overlay.png")


async def test_a_frozen_board_resolves_on_screen_from_the_bottom_up(
    asgi_server, browser, artifacts
):
    ceremony_id, key = await sync_to_async(lambda: _show(freeze=True))()
    base = asgi_server.url
    errors: list[str] = []
    operator = await _operator(browser, base, ceremony_id, errors)
    screen = await new_page(browser, errors=errors)
    await screen.emulate_media(reduced_motion="reduce")
    recorder = Recorder(screen)
    await screen.goto(f"{base}/ceremony/{ceremony_id}/screen?key={key}")
    await _at(screen, 0)
    await operator.keyboard.press("PageDown")
    await _at(screen, 1)
    rows = screen.locator(".cs-board .sc-lb-name")
    assert (await rows.first.inner_text()).startswith("Nguyễn Văn An")
    await screen.screenshot(path=str(artifacts / "ceremony-frozen.png"))
    seen = await recorder.everything()
    assert "3100" not in seen
    assert "2950" not in seen
    await operator.keyboard.press("PageDown")
    await _at(screen, 2)
    await screen.wait_for_selector(".sc-lb-row.moved")
    assert (await rows.first.inner_text()).startswith("Hoàng Thu Giang")  # 5th -> 1st
    assert "2950" not in await recorder.everything()  # Dũng's move comes next
    await screen.screenshot(path=str(artifacts / "ceremony-resolve.png"))
    await operator.keyboard.press("PageDown")
    await _at(screen, 3)
    assert (await rows.nth(2).inner_text()).startswith("Phạm Đức Dũng")  # 5th -> 3rd
    assert errors == []
