"""Keeps a signed-in CXone user's tokens valid, silently, on every kind of request.

Unlike mozilla-django-oidc's SessionRefresh (a full authorize redirect, GET only), this
refreshes server-to-server with the refresh token, so form posts and XHR keep working.
A request whose token is fresh reads the expiry from the session it already loaded:
no extra query, no write, no outbound call.
"""
import time
from urllib.parse import urlencode

from django.contrib import auth, messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from . import refresh, tokenstore


def wants_json(request):
    if request.headers.get("x-requested-with") == "XMLHttpRequest":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def login_url_for(request):
    url = reverse("login")
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


class TokenRefreshMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pk = tokenstore.row_id(request.session)
        if pk is not None:
            expires_at = request.session.get(tokenstore.EXPIRES_KEY)
            lifetime = request.session.get(tokenstore.LIFETIME_KEY)
            if expires_at is None or refresh.is_due(expires_at, lifetime, time.time()):
                outcome = refresh.refresh_if_due(pk)
                if outcome.ended:
                    return self.session_ended(request, outcome.reason)
                tokenstore.note_expiry(request.session, outcome.row)
                request._cxone_token_session = outcome.row
        return self.get_response(request)

    def session_ended(self, request, reason):
        login_url = login_url_for(request)
        auth.logout(request)
        message = "Your CXone session ended. Please sign in again."
        if wants_json(request):
            return JsonResponse({"error": "session_ended", "reason": reason, "message": message, "login_url": login_url}, status=401)
        messages.info(request, message)
        return HttpResponseRedirect(login_url)
