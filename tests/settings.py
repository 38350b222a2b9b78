"""Test settings: the real settings module, with the environment a developer would set."""
import os

TEST_FIELD_KEY = "5yJf3H6mYlq2Lw8cS1kq0rHq7Zb4y6vU8n0tQ2pXw9E="
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CXONE_ALLOW_HTTP_ISSUERS", "1")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", TEST_FIELD_KEY)
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("CXONE_HTTP_TIMEOUT", "5")
os.environ.setdefault("CXONE_MIN_TOKEN_LIFETIME", "1")  # the tests use tokens of a few seconds

from cxone_portal.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file, not pytest-django's shared in-memory database: threads in the concurrency tests
# then get their own connections with SQLite's real locking, as in production.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"cxone-portal-test-{os.getpid()}.sqlite3")
    }
