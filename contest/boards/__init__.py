"""Leaderboards: individuals per round and per contest, and units at every level.

Individual boards are kept as Redis sorted sets when REDIS_URL is set: every member has score 0
and is the fixed-width string ranking.encode_key(row), so Redis' lexicographic order of equal
scores *is* the whole tie-break chain (ZRANK = my rank, ZRANGE = top N / around me, O(log N)).
Without Redis, an in-process sorted list plays the same part. Both are caches: the database
(RoundResult rows) is the truth and `rebuild_leaderboards` / board_rebuild() rebuild them.

Modules, each importing only those before it: backends (where boards live) <- versions (when a
copy is stale) <- scopes (which board whom) <- rows (rows from the database) <- operations
(rebuild, update, read) <- units (unit boards). Import the package: `from contest import boards`.
"""

from __future__ import annotations

from contest.boards.backends import (
    Staged,
    backend,
)
from contest.boards.operations import (
    around,
    board_rebuild,
    board_stage,
    build_lease,
    build_release,
    my_rank,
    my_rank_payload,
    my_rank_row,
    participant_changed,
    round_rebuild_all,
    size,
    top,
)
from contest.boards.rows import (
    contest_row,
    contest_rows,
    frozen_rows,
    result_row,
    round_rows,
)
from contest.boards.scopes import (
    LIVE_ONLY_OFFSET,
    UNIT_FIELDS,
    Scope,
    board_state,
    contest_scope,
    public_state,
    round_scope,
)
from contest.boards.units import (
    unit_board,
    unit_method,
)
from contest.boards.versions import (
    board_version,
    bump_version,
    rank_row_async,
    redis_client,
    round_changed,
    round_versions,
    version_keys,
)

__all__ = [
    "LIVE_ONLY_OFFSET",
    "Scope",
    "Staged",
    "UNIT_FIELDS",
    "around",
    "backend",
    "board_rebuild",
    "board_stage",
    "build_lease",
    "build_release",
    "board_state",
    "board_version",
    "bump_version",
    "contest_row",
    "contest_rows",
    "contest_scope",
    "frozen_rows",
    "my_rank",
    "my_rank_payload",
    "my_rank_row",
    "participant_changed",
    "public_state",
    "rank_row_async",
    "redis_client",
    "result_row",
    "round_changed",
    "round_rebuild_all",
    "round_rows",
    "round_scope",
    "round_versions",
    "size",
    "top",
    "unit_board",
    "unit_method",
    "version_keys",
]
