"""Test settings: the real settings module, with the environment a developer would set."""
import os

TEST_FIELD_KEY = "5yJf3H6mYlq2Lw8cS1kq0rHq7Zb4y6vU8n0tQ2pXw9E="
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CXONE_ALLOW_HTTP_ISSUERS", "1")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", TEST_FIELD_KEY)
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("CXONE_HTTP_TIMEOUT", "5")
os.environ.setdefault("CXONE_MIN_TOKEN_LIFETIME", "1")  # the tests use tokens of a few seconds
# Rooms refresh on the request thread in tests (their clocks are injected; the test database is a
# transaction other threads cannot see); tests/test_deployment.py runs the refresh threads.
os.environ.setdefault("CXONE_REFRESH_THREADS", "0")

from cxone_portal.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Sessions and signed-in users through the cache on the embedded defaults too: a test process
# serves alone, so its local-memory cache is the one every request sees (processes the tests
# start get the deployed default: off with local memory).
CACHE_SESSIONS = True

# A file, not pytest-django's shared in-memory database: threads in the concurrency tests
# then get their own connections with SQLite's real locking, as in production.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"cxone-portal-test-{os.getpid()}.sqlite3")
    }

# pytest-xdist (`make test` runs two processes on the embedded defaults): each process has its
# own database and local-memory cache. A shared Redis would be emptied by one process's
# cache.clear() under the other's feet, so the services pass runs in one process.
if os.environ.get("PYTEST_XDIST_WORKER") and CACHES["default"]["BACKEND"].endswith("RedisCache"):  # noqa: F405
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Run the tests on Redis in one process: make test TEST_WORKERS=0 (the tests clear the cache).")
