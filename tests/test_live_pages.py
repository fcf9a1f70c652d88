"""The live pages (player, host, screen) render in both languages, guard the host pages, stay
within the mobile JS+CSS budget and draw the join QR code server-side."""

from __future__ import annotations

import posixpath
import re

import pytest
from django.contrib.staticfiles import finders
from django.utils import translation

from frontend.live.views import qr_code_svg
from quizzes.models import Quiz
from realtime.models import Game
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 100 * 1024


def make_game(host, pin="4819203", key="screen-secret-123") -> Game:
    return Game.objects.create(host=host, pin=pin, screen_key=key, secret="s")


def get(client, url, lang="en", **extra):
    with translation.override(lang):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=lang, **extra)


def test_player_page_renders_in_english_and_vietnamese(client):
    english = get(client, "/play", "en").content.decode()
    assert "Join a game" in english and "Game PIN" in english
    client.cookies.clear()
    vietnamese = get(client, "/play", "vi").content.decode()
    assert 'lang="vi"' in vietnamese
    assert "Mã PIN" in vietnamese and "Biệt danh" in vietnamese


def test_join_link_prefills_the_pin_and_drops_anything_but_digits(client):
    html = get(client, "/play?pin=48%2019<b>203").content.decode()
    assert 'value="4819203"' in html
    assert "<b>" not in html.split('id="pin"')[1].split(">")[0]


def test_live_pages_have_no_inline_scripts_or_styles(client, teacher):
    game = make_game(teacher)
    client.force_login(teacher)
    for url in ["/play", "/host/", f"/host/{game.id}/", f"/screen/{game.id}/?key=abc"]:
        html = get(client, url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html, url
        assert 'type="module"' in html, url


def test_host_pages_send_anonymous_visitors_to_log_in(client):
    for url in ["/host/", "/host/3/"]:
        response = get(client, url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_host_pages_refuse_accounts_that_are_not_teachers(client, student):
    client.force_login(student)
    assert get(client, "/host/").status_code == 403
    assert get(client, "/host/3/").status_code == 403


def test_host_index_lists_my_quizzes_and_public_ones_but_not_others_private(client, teacher):
    other = make_user("someone", roles=["teacher"])
    Quiz.objects.create(title="My SDG quiz", author=teacher)
    Quiz.objects.create(title="Shared climate quiz", author=other, visibility="public")
    Quiz.objects.create(title="Secret quiz", author=other, visibility="private")
    client.force_login(teacher)
    html = get(client, "/host/").content.decode()
    assert "My SDG quiz" in html and "Shared climate quiz" in html
    assert "Secret quiz" not in html
    assert html.count('class="btn btn-primary host-btn"') == 2


def test_host_index_in_vietnamese(client, teacher):
    Quiz.objects.create(title="Câu đố", author=teacher)
    client.force_login(teacher)
    html = get(client, "/host/", "vi").content.decode()
    assert "Tổ chức trò chơi trực tiếp" in html


def test_host_console_renders_the_controls(client, teacher):
    game = make_game(teacher)
    client.force_login(teacher)
    html = get(client, f"/host/{game.id}/").content.decode()
    assert f'data-game="{game.id}"' in html
    for action in ["start", "next", "skip", "end_question", "add_time", "pause", "end_game"]:
        assert f'data-action="{action}"' in html
    for toggle in ["lock", "late_join", "leaderboard", "auto_advance"]:
        assert f'data-toggle="{toggle}"' in html
    vietnamese = get(client, f"/host/{game.id}/", "vi").content.decode()
    assert "Kết thúc trò chơi" in vietnamese


def test_host_console_of_another_teachers_game_is_not_found(client, teacher):
    game = make_game(make_user("other-host", roles=["teacher"]))
    client.force_login(teacher)
    assert get(client, f"/host/{game.id}/").status_code == 404
    assert get(client, "/host/999999/").status_code == 404


def test_screen_page_carries_its_key_and_hides_it_from_referrers(client):
    response = get(client, "/screen/9/?key=s3cr%22et")
    html = response.content.decode()
    assert 'data-key="s3cr&quot;et"' in html
    assert "/qr/9.svg?key=s3cr%22et" in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert 'data-join="http://testserver/play"' in html


def _assets(client, html: str, lang: str) -> dict[str, int]:
    """Every JS and CSS file a page loads (following ES module imports) with its size."""
    urls = re.findall(r'<(?:script[^>]*src|link[^>]*rel="stylesheet"[^>]*href)="([^"]+)"', html)
    sizes: dict[str, int] = {}
    while urls:
        url = urls.pop()
        if url in sizes:
            continue
        if url.startswith("/static/"):
            path = finders.find(url.removeprefix("/static/"))
            assert path, url
            with open(path, "rb") as handle:
                body = handle.read()
            if url.endswith(".js"):
                # Relative imports, the shared ../frontend/js/ modules included.
                base = url.rsplit("/", 1)[0]
                for module in re.findall(r'from\s+"(\.{1,2}/[\w./-]+\.js)"', body.decode()):
                    urls.append(posixpath.normpath(f"{base}/{module}"))
        else:
            body = get(client, url, lang).content
        sizes[url] = len(body)
    return sizes


@pytest.mark.parametrize("page", ["/play", "/screen/{id}/?key=k", "/host/{id}/"])
def test_each_live_page_loads_less_than_100_kb_of_its_own_js_and_css(client, teacher, page):
    url = page.format(id=make_game(teacher).id)
    client.force_login(teacher)
    for lang in ["en", "vi"]:
        sizes = _assets(client, get(client, url, lang).content.decode(), lang)
        assert any(u.endswith("ws.js") for u in sizes), sizes
        total = sum(sizes.values())
        print(f"{url} [{lang}]: {total} bytes in {len(sizes)} files")
        assert total < BUDGET_BYTES, sizes


def test_every_live_module_is_served_from_this_site(client):
    html = get(client, "/play").content.decode()
    assert "http://" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', html))


def test_qr_code_is_an_svg_of_the_join_link_drawn_by_this_server(client, teacher, settings):
    settings.PUBLIC_BASE_URL = "https://quiz.example.vn"
    game = make_game(teacher)
    response = client.get(f"/qr/{game.id}.svg?key=screen-secret-123")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml") or b"<svg" in response.content[:200]
    assert response.content == qr_code_svg("https://quiz.example.vn/play?pin=4819203")


def test_qr_code_needs_the_screen_key_or_the_host(client, teacher, student):
    game = make_game(teacher)
    assert client.get(f"/qr/{game.id}.svg").status_code == 404
    assert client.get(f"/qr/{game.id}.svg?key=wrong").status_code == 404
    assert client.get(f"/qr/{game.id}.svg?key=ñ").status_code == 404
    client.force_login(student)
    assert client.get(f"/qr/{game.id}.svg").status_code == 404
    client.force_login(teacher)
    assert client.get(f"/qr/{game.id}.svg").status_code == 200
    assert client.get("/qr/999999.svg?key=screen-secret-123").status_code == 404


def test_host_index_leaves_out_a_contest_quiz_the_teacher_may_not_host(client, teacher):
    from tests.contest.helpers import make_contest

    _contest, round_, _questions = make_contest(slug="host-index")
    round_.quiz.visibility = "public"
    round_.quiz.title = "Open round's secret paper"
    round_.quiz.save()
    Quiz.objects.create(title="My SDG quiz", author=teacher)
    client.force_login(teacher)

    html = get(client, "/host/").content.decode()
    api = client.post("/api/games/", {"quiz": round_.quiz.pk}, content_type="application/json")

    assert api.status_code == 404  # the rule the page now follows
    assert "Open round's secret paper" not in html
    assert f'data-quiz="{round_.quiz.pk}"' not in html
    assert "My SDG quiz" in html
