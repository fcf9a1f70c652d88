"""PostgreSQL pool health check that recovers from an outage in one step.

After PostgreSQL was away every idle connection in the pool is broken. psycopg_pool checks one
connection per borrow and backs off 1, 2, 4 s between failed checks, so a request could wait
several seconds discarding dead connections one by one (a live question closed ~9.5 s late after
an outage in tests/realtime/test_crash_postgres.py). Here the first failed check makes the pool
test every idle connection at once (`pool.check()` drops the broken ones and opens new ones), so
the next borrow gets a working connection.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def check_connection(conn) -> None:
    from psycopg_pool import ConnectionPool

    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool = getattr(conn, "_pool", None)
        if pool is not None:
            logger.warning("broken database connection: checking the whole pool")
            try:
                pool.check()
            except Exception:
                logger.exception("pool check failed")
        raise
