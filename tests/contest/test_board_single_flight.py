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


@pytest.fixture
def builds(monkeypatch):
    """Every build of a board from the database, slowed so that readers overlap it."""
    made: list[str] = []
    scope_rows = operations._scope_rows

    def counted(scope):
        made.append(scope.key)
        time.sleep(0.3)
        return scope_rows(scope)

    monkeypatch.setattr(operations, "_scope_rows", counted)
    return made


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


def test_readers_that_find_a_board_missing_build_it_once_between_them(builds):
    round_ = _finalized_round()
    scope = boards.round_scope(round_, public=True)
    expected = _ranked(boards.top(scope))
    assert [name for _rank, name, _score in expected][:2] == ["Trần Bình", "Lê Chi"]
    boards.backend().drop(scope.key)
    builds.clear()

    seen, errors = _read_together(scope, readers=6)

    assert errors == []
    assert builds == [scope.key]
    assert [_ranked(rows) for rows in seen] == [expected] * 6


def test_readers_at_the_close_wait_for_the_close_jobs_board(builds, monkeypatch):
    """Readers that see the round final while the close job is still writing its final board
    wait for that board: none of them reads the results to build it again."""
    _contest, round_, _people = closed_round(PEOPLE)
    rebuild_all = boards.round_rebuild_all
    during: dict[str, object] = {}

    def slow_rebuild(locked, **kwargs):
        final = boards.round_scope(Round.objects.get(pk=locked.pk), public=True)
        assert final.key.endswith(":final")  # committed: readers now see the round final
        seen, errors = [], []
        reader = threading.Thread(target=lambda: _read_into(final, seen, errors))
        reader.start()
        time.sleep(0.5)
        during["reader_done_before_the_board"] = bool(seen or errors)
        rebuild_all(locked, **kwargs)
        reader.join(timeout=60)
        during.update(seen=seen, errors=errors)

    monkeypatch.setattr(boards, "round_rebuild_all", slow_rebuild)
    services.round_finalize_if_due(Round.objects.get(pk=round_.pk))

    assert during["errors"] == []
    assert during["reader_done_before_the_board"] is False
    assert builds == []  # the job built from the rows it ranked; the reader built nothing
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


def test_a_builder_that_died_holds_the_readers_back_only_until_their_wait_ends(builds, monkeypatch):
    round_ = _finalized_round()
    scope = boards.round_scope(round_, public=True)
    expected = _ranked(boards.top(scope))
    boards.backend().drop(scope.key)
    builds.clear()
    monkeypatch.setattr(operations, "BUILD_WAIT_S", 0.5)
    assert boards.backend().lease(scope.key, 600) is not None  # never released

    started = time.monotonic()
    rows = boards.top(scope)

    assert time.monotonic() - started >= 0.5
    assert builds == [scope.key]
    assert _ranked(rows) == expected
