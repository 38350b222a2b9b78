"""System checks that say at start-up what the settings alone cannot refuse."""
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def encryption_key_is_not_public(app_configs, **kwargs):
    """Without FIELD_ENCRYPTION_KEY (DEBUG only), secrets are encrypted with a key derived from
    SECRET_KEY; when that is the built-in development key, anyone can compute it."""
    if settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY != settings.DEV_SECRET_KEY:
        return []
    if not settings.DEBUG:
        return [checks.Error(
            "SECRET_KEY is the public development key and FIELD_ENCRYPTION_KEY is unset.",
            hint="Set both from a secret store; see .env.example.", id="cxone.E002",
        )]
    return [checks.Warning(
        "Client secrets and tokens are encrypted with a key derived from the public development "
        "SECRET_KEY: anyone can decrypt this database.",
        hint="Fine for the demo and tests; set FIELD_ENCRYPTION_KEY (and SECRET_KEY) before storing real credentials.",
        id="cxone.W001",
    )]


def gunicorn_workers():
    """The worker count gunicorn will run: gunicorn.conf.py's own computation (it reads
    GUNICORN_WORKERS, else 2 x cores + 1), or WEB_CONCURRENCY (gunicorn's default) without it."""
    import os
    import runpy

    conf = settings.BASE_DIR / "gunicorn.conf.py"
    if conf.exists():
        saved = dict(os.environ)  # the config names gunicorn's metrics directory in the environment
        try:
            return int(runpy.run_path(str(conf))["workers"])
        except Exception:  # an unreadable config is gunicorn's to report, not this check's
            pass
        finally:
            os.environ.clear()
            os.environ.update(saved)
    try:
        return int(os.environ.get("WEB_CONCURRENCY", 1))
    except ValueError:
        return 1


@checks.register(checks.Tags.security, deploy=True)
def client_addresses_are_known(app_configs, **kwargs):
    """Behind a proxy, without a client-address header every visitor has the proxy's address:
    one person's failures lock everyone out and one client spends everyone's sign-in starts."""
    if settings.DEBUG or (settings.CLIENT_IP_HEADER or "").strip():
        return []
    return [checks.Warning(
        "CLIENT_IP_HEADER is not set: every visitor counts as the connection's address, which "
        "behind a proxy is the proxy's (admin lockouts and sign-in limits would hit everyone at once).",
        hint="Behind nginx set CLIENT_IP_HEADER=X-Real-IP; behind a load balancer that appends to "
        "X-Forwarded-For set CLIENT_IP_HEADER=X-Forwarded-For and CLIENT_IP_TRUSTED_PROXIES; with no "
        "proxy set CLIENT_IP_HEADER=REMOTE_ADDR. See docs/deploy.md, client addresses.",
        id="cxone.W002",
    )]


@checks.register(checks.Tags.caches, deploy=True)
def shared_cache_for_several_workers(app_configs, **kwargs):
    """A local-memory cache is per process: with several workers, each counts its own share of
    every rate limit, back-off and poll slot."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend != "django.core.cache.backends.locmem.LocMemCache":
        return []
    workers = gunicorn_workers()
    if workers <= 1:
        return []
    return [checks.Warning(
        f"The cache is local memory and gunicorn runs {workers} workers: each worker keeps its own "
        f"counters, so the sign-in rate limit lets {workers} times CXONE_SIGNIN_RATE_LIMIT through and "
        "CXone is polled once per worker.",
        hint="Set CACHE_URL=redis://… (shared by every worker and machine), or GUNICORN_WORKERS=1.",
        id="cxone.W003",
    )]


@checks.register(checks.Tags.security, deploy=True)
def no_http_issuers_in_production(app_configs, **kwargs):
    """CXONE_ALLOW_HTTP_ISSUERS lets a loopback issuer speak plain http: the tests' and the
    demo's simulator. Left on in production, an admin can register an issuer whose keys and
    tokens travel unencrypted."""
    if settings.DEBUG or not settings.CXONE_ALLOW_HTTP_ISSUERS:
        return []
    return [checks.Warning(
        "CXONE_ALLOW_HTTP_ISSUERS is on with DEBUG off: plain-http issuers on loopback are accepted.",
        hint="Unset CXONE_ALLOW_HTTP_ISSUERS (it is for local development and tests with the simulator).",
        id="cxone.W004",
    )]
