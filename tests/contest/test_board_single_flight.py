"""A missing board is built once, however many readers find it missing at the same moment.

In the contest rush's close (bench/README.md, "Contest rush"), the round_finalize job rebuilt the
final board and, in the same second, the first readers that saw the round final each read all
100,000 results and wrote the whole board again (one extra rebuild per server process, seconds of
CPU while the close was being timed). Now one builder holds a lease; the others wait for its board.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from contest import boards, services
from contest.boards import operations
from contest.models import Round

from .ceremony_helpers import closed_round
from .test_round_close_job import PEOPLE

pytestmark = pytest.mark.django_db(transaction=True)


def _ranked(rows: list[dict]) -> list[tuple]:
    return [(r["rank"], r["name"], r["score"]) for r in rows]


class Watch:
    """Board builds from the database and build-lease requests as they happen: the tests wait on
    these events, never on a guessed time."""

    def __init__(self):
        self.builds: list[str] = []
        self.leases = 0
        self.hold_for = 0  # a build waits until this many lease requests (or a second build)
        self.changed = threading.Condition()

    def until(self, happened) -> bool:
        with self.changed:
            return self.changed.wait_for(happened, timeout=30)


@pytest.fixture
def watch(monkeypatch):
    seen = Watch()
    scope_rows = operations._scope_rows
    backend = boards.backend()
    lease = backend.lease

    def counted_rows(scope):
        with seen.changed:
            seen.builds.append(scope.key)
            seen.changed.notify_all()
        if seen.hold_for:
            # Held until every reader has asked for the lease (the rule), or another reader
            # started a build of its own (no rule): either way the readers overlap this build.
            seen.until(lambda: seen.leases >= seen.hold_for or len(seen.builds) > 1)
        return scope_rows(scope)

    def counted_lease(*args, **kwargs):
        with seen.changed:
            seen.leases += 1
            seen.changed.notify_all()
        return lease(*args, **kwargs)

    monkeypatch.setattr(operations, "_scope_rows", counted_rows)
    monkeypatch.setattr(backend, "lease", counted_lease)
    return seen


def _finalized_round() -> Round:
    _contest, round_, _people = closed_round(PEOPLE)
    return services.round_finalize_if_due(Round.objects.get(pk=round_.pk))


def _read_together(scope, readers: int) -> tuple[list[list[dict]], list[Exception]]:
    start = threading.Barrier(readers)
    seen: list[list[dict]] = []
    errors: list[Exception] = []

    def read():
        try:
            start.wait()
            seen.append(boards.top(scope))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return seen, errors


def test_readers_that_find_a_board_missing_build_it_once_between_them(watch):
    round_ = _finalized_round()
    scope = boards.round_scope(round_, public=True)
    expected = _ranked(boards.top(scope))
    assert [name for _rank, name, _score in expected][:2] == ["Trần Bình", "Lê Chi"]
    boards.backend().drop(scope.key)
    watch.builds.clear()
    watch.leases = 0
    watch.hold_for = 6

    seen, errors = _read_together(scope, readers=6)

    assert errors == []
    assert watch.builds == [scope.key]
    assert [_ranked(rows) for rows in seen] == [expected] * 6


def test_readers_at_the_close_wait_for_the_close_jobs_board(watch, monkeypatch):
    """Readers that see the round final while the close job is still writing its final board
    wait for that board: none of them reads the results to build it again."""
    _contest, round_, _people = closed_round(PEOPLE)
    rebuild_all = boards.round_rebuild_all
    during: dict[str, object] = {}

    def slow_rebuild(locked, **kwargs):
        final = boards.round_scope(Round.objects.get(pk=locked.pk), public=True)
        assert final.key.endswith(":final")  # committed: readers now see the round final
        seen, errors = [], []
        leases = watch.leases  # the job's own
        reader = threading.Thread(target=lambda: _read_into(final, seen, errors))
        reader.start()
        # The reader asks for the build lease (and waits), or builds the board itself.
        watch.until(lambda: watch.leases > leases or watch.builds or not reader.is_alive())
        during["reader_done_before_the_board"] = bool(seen or errors) or not reader.is_alive()
        rebuild_all(locked, **kwargs)
        reader.join(timeout=60)
        during.update(seen=seen, errors=errors)

    monkeypatch.setattr(boards, "round_rebuild_all", slow_rebuild)
    services.round_finalize_if_due(Round.objects.get(pk=round_.pk))

    assert during["errors"] == []
    assert during["reader_done_before_the_board"] is False
    assert watch.builds == []  # the job built from the rows it ranked; the reader built nothing
    (rows,) = during["seen"]
    final = boards.round_scope(Round.objects.get(pk=round_.pk), public=True)
    assert final.key.endswith(":final")
    assert _ranked(rows) == _ranked(boards.top(final))
    assert [name for _rank, name, _score in _ranked(rows)][:2] == ["Trần Bình", "Lê Chi"]


def _read_into(scope, seen: list, errors: list) -> None:
    try:
        seen.append(boards.top(scope))
    except Exception as exc:  # noqa: BLE001 - reported by the caller
        errors.append(exc)
    finally:
        connection.close()


def test_a_builder_that_died_holds_the_readers_back_only_until_their_wait_ends(watch, monkeypatch):
    round_ = _finalized_round()
    scope = boards.round_scope(round_, public=True)
    expected = _ranked(boards.top(scope))
    boards.backend().drop(scope.key)
    watch.builds.clear()
    monkeypatch.setattr(operations, "BUILD_WAIT_S", 0.5)
    dead = boards.backend().lease(scope.key, 600)  # a builder that never comes back
    assert dead is not None
    leases = watch.leases
    try:
        started = time.monotonic()
        rows = boards.top(scope)
        waited = time.monotonic() - started
    finally:
        boards.backend().release(scope.key, dead)  # no lease left behind for later tests

    assert watch.leases - leases > 1  # it asked again while it waited
    assert waited >= operations.BUILD_WAIT_S  # then it built the board itself
    assert watch.builds == [scope.key]
    assert _ranked(rows) == expected
