"""The portal's small HTTP helpers: who wants JSON, the one JSON error shape, safe `next`
paths, log-safe text, and the one table that turns a reason into a status and words."""
import re

from django.conf import settings
from django.http import JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme

from .reasons import Reason

PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


def simulator_on():
    """The built-in CXone simulator serves only in development (system check cxone.E001)."""
    return settings.CXONE_SIMULATOR and settings.DEBUG


def wants_json(request):
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_error(error, *, reason, message, status, login_url=None, detail=""):
    """The portal's one JSON error shape, for XHR callers of every view."""
    body = {"error": error, "reason": str(reason), "message": message}
    if detail:
        body["detail"] = detail
    if login_url:
        body["login_url"] = login_url
    return JsonResponse(body, status=status)


def safe_next(request, value):
    """A same-site relative path, or None.

    Django's `url_has_allowed_host_and_scheme` decides what is same-site; on top, only a
    printable-ASCII absolute path (`/…`, no host, no backslash) under 2,000 characters passes,
    so a `next` can never name a host, even this one.
    """
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return None
    if "\\" in value or not PRINTABLE_ASCII.match(value):
        return None
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=set(), require_https=request.is_secure()):
        return None
    return value


def loggable(value, limit=80):
    """Untrusted text made safe for a log line: printable ASCII only, bounded."""
    text = str(value)
    cleaned = "".join(ch if " " <= ch <= "~" else "?" for ch in text[:limit])
    return cleaned + ("…" if len(text) > limit else "")


# --- reason -> (HTTP status, what a person reads) ----------------------------------------

_RETRY = "Please start again."
_CXONE_DOWN = "CXone could not be reached or answered with an error. Please try again in a moment."
_CXONE_SLOW = "CXone took too long to answer. Please try again in a moment."
_UNVERIFIED = "CXone's answer could not be verified, so you were not signed in."
SESSION_ENDED = "Your CXone session ended. Please sign in again."

FAILURES = {
    Reason.BAD_PARAMETER: (400, "The sign-in link is not valid. " + _RETRY),
    Reason.SIGN_IN_RATE_LIMITED: (429, "Too many sign-ins from your network right now. Please wait a minute and try again."),
    Reason.TENANT_UNKNOWN: (400, "No organization with that ID can sign in here."),
    Reason.TENANT_INACTIVE: (400, "No organization with that ID can sign in here."),
    Reason.STATE_MISSING: (400, "This sign-in link has expired or was already used. " + _RETRY),
    Reason.STATE_UNKNOWN: (400, "This sign-in link has expired or was already used. " + _RETRY),
    Reason.STATE_EXPIRED: (400, "This sign-in link has expired or was already used. " + _RETRY),
    Reason.ENVIRONMENT_GONE: (400, "This sign-in link has expired or was already used. " + _RETRY),
    Reason.CODE_MISSING: (400, "Sign-in could not be completed. " + _RETRY),
    Reason.CALLBACK_MISMATCH: (400, "The answer came back to the wrong address for this sign-in. " + _RETRY),
    Reason.ISSUER_MISMATCH: (400, "The answer came from a different CXone environment."),
    Reason.ISSUER_MISSING: (400, "The answer did not say which CXone environment sent it."),
    Reason.SIGN_IN_CANCELLED: (400, "Sign-in was cancelled."),
    Reason.PROVIDER_ERROR: (400, "CXone did not complete the sign-in."),
    Reason.USER_INACTIVE: (400, "Your portal account is disabled."),
    Reason.TOKEN_REJECTED: (400, "CXone refused the sign-in code. Please try again."),
    Reason.TOKEN_ENDPOINT_ERROR: (502, _CXONE_DOWN),
    Reason.TOKEN_ENDPOINT_UNREACHABLE: (502, _CXONE_DOWN),
    Reason.TOKEN_ENDPOINT_TIMEOUT: (504, _CXONE_SLOW),
    Reason.TOKEN_RESPONSE_INVALID: (502, _CXONE_DOWN),
    Reason.JWKS_UNAVAILABLE: (502, _CXONE_DOWN),
    Reason.DISCOVERY_FAILED: (502, _CXONE_DOWN),
    Reason.ENCRYPTION_KEY_MISMATCH: (503, "The portal cannot read its stored CXone credentials. Please tell your portal administrator."),
    Reason.TENANT_NOT_REGISTERED: (400, "Your CXone tenant is not registered with this portal."),
    Reason.TENANT_MISMATCH: (400, "CXone signed you in to a different tenant than the one you chose."),
    Reason.NOT_SIGNED_IN: (401, "Please sign in."),
}
# Every id_token rule reads the same to a person; the reason code tells them apart.
FAILURES.update({reason: (400, _UNVERIFIED) for reason in Reason if reason.value.startswith("id_token_")})


# What an anonymous visitor may learn: whether an organization ID exists and is switched off
# is the admin's business (the log keeps the true reason).
_PUBLIC = {Reason.TENANT_INACTIVE: Reason.TENANT_UNKNOWN}


def public_reason(reason):
    return _PUBLIC.get(reason, reason)


def failure(reason):
    """(status, message) for a reason; an unlisted one reads as a plain failed sign-in."""
    return FAILURES.get(reason, (400, "Sign-in could not be completed. " + _RETRY))
