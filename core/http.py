"""The one HTTP client for every call to CXone.

One `requests.Session` per process keeps TLS connections to the issuer alive between
sign-ins (a new handshake to a CXone region costs more than the token call itself).
Every call carries CXONE_HTTP_TIMEOUT; nothing here logs a body or a header.
"""
import os
import threading
from http.cookiejar import DefaultCookiePolicy

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

_local_pid = None
_session = None
_lock = threading.Lock()

USER_AGENT = "cxone-portal/1.0"


def session() -> requests.Session:
    """The process's session; a forked gunicorn worker makes its own."""
    global _session, _local_pid
    pid = os.getpid()
    if _session is None or _local_pid != pid:
        with _lock:
            if _session is None or _local_pid != pid:
                s = requests.Session()
                # 64 connections per host: the pages in flight of every read of this process
                # (workspaces.cxone_api.PAGES_IN_FLIGHT, 48) and room for single calls beside them.
                adapter = HTTPAdapter(pool_connections=16, pool_maxsize=64, max_retries=0)
                s.mount("https://", adapter)
                s.mount("http://", adapter)
                s.headers["User-Agent"] = USER_AGENT
                s.headers["Accept"] = "application/json"
                # No cookie jar: one session serves every tenant and user, and nothing one
                # answer sets may ride along with another's request.
                s.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
                _session, _local_pid = s, pid
    return _session


def api_session() -> requests.Session:
    """The session for CXone's REST APIs: the same pool, no cookies."""
    return session()


def timeout() -> float:
    return settings.CXONE_HTTP_TIMEOUT


def get(url, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", timeout())
    kwargs.setdefault("allow_redirects", False)
    return session().get(url, **kwargs)
