"""Probes for load balancers and orchestrators.

`/healthz` (liveness): the process answers; it touches nothing else, so a database or cache
outage never gets a healthy process restarted. `/readyz` (readiness): the database and the
cache answer within their short timeouts (DATABASE_CONNECT_TIMEOUT, CACHE_SOCKET_TIMEOUT);
a 503 is logged as a WARNING with the cause.

Both are answered by `ProbeMiddleware`, first in the chain, before anything reads the Host
header: a kubelet or load balancer asks with the instance's address as Host (10.0.3.7:8000),
which ALLOWED_HOSTS rightly refuses for everything else, and before the https redirect.
"""
import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponseNotFound, JsonResponse

logger = logging.getLogger(__name__)

NO_STORE = "no-store"


def healthz(request):
    return _answer({"status": "ok"}, 200)


def readyz(request):
    checks = {"database": _check_database(), "cache": _check_cache()}
    ready = all(value == "ok" for value in checks.values())
    if not ready:
        logger.warning("not ready", extra={"event": "readyz", "outcome": "unavailable", **checks})
    return _answer({"status": "ok" if ready else "unavailable", **checks}, 200 if ready else 503)


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any driver error means "not ready"
        connection.close_if_unusable_or_obsolete()
        return f"error: {type(exc).__name__}"


def _check_cache():
    try:
        probe = f"readyz:{uuid.uuid4().hex}"
        cache.set(probe, 1, 5)
        found = cache.get(probe)
        cache.delete(probe)
        return "ok" if found == 1 else "error: read-back failed"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _answer(body, status):
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = NO_STORE
    return response


def metrics(request):
    from .metrics import metrics_view

    return metrics_view(request)


# /metrics too: Prometheus scrapes each instance by its address, like a probe.
PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class ProbeMiddleware:
    """Answers the probes before host validation, sessions and redirects."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            try:
                return probe(request)
            except Http404:
                return HttpResponseNotFound(b"", content_type="text/plain")
        return self.get_response(request)
