"""Django's PostgreSQL backend, with a pool that recovers from an outage in one step.

Django gives the psycopg pool a check that tests one connection per borrow; ours
(core/dbpool.py) also makes one failed check test the whole pool at once.
"""

from __future__ import annotations

from django.db.backends.postgresql import base

from core.dbpool import check_connection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self):
        pool = super().pool  # type: ignore[misc]  # Django 5.1+'s pool: not in django-stubs 5.2
        # psycopg_pool keeps the check callback in `_check` (psycopg-pool pinned in
        # requirements.txt); Django set it only when CONN_HEALTH_CHECKS is on.
        if pool is not None and pool._check is not None and pool._check is not check_connection:
            pool._check = check_connection
        return pool
