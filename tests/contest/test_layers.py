"""The shape of contest/: the services are layered marking <- attempts <- results <- rounds, and
the services, boards and API packages have no import cycle (imports inside functions count; those
under `if TYPE_CHECKING:` do not). Selectors read: they import no writing service above marking."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _graph(folder: str) -> dict[str, set[str]]:
    modules = {_name(p): p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts}
    return {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := walk(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle_and_accepts_a_tree():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_services_boards_and_apis_have_no_import_cycle():
    graph = _graph("contest")
    for package in ("contest.services", "contest.boards", "contest.apis"):
        # The modules inside the package (its __init__ only re-exports them).
        inside = {k for k in graph if k.startswith(package + ".")}
        cycle = _cycle({k: graph[k] & inside for k in inside})
        assert cycle is None, " -> ".join(cycle or [])


def test_contest_services_are_layered_marking_attempts_results_rounds():
    graph = _graph("contest")
    layers = ["marking", "attempts", "results", "rounds"]
    for i, layer in enumerate(layers):
        above = {f"contest.services.{name}" for name in layers[i + 1 :]}
        assert not graph[f"contest.services.{layer}"] & above, layer


def test_selectors_never_reach_the_finalizing_read():
    """Plain reads never write: the finalizing read (services.rounds) is the callers' to make."""
    assert "contest.services.rounds" not in _graph("contest")["contest.selectors"]
