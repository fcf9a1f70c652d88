"""Tables of the baseline app (plain SQL: the baseline has no Django app of its own)."""

from __future__ import annotations

TABLES = [
    "CREATE TABLE IF NOT EXISTS bench_baseline_player (id bigserial PRIMARY KEY, nickname text)",
    "CREATE TABLE IF NOT EXISTS bench_baseline_answer (player_id bigint NOT NULL, q int NOT NULL,"
    " submission_id uuid NOT NULL, choice text NOT NULL, received_ms bigint NOT NULL,"
    " PRIMARY KEY (player_id, q))",
]


def reset(connection) -> None:
    """Create the tables if needed and empty them (one baseline game per run)."""
    with connection.cursor() as cursor:
        for sql in TABLES:
            cursor.execute(sql)
        cursor.execute("TRUNCATE bench_baseline_answer, bench_baseline_player RESTART IDENTITY")


def stored_answers(connection) -> dict[tuple[int, int], str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT player_id, q, submission_id FROM bench_baseline_answer")
        return {(pid, q): str(sid) for pid, q, sid in cursor.fetchall()}
