"""The shape of contest/: the services are layered marking <- attempts <- results <- rounds, and
the services, boards and API packages have no import cycle (imports inside functions count; those
under `if TYPE_CHECKING:` do not). Selectors read: they import no writing service above marking."""

from __future__ import annotations

from tests.imports import find_cycle, import_graph


def test_services_boards_and_apis_have_no_importfind_cycle():
    graph = import_graph("contest")
    for package in ("contest.services", "contest.boards", "contest.apis"):
        # The modules inside the package (its __init__ only re-exports them).
        inside = {k for k in graph if k.startswith(package + ".")}
        cycle = find_cycle({k: graph[k] & inside for k in inside})
        assert cycle is None, " -> ".join(cycle or [])


def test_contest_services_are_layered_marking_attempts_results_rounds():
    graph = import_graph("contest")
    layers = ["marking", "attempts", "results", "rounds"]
    for i, layer in enumerate(layers):
        above = {f"contest.services.{name}" for name in layers[i + 1 :]}
        assert not graph[f"contest.services.{layer}"] & above, layer


def test_selectors_never_reach_the_finalizing_read():
    """Plain reads never write: the finalizing read (services.rounds) is the callers' to make."""
    assert "contest.services.rounds" not in import_graph("contest")["contest.selectors"]
