"""Keeps a signed-in CXone user's tokens valid, silently, on every kind of request, and ends
sessions that must end.

Unlike mozilla-django-oidc's SessionRefresh (a full authorize redirect, GET only), this
refreshes server-to-server with the refresh token, so form posts and XHR keep working.
A request whose token is fresh reads the expiry from the session it already loaded:
no extra query on the token table, no write, no outbound call. A session whose user the
backend no longer returns (deactivated, or their tenant or environment is) ends here.

Every signed-in session, CXone or password, ends `SESSION_COOKIE_AGE` after its sign-in
(`session_expired`), whatever the refreshes: the sign-in time is in the session
(accounts/signals.py), so checking it costs nothing. A pending role re-check
(accounts/roles.py) runs here, at the user's next request.
"""
import logging
import time
from urllib.parse import urlencode

from django.contrib import auth, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from django.conf import settings

from core.reasons import Reason, ReasonError
from core.web import failure_answer, json_error, wants_json

from . import events, refresh, roles, tokenstore
from .signals import SIGNED_IN_AT, stamp_sign_in

clock = time.time  # tests move it

logger = logging.getLogger(__name__)


def login_url_for(request):
    url = reverse("login")
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


def session_ended(request, reason):
    """Signed out, with the reason's words when they speak of a session, else the plain
    "your session ended" (the log has the real reason and detail)."""
    login_url = login_url_for(request)
    auth.logout(request)
    shown = Reason(reason) if Reason(reason).status in (401, 403) else Reason.CXONE_SESSION_ENDED
    if wants_json(request):
        return json_error(shown, status=401, login_url=login_url)
    messages.info(request, shown.words)
    return HttpResponseRedirect(login_url)


class TokenRefreshMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if auth.SESSION_KEY in request.session:
            signed_in_at = request.session.get(SIGNED_IN_AT)
            now = clock()
            if not isinstance(signed_in_at, (int, float)):
                stamp_sign_in(request.session)  # a session from before the stamp: its limit starts now
            elif now - signed_in_at >= settings.SESSION_COOKIE_AGE:
                return self.expired(request, now - signed_in_at)
        pk = tokenstore.row_id(request.session)
        if pk is not None:
            if not request.user.is_authenticated:
                row = tokenstore.end(request)
                if row is not None:
                    events.record(events.Kind.SESSION_ENDED, reason=Reason.USER_INACTIVE, user_id=row.user_id, tenant_id=row.tenant_id)
                logger.info("session ended", extra={"event": "refresh", "outcome": "ended", "reason": Reason.USER_INACTIVE})
                return session_ended(request, Reason.USER_INACTIVE)
            identity = getattr(request.user, "cxone_identity", None)
            if identity is not None and identity.role_recheck:
                outcome = roles.recheck(request, identity)
                if outcome is not None and outcome.ended:
                    return session_ended(request, outcome.reason)
                if outcome is not None and outcome.row is not None:
                    tokenstore.note_expiry(request.session, outcome.row)
                    tokenstore.remember(request, outcome.row)
            expires_at = request.session.get(tokenstore.EXPIRES_KEY)
            lifetime = request.session.get(tokenstore.LIFETIME_KEY)
            if expires_at is None or refresh.is_due(expires_at, lifetime, time.time()):
                outcome = refresh.refresh_if_due(pk)
                if outcome.ended:
                    return session_ended(request, outcome.reason)
                tokenstore.note_expiry(request.session, outcome.row)
                tokenstore.remember(request, outcome.row)
        return self.get_response(request)

    def expired(self, request, age):
        """The absolute limit: the tokens go with the session, and the person reads why."""
        row = tokenstore.end(request) if tokenstore.row_id(request.session) is not None else None
        user_id = request.session.get(auth.SESSION_KEY)
        events.record(events.Kind.SESSION_ENDED, reason=Reason.SESSION_EXPIRED, detail=f"{int(age)} s after sign-in",
                      user_id=row.user_id if row else _int(user_id), tenant_id=row.tenant_id if row else None)
        logger.info("session ended", extra={"event": "session", "outcome": "ended", "reason": Reason.SESSION_EXPIRED,
                                            "age": int(age)})
        return session_ended(request, Reason.SESSION_EXPIRED)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FailureMiddleware:
    """The one path from failure to answer, after the session is known: an anonymous request
    to any `/api/` path is 401 `{reason, message}` (never a redirect to a page); a
    `ReasonError` any view raises becomes its reason as JSON or a page (`failure_answer`),
    one that ends the session signs out first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and not request.user.is_authenticated:
            return json_error(Reason.NOT_SIGNED_IN, login_url=reverse("login"))
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ReasonError):
            return None
        logger.info("request refused", extra={"event": "failure", "reason": exception.reason, "detail": exception.detail})
        if exception.ends_session:
            return session_ended(request, exception.reason)
        return failure_answer(request, exception.reason)
