"""Settings of the stock-Channels baseline app (bench/baseline): Channels + channels_redis only.

Configured the way the Channels tutorial does (RedisChannelLayer, one group per game), with the
two redis-py 8 fixes every Channels deployment needs (socket_timeout None, a pool above the join
burst) so that the baseline measures Channels itself, not a broken pool.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-baseline-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
USE_TZ = True
ASGI_APPLICATION = "bench.baseline.asgi.application"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cq_bench_live"),
        conn_max_age=60,
    )
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"),
                    "socket_timeout": None,
                    "max_connections": 5000,
                }
            ],
            "prefix": os.environ.get("CHANNEL_PREFIX", "cqbench") + "-baseline",
            "capacity": 1500,
            "expiry": 60,
        },
    }
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
