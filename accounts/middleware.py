"""Keeps a signed-in CXone user's tokens valid, silently, on every kind of request.

Unlike mozilla-django-oidc's SessionRefresh (a full authorize redirect, GET only), this
refreshes server-to-server with the refresh token, so form posts and XHR keep working.
A request whose token is fresh reads the expiry from the session it already loaded:
no extra query on the token table, no write, no outbound call. A session whose user the
backend no longer returns (deactivated, or their tenant or environment is) ends here.
"""
import logging
import time
from urllib.parse import urlencode

from django.contrib import auth, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from core.reasons import Reason
from core.web import json_error, wants_json

from . import events, refresh, tokenstore

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
        pk = tokenstore.row_id(request.session)
        if pk is not None:
            if not request.user.is_authenticated:
                row = tokenstore.end(request)
                if row is not None:
                    events.record(events.Kind.SESSION_ENDED, reason=Reason.USER_INACTIVE, user_id=row.user_id, tenant_id=row.tenant_id)
                logger.info("session ended", extra={"event": "refresh", "outcome": "ended", "reason": Reason.USER_INACTIVE})
                return session_ended(request, Reason.USER_INACTIVE)
            expires_at = request.session.get(tokenstore.EXPIRES_KEY)
            lifetime = request.session.get(tokenstore.LIFETIME_KEY)
            if expires_at is None or refresh.is_due(expires_at, lifetime, time.time()):
                outcome = refresh.refresh_if_due(pk)
                if outcome.ended:
                    return session_ended(request, outcome.reason)
                tokenstore.note_expiry(request.session, outcome.row)
                tokenstore.remember(request, outcome.row)
        return self.get_response(request)
