"""Benchmark settings: the portal, plus stock mozilla-django-oidc mounted beside it under
/stock/, configured as its documentation says (endpoints from settings, RS256 + JWKS)."""
import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFG")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "5yJf3H6mYlq2Lw8cS1kq0rHq7Zb4y6vU8n0tQ2pXw9E=")
os.environ.setdefault("CXONE_ALLOW_HTTP_ISSUERS", "1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from cxone_portal.settings import *  # noqa: E402,F401,F403

ROOT_URLCONF = "bench.urls"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.CXoneOIDCBackend",
    "mozilla_django_oidc.auth.OIDCAuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Stock mozilla-django-oidc, per its documentation; the endpoints are filled in at run time
# once the simulator has its port.
OIDC_RP_CLIENT_ID = ""
OIDC_RP_CLIENT_SECRET = ""
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_OP_AUTHORIZATION_ENDPOINT = ""
OIDC_OP_TOKEN_ENDPOINT = ""
OIDC_OP_USER_ENDPOINT = ""
OIDC_OP_JWKS_ENDPOINT = ""
OIDC_AUTHENTICATION_CALLBACK_URL = "stock_callback"

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic in benches
