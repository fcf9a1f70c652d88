"""CitizenQuiz settings: one file, driven by environment variables.

With nothing set, the product runs on embedded defaults (SQLite, in-memory channel layer,
in-memory live store). DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis; DEBUG=0
switches on production behaviour (SECRET_KEY required, secure cookies, HSTS).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for (issue 12, point 9): `make run` sets DEBUG=1, and under pytest (which sets
# PYTEST_VERSION for its session, before Django reads these settings) it defaults to on. A server
# started any other way gets production behaviour: SECRET_KEY required, secure cookies, HSTS.
DEBUG = env_bool("DEBUG", bool(os.environ.get("PYTEST_VERSION")))
PRODUCTION = not DEBUG

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG=0 (the default outside `make run` and the tests; "
            "set DEBUG=1 for development)."
        )
    SECRET_KEY = "dev-only-insecure-key-change-me-" + "x" * 32

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Only trust X-Forwarded-For when the deployment says a proxy sets it (hardening issue).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Atomic limits on every anonymous or participant entry point (core/ratelimit.py), per real
# client address (IPv6: per /64) and per participant token. Buckets are "burst/refill-per-second";
# PIN misses are "count/window-seconds". Defaults and sizing for schools behind one NAT address:
# docs/deploy.md.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
# Joins and look-ups per address count failures (and requests in flight), not successes: a school
# behind one NAT gets in (docs/deploy.md "NAT"). Successful joins: per game, and per address in
# one game.
RATE_LIMIT_JOIN = os.environ.get("RATE_LIMIT_JOIN", "200/2")
RATE_LIMIT_JOIN_GAME = os.environ.get("RATE_LIMIT_JOIN_GAME", "2000/500")
RATE_LIMIT_JOIN_ADDRESS = os.environ.get("RATE_LIMIT_JOIN_ADDRESS", "600/1")
RATE_LIMIT_LOOKUP = os.environ.get("RATE_LIMIT_LOOKUP", "200/2")
RATE_LIMIT_PIN_MISSES = os.environ.get("RATE_LIMIT_PIN_MISSES", "20/600")
RATE_LIMIT_REGISTER = os.environ.get("RATE_LIMIT_REGISTER", "30/0.5")
RATE_LIMIT_ATTEMPT = os.environ.get("RATE_LIMIT_ATTEMPT", "60/1")
RATE_LIMIT_ANSWER = os.environ.get("RATE_LIMIT_ANSWER", "300/50")
RATE_LIMIT_RESULTS = os.environ.get("RATE_LIMIT_RESULTS", "120/10")
RATE_LIMIT_BOARD = os.environ.get("RATE_LIMIT_BOARD", "300/50")
RATE_LIMIT_TOKEN = os.environ.get("RATE_LIMIT_TOKEN", "60/2")
# Broadcast feeds and overlays (REST polls and WebSocket connects), per address: a studio's OBS
# machine runs several overlays plus a graphics system from one address.
RATE_LIMIT_FEED = os.environ.get("RATE_LIMIT_FEED", "60/10")
# Live sockets that have not said who they are yet (docs/deploy.md "Sockets that say nothing"):
# a game socket's hello within WS_HELLO_SECONDS (every page says it on opening), a join
# socket's join within WS_JOIN_IDLE_SECONDS (a phone at the form), and at most
# WS_PENDING_PER_ADDRESS such sockets from one address in each server process.
WS_HELLO_SECONDS = float(os.environ.get("WS_HELLO_SECONDS", "30"))
WS_JOIN_IDLE_SECONDS = float(os.environ.get("WS_JOIN_IDLE_SECONDS", "600"))
WS_PENDING_PER_ADDRESS = int(os.environ.get("WS_PENDING_PER_ADDRESS", "1000"))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "quizzes",
    "contest",
    "realtime",
    "frontend",
    "frontend.bank",
    "frontend.live",
    "frontend.contests",
    # Sign-in with Google Workspace or Microsoft Entra (docs/accounts.md). Installed always so its
    # tables exist everywhere; it does nothing until SSO_* settings configure a provider. After
    # frontend, so our templates override allauth's.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
]

MIDDLEWARE = [
    # First: they see every request, its whole latency and its final status.
    "core.logs.RequestContextMiddleware",
    "core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.NullCharacterMiddleware",  # after the language is known
    "core.middleware.LengthRequiredMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context.site",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Under ASGI every sync_to_async thread would keep its own persistent connection and exhaust
    # PostgreSQL's max_connections; a per-process psycopg pool bounds them instead.
    # Health checks: the pool tests a connection before lending it, so after PostgreSQL was away
    # the broken idle connections are dropped instead of failing one request each (issue 8).
    health_checks = env_bool("DB_HEALTH_CHECKS", True)
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=0, conn_health_checks=health_checks
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        pool = {
            "min_size": int(os.environ.get("DB_POOL_MIN", "1")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "12")),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        }
        # Django's backend, whose pool checks every idle connection after one failed check.
        DATABASES["default"]["ENGINE"] = "core.postgres"
        DATABASES["default"]["OPTIONS"] = {"pool": pool}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # The ASGI child process of browser tests must open the same file, never :memory:.
            "TEST": {"NAME": str(BASE_DIR / "test_db.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, live store, cache ------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# redis-py 8 defaults would break us: a 5 s socket timeout kills idle BZPOPMIN readers and a
# 100-connection pool raises on join bursts (see docs/deploy.md). Size the pool above the burst.
REDIS_MAX_CONNECTIONS = int(os.environ.get("REDIS_MAX_CONNECTIONS", "2000"))
CHANNEL_PREFIX = os.environ.get("CHANNEL_PREFIX", "cq")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                    }
                ],
                "prefix": CHANNEL_PREFIX,
                "capacity": 1500,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_PREFIX,
        }
    }
    LIVE_STORE = "redis"
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    LIVE_STORE = "memory"
LIVE_STORE = os.environ.get("LIVE_STORE", LIVE_STORE)

# --- Background jobs (docs/jobs.md) ---------------------------------------------------------
# "dramatiq": jobs go to Redis and run in worker processes (`make worker`, `make run-cluster`);
# "thread": they run in a thread of the web process (the embedded default: nothing to start).
JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "dramatiq" if REDIS_URL else "thread")
if JOBS_BACKEND not in ("dramatiq", "thread"):
    raise ImproperlyConfigured("JOBS_BACKEND must be 'dramatiq' or 'thread'.")
if JOBS_BACKEND == "dramatiq" and not REDIS_URL:
    raise ImproperlyConfigured("JOBS_BACKEND=dramatiq needs REDIS_URL.")
# Uploaded inputs, finished results and temporary files; never under MEDIA_ROOT (served publicly).
JOBS_ROOT = Path(os.environ.get("JOBS_ROOT", str(BASE_DIR / "var" / "jobs")))
JOBS_THREADS = int(os.environ.get("JOBS_THREADS", "2"))  # per worker process, or in-process
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "5"))
# A running job whose heartbeat is older than this lost its worker: it is run again.
JOBS_STALE_SECONDS = float(os.environ.get("JOBS_STALE_SECONDS", "30"))
JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "3"))
JOBS_PROGRESS_INTERVAL_SECONDS = float(os.environ.get("JOBS_PROGRESS_INTERVAL_SECONDS", "0.5"))
JOBS_TIME_LIMIT_SECONDS = int(os.environ.get("JOBS_TIME_LIMIT_SECONDS", str(6 * 3600)))
# Above these sizes the work goes to a job instead of the request.
JOBS_IMPORT_INLINE_MAX_BYTES = int(os.environ.get("JOBS_IMPORT_INLINE_MAX_BYTES", str(256 * 1024)))
JOBS_RECOMPUTE_INLINE_MAX_ATTEMPTS = int(
    os.environ.get("JOBS_RECOMPUTE_INLINE_MAX_ATTEMPTS", "2000")
)

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Password reset links (Django's own flow) and teacher invitations (quizzes/services/accounts.py).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600)))
# At most this many reset emails per address per window ("count/seconds"; RATE_LIMITS_ENABLED).
RATE_LIMIT_PASSWORD_RESET = os.environ.get("RATE_LIMIT_PASSWORD_RESET", "5/3600")
ACCOUNT_INVITE_MAX_AGE_DAYS = float(os.environ.get("ACCOUNT_INVITE_MAX_AGE_DAYS", "14"))
ACCOUNT_CSV_MAX_BYTES = int(os.environ.get("ACCOUNT_CSV_MAX_BYTES", str(512 * 1024)))
ACCOUNT_CSV_MAX_ROWS = int(os.environ.get("ACCOUNT_CSV_MAX_ROWS", "2000"))

# django-allauth serves only third-party sign-in: passwords, reset and invitations stay Django's
# own views. A provider is on when its client id and secret are set; nothing changes without them.
SOCIALACCOUNT_ONLY = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "quizzes.services.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "quizzes.services.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
# A provider-verified email that matches an existing account (an invited teacher) signs in to it.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict = {}
if os.environ.get("SSO_GOOGLE_CLIENT_ID") and os.environ.get("SSO_GOOGLE_CLIENT_SECRET"):
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [
            {
                "client_id": os.environ["SSO_GOOGLE_CLIENT_ID"],
                "secret": os.environ["SSO_GOOGLE_CLIENT_SECRET"],
            }
        ],
        "SCOPE": ["openid", "profile", "email"],
    }
if os.environ.get("SSO_MICROSOFT_CLIENT_ID") and os.environ.get("SSO_MICROSOFT_CLIENT_SECRET"):
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": os.environ["SSO_MICROSOFT_CLIENT_ID"],
                "secret": os.environ["SSO_MICROSOFT_CLIENT_SECRET"],
                "settings": {"tenant": os.environ.get("SSO_MICROSOFT_TENANT", "organizations")},
            }
        ]
    }

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# config/'s own strings live in ./locale. `.ci/messages.sh` empties this while it refreshes the
# per-app catalogues, because makemessages writes into LOCALE_PATHS[0] when it is set.
# core/locale_drf: Vietnamese for Django REST framework's own messages (DRF ships few), after ours.
LOCALE_PATHS = (
    []
    if os.environ.get("CQ_PER_APP_MESSAGES")
    else [BASE_DIR / "locale", BASE_DIR / "core" / "locale_drf"]
)
USE_I18N = True
# Day-first dates in both languages (core/formats/): one way to write a date on every page.
FORMAT_MODULE_PATH = ["core.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.error_handler.api_exception_handler",
    # The API speaks JSON; only the upload endpoints (import, image) declare multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["core.jsonbody.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CitizenQuiz API",
    "DESCRIPTION": "Question bank, live games and contests. Errors: {code, message, details}.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.document_errors",
    ],
    # Several "status" choice sets: name them so the schema is stable (and check --deploy clean).
    "ENUM_NAME_OVERRIDES": {
        "QuestionStatusEnum": "quizzes.models.Question.Status",
        "ImportStatusEnum": [("draft", "draft"), ("published", "published")],
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Operations: logs, metrics, error reporting (docs/operations.md) -------------------------
# LOG_FORMAT=json: one JSON object per line with the request, game and round ids (core/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# /metrics (Prometheus): a Bearer token, or a client address inside these networks.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOW_CIDRS = os.environ.get("METRICS_ALLOW_CIDRS", "127.0.0.0/8,::1/128")
# /readyz asks the job queue about its workers through this dotted path (a callable returning
# "ok" or raising, e.g. on a stale heartbeat); empty: "workers: not configured".
# /readyz asks the job queue whether a worker reported lately (docs/jobs.md).
READYZ_WORKERS_CHECK = os.environ.get(
    "READYZ_WORKERS_CHECK", "quizzes.background.backends.workers_ready"
)
if PRODUCTION:
    # Scrapers and probes talk plain HTTP to the server processes on the internal network.
    SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^readyz$"]
# Optional error reporting: nothing is initialised (and nothing sent) unless SENTRY_DSN is set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from core.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production" if PRODUCTION else "dev"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# --- Product settings -----------------------------------------------------------------------
SITE_NAME = "CitizenQuiz"
# Network grace added to every answer deadline (documented in docs/protocol.md).
ANSWER_GRACE_SECONDS = float(os.environ.get("ANSWER_GRACE_SECONDS", "0.5"))
# Public base URL used in join links and QR codes; empty means "the request's host".
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
# Certificates' font (DejaVu Sans has every Vietnamese glyph): Debian's fonts-dejavu-core.
CERTIFICATE_FONT_DIR = os.environ.get("CERTIFICATE_FONT_DIR", "/usr/share/fonts/truetype/dejavu")

# --- Email (registration codes) -------------------------------------------------------------
# SMTP when EMAIL_HOST is set; otherwise codes are printed on the console (make run).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (one file per email).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CitizenQuiz <no-reply@localhost>")

# --- Contest registration and participant tokens (docs/contests.md, "Registration") ---------
CONTEST_EMAIL_CODE_TTL_SECONDS = int(os.environ.get("CONTEST_EMAIL_CODE_TTL_SECONDS", "900"))
CONTEST_EMAIL_CODE_MAX_TRIES = int(os.environ.get("CONTEST_EMAIL_CODE_MAX_TRIES", "5"))
CONTEST_EMAIL_CODE_INTERVAL_SECONDS = int(
    os.environ.get("CONTEST_EMAIL_CODE_INTERVAL_SECONDS", "60")
)
CONTEST_CAPTCHA_BITS = int(os.environ.get("CONTEST_CAPTCHA_BITS", "16"))
CONTEST_CAPTCHA_TTL_SECONDS = int(os.environ.get("CONTEST_CAPTCHA_TTL_SECONDS", "600"))
# Participant tokens (resume links, cookies) stop working this many days after the contest's
# last round closes.
CONTEST_TOKEN_DAYS_AFTER_END = float(os.environ.get("CONTEST_TOKEN_DAYS_AFTER_END", "30"))
