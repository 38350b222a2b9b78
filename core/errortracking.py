"""Optional error tracking: Sentry when SENTRY_DSN is set; off (nothing imported) by default.

Events carry the request id, tenant and user (the same as the log lines) and never what could
hold a secret: no cookies, no Authorization header, no query string (the OIDC callback's holds
the authorization code), no request body, no local variables. `send_default_pii` stays off.
"""
import logging

SCRUBBED_HEADERS = {"cookie", "authorization", "x-csrftoken", "proxy-authorization"}


def scrub(event, hint=None):
    """before_send: drop whatever may carry a credential; add the log lines' identifiers."""
    from .observability import _tenant, _user, current_request_id

    request = event.get("request") or {}
    request.pop("cookies", None)
    request.pop("data", None)
    request.pop("query_string", None)
    if isinstance(request.get("url"), str):
        request["url"] = request["url"].split("?", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {k: v for k, v in headers.items() if k.lower() not in SCRUBBED_HEADERS}
    tags = event.setdefault("tags", {})
    tags["request_id"] = current_request_id()
    if _tenant.get() != "-":
        tags["tenant"] = _tenant.get()
    if _user.get() != "-":
        tags["user"] = _user.get()
    return event


def init(dsn, *, environment="", release="", traces_sample_rate=0.0):
    """Start Sentry (settings.py calls this when SENTRY_DSN is set); True when started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub,
        integrations=[DjangoIntegration(), LoggingIntegration(level=None, event_level=logging.ERROR)],
    )
    return True
