"""django-axes, kept to what it guards here (the admin's password login), with device cookies.

With AXES_ONLY_ADMIN_SITE, axes allows every other request but its login signals still run
for every login; a CXone sign-in would then pay three queries to axes' tables. CXone
sign-ins fail with reasons of their own and are rate-limited per address instead.

**Who is locked.** Failures count per (username, client address) for an unknown browser, as
before: other admins at one office address are never locked by one admin's typos, and a
stranger elsewhere locks only their own pair. A browser where that username signed in
before carries a signed *device cookie* (OWASP's "device cookies" scheme) and counts on its
own, per (username, device): a stranger sharing the admin's address (one office NAT, or a
proxy whose client header was forgeable) cannot lock the admin's own browser out, and a
stolen cookie still buys only AXES_FAILURE_LIMIT guesses per cool-off.

This is done with axes' documented hooks only: `AXES_LOCKOUT_PARAMETERS` as a callable
(`lockout_parameters`, per request) and this handler, which puts the device's id where axes
keeps the user agent of an attempt (`AccessAttempt.user_agent`, "device:<id>"), so axes'
own tables, cool-off, reset-on-success and `axes_reset_*` commands work unchanged.
"""
import secrets

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessBase
from django.conf import settings
from django.core import signing

DEVICE_COOKIE = "cxone_admin_device"
DEVICE_PREFIX = "device:"
_SALT = "cxone-portal.admin-device"
TRUSTED = [["username", "user_agent"]]  # user_agent holds "device:<id>" for a trusted browser
UNTRUSTED = [["username", "ip_address"]]


def device_cookie_value(username, device_id):
    return signing.dumps({"u": username, "d": device_id}, salt=_SALT, compress=True)


def trusted_device(request, username):
    """The id of this browser's device cookie when it was issued for `username`, else None."""
    raw = getattr(request, "COOKIES", {}).get(DEVICE_COOKIE)
    if not raw or not username or len(raw) > 512:
        return None
    try:
        data = signing.loads(raw, salt=_SALT, max_age=settings.ADMIN_DEVICE_COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != username or not isinstance(data.get("d"), str):
        return None
    return data["d"][:32]


def lockout_parameters(request_or_attempt, credentials=None):
    """AXES_LOCKOUT_PARAMETERS: a trusted browser counts per (username, device), any other per
    (username, address)."""
    if isinstance(request_or_attempt, AccessBase):
        trusted = (request_or_attempt.user_agent or "").startswith(DEVICE_PREFIX)
    else:
        trusted = getattr(request_or_attempt, "cxone_device", None) is not None
    return TRUSTED if trusted else UNTRUSTED


def mark_device(request, username):
    """Tell axes which browser this is: "device:<id>" in place of the user agent for a trusted
    browser; a real user agent that mimics that prefix is defused."""
    if request is None or getattr(request, "cxone_device_checked", False):
        return
    request.cxone_device_checked = True
    request.cxone_device = trusted_device(request, username)
    if request.cxone_device is not None:
        request.axes_user_agent = DEVICE_PREFIX + request.cxone_device
    elif (getattr(request, "axes_user_agent", "") or "").startswith(DEVICE_PREFIX):
        request.axes_user_agent = "ua:" + request.axes_user_agent[:250]


class AdminOnlyAxesHandler(AxesDatabaseHandler):
    def is_allowed(self, request, credentials=None):
        if self.is_admin_request(request):
            mark_device(request, get_client_username(request, credentials))
        return super().is_allowed(request, credentials)

    def get_failures(self, request, credentials=None):
        mark_device(request, get_client_username(request, credentials))
        return super().get_failures(request, credentials)

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        """Only admin-site failures count towards a lockout."""
        if request is not None and self.is_admin_request(request):
            mark_device(request, get_client_username(request, credentials))
            return super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        """Only admin-site logins are logged and reset attempts; the browser becomes (or stays)
        a trusted device of that username."""
        if request is not None and self.is_admin_request(request):
            username = user.get_username()
            mark_device(request, username)
            result = super().user_logged_in(sender, request, user, **kwargs)
            request.cxone_new_device_cookie = device_cookie_value(username, request.cxone_device or secrets.token_hex(12))
            return result

    def user_logged_out(self, sender, request, user, **kwargs):
        if request is not None and self.is_admin_request(request):
            return super().user_logged_out(sender, request, user, **kwargs)


class DeviceCookieMiddleware:
    """Sets the device cookie of a successful admin login (after axes' own middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, "cxone_new_device_cookie", None)
        if value:
            response.set_cookie(
                DEVICE_COOKIE, value, max_age=settings.ADMIN_DEVICE_COOKIE_DAYS * 86400, path="/admin/",
                secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Strict",
            )
        return response
