"""Board operations: rebuild a board, apply a changed result, read top N, around me and my rank
(competition ranks 1, 2, 2, 4 as contest.ranking.rank_rows gives them)."""

from __future__ import annotations

import time
from typing import Any

from contest.boards.backends import RedisBoards, Staged, backend
from contest.boards.rows import (
    _scope_rows,
    contest_rounds,
    contest_row,
    result_row,
)
from contest.boards.scopes import (
    Scope,
    board_state,
    contest_scope,
    frozen_scope,
    round_scope,
)
from contest.boards.versions import (
    bump_version,
    frozen_family,
)
from contest.models import Round, RoundResult
from core.queries import one_or_none

# --- Operations ------------------------------------------------------------------------------


def board_stage(scope: Scope, rows: list[dict]) -> Staged:
    """Write a board from `rows` (the scope's rows as _scope_rows gives them) where no reader sees
    it yet; board_rebuild(scope, staged=...) puts it in place."""
    return backend().stage(scope, rows)


def board_rebuild(
    scope: Scope, rows: list[dict] | None = None, *, staged: Staged | None = None
) -> int:
    """Rebuild a board from the database (or from `rows`, the scope's rows as _scope_rows gives
    them, when the caller has just read them; or put in place the board `staged` for this
    scope); returns its size."""
    b = backend()
    if staged is None or staged.key != scope.key:
        since = b.since(scope)
        if rows is None:
            rows = _scope_rows(scope)
        staged = b.stage(scope, rows, since)
    b.publish(scope, staged)
    return staged.size


# Single flight: readers that find a board missing (a cold board, a close) build it once between
# them. The one that gets the lease builds; the others wait for it instead of each reading every
# result and writing the whole board again at the same moment (at 100,000 results that was seconds
# of CPU per reader). A builder that dies leaves the lease to run out; a reader waits at most
# BUILD_WAIT_S, then builds itself.
BUILD_LEASE_S = 60.0
BUILD_WAIT_S = 30.0
_BUILD_POLL_S = 0.05


def _ensure(scope: Scope) -> None:
    b = backend()
    if b.ready(scope):
        return
    deadline = time.monotonic() + BUILD_WAIT_S
    while True:
        token = b.lease(scope.key, BUILD_LEASE_S)
        if token is not None:
            try:
                # A change during a build leaves an in-process board stale (MemoryBoards):
                # built again, a few times at most (Redis boards take the change in).
                for _attempt in range(3):
                    if b.ready(scope):
                        break
                    board_rebuild(scope)
            finally:
                b.release(scope.key, token)
            return
        time.sleep(_BUILD_POLL_S)
        if b.ready(scope):
            return
        if time.monotonic() > deadline:
            board_rebuild(scope)
            return


def build_lease(scope: Scope) -> str | None:
    """Hold the right to build this board (round_finalize_if_due takes it before its commit, so
    readers that see the round final wait for its board instead of building it too); None if
    another builder keeps it past BUILD_WAIT_S."""
    b = backend()
    deadline = time.monotonic() + BUILD_WAIT_S
    while (token := b.lease(scope.key, BUILD_LEASE_S)) is None:
        if time.monotonic() > deadline:
            return None
        time.sleep(_BUILD_POLL_S)
    return token


def build_release(scope: Scope, token: str | None) -> None:
    if token is not None:
        backend().release(scope.key, token)


def round_rebuild_all(
    round_: Round,
    *,
    rows: list[dict] | None = None,
    contest: bool = True,
    staged: Staged | None = None,
) -> None:
    """Rebuild every board a round feeds (its live/final board and its contest's). `rows`: the
    round's rows (round_rows) when the caller has just read them (closing ranks them).
    `contest=False` when no contest row changed: closing a round stores ranks and the prediction's
    actual number, which the contest board does not show (the attempts it expires update it one
    by one, as any handed-in attempt does); the public contest board's key changes with the
    round's version bumped here, so it is built afresh on its next read. `staged`: the round's
    board already written from `rows` (board_stage), put in place here."""
    for suffix in ("live", "hidden", "final"):
        backend().drop(f"r{round_.pk}:{suffix}")
    backend().drop_family(frozen_family(round_.pk))
    if round_.freeze_hours:  # also one being built now (not in the family's index yet)
        backend().drop(frozen_scope(round_).key)
    bump_version(round_.pk)
    board_rebuild(round_scope(round_, public=False), rows, staged=staged)
    if contest:
        board_rebuild(contest_scope(round_.contest))


def my_rank_row(scope: Scope, row: dict, total: int) -> dict:
    """The my-rank answer for a board row (as my_rank gives it)."""
    return dict(_with_ranks(scope, [row])[0], total=total)


def my_rank_payload(scope: Scope, me: dict | None) -> dict[str, Any]:
    """The my-rank reply body (Django and the ASGI fast path give the same)."""
    return {"me": None if scope.hidden else me, **board_state(scope)}


def participant_changed(
    round_: Round, participant_id: int, *, result: RoundResult | None = None, participant=None
) -> None:
    """A participant's round result changed: update the round's and the contest's boards.
    A caller that has the fresh result and the participant (with its school) passes them."""
    scope = round_scope(round_, public=False)
    if result is None or participant is None:
        result = one_or_none(
            RoundResult.objects.filter(round=round_, participant_id=participant_id).select_related(
                "participant__school"
            )
        )
        participant = result.participant if result is not None else None
    b = backend()
    _change(b, scope, participant_id, lambda: _result_row_of(result, participant), cheap=True)
    rounds = contest_rounds(round_.contest)  # once for both contest boards
    for cscope in _contest_scopes_fed_by(round_, rounds):
        _change(
            b,
            cscope,
            participant_id,
            lambda cscope=cscope: contest_row(
                round_.contest, participant_id, dict(cscope.masked), rounds
            ),
        )


def _result_row_of(result: RoundResult | None, participant) -> dict | None:
    if result is None:
        return None
    return result_row(result, participant.public_name, participant.school.name)


def _change(b, scope: Scope, row_id: int, make_row, *, cheap: bool = False) -> None:
    """One row of a board changed (make_row() gives it, None: it left the board; called after
    the change is committed). A board in place is changed directly. A board being built takes
    the change in when it is put in place (its builder may have read the results before it). A
    board nobody builds records nothing: its next build reads the change.
    `cheap`: the row costs nothing to make, so it is made first and the board changed in one
    round trip if it is in place; else whether the board is in place is asked first (a
    contest's row is a query, not made for a board nobody reads)."""
    if cheap:
        row = make_row()
        if b.change(scope, row_id, row):
            return
    elif b.ready(scope):
        row = make_row()
        if b.change(scope, row_id, row):
            return
    else:
        row = _NOT_MADE
    if b.building(scope):
        if row is _NOT_MADE:
            row = make_row()
        b.pending(scope, row_id, row)
    if not b.ready(scope):
        return
    # Put in place meanwhile, perhaps without the change: make it now.
    b.change(scope, row_id, make_row() if row is _NOT_MADE else row)


_NOT_MADE = object()


def _contest_scopes_fed_by(round_: Round, rounds: list[Round]) -> list[Scope]:
    """The contest boards a new result of this round changes: the organisers' one, and the
    public one unless it shows this round frozen or hidden. `rounds`: the contest's rounds."""
    live = contest_scope(round_.contest)
    public = contest_scope(round_.contest, public=True, rounds=rounds)
    if public.key == live.key or round_.pk in dict(public.masked):
        return [live]
    return [live, public]


def top(scope: Scope, n: int = 100, offset: int = 0) -> list[dict]:
    if scope.hidden:
        return []
    _ensure(scope)
    return _with_ranks(scope, backend().slice(scope, offset, offset + n))


def around(scope: Scope, participant_id: int, k: int = 5) -> list[dict]:
    if scope.hidden:
        return []
    _ensure(scope)
    position = backend().position(scope, participant_id)
    if position is None:
        return []
    return _with_ranks(scope, backend().slice(scope, position - 1 - k, position + k))


def my_rank(scope: Scope, participant_id: int) -> dict | None:
    if scope.hidden:
        return None
    b = backend()
    if isinstance(b, RedisBoards):
        ready, row, total = b.rank_row(scope, participant_id)
        if ready:
            return my_rank_row(scope, row, total) if row else None
    _ensure(scope)
    position = b.position(scope, participant_id)
    if position is None:
        return None
    rows = _with_ranks(scope, b.slice(scope, position - 1, position))
    return dict(rows[0], total=b.count(scope)) if rows else None


def size(scope: Scope) -> int:
    """How many rows the board has (a hidden board: how many results the round has, which says
    nothing about scores; during its freeze, how many it had at the freeze)."""
    if scope.hidden:
        round_ = scope.round
        assert round_ is not None  # only a round's board is hidden
        scope = frozen_scope(round_) if round_.is_frozen() else round_scope(round_, public=False)
    _ensure(scope)
    return backend().count(scope)


def _with_ranks(scope: Scope, rows: list[dict]) -> list[dict]:
    # Final boards keep the ranks stored with the results; live and contest boards compute the
    # same competition ranks (ranking.rank_rows: 1, 2, 2, 4) from the sorted members: a row's
    # rank is 1 + the rows whose tie key is strictly smaller. Rows of a slice arrive in order, so
    # only its first row asks the board.
    previous: tuple[str, int] | None = None
    for row in rows:
        tie, ahead = row.pop("_tie", None), row.pop("_ahead", None)
        if scope.key.endswith(":final") and row.get("rank"):
            pass
        elif ahead is not None:
            row["rank"] = ahead + 1
        elif tie is not None and previous is not None and previous[0] == tie:
            row["rank"] = previous[1]
        elif tie is not None and previous is None and row["position"] > 1:
            row["rank"] = backend().ahead(scope, tie) + 1
        else:
            row["rank"] = row["position"]
        if tie is not None:
            previous = (tie, row["rank"])
        if scope.actual is None:
            row.pop("prediction", None)
    return rows
