"""Settings for the contest benchmark's server: the project settings with CONN_MAX_AGE=0.

Under ASGI every concurrent request runs its sync view in a fresh thread; persistent connections
(CONN_MAX_AGE=60 in config/settings.py) then pile up one per thread until PostgreSQL refuses
clients. Closing the connection at the end of each request keeps the count at the concurrency.
"""

from config.settings import *  # noqa: F403

DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
