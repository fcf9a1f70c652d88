"""PostgreSQL pool health check that recovers from an outage in one step.

After PostgreSQL was away every idle connection in the pool is broken. psycopg_pool checks one
connection per borrow and backs off 1, 2, 4 s between failed checks, so a request could wait
several seconds discarding dead connections one by one (a live question closed ~9.5 s late after
an outage in tests/realtime/test_crash_postgres.py). Here the first failed check makes the pool
test every idle connection at once (`pool.check()` drops the broken ones and opens new ones), so
the next borrow gets a working connection.

A connection that passed its check less than RECHECK_SECONDS ago is lent without another one: in
a join burst every connection is borrowed hundreds of times a second (once per request or
database call), and each check is a round trip to PostgreSQL (about 13% of a join's server
samples in the profile, bench/README.md "Joining"). After an outage the connections are older
than that, or fail their first query and are discarded (Django marks them unusable).
"""

from __future__ import annotations

import logging
import time

RECHECK_SECONDS = 0.5

logger = logging.getLogger(__name__)


def check_connection(conn) -> None:
    from psycopg_pool import ConnectionPool

    now = time.monotonic()
    if now - getattr(conn, "_cq_checked_at", -RECHECK_SECONDS) < RECHECK_SECONDS:
        return
    try:
        ConnectionPool.check_connection(conn)
        conn._cq_checked_at = now
    except Exception:
        pool = getattr(conn, "_pool", None)
        if pool is not None:
            logger.warning("broken database connection: checking the whole pool")
            try:
                pool.check()
            except Exception:
                logger.exception("pool check failed")
        raise
