"""The browser's shared helpers have one home, frontend/static/frontend/js/ (dom, http, i18n,
shapes): no page module grows its own CSRF reader, el(), api(), translation wrapper or answer
shapes again; every ES module import resolves to a static file that exports the names; and the
browser shows options in the server's order (quizzes/options.py), never re-shuffled."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "frontend" / "static" / "frontend" / "js"
HOMES = {name: SHARED / name for name in ("dom.js", "http.js", "i18n.js", "shapes.js")}


def _static_url(path: Path) -> str:
    """/static/<app dir>/<file> of a file under some app's static/ folder."""
    parts = path.relative_to(ROOT).parts
    return "/static/" + "/".join(parts[parts.index("static") + 1 :])


MODULES = sorted(p for p in (ROOT / "frontend").rglob("static/**/*.js"))
PAGE_MODULES = [p for p in MODULES if p not in HOMES.values()]

# A helper that has a shared home, and how a copy of it gives itself away.
COPIES = {
    "CSRF cookie reader (http.js csrfToken)": re.compile(r"csrftoken|document\.cookie"),
    "$() / byId() (dom.js)": re.compile(r"\b(?:const|let|var)\s+(?:\$|byId)\s*="),
    "el() (dom.js)": re.compile(r"\bfunction\s+el\s*\(|\b(?:const|let|var)\s+el\s*=\s*\("),
    "api() (http.js)": re.compile(
        r"\bfunction\s+api\s*\(|\b(?:const|let|var)\s+api\s*=\s*(?:async\s*)?\("
    ),
    "translation wrapper (i18n.js)": re.compile(
        r"window\.(?:n|p)?gettext|window\.interpolate|(?<![\w.])interpolate\s*\("
    ),
    "answer shapes (shapes.js)": re.compile(r"SHAPES\s*=|\[\s*\"▲\""),
}


def test_the_shared_modules_and_their_pages_exist():
    assert all(path.exists() for path in HOMES.values())
    assert len(PAGE_MODULES) > 20


@pytest.mark.parametrize("helper", sorted(COPIES))
def test_no_page_module_defines_its_own_copy_of_a_shared_helper(helper):
    pattern = COPIES[helper]
    copies = [
        str(path.relative_to(ROOT))
        for path in PAGE_MODULES
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert copies == [], f"{helper} copied in {copies}"


IMPORT = re.compile(r"import\s*\{([^}]*)\}\s*from\s*\"([^\"]+)\"")
EXPORT = re.compile(r"export\s+(?:async\s+)?(?:function|const|let|class)\s+([\w$]+)")


def _exports(path: Path) -> set[str]:
    return set(EXPORT.findall(path.read_text(encoding="utf-8")))


def test_every_module_import_resolves_to_a_static_file_that_exports_the_names():
    problems = []
    for path in MODULES:
        base = posixpath.dirname(_static_url(path))
        for names, target in IMPORT.findall(path.read_text(encoding="utf-8")):
            url = posixpath.normpath(posixpath.join(base, target))
            found = finders.find(url.removeprefix("/static/"))
            if not found:
                problems.append(f"{path.name}: {target} does not exist")
                continue
            wanted = {n.split(" as ")[0].strip() for n in names.split(",") if n.strip()}
            missing = wanted - _exports(Path(found))
            if missing:
                problems.append(f"{path.name}: {target} does not export {sorted(missing)}")
    assert problems == []


def test_every_page_that_draws_options_takes_its_shapes_from_shapes_js():
    drawers = [
        "frontend/live/static/frontend_live/play.js",
        "frontend/live/static/frontend_live/host.js",
        "frontend/live/static/frontend_live/screen.js",
        "frontend/live/static/frontend_live/common.js",  # reveal bars (screen, overlay)
        "frontend/contests/static/frontend_contests/attempt.js",
        "frontend/bank/static/frontend_bank/editor.js",  # phone and screen preview
    ]
    for name in drawers:
        assert '/frontend/js/shapes.js"' in (ROOT / name).read_text(encoding="utf-8"), name


def test_the_browser_never_reshuffles_options():
    # The only randomness in the browser is the reconnect jitter of the WebSocket client.
    random = re.compile(
        r"Math\.random|crypto\.getRandomValues|\.sort\(\s*\(\)\s*=>|shuffle\w*\s*\("
    )
    users = [
        str(p.relative_to(ROOT)) for p in MODULES if random.search(p.read_text(encoding="utf-8"))
    ]
    assert users == ["frontend/live/static/frontend_live/ws.js"]
