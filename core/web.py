"""The portal's small HTTP helpers: who wants JSON, the one way a failure becomes an answer
(a reason's code and words from `core.reasons`, as JSON or a page), safe `next` paths,
log-safe text."""
import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from .reasons import Reason

PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


def simulator_on():
    """The built-in CXone simulator serves only in development (system check cxone.E001)."""
    return settings.CXONE_SIMULATOR and settings.DEBUG


def wants_json(request):
    """The one rule for "answer this failure as JSON": every `/api/` path, a script's request
    (XHR), or a client that accepts JSON and not HTML."""
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == "XMLHttpRequest":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def reason_body(reason):
    """{"reason", "message"}: a failure as JSON carries it, on its own or inside a larger answer."""
    reason = Reason(reason)
    return {"reason": reason.value, "message": str(reason.words)}


def json_error(reason, *, status=None, login_url=None, context=None):
    """The portal's one JSON error shape: the reason's code and its words, nothing else
    naming the failure (the detail goes to the log). `login_url` says where to sign in again;
    `context` adds facts a page needs to act on it (who is signed in now), never a failure."""
    reason = Reason(reason)
    body = reason_body(reason)
    if login_url:
        body["login_url"] = login_url
    body.update(context or {})
    return JsonResponse(body, status=status or reason.status)


def reason_page(request, reason, *, status=None, title=None):
    """A failure as a page in the portal's layout: the reason's words and advice."""
    reason = Reason(reason)
    context = {"status": status or reason.status, "title": title or reason.words, "message": reason.words, "advice": reason.advice,
               "request_id": getattr(request, "request_id", "")}
    return render(request, "error.html", context, status=status or reason.status)


def failure_answer(request, reason, *, status=None, login_url=None):
    """The one path from a failure to an answer: `{reason, message}` JSON for whoever wants
    JSON (`wants_json`), the reason's page for a browser."""
    if wants_json(request):
        return json_error(reason, status=status, login_url=login_url)
    return reason_page(request, reason, status=status)


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


# --- reason -> (HTTP status, words, advice): the table lives on `Reason` itself ----------

# What an anonymous visitor may learn: whether an organization ID exists and is switched off
# is the admin's business (the log keeps the true reason).
_PUBLIC = {Reason.TENANT_INACTIVE: Reason.TENANT_UNKNOWN}


def public_reason(reason):
    return _PUBLIC.get(reason, reason)

