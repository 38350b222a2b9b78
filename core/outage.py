"""When the portal's own services fail: answers in the one shape, quickly, and never HTML to a script.

A cache or database that cannot be reached is an outage, not a bug: it becomes the reason
`cache_unavailable` or `database_unavailable` (503, `Retry-After`; a stored secret that no
listed FIELD_ENCRYPTION_KEY opens, mid-rotation, is `encryption_key_mismatch`), logged once per request as a
WARNING with its cause, as JSON `{reason, message}` under `/api/` and for scripts, and as a
readable page otherwise. Any other exception that escapes a view under `/api/` answers JSON
`internal_error` (500) instead of the HTML error page; Django still logs it with its traceback.

`OutageMiddleware.process_exception` catches what views raise; `core.error_pages.server_error`
(handler500) calls `answer_for` for what middleware raises (a session read, a user lookup).
"""
import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

from .cache import is_cache_failure
from .crypto import KeyMismatch
from .reasons import Reason
from .web import json_error, wants_json

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def reason_for(exc):
    """The outage reason an exception stands for, or None when it is not an outage."""
    seen = set()
    while exc is not None and id(exc) not in seen:  # a wrapped cause counts too
        seen.add(id(exc))
        if is_cache_failure(exc):
            return Reason.CACHE_UNAVAILABLE
        if isinstance(exc, KeyMismatch):
            return Reason.ENCRYPTION_KEY_MISMATCH
        if isinstance(exc, (OperationalError, InterfaceError)):
            return Reason.DATABASE_UNAVAILABLE
        exc = exc.__cause__ or exc.__context__
    return None


def speaks_json(request):
    return request is not None and (request.path.startswith("/api/") or wants_json(request))


def page(request, reason, status):
    """A self-contained page (no context processors, no database): it must not fail in turn."""
    html = loader.get_template("outage.html").render(
        {"message": reason.words, "advice": reason.advice, "request_id": getattr(request, "request_id", "")}
    )
    return HttpResponse(html, status=status)


def answer(request, reason):
    response = json_error(reason) if speaks_json(request) else page(request, reason, reason.status)
    if reason.status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def logged(response):
    """Django logs every 5xx again at ERROR (django.request); an outage has its WARNING."""
    response._has_been_logged = True
    return response


def answer_for(request, exc):
    """The answer to an exception that reached the top, or None to leave it to Django."""
    reason = reason_for(exc)
    if reason is not None:
        logger.warning(
            "%s: %s", reason.value, request.path if request is not None else "-",
            extra={"event": "outage", "reason": reason, "cause": f"{type(exc).__name__}: {exc}"[:300]},
        )
        return logged(answer(request, reason))
    return None


class OutageMiddleware:
    """Turns an outage raised by a view into its answer (place it first, after the request id)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return answer_for(request, exception)
