"""Discovery in the registry: the deployment's rules, and results kept in the database and
the shared cache.

The protocol (both well-known documents and the rules that keep them honest) is
`tenants/wellknown.py`, plain Python; this module gives it the deployment's settings
(`policy()`), stores what it learned on the Environment or Tenant (the document, or the
failure's reason and detail: the admin words it from the table on `Reason`), and caches it.
Results are re-fetched when older than CXONE_DISCOVERY_TTL. A failed re-fetch keeps the
last good result and logs a warning: sign-in must not break because a discovery endpoint blinked.
"""
import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from core.cache import best_effort as cache  # an unreachable cache reads as empty (core/cache.py)
from django.utils import timezone

from . import wellknown
from .wellknown import DiscoveryError  # noqa: F401  (callers catch it from here)

logger = logging.getLogger(__name__)

# After a failed re-fetch, the stale result is served this long before trying again.
STALE_RETRY_SECONDS = 60


def policy():
    """The deployment's rules for discovered URLs (settings read here, not in the protocol)."""
    return wellknown.Policy(
        allow_http_loopback=settings.CXONE_ALLOW_HTTP_ISSUERS,
        allowed_domains=tuple(settings.CXONE_ALLOWED_ENDPOINT_DOMAINS),
        timeout=settings.CXONE_HTTP_TIMEOUT,
    )


def failure_words(reason, detail=""):
    """A discovery failure for an admin (admin pages, forms, commands): the reason's words
    from the one table, then the detail (what was asked, what came back) and the code."""
    return f"{reason.words} ({detail + '; ' if detail else ''}{reason.value})"


def fetch_openid_configuration(issuer):
    return wellknown.fetch_openid_configuration(issuer, policy())


def fetch_cxone_configuration(issuer, tenant_id):
    return wellknown.fetch_cxone_configuration(issuer, tenant_id, policy())


def check_endpoint(issuer, url, what):
    """The endpoint rule with this deployment's allowed domains (and http for loopback)."""
    rules = policy()
    wellknown.check_endpoint(issuer, url, what, allow_http_loopback=rules.allow_http_loopback,
                             allowed_domains=rules.allowed_domains)


# --- Cached, persisted results ------------------------------------------------------------

def _spec(obj):
    """(kind, fetch, field, cache key) for an Environment or a Tenant."""
    from .models import Tenant

    if isinstance(obj, Tenant):
        issuer, tenant_id = obj.environment.issuer, obj.tenant_id
        kind, field, url = "cxone", "cxone_configuration", f"{issuer}|{tenant_id}"
        fetch = lambda: fetch_cxone_configuration(issuer, tenant_id)  # noqa: E731
    else:
        issuer = obj.issuer
        kind, field, url = "openid", "openid_configuration", issuer
        fetch = lambda: fetch_openid_configuration(issuer)  # noqa: E731
    key = f"cxone:discovery:{kind}:{obj.pk}:{hashlib.sha256(url.encode()).hexdigest()[:16]}"
    return kind, fetch, field, key


NO_FAILURE = {"discovery_reason": "", "discovery_detail": ""}


def stored(obj):
    """A result was written without `save()`: signed-in requests' copies of the tenant (and its
    environment) are forgotten, so the next request serves the new API endpoint."""
    from accounts import signed_in

    from .models import Tenant

    if isinstance(obj, Tenant):
        signed_in.forget_tenants([obj.pk])
    else:
        signed_in.forget_environment(obj.pk)


def refresh(obj, *, keep_stale=True):
    """Fetch anew and store; on failure keep the last good result when allowed."""
    kind, fetch, field, key = _spec(obj)
    model = type(obj)
    log = {"event": "discovery", "kind": kind, "object_id": obj.pk}
    try:
        document = fetch()
    except DiscoveryError as exc:
        previous = getattr(obj, field)
        failed = {"discovery_reason": exc.reason.value, "discovery_detail": exc.detail[:300]}
        model.objects.filter(pk=obj.pk).update(**failed)
        stored(obj)
        obj.discovery_reason, obj.discovery_detail = failed.values()
        if keep_stale and previous:
            logger.warning("discovery failed; keeping the last good result", extra={**log, "reason": exc.reason, "detail": exc.detail})
            cache.set(key, previous, STALE_RETRY_SECONDS)
            return previous
        logger.warning("discovery failed", extra={**log, "reason": exc.reason, "detail": exc.detail})
        raise
    now = timezone.now()
    model.objects.filter(pk=obj.pk).update(**{field: document, "discovered_at": now, **NO_FAILURE})
    stored(obj)
    setattr(obj, field, document)
    obj.discovered_at, obj.discovery_reason, obj.discovery_detail = now, "", ""
    cache.set(key, document, settings.CXONE_DISCOVERY_TTL)
    logger.info("discovery refreshed", extra=log)
    return document


def current(obj):
    """The result to use now: the shared cache, then the database, then the issuer."""
    _, _, field, key = _spec(obj)
    document = cache.get(key)
    if document is None:
        now = timezone.now()
        stored = getattr(obj, field)
        if stored and obj.discovered_at and now - obj.discovered_at < timedelta(seconds=settings.CXONE_DISCOVERY_TTL):
            left = settings.CXONE_DISCOVERY_TTL - (now - obj.discovered_at).total_seconds()
            cache.set(key, stored, max(1, int(left)))
            document = stored
        else:
            document = refresh(obj, keep_stale=True)
    setattr(obj, field, document)
    return document


def forget(obj):
    """Drop the cached result (after an admin edit changes the issuer or tenantId)."""
    cache.delete(_spec(obj)[3])
