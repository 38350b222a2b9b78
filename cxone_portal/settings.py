"""Settings for CXone Portal.

Every value comes from the environment (or an optional `.env` beside manage.py) through
django-environ; `.env.example` documents each name. The embedded defaults run on a fresh
machine: SQLite file database, local-memory cache, DEBUG off unless asked for.
"""
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Public (it is in this file): anything derived from it is known to everyone, so it is used
# only with DEBUG on, and system check cxone.W001 says so at start-up.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEV_SECRET_KEY

# The portal's public origin (https://portal.example.com): register_tenant prints the redirect
# URIs to register with NICE from it. The admin shows them from the request.
PORTAL_URL = env.str("PORTAL_URL", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.apps.CoreConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "mozilla_django_oidc",
    "axes",
    "tenants",
    "accounts",
    "workspaces",
]

MIDDLEWARE = [
    "core.observability.RequestIdMiddleware",
    "core.health.ProbeMiddleware",  # /healthz, /readyz: before host checks and redirects
    "core.metrics.RequestMetricsMiddleware",
    "core.outage.OutageMiddleware",  # cache or database unreachable: 503 with a reason
    "django.middleware.security.SecurityMiddleware",
    "core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.observability.IdentityContextMiddleware",  # tenant and user on every later log line
    "core.i18n.UserPreferenceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.TokenRefreshMiddleware",
    "accounts.middleware.FailureMiddleware",  # anonymous /api/ -> 401 JSON; any ReasonError -> its answer
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.axes.DeviceCookieMiddleware",  # the admin's device cookie (axes lockouts per browser)
]

ROOT_URLCONF = "cxone_portal.urls"
WSGI_APPLICATION = "cxone_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database and cache -------------------------------------------------------------------
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
if "DATABASE_URL" not in env:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/ yet
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a generous busy timeout let threads and worker processes share one file;
    # IMMEDIATE transactions avoid "database is locked" on read-then-write upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable server fails a request in seconds (503 database_unavailable), not after
        # the kernel's TCP timeout; keep-alives notice a peer that vanished mid-connection, and
        # data left unacknowledged for 5 s (a silently dropped network) fails the query.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {
                "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=3),
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 2,
                "keepalives_count": 2,
                "tcp_user_timeout": env.int("DATABASE_TCP_USER_TIMEOUT_MS", default=5000),
            }
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://cxone-portal")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down or hanging costs one short timeout per process, then calls fail at once for
    # CACHE_RETRY_SECONDS (core/cache.py): the board answers 503 cache_unavailable, sign-in
    # and pages go on without the cache.
    CACHES["default"]["BACKEND"] = "core.cache.RedisCache"
    CACHES["default"].setdefault("KEY_PREFIX", env.str("CACHE_KEY_PREFIX", default="cxone-portal"))
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
            "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=1.0),
        }
    )
CACHE_RETRY_SECONDS = env.float("CACHE_RETRY_SECONDS", default=2.0)

# Database sessions (core/sessions.py). With CACHE_SESSIONS on, a request reads its session and
# its user, identity and tenant from the shared cache (an unchanged poll: no database
# transaction); every write forgets the copy, and a write the cache missed (Redis unreachable)
# makes every copy refused once it answers (core/cached_rows.py). On by default with a shared
# cache; off with local memory, where each process would keep its own copies (a sign-out in one
# would not reach another): turn it on there only for a single process (`runserver`).
SESSION_ENGINE = "core.sessions"
CACHE_SESSIONS = env.bool(
    "CACHE_SESSIONS",
    default=CACHES["default"]["BACKEND"] not in ("django.core.cache.backends.locmem.LocMemCache",
                                                 "django.core.cache.backends.dummy.DummyCache"),
)
# An absolute limit from sign-in, whatever the refreshes (accounts/middleware.py ends the
# session with `session_expired`; the session row and cookie expire with it).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_COOKIE_HTTPONLY = True
# The OIDC callback is a cross-site top-level navigation: Lax lets the cookie ride along.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A refused CSRF check answers like every other failure: a reason, as JSON for scripts.
CSRF_FAILURE_VIEW = "core.error_pages.csrf_failure"

# --- Authentication -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.CXoneOIDCBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/signed-out/"
# mozilla-django-oidc's logout calls this to build the OP's logout URL (end_session).
OIDC_OP_LOGOUT_URL_METHOD = "accounts.logout.end_session_url"

# django-axes: the admin's password login locks a username at one address after
# ADMIN_LOGIN_FAILURE_LIMIT failures (an office's admins share one address, so the pair is
# locked, not the address); a browser where that admin signed in before carries a signed
# device cookie and is counted on its own, so a stranger (even at the same address) cannot
# lock the admin's own browser out (core/axes.py). Every failure is logged without the
# password. Unlock: `manage.py axes_reset_ip_username <address> <username>` (docs/deploy.md).
AXES_ONLY_ADMIN_SITE = True
AXES_HANDLER = "core.axes.AdminOnlyAxesHandler"
AXES_LOCKOUT_PARAMETERS = "core.axes.lockout_parameters"
ADMIN_DEVICE_COOKIE_DAYS = env.int("ADMIN_DEVICE_COOKIE_DAYS", default=180)
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("ADMIN_LOGIN_COOLOFF_HOURS", default=0.25)
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_address"
AXES_LOCKOUT_TEMPLATE = "admin_locked.html"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- CXone --------------------------------------------------------------------------------
CXONE_ALLOW_HTTP_ISSUERS = env.bool("CXONE_ALLOW_HTTP_ISSUERS", default=False)
# Sign-in starts per client address (count/s|m|h|d); empty turns the limit off.
CXONE_SIGNIN_RATE_LIMIT = env.str("CXONE_SIGNIN_RATE_LIMIT", default="600/m")
# The browser's address (core/clientip.py): REMOTE_ADDR (no proxy), a single-value header
# the proxy overwrites (X-Real-IP), or a list header (X-Forwarded-For) read from the right:
# the entry the CLIENT_IP_TRUSTED_PROXIES-th of your own proxies appended, never the leftmost.
# Empty means REMOTE_ADDR, and `check --deploy` warns (cxone.W002).
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
CLIENT_IP_TRUSTED_PROXIES = env.int("CLIENT_IP_TRUSTED_PROXIES", default=1)
# Discovered endpoints must be on the issuer's host or under its parent domain (CXone: under
# niceincontact.com); these domains are allowed besides.
CXONE_ALLOWED_ENDPOINT_DOMAINS = env.list("CXONE_ALLOWED_ENDPOINT_DOMAINS", default=[])
CXONE_HTTP_TIMEOUT = env.float("CXONE_HTTP_TIMEOUT", default=10.0)
CXONE_CLOCK_SKEW = env.int("CXONE_CLOCK_SKEW", default=300)
CXONE_DISCOVERY_TTL = env.int("CXONE_DISCOVERY_TTL", default=86400)
CXONE_REFRESH_MARGIN = env.int("CXONE_REFRESH_MARGIN", default=300)
# An access token lifetime (`expires_in`) outside this range is refused as invalid.
CXONE_MIN_TOKEN_LIFETIME = env.int("CXONE_MIN_TOKEN_LIFETIME", default=60)
CXONE_MAX_TOKEN_LIFETIME = env.int("CXONE_MAX_TOKEN_LIFETIME", default=86400)
CXONE_JWKS_TTL = env.int("CXONE_JWKS_TTL", default=3600)
# An unknown `kid` re-fetches the JWKS at most once per this many seconds per environment.
CXONE_JWKS_MIN_REFETCH_INTERVAL = env.int("CXONE_JWKS_MIN_REFETCH_INTERVAL", default=60)

# CXone's REST APIs: one agents/states poll per this many seconds per tenant and CXone user
# (shared by every tab, worker and machine on the shared cache); contacts change more slowly.
CXONE_BOARD_POLL_SECONDS = env.int("CXONE_BOARD_POLL_SECONDS", default=5)
CXONE_CONTACTS_POLL_SECONDS = env.int("CXONE_CONTACTS_POLL_SECONDS", default=30)
CXONE_API_PAGE_SIZE = env.int("CXONE_API_PAGE_SIZE", default=100)
# The board reads every agent CXone lists, up to this many (and CXONE_BOARD_MAX_BYTES of JSON);
# beyond, it says "showing N of M". Deltas merge into a full re-read at least this often.
CXONE_BOARD_MAX_AGENTS = env.int("CXONE_BOARD_MAX_AGENTS", default=20000)
CXONE_BOARD_MAX_BYTES = env.int("CXONE_BOARD_MAX_BYTES", default=64 * 1024 * 1024)
CXONE_BOARD_FULL_READ_SECONDS = env.int("CXONE_BOARD_FULL_READ_SECONDS", default=300)
# Supervisors whose CXone views are equal are served from one shared read per (tenant, view),
# each only what their own token returned (docs/shared-reads.md): their own token re-checks
# their view at most this often (seconds; each user at 75-100 % of it; and after every token
# refresh), and re-reads it in full
# about this often (spread per user). 0 turns shared reads off: one read per supervisor.
CXONE_SHARED_READS = env.bool("CXONE_SHARED_READS", default=True)
CXONE_PROOF_RECHECK_SECONDS = env.int("CXONE_PROOF_RECHECK_SECONDS", default=60)
CXONE_PROOF_SECONDS = env.int("CXONE_PROOF_SECONDS", default=5400)
# A view's due data is read on this many threads per process, off the request threads: the poll
# answers at once from the cache with the data's age. 0 reads on the request thread.
CXONE_REFRESH_THREADS = env.int("CXONE_REFRESH_THREADS", default=4)
# A first load waits this long for another request's fetch, then answers "not loaded yet".
CXONE_FIRST_LOAD_WAIT = env.float("CXONE_FIRST_LOAD_WAIT", default=2.0)
# Per process, at most this many threads wait on one tenant's CXone; the rest answer from the cache.
CXONE_TENANT_CONCURRENCY = env.int("CXONE_TENANT_CONCURRENCY", default=2)
# Per user: the JSON reads that may call CXone (board, skills, contacts, codes, the day, the inbox),
# as count/period (s, m, h, d); a board in four tabs polls about 100 a minute. Empty: no limit.
CXONE_READ_RATE_LIMIT = env.str("CXONE_READ_RATE_LIMIT", default="240/m")
# Messages to agents: per supervisor, per tenant, and to Everyone per tenant (count/period).
# An identical message (same target, subject and body) within a minute is refused besides.
CXONE_MESSAGE_RATE_LIMIT = env.str("CXONE_MESSAGE_RATE_LIMIT", default="20/h")
CXONE_TENANT_MESSAGE_RATE_LIMIT = env.str("CXONE_TENANT_MESSAGE_RATE_LIMIT", default="200/h")
CXONE_EVERYONE_MESSAGE_RATE_LIMIT = env.str("CXONE_EVERYONE_MESSAGE_RATE_LIMIT", default="3/h")
# Sign-in events (admin: who signed in, failed, signed out) are kept this many days;
# `manage.py prune_sign_in_events` deletes older ones (schedule it daily).
SIGN_IN_EVENT_RETENTION_DAYS = env.int("SIGN_IN_EVENT_RETENTION_DAYS", default=90)
# Supervisor actions (admin: who changed whose state, logged out or messaged whom) are kept this
# many days; `manage.py prune_supervisor_actions` deletes older ones (schedule it daily).
SUPERVISOR_ACTION_RETENTION_DAYS = env.int("SUPERVISOR_ACTION_RETENTION_DAYS", default=365)

# Development simulator of CXone (never in production: system check cxone.E001 in simulator/checks.py).
CXONE_SIMULATOR = env.bool("CXONE_SIMULATOR", default=False)
CXONE_SIMULATOR_PREFIX = "/cxone-sim"
CXONE_SIMULATOR_ISSUER = env.str(
    "CXONE_SIMULATOR_ISSUER", default=f"http://127.0.0.1:8000{CXONE_SIMULATOR_PREFIX}"
)
CXONE_SIMULATOR_TOKEN_TTL = env.int("CXONE_SIMULATOR_TOKEN_TTL", default=3600)
# Agents per simulated tenant (the demo's team size): try the board at 3,000.
CXONE_SIMULATOR_AGENTS = env.int("CXONE_SIMULATOR_AGENTS", default=60)
if CXONE_SIMULATOR:
    INSTALLED_APPS.append("simulator")

# --- Encryption at rest -------------------------------------------------------------------
FIELD_ENCRYPTION_KEY = env.list("FIELD_ENCRYPTION_KEY", default=[])
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Languages and time zones --------------------------------------------------------------
# The language comes from the browser (Accept-Language), Django's language cookie (the switch
# on every page posts to /i18n/setlang/), or, once signed in, the user's stored preference
# (core/i18n.py). Catalogues live in locale/; README "Languages" says how to add one.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt-br", "Português (Brasil)"),
    ("he", "עברית"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
USE_I18N = True
# Stored and computed in UTC; shown in the user's zone (their pick, else the browser's).
TIME_ZONE = "UTC"
USE_TZ = True

# --- Security behind a TLS proxy ----------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("USE_X_FORWARDED_HOST", default=False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Off only for plain-http test deployments on loopback.
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# Error reports (the DEBUG page too) mask secrets by name, key and shape (core/debug.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.debug.SecretsReporterFilter"

# --- Metrics (core/metrics.py) -------------------------------------------------------------
# GET /metrics answers a bearer token equal to METRICS_TOKEN, or a connection from one of
# METRICS_ALLOWED_ADDRESSES (the TCP peer's address); with neither it does not exist (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=[])

# --- Error tracking (optional, off by default: core/errortracking.py) -----------------------
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.errortracking import init as _start_error_tracking

    _start_error_tracking(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default=""),
                          release=env.str("SENTRY_RELEASE", default=""),
                          traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))

# --- Tracing (optional, off by default: core/tracing.py, started by core.apps) ---------------
# The OTLP exporter reads the standard OTEL_EXPORTER_OTLP_* and OTEL_SERVICE_NAME variables.
OTEL_EXPORTER_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")

# --- Logging ------------------------------------------------------------------------------
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.observability.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(tenant)s/%(user)s] %(message)s%(fields)s",
            "()": "core.observability.TextFormatter",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "INFO"},
        "django.request": {"level": "ERROR"},
        # axes' start-up and per-login INFO lines are noise; its warnings stay. The portal logs
        # each failed admin login itself (event=admin_sign_in).
        "axes": {"level": "WARNING"},
    },
}
