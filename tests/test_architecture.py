"""The shape of the code: no import cycle inside realtime/; the layers hold (config/ only wires,
core/ sits below every app and has no models, apps never import config).

    core  <-  quizzes  <-  contest  <-  realtime  <-  frontend        config wires them all


Imports are read from the source (ast), every `import` statement including those inside
functions (a lazy import is still a dependency), except under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.imports import ROOT, find_cycle, import_graph

APPS = ("quizzes", "contest", "realtime", "frontend")


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_realtime_has_no_import_cycle():
    cycle = find_cycle(import_graph("realtime"))
    assert cycle is None, " -> ".join(cycle or [])


def test_the_hub_imports_no_socket_action_or_ceremony():
    hub = import_graph("realtime")["realtime.hub"]
    for module in ("consumers", "socket", "actions", "ceremony", "feed", "access"):
        assert f"realtime.{module}" not in hub


def _sources(package: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and "locale" not in path.parts
    )


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, absolute names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            # `from config import metrics` names config's module in the alias
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _crossings(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for package in packages:
        for path in _sources(package):
            for line, module in _imports(path):
                top = module.split(".", 1)[0]
                if top in forbidden:
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return sorted(set(bad))


def test_no_app_imports_config():
    """App code reads django.conf.settings; what it needs from below lives in core/."""
    assert _crossings(APPS, ("config",)) == []


def test_core_imports_no_app_and_no_config():
    assert _crossings(("core",), (*APPS, "config")) == []


def test_core_defines_no_models():
    from django.apps import apps

    assert not (ROOT / "core" / "models.py").exists()
    assert not (ROOT / "core" / "models").exists()
    assert [m for m in apps.get_models() if m.__module__.split(".")[0] == "core"] == []


def test_config_holds_only_the_wiring():
    modules = {path.name for path in (ROOT / "config").iterdir() if path.suffix == ".py"}
    # serve.py: the server as shipped (Daphne on uvloop and its flags), an entry point like asgi.py
    assert modules <= {"__init__.py", "settings.py", "urls.py", "asgi.py", "wsgi.py", "serve.py"}
    assert [p.name for p in (ROOT / "config").iterdir() if p.is_dir() and p.name[0] != "_"] == []


def test_bench_only_measures_and_deploy_never_imports_bench():
    assert not (ROOT / "bench" / "cluster.py").exists()
    assert _crossings(("deploy",), ("bench", *APPS)) == []


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/rounds/7/leaderboard/", "round-leaderboard"),
        ("/api/rounds/007/leaderboard/me/", "round-my-rank"),
    ],
)
def test_the_contest_fast_path_answers_the_paths_django_routes_to_the_same_views(path, name):
    """One source of truth: the fast path's routes are read from contest/urls.py."""
    from django.urls import resolve

    from contest import fastpath

    match = resolve(path)
    assert match.url_name == name
    fast = fastpath.route_regex(name).match(path)
    assert fast is not None
    assert int(fast["round_id"]) == match.kwargs["round_id"] == 7
    other = "round-my-rank" if name == "round-leaderboard" else "round-leaderboard"
    assert fastpath.route_regex(other).match(path) is None


def test_apps_tell_core_what_it_must_know_without_core_importing_them():
    """core/ names no app: the apps register their parts from ready() (docs/architecture.md)."""
    from contest.services.registration import COOKIE_PREFIX
    from core import health, metrics, ratelimit
    from realtime.challenge import CODE_WRONG
    from realtime.live_metrics import LiveGamesCollector

    assert "live_store" in health.HEALTH_CHECKS
    assert any(isinstance(c, LiveGamesCollector) for c in metrics.SCRAPE_COLLECTORS)
    # A participant's cookie carries the token the per-token limits count, like the header.
    assert ratelimit.request_token({}, {f"{COOKIE_PREFIX}12": "the-token"}) == "the-token"
    assert ratelimit.request_token({}, {"sessionid": "x"}) is None
    assert CODE_WRONG in ratelimit.FAILED_GUESS_CODES
