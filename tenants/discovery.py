"""Both kinds of CXone discovery, with the rules that keep them honest.

- `{issuer}/.well-known/openid-configuration`: the OpenID Provider's endpoints and keys.
  Its `issuer` must equal the configured one exactly (OpenID RP test "issuer not matching
  config"), or an attacker-controlled document could redirect the token call.
- `{issuer}/.well-known/cxone-configuration?tenantId=…`: where the tenant lives (area,
  domain) and so its REST base URL, `api_endpoint`.

Results live in the database (the registry) and in the shared cache; both are re-fetched
when older than CXONE_DISCOVERY_TTL. A failed re-fetch keeps the last good result and logs
a warning: sign-in must not break because a discovery endpoint blinked.
"""
import hashlib
import ipaddress
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core import http
from core.reasons import Reason, ReasonError
from core.untrusted import UntrustedBodyError, read_json

logger = logging.getLogger(__name__)

OPENID_PATH = "/.well-known/openid-configuration"
CXONE_PATH = "/.well-known/cxone-configuration"
# After a failed re-fetch, the stale result is served this long before trying again.
STALE_RETRY_SECONDS = 60

CXONE_FIELDS = (
    "area",
    "cluster",
    "domain",
    "acdDomain",
    "uhDomain",
    "ui_endpoint",
    "auth_endpoint",
    "api_endpoint",
    "private",
    "tenantId",
)


class DiscoveryError(ReasonError):
    """Discovery failed: a reason and a detail (what was asked, what came back)."""

    @property
    def message(self):
        return self.detail


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url, what="issuer"):
    """https, or http on a loopback host when CXONE_ALLOW_HTTP_ISSUERS is on."""
    if not isinstance(url, str) or len(url) > 2000:
        raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"The {what} is not a URL.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"The {what} {url!r} is not a valid URL.")
    if not host or parts.query or parts.fragment:
        raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"The {what} {url!r} is not a valid URL.")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and settings.CXONE_ALLOW_HTTP_ISSUERS and _is_loopback(host):
        return
    if parts.scheme == "http":
        raise DiscoveryError(
            Reason.DISCOVERY_INSECURE_URL,
            f"The {what} {url} is not https (http is accepted only for loopback hosts "
            "with CXONE_ALLOW_HTTP_ISSUERS on).",
        )
    raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"The {what} {url!r} is not an https URL.")


def _site_of(host):
    """The domain an issuer's endpoints may live under: its parent domain (CXone:
    cxone.niceincontact.com -> niceincontact.com), or the host itself for an address."""
    if _is_loopback(host) or _is_address(host):
        return host
    labels = host.split(".")
    return ".".join(labels[1:]) if len(labels) >= 3 else host


def _is_address(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_endpoint(issuer, url, what):
    """An endpoint the portal sends codes, tokens or users to: a valid URL on the issuer's
    host or under its parent domain (or a domain in CXONE_ALLOWED_ENDPOINT_DOMAINS)."""
    check_url(url, what=what)
    issuer_host, host = urlsplit(issuer).hostname, urlsplit(url).hostname
    if host == issuer_host:
        return
    domains = [_site_of(issuer_host), *settings.CXONE_ALLOWED_ENDPOINT_DOMAINS]
    if not _is_address(host) and any(host == d or host.endswith("." + d) for d in domains if d and not _is_address(d)):
        return
    raise DiscoveryError(
        Reason.DISCOVERY_FOREIGN_ENDPOINT,
        f"The {what} {url[:200]} is not on {issuer_host} or under {_site_of(issuer_host)}.",
    )


def _get_json(url, *, params=None, not_found_reason=None, not_found_message=None):
    try:
        with http.get(url, params=params, stream=True) as response:
            status = response.status_code
            document = read_json(response, timeout=http.timeout()) if status == 200 else None
    except requests.Timeout:
        raise DiscoveryError(Reason.DISCOVERY_TIMEOUT, f"{url} did not answer within {http.timeout():g} s.")
    except requests.RequestException:
        raise DiscoveryError(Reason.DISCOVERY_UNREACHABLE, f"{url} could not be reached.")
    except UntrustedBodyError as exc:
        raise DiscoveryError(Reason.DISCOVERY_BAD_JSON, f"{url} did not return usable JSON ({exc}).")
    if status in (400, 404) and not_found_message:
        raise DiscoveryError(not_found_reason, not_found_message)
    if status != 200:
        raise DiscoveryError(Reason.DISCOVERY_HTTP_ERROR, f"{url} answered HTTP {status}.")
    if not isinstance(document, dict):
        raise DiscoveryError(Reason.DISCOVERY_BAD_JSON, f"{url} did not return a JSON object.")
    return document


def fetch_openid_configuration(issuer):
    """Fetch and check the issuer's OpenID discovery document."""
    check_url(issuer)
    document = _get_json(issuer.rstrip("/") + OPENID_PATH)
    if document.get("issuer") != issuer:
        raise DiscoveryError(
            Reason.DISCOVERY_ISSUER_MISMATCH,
            f"The discovery document names issuer {str(document.get('issuer'))[:200]!r}, "
            f"not the configured {issuer!r}.",
        )
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, f"The discovery document has no {name}.")
        check_endpoint(issuer, value, name)
    for name in ("end_session_endpoint", "userinfo_endpoint"):
        if document.get(name) is not None:
            check_endpoint(issuer, document[name], name)
    iss_parameter = document.get("authorization_response_iss_parameter_supported", False)
    if not isinstance(iss_parameter, bool):
        raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, "authorization_response_iss_parameter_supported is not a boolean.")
    algs = document.get("id_token_signing_alg_values_supported")
    if isinstance(algs, list) and "RS256" not in algs:
        raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, "The issuer does not sign id_tokens with RS256.")
    return document


def fetch_cxone_configuration(issuer, tenant_id):
    """Fetch where a tenant lives; a tenant CXone does not know is refused."""
    check_url(issuer)
    tenant_id = str(tenant_id)
    document = _get_json(
        issuer.rstrip("/") + CXONE_PATH,
        params={"tenantId": tenant_id},
        not_found_reason=Reason.DISCOVERY_TENANT_UNKNOWN,
        not_found_message=f"CXone does not know tenant {tenant_id} at {issuer}.",
    )
    answered = str(document.get("tenantId") or tenant_id)
    if answered.lower() != tenant_id.lower() or not document.get("api_endpoint"):
        raise DiscoveryError(Reason.DISCOVERY_TENANT_UNKNOWN, f"CXone does not know tenant {tenant_id} at {issuer}.")
    kept = {k: document[k] for k in CXONE_FIELDS if k in document}
    if not all(isinstance(v, bool) or (isinstance(v, str) and len(v) <= 255) for v in kept.values()):
        raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, "The tenant's discovery document holds values that are not short strings.")
    # The user's access token goes to api_endpoint: it must be CXone's, like the token endpoint.
    check_endpoint(issuer, kept["api_endpoint"], "api_endpoint")
    return kept


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


def refresh(obj, *, keep_stale=True):
    """Fetch anew and store; on failure keep the last good result when allowed."""
    kind, fetch, field, key = _spec(obj)
    model = type(obj)
    log = {"event": "discovery", "kind": kind, "object_id": obj.pk}
    try:
        document = fetch()
    except DiscoveryError as exc:
        previous = getattr(obj, field)
        model.objects.filter(pk=obj.pk).update(discovery_error=exc.message[:300])
        obj.discovery_error = exc.message[:300]
        if keep_stale and previous:
            logger.warning("discovery failed; keeping the last good result", extra={**log, "reason": exc.reason})
            cache.set(key, previous, STALE_RETRY_SECONDS)
            return previous
        logger.warning("discovery failed", extra={**log, "reason": exc.reason})
        raise
    now = timezone.now()
    model.objects.filter(pk=obj.pk).update(**{field: document, "discovered_at": now, "discovery_error": ""})
    setattr(obj, field, document)
    obj.discovered_at, obj.discovery_error = now, ""
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
