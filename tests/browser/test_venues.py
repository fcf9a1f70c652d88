"""One live game at three venues, in Chromium (issue #17): a host adds venues, opens each venue's
screen and its MC view; two phones join at each venue by the venue's link; one venue screen is
reloaded mid-question and comes back in the question; the venue board on the screens equals a
computation by hand from the players' scores. Screenshots of a venue screen, the host's venue
panel and the MC view are saved in the test's tmp dir (and tests/artifacts/)."""

from __future__ import annotations

import re
import shutil

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import expect

from quizzes.models import Quiz, QuizItem
from tests.browser.conftest import new_page
from tests.browser.test_live_game import TEXT
from tests.factories import make_question, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT = 20_000
VENUES = ["Krông Pắc", "Ea Kar", "Buôn Đôn"]
# Who answers what, per venue: two phones each.
PHONES = {
    "Krông Pắc": [("Lan", "right"), ("Minh", "right")],
    "Ea Kar": [("Hoa", "right"), ("Tuấn", "wrong")],
    "Buôn Đôn": [("Mai", "wrong"), ("Nam", None)],
}


def build_quiz() -> tuple[str, str]:
    teacher = make_user("venue-teacher", roles=["teacher"], password="pw-123456")
    q1 = make_question(
        text_en=TEXT["en"]["q1"],
        author=teacher,
        choices=[("SDG 4", 1.0), ("SDG 5", 0.0), ("SDG 13", 0.0), ("SDG 1", 0.0)],
        time_limit=60,
    )
    q2 = make_question(
        type="truefalse",
        text_en=TEXT["en"]["q2"],
        author=teacher,
        choices=[("True", 1.0), ("False", 0.0)],
        time_limit=60,
    )
    quiz = Quiz.objects.create(title="Opening: three venues", author=teacher)
    QuizItem.objects.create(quiz=quiz, question=q1, position=0)
    QuizItem.objects.create(quiz=quiz, question=q2, position=1)
    return teacher.username, "pw-123456"


def mean_board_by_hand(game_id: int) -> list[tuple[str, str]]:
    """Venue, mean score per player (1 decimal), in rank order: computed here, not by the app."""
    from realtime.models import Player

    scores: dict[str, list[int]] = {name: [] for name in VENUES}
    for venue, score in Player.objects.filter(game_id=game_id).values_list("venue__name", "score"):
        scores[venue].append(score)
    means = {name: sum(s) / len(s) for name, s in scores.items()}
    ordered = sorted(means.items(), key=lambda item: -item[1])
    return [(name, f"{value:,.1f}".rstrip("0").rstrip(".")) for name, value in ordered]


async def test_three_venues_play_one_game_in_sync(asgi_server, browser, artifacts, tmp_path):
    t = TEXT["en"]
    username, password = await sync_to_async(build_quiz)()
    errors: list[str] = []

    host = await new_page(browser, errors=errors)
    await host.goto(asgi_server.url + "/host/")
    await host.fill("#id_username", username)
    await host.fill("#id_password", password)
    await host.keyboard.press("Enter")
    await host.wait_for_url(re.compile(r"^http://[^/]+/host/$"))
    await host.get_by_role("button", name=t["host"], exact=False).first.click()
    await host.wait_for_url(re.compile(r"/host/\d+/?$"))
    game_id = int(re.search(r"/host/(\d+)", host.url).group(1))
    await expect(host.locator("#h-pin")).to_have_text(re.compile(r"^\d{7,}$"), timeout=TIMEOUT)

    # Venues by hand, on the venue manager.
    manager = await new_page(browser, errors=errors)
    await manager.context.add_cookies(await host.context.cookies())
    await manager.goto(f"{asgi_server.url}/host/{game_id}/venues/")
    await manager.fill("#v-names", "\n".join(VENUES))
    await manager.get_by_role("button", name="Add", exact=True).click()
    rows = manager.locator("#v-rows tr")
    await expect(rows).to_have_count(3, timeout=TIMEOUT)
    links = {}
    for i in range(3):
        row = rows.nth(i)
        name = await row.locator("th").inner_text()
        links[name] = {
            kind: await row.locator(f".venue-{kind}-link").get_attribute("href")
            for kind in ("screen", "mc", "join")
        }
    assert set(links) == set(VENUES)
    # The venue podium before the players' podium (the host's choice).
    await manager.locator("#v-podium").select_option("before")
    await manager.get_by_role("button", name="Save", exact=True).click()
    await expect(manager.locator("#v-saved")).to_have_text("Saved.", timeout=TIMEOUT)

    screens = {}
    for name in VENUES:
        page = await new_page(browser, errors=errors)
        await page.goto(asgi_server.url + links[name]["screen"])
        await expect(page.locator("#v-name")).to_have_text(name, timeout=TIMEOUT)
        screens[name] = page
    mc = await new_page(browser, phone=True, errors=errors)
    await mc.goto(asgi_server.url + links["Krông Pắc"]["mc"])
    await expect(mc.locator("#mc-name")).to_have_text("Krông Pắc", timeout=TIMEOUT)

    phones = {}
    for venue, players in PHONES.items():
        for nickname, _plan in players:
            phone = await new_page(browser, phone=True, errors=errors)
            await phone.goto(links[venue]["join"])
            await expect(phone.locator("#venue")).to_have_value(re.compile(r"\d+"), timeout=TIMEOUT)
            await phone.fill("#nickname", nickname)
            await phone.get_by_role("button", name=t["enter"]).click()
            await expect(phone.locator("#stage")).to_contain_text(t["in"], timeout=TIMEOUT)
            # The player's venue is stored and shown.
            await expect(phone.locator("#me-venue")).to_have_text(venue, timeout=TIMEOUT)
            phones[nickname] = phone

    # The host console's venue panel: two players per venue, every screen online; the MC's
    # "ready" shows there.
    panel = host.locator("#venue-panel")
    await expect(panel).to_be_visible(timeout=TIMEOUT)
    for name in VENUES:
        row = panel.locator("tr", has_text=name)
        await expect(row.locator("td").nth(0)).to_have_text("2", timeout=TIMEOUT)
        await expect(row.locator("td").nth(2)).to_have_text("online", timeout=TIMEOUT)
    await mc.get_by_role("button", name="Our venue is ready").click()
    await expect(panel).to_contain_text("1 of 3 venues ready", timeout=TIMEOUT)
    await expect(screens["Ea Kar"].locator("#v-all")).to_contain_text("6", timeout=TIMEOUT)
    await expect(screens["Ea Kar"].locator("#v-mine")).to_contain_text("2", timeout=TIMEOUT)

    # Question 1 on every venue screen.
    await host.get_by_role("button", name=t["start"], exact=True).click()
    for page in screens.values():
        await expect(page.locator(".sc-qtext")).to_have_text(t["q1"], timeout=TIMEOUT)
    await expect(mc.locator("#mc-clock")).to_have_text(re.compile(r"^[1-9]\d*$"), timeout=TIMEOUT)
    for players in PHONES.values():
        for nickname, plan in players:
            if plan is None:
                continue
            phone = phones[nickname]
            choice = phone.locator(".answer", has_text=t["right1"] if plan == "right" else "SDG 13")
            await expect(choice).to_be_visible(timeout=TIMEOUT)
            await choice.click()
            await expect(phone.locator("#ack")).to_contain_text(t["received"], timeout=TIMEOUT)

    # A venue screen reloaded mid-question is back in the question, with its counts.
    reloaded = screens["Ea Kar"]
    await reloaded.reload()
    await expect(reloaded.locator(".sc-qtext")).to_have_text(t["q1"], timeout=5000)
    await expect(reloaded.locator("#v-mine")).to_contain_text("2 of 2 answered", timeout=5000)
    await expect(reloaded.locator("#v-all")).to_contain_text("5 of 6 answered", timeout=5000)
    await expect(
        host.locator("#venue-panel tr", has_text="Buôn Đôn").locator("td").nth(1)
    ).to_have_text("1", timeout=TIMEOUT)

    await host.get_by_role("button", name=t["end_question"]).click()
    await expect(screens["Krông Pắc"].locator(".sc-chart")).to_be_visible(timeout=TIMEOUT)
    await host.get_by_role("button", name=t["next"]).click()  # leaderboard + venue board
    expected = await sync_to_async(mean_board_by_hand)(game_id)
    for name, page in screens.items():
        board = page.locator("#v-board-list .sc-lb-row")
        await expect(board).to_have_count(3, timeout=TIMEOUT)
        shown = [
            (
                await board.nth(i).locator(".sc-lb-name").evaluate("n => n.firstChild.textContent"),
                (await board.nth(i).locator(".sc-lb-score").inner_text()).replace(",", ""),
            )
            for i in range(3)
        ]
        assert [(n, v.replace(",", "")) for n, v in expected] == shown, name
    await expect(mc.locator("#mc-rank")).to_have_text(
        str([n for n, _v in expected].index("Krông Pắc") + 1), timeout=TIMEOUT
    )
    await expect(mc.locator("#mc-value")).to_contain_text("of 3 venues", timeout=TIMEOUT)
    await screens["Ea Kar"].screenshot(path=str(tmp_path / "venue-screen.png"))
    await panel.screenshot(path=str(tmp_path / "venue-host-panel.png"))
    await mc.screenshot(path=str(tmp_path / "venue-mc.png"))
    # A Vietnamese MC switches the page's language (its form posts with the page's own origin).
    await mc.locator("form.lang-switch button[value=vi]").click()
    await expect(mc.locator("html")).to_have_attribute("lang", "vi", timeout=TIMEOUT)
    await expect(mc.locator("#mc-name")).to_have_text("Krông Pắc", timeout=TIMEOUT)

    # Question 2 nobody answers; then the podium: the venue podium comes first on venue screens.
    await host.get_by_role("button", name=t["next"]).click()
    await expect(screens["Ea Kar"].locator(".sc-qtext")).to_have_text(t["q2"], timeout=TIMEOUT)
    await expect(screens["Ea Kar"].locator("#v-board")).to_be_hidden()
    await host.get_by_role("button", name=t["end_question"]).click()
    await host.get_by_role("button", name=t["next"]).click()  # leaderboard
    await host.get_by_role("button", name=t["next"]).click()  # podium
    podium = screens["Ea Kar"].locator("#v-board.full")
    await expect(podium).to_be_visible(timeout=TIMEOUT)
    await expect(podium.locator("#v-board-title")).to_have_text("Venue podium")
    await expect(podium.locator(".sc-lb-row").first).to_contain_text(expected[0][0])
    await screens["Ea Kar"].screenshot(path=str(tmp_path / "venue-podium.png"))
    await expect(podium).to_be_hidden(timeout=15_000)  # then the players' podium
    await expect(screens["Ea Kar"].locator(".sc-podium")).to_be_visible()

    await host.screenshot(path=str(tmp_path / "venue-host.png"), full_page=True)
    for path in tmp_path.glob("venue-*.png"):
        shutil.copy(path, artifacts / path.name)
    assert [e for e in errors if "WebSocket" not in e and "net::" not in e] == []
