"""Prometheus metrics: requests, CXone calls, the board's polls, sessions and supervisor actions.

prometheus_client (the Prometheus project's own library) rather than django-prometheus: the
portal's metrics are its own (CXone calls by tenant, board poll outcomes), a handful of
counters at the few central points (the CXone client's `_send`, the event recorders, one
middleware), and prometheus_client's multiprocess mode is what gunicorn's several workers need
(`PROMETHEUS_MULTIPROC_DIR`, emptied by gunicorn.conf.py at start, a dead worker's files marked).
django-prometheus would add per-model and per-cache wrappers the portal has no use for.

`/metrics` is not public: it answers only a bearer token equal to METRICS_TOKEN or a connection
from an address in METRICS_ALLOWED_ADDRESSES (the TCP peer, never a header); with neither set
it is off (404). nginx does not proxy it (deploy/nginx/portal.conf): scrape each instance.

Labels stay bounded: a route pattern (never a raw path), a tenant's slug, CXone's path
template (`agents/{agentId}/state`), a status, a reason of the vocabulary.
"""
import hmac
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

from . import observability

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Counter("portal_http_requests", "HTTP requests answered", ["method", "route", "status"])
REQUEST_SECONDS = Histogram("portal_http_request_duration_seconds", "Time to answer", ["route"], buckets=LATENCY_BUCKETS)
CXONE_CALLS = Counter("portal_cxone_calls", "Calls to CXone's REST APIs", ["tenant", "endpoint", "method", "status"])
CXONE_SECONDS = Histogram("portal_cxone_call_duration_seconds", "CXone call latency", ["tenant", "endpoint"], buckets=LATENCY_BUCKETS)
CXONE_BACKOFFS = Counter("portal_cxone_backoffs", "Back-offs started after CXone asked to slow down or failed", ["tenant"])
LEASE_WAITS = Counter("portal_fetch_lease_waits", "First loads that waited for another request's fetch", ["outcome"])
BOARD_POLLS = Counter("portal_board_polls", "Board polls by outcome", ["outcome"])
SESSION_EVENTS = Counter("portal_session_events", "Sign-ins, sign-outs, refreshes and ended sessions", ["kind", "reason"])
SUPERVISOR_ACTIONS = Counter("portal_supervisor_actions", "Supervisor actions by kind and outcome", ["kind", "outcome"])

BOARD_ROUTE = "api/supervisor/agents/"


def _tenant():
    return observability.current_tenant()


def cxone_call(endpoint, method, status, seconds):
    """One call to CXone (from `workspaces.cxone_api`): status 0 when there was no answer."""
    tenant = _tenant()
    CXONE_CALLS.labels(tenant, endpoint, method, str(status or 0)).inc()
    CXONE_SECONDS.labels(tenant, endpoint).observe(max(0.0, seconds))


def cxone_backoff():
    CXONE_BACKOFFS.labels(_tenant()).inc()


def lease_waited(outcome):
    """"loaded" when another request's fetch arrived in time, else "not_loaded"."""
    LEASE_WAITS.labels(outcome).inc()


def session_event(kind, reason):
    SESSION_EVENTS.labels(str(kind), str(reason or "")).inc()


def supervisor_action(kind, outcome):
    SUPERVISOR_ACTIONS.labels(str(kind), str(outcome)).inc()


def board_outcome(request, response):
    """200 (a whole board), delta, 304, stale (older than three polls), or the refusal's reason."""
    if response.status_code == 304:
        return "not_modified"
    if response.status_code == 200:
        try:
            age = int(response.get("X-Data-Age", "0"))
        except ValueError:
            age = 0
        if age > 3 * settings.CXONE_BOARD_POLL_SECONDS:
            return "stale"
        return "delta" if "since" in request.GET else "full"
    try:
        import json

        return str(json.loads(response.content).get("reason") or response.status_code)[:40]
    except (ValueError, AttributeError):
        return str(response.status_code)


class RequestMetricsMiddleware:
    """Counts every answer by route pattern and status; the board's polls by outcome."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        REQUESTS.labels(request.method if request.method in ("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH") else "other",
                        route, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(route).observe(time.monotonic() - started)
        if route == BOARD_ROUTE:
            BOARD_POLLS.labels(board_outcome(request, response)).inc()
        return response


def registry():
    """Every worker's metrics in multiprocess mode, this process's otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return merged
    return DEFAULT_REGISTRY


def allowed(request):
    token = settings.METRICS_TOKEN
    given = request.headers.get("authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    return request.META.get("REMOTE_ADDR", "") in settings.METRICS_ALLOWED_ADDRESSES


def metrics_view(request):
    """GET /metrics for Prometheus (token or allowed address; otherwise it does not exist)."""
    if not allowed(request):
        raise Http404
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
