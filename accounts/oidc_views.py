"""The OpenID Connect endpoints, on mozilla-django-oidc's views.

A sign-in, in the order it happens:
1. `CXoneAuthenticateView` (GET /oidc/authenticate/): picks the environment and tenant,
   builds the authorization request (`oidc/authorize.py`) and keeps the flow in a cookie
   (`flows.py`), then sends the browser to CXone.
2. `CXoneCallbackView` (GET /oidc/callback/): takes the flow its state names, checks
   CXone's answer, and calls `auth.authenticate(flow=…)`, which runs the backend
   (`backends.py`: code exchange, id_token, tenant, user); then logs in and stores the
   tokens (`tokenstore.py`). From then on `middleware.py` keeps them fresh.
3. `CXoneLogoutView` (POST /oidc/logout/): the library's logout, with
   `logout.end_session_url` sending the browser on to CXone's end_session_endpoint.
Every failure ends in `signin_failed`: a readable page (or JSON), a reason in the log.
"""
import logging
import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.core.validators import slug_re
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCLogoutView

from core import crypto, i18n, ratelimit
from core.reasons import Reason
from core.web import PRINTABLE_ASCII, json_error, loggable, public_reason, safe_next, wants_json
from tenants import discovery
from tenants.models import Environment, Tenant

from . import events, tokenstore
from .flows import FlowJar
from .logout import EndSessionByPost
from .oidc.authorize import build_authorization_request
from .oidc.errors import InvalidRequest, ProviderError, SignInError, UpstreamError

logger = logging.getLogger("accounts.signin")

MAX_CODE_LENGTH = 4096
LAST_ORG_COOKIE = "cxone_org"
_ASCII_NUMBER = re.compile(r"^[0-9]{1,9}$")

# OAuth 2.0 and OpenID Connect authorization errors; anything else is logged as "other".
PROVIDER_ERRORS = {
    "access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
    "invalid_scope", "server_error", "temporarily_unavailable", "login_required",
    "interaction_required", "consent_required", "account_selection_required",
    "invalid_request_uri", "invalid_request_object", "request_not_supported",
}


def ascii_number(value):
    """A small non-negative integer from a query parameter, or None (ASCII digits only)."""
    return int(value) if isinstance(value, str) and _ASCII_NUMBER.match(value) else None


def signin_failed(request, error, tenant=None):
    """The one way a sign-in ends badly: a logged reason, a readable page or JSON, no 500."""
    shown = public_reason(error.reason)
    status, message = shown.status, shown.words
    logger.warning(
        "sign-in failed",
        extra={
            "event": "sign_in",
            "outcome": "failed",
            "reason": str(error.reason),
            "detail": loggable(error.detail),
            "status": status,
            "tenant": tenant.slug if tenant else "",
        },
    )
    retry_url = reverse("login")
    if tenant is not None:
        retry_url = reverse("oidc_authentication_init") + "?" + urlencode({"tenant": tenant.slug})
    if wants_json(request):
        return json_error(shown, login_url=retry_url)
    typed_org = error.reason in (Reason.TENANT_UNKNOWN, Reason.TENANT_INACTIVE)
    context = {
        "message": message,
        "advice": shown.advice,
        "reason": shown,
        "retry_url": retry_url,
        "request_id": getattr(request, "request_id", ""),
        "cancelled": error.reason == Reason.SIGN_IN_CANCELLED,
        # A mistyped Organization ID stays in the field, ready to correct.
        "org_form": typed_org,
        "org_id": loggable(error.detail, 64) if typed_org else "",
        "org_error": typed_org,
        "can_sign_in": typed_org,
    }
    return render(request, "accounts/signin_failed.html", context, status=status)


@method_decorator(never_cache, name="dispatch")
class CXoneAuthenticateView(View):
    """GET /oidc/authenticate/?tenant=SLUG[&login_hint=…][&next=…] starts a sign-in.

    Keeps only the library's URL name (`oidc_authentication_init`): its request view reads one
    provider from settings and keeps the flow in the session, so none of its code fits.
    """

    http_method_names = ["get"]

    def get(self, request):
        """As the library's, but per environment and tenant, with PKCE always, and the flow
        kept in an encrypted cookie instead of the session (no database write before sign-in)."""
        tenant = None
        allowed, retry_after = ratelimit.allow(
            "signin", ratelimit.client_address(request), ratelimit.parse_rate(settings.CXONE_SIGNIN_RATE_LIMIT)
        )
        if not allowed:
            response = signin_failed(request, InvalidRequest(Reason.SIGN_IN_RATE_LIMITED))
            response["Retry-After"] = str(retry_after)
            return response
        try:
            tenant, environment = self.target(request)
            if environment is None:
                messages.info(request, _("Choose your organization to sign in."))
                return redirect("login")
            return self.start(request, environment, tenant)
        except SignInError as exc:
            return signin_failed(request, exc, tenant)

    def target(self, request):
        slug = request.GET.get("tenant", "").strip()
        if slug:
            # Only a possible slug reaches the database (PostgreSQL refuses NUL, for one).
            valid = len(slug) <= 64 and slug_re.match(slug)
            tenants = Tenant.objects.select_related("environment").defer("environment__client_secret")
            tenant = tenants.filter(slug__iexact=slug).first() if valid else None
            if tenant is None:
                raise InvalidRequest(Reason.TENANT_UNKNOWN, slug)
            if not tenant.is_active or not tenant.environment.is_active:
                raise InvalidRequest(Reason.TENANT_INACTIVE, slug)
            return tenant, tenant.environment
        environments = Environment.objects.filter(is_active=True).defer("client_secret")
        picked = request.GET.get("environment")
        if picked is not None:
            pk = ascii_number(picked)
            if pk is None:
                raise InvalidRequest(Reason.BAD_PARAMETER, "environment")
            return None, environments.filter(pk=pk).first()
        candidates = list(environments[:2])
        return None, candidates[0] if len(candidates) == 1 else None

    def start(self, request, environment, tenant):
        try:
            discovery.current(environment)
        except discovery.DiscoveryError as exc:
            raise UpstreamError(Reason.DISCOVERY_FAILED, exc.reason)
        if tenant is not None:
            try:
                discovery.current(tenant)  # where the tenant's APIs live; sign-in works without it
            except discovery.DiscoveryError:
                pass  # logged by discovery.refresh; the last good result (if any) stays
        # Each environment has its own redirect URI: an answer is accepted only at the one of
        # the environment its state names (RFC 9700 4.4, mix-up defence).
        redirect_uri = request.build_absolute_uri(environment.redirect_path)
        params = self.optional_parameters(request, environment, tenant)
        auth_request = build_authorization_request(
            environment.authorization_endpoint, client_id=environment.client_id, redirect_uri=redirect_uri, **params
        )
        jar = FlowJar(request)
        next_url = safe_next(request, request.GET.get("next"))
        jar.add(auth_request, environment, tenant, next_url, redirect_uri, max_age=params.get("max_age"))
        logger.info(
            "sign-in started",
            extra={"event": "sign_in", "outcome": "started", "tenant": tenant.slug if tenant else "", "environment_id": environment.pk},
        )
        return jar.write(HttpResponseRedirect(auth_request.url))

    def optional_parameters(self, request, environment, tenant):
        """CXone's tenantId (branding) and the optional OpenID parameters, sanitised, as
        keyword arguments of `build_authorization_request`."""
        # CXone's login page in the portal's language (the browser's, or the one the user chose).
        params = {"tenant_id": str(tenant.tenant_id) if tenant else None, "ui_locales": i18n.ui_locales()}
        login_hint = request.GET.get("login_hint", "").strip()
        if login_hint and len(login_hint) <= 254 and PRINTABLE_ASCII.match(login_hint):
            params["login_hint"] = login_hint
        if request.GET.get("display") in ("page", "popup"):
            params["display"] = request.GET["display"]
        if "max_age" in request.GET:
            max_age = ascii_number(request.GET["max_age"])
            if max_age is None:
                raise InvalidRequest(Reason.BAD_PARAMETER, "max_age")
            params["max_age"] = max_age
        if request.GET.get("reauth") == "1":
            row = tokenstore.current(request) if request.user.is_authenticated else None
            # Only the environment that issued the id_token may see it.
            if row is not None and row.tenant.environment_id == environment.pk:
                params["id_token_hint"] = row.id_token
        return params


@method_decorator(never_cache, name="dispatch")
class CXoneCallbackView(OIDCAuthenticationCallbackView):
    """GET /oidc/callback/<environment key>/: CXone's answer, accepted only for the flow its
    state names and only at that flow's environment's redirect URI."""

    def get(self, request, environment_key=None):
        """As the library's, but the flow comes from the sign-in cookie, and every failure
        carries a reason; the answer always carries the cookie without the spent state."""
        jar = FlowJar(request)
        state = request.GET.get("state")
        self.flow = None
        try:
            self.flow, problem = jar.pop(state) if state else (None, Reason.STATE_MISSING)
            if self.flow is None:
                raise InvalidRequest(problem)
            if environment_key != self.flow.environment.key:
                raise InvalidRequest(Reason.CALLBACK_MISMATCH, str(environment_key))
            self.check_answer(request)
            self.user = auth.authenticate(request=request, flow=self.flow)
            if self.user is None or not self.user.is_active:
                raise InvalidRequest(Reason.USER_INACTIVE)
            response = self.login_success()
        except crypto.InvalidToken:
            self.failure = SignInError(Reason.ENCRYPTION_KEY_MISMATCH)
            response = self.login_failure()
        except SignInError as exc:
            self.failure = exc
            response = self.login_failure()
        return jar.write(response)

    def check_answer(self, request):
        error = request.GET.get("error")
        if error is not None:
            if error == "access_denied":
                raise ProviderError(Reason.SIGN_IN_CANCELLED)
            raise ProviderError(Reason.PROVIDER_ERROR, error if error in PROVIDER_ERRORS else "other")
        issuer = request.GET.get("iss")
        if issuer is None and self.flow.environment.endpoint("authorization_response_iss_parameter_supported") is True:
            raise InvalidRequest(Reason.ISSUER_MISSING)
        if issuer is not None and issuer != self.flow.environment.issuer:
            raise InvalidRequest(Reason.ISSUER_MISMATCH)
        code = request.GET.get("code", "")
        if not code or len(code) > MAX_CODE_LENGTH:
            raise InvalidRequest(Reason.CODE_MISSING)

    @property
    def success_url(self):
        """The flow's own `next` (checked when the sign-in started), not a session key."""
        return self.flow.next_url or settings.LOGIN_REDIRECT_URL

    def login_success(self):
        """The library's login, then the tokens stored server-side, encrypted, for the new session."""
        identity = self.user.cxone_identity
        with transaction.atomic():
            tokenstore.discard(self.request)  # signing in again in this browser replaces its tokens
            response = super().login_success()
            tokenstore.start(self.request, self.user, identity.tenant, self.flow.tokens)
        events.record(events.Kind.SIGN_IN, user=self.user, tenant=identity.tenant)
        # The organization is offered first next time in this browser: its slug, nothing personal.
        response.set_cookie(LAST_ORG_COOKIE, identity.tenant.slug, max_age=365 * 86400, httponly=True,
                            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        logger.info(
            "sign-in succeeded",
            extra={
                "event": "sign_in",
                "outcome": "success",
                "tenant": identity.tenant.slug,
                "user_id": self.user.pk,
                "portal_role": identity.portal_role,
            },
        )
        return response

    def login_failure(self):
        """A page that says why (the library redirects to a fixed URL with no reason)."""
        if self.flow is not None:  # a real sign-in attempt (not a forged or replayed state)
            events.record(events.Kind.SIGN_IN_FAILED, reason=self.failure.reason, detail=self.failure.detail,
                          tenant=self.flow.tenant)
        return signin_failed(self.request, self.failure, getattr(self.flow, "tenant", None))


@method_decorator(never_cache, name="dispatch")
class CXoneLogoutView(OIDCLogoutView):
    """POST /oidc/logout/: the library's logout; OIDC_OP_LOGOUT_URL_METHOD adds CXone's part."""

    def get(self, request):
        """A page with a sign-out button (the library answers 405 unless GET may log out,
        which would let any page sign a user out)."""
        return render(request, "accounts/logout_confirm.html")

    def post(self, request):
        """The library's logout (OIDC_OP_LOGOUT_URL_METHOD is `accounts.logout.end_session_url`);
        an end_session request too long for a redirect goes to CXone as an auto-submitted form."""
        try:
            return super().post(request)
        except EndSessionByPost as long_request:
            auth.logout(request)  # the step of the library's post the exception skipped
            return render(request, "accounts/logout_post.html",
                          {"action": long_request.action, "fields": long_request.fields})
