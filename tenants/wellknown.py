"""Both CXone discoveries and the rules that keep them honest: plain Python, no Django.

- `{issuer}/.well-known/openid-configuration`: the OpenID Provider's endpoints and keys.
  Its `issuer` must equal the configured one exactly (OpenID RP test "issuer not matching
  config"), or an attacker-controlled document could redirect the token call.
- `{issuer}/.well-known/cxone-configuration?tenantId=…`: where the tenant lives (area,
  domain) and so its REST base URL, `api_endpoint`.

Every failure is a `DiscoveryError(reason, detail)`: the reason from the one vocabulary
(`core.reasons`), the detail a short, loggable note of what was asked and what came back. The
words for people come from the table on `Reason`, in the Django layer (`tenants/discovery.py`),
which also turns the deployment's settings into the `Policy` every call here takes.
"""
import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from publicsuffixlist import PublicSuffixList

from core import http
from core.reasons import Reason, ReasonError
from core.untrusted import UntrustedBodyError, read_json

logger = logging.getLogger("tenants.discovery")

OPENID_PATH = "/.well-known/openid-configuration"
CXONE_PATH = "/.well-known/cxone-configuration"

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
# Links a page may show (CXone's web app): kept only when they pass the endpoint rule.
LINK_FIELDS = ("ui_endpoint", "auth_endpoint")

# NICE serves CXone's web app (`ui_endpoint`, `auth_endpoint`) from nice-incontact.com beside
# the issuer's niceincontact.com (NICE's getting-started page): both are NICE's own.
SIBLING_DOMAINS = {"niceincontact.com": ("nice-incontact.com",)}

# The public-suffix list as bundled with the package: no network fetch, ever. Its private
# section makes `herokuapp.com` a suffix, so `login.herokuapp.com` is a site of its own.
_PSL = PublicSuffixList()


class DiscoveryError(ReasonError):
    """Discovery failed: a reason and a detail (what was asked, what came back)."""


@dataclass(frozen=True)
class Policy:
    """What the deployment allows: http for loopback issuers (development only), extra
    domains endpoints may live under, and the HTTP timeout in seconds."""

    allow_http_loopback: bool = False
    allowed_domains: tuple = ()
    timeout: float = 10.0


def _is_address(host):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host):
    return host == "localhost" or (_is_address(host) and ipaddress.ip_address(host).is_loopback)


def _port(parts):
    """The URL's port, the scheme's default when none is written (None: not a valid port)."""
    try:
        return parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None


def check_url(url, what="issuer", *, allow_http_loopback=False):
    """https, or http on a loopback host when `allow_http_loopback`; no query, no fragment."""
    if not isinstance(url, str) or len(url) > 2000:
        raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"{what}: not a string URL")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"{what}={url[:200]!r}")
    if not host or parts.query or parts.fragment or _port(parts) is None:
        raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"{what}={url[:200]!r}")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_http_loopback and _is_loopback(host):
        return
    if parts.scheme == "http":
        raise DiscoveryError(Reason.DISCOVERY_INSECURE_URL, f"{what}={url[:200]}")
    raise DiscoveryError(Reason.DISCOVERY_BAD_URL, f"{what}={url[:200]!r}")


def site_of(host):
    """The registrable domain an issuer's endpoints may share (public-suffix list), or None
    for an address, `localhost`, or a host that is itself a public suffix."""
    if _is_address(host) or _is_loopback(host):
        return None
    return _PSL.privatesuffix(host)


def _under(host, domain):
    return host == domain or host.endswith("." + domain)


def check_endpoint(issuer, url, what, *, allow_http_loopback=False, allowed_domains=(), link=False):
    """An endpoint the portal sends codes, tokens or users to: a valid URL on the issuer's
    port, and on its host or under its registrable domain (or an allowed domain). NICE's
    sibling domain only for a `link` a page shows (`LINK_FIELDS`), never for an endpoint that
    receives a token. An address matches only itself."""
    check_url(url, what, allow_http_loopback=allow_http_loopback)
    issuer_parts, parts = urlsplit(issuer), urlsplit(url)
    issuer_host, host = issuer_parts.hostname, parts.hostname
    if _port(parts) != _port(issuer_parts):
        raise DiscoveryError(Reason.DISCOVERY_FOREIGN_ENDPOINT, f"{what}={url[:200]} port differs from issuer={issuer}")
    if host == issuer_host:
        return
    site = site_of(issuer_host)
    siblings = SIBLING_DOMAINS.get(site, ()) if site and link else ()
    domains = [*((site, *siblings) if site else ()), *allowed_domains]
    if not _is_address(host) and any(d and not _is_address(d) and _under(host, d) for d in domains):
        return
    raise DiscoveryError(Reason.DISCOVERY_FOREIGN_ENDPOINT, f"{what}={url[:200]} issuer={issuer}")


def _get_json(url, policy, *, params=None, not_found_reason=None, not_found_detail=""):
    try:
        with http.get(url, params=params, stream=True, timeout=policy.timeout) as response:
            status = response.status_code
            document = read_json(response, timeout=policy.timeout) if status == 200 else None
    except requests.Timeout:
        raise DiscoveryError(Reason.DISCOVERY_TIMEOUT, f"{url} after {policy.timeout:g} s")
    except requests.RequestException:
        raise DiscoveryError(Reason.DISCOVERY_UNREACHABLE, url)
    except UntrustedBodyError as exc:
        raise DiscoveryError(Reason.DISCOVERY_BAD_JSON, f"{url}: {exc}")
    if status in (400, 404) and not_found_reason:
        raise DiscoveryError(not_found_reason, not_found_detail)
    if status != 200:
        raise DiscoveryError(Reason.DISCOVERY_HTTP_ERROR, f"{url}: HTTP {status}")
    if not isinstance(document, dict):
        raise DiscoveryError(Reason.DISCOVERY_BAD_JSON, f"{url}: not an object")
    return document


def fetch_openid_configuration(issuer, policy):
    """Fetch and check the issuer's OpenID discovery document."""
    check_url(issuer, allow_http_loopback=policy.allow_http_loopback)
    rule = {"allow_http_loopback": policy.allow_http_loopback, "allowed_domains": policy.allowed_domains}
    document = _get_json(issuer.rstrip("/") + OPENID_PATH, policy)
    if document.get("issuer") != issuer:
        raise DiscoveryError(Reason.DISCOVERY_ISSUER_MISMATCH, f"issuer={str(document.get('issuer'))[:200]!r} expected={issuer!r}")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, f"{name} missing")
        check_endpoint(issuer, value, name, **rule)
    for name in ("end_session_endpoint", "userinfo_endpoint"):
        if document.get(name) is not None:
            check_endpoint(issuer, document[name], name, **rule)
    if not isinstance(document.get("authorization_response_iss_parameter_supported", False), bool):
        raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, "authorization_response_iss_parameter_supported not a boolean")
    algs = document.get("id_token_signing_alg_values_supported")
    if isinstance(algs, list) and "RS256" not in algs:
        raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, "id_token_signing_alg_values_supported lacks RS256")
    return document


def fetch_cxone_configuration(issuer, tenant_id, policy):
    """Fetch where a tenant lives; a tenant CXone does not know is refused. `api_endpoint`
    (the user's token goes there) must pass the endpoint rule; a link a page shows
    (`ui_endpoint`, `auth_endpoint`) passes the same rule or is dropped."""
    check_url(issuer, allow_http_loopback=policy.allow_http_loopback)
    rule = {"allow_http_loopback": policy.allow_http_loopback, "allowed_domains": policy.allowed_domains}
    tenant_id = str(tenant_id)
    unknown = f"tenantId={tenant_id} issuer={issuer}"
    document = _get_json(issuer.rstrip("/") + CXONE_PATH, policy, params={"tenantId": tenant_id},
                         not_found_reason=Reason.DISCOVERY_TENANT_UNKNOWN, not_found_detail=unknown)
    answered = str(document.get("tenantId") or tenant_id)
    if answered.lower() != tenant_id.lower() or not document.get("api_endpoint"):
        raise DiscoveryError(Reason.DISCOVERY_TENANT_UNKNOWN, unknown)
    kept = {k: document[k] for k in CXONE_FIELDS if k in document}
    if not all(isinstance(v, bool) or (isinstance(v, str) and len(v) <= 255) for v in kept.values()):
        raise DiscoveryError(Reason.DISCOVERY_BAD_DOCUMENT, "values not short strings")
    check_endpoint(issuer, kept["api_endpoint"], "api_endpoint", **rule)
    for name in LINK_FIELDS:
        if name in kept:
            try:
                check_endpoint(issuer, kept[name], name, link=True, **rule)
            except DiscoveryError as exc:
                del kept[name]
                logger.warning("discovered link dropped", extra={"event": "discovery", "reason": exc.reason, "field": name})
    return kept
