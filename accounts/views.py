"""Sign-in pages and the OIDC endpoints, on mozilla-django-oidc's views.

request -> tenant -> authorize (CXoneAuthenticateView) -> CXone -> callback
(CXoneCallbackView) -> backend (exchange, validate, user) -> tokenstore -> dashboard.
Every failure ends on `signin_failed.html` (or JSON for XHR) with a reason code in the log.
"""
import logging
import re
import secrets
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import auth, messages
from django.core.validators import slug_re
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from tenants import discovery
from tenants.models import Environment, Tenant

from . import flows, tokenstore
from .decorators import signin_required
from .middleware import wants_json
from .oidc.authorize import build_authorization_request
from .oidc.errors import InvalidRequest, ProviderError, SignInError, UpstreamError

logger = logging.getLogger("accounts.signin")

_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]*$")
MAX_CODE_LENGTH = 4096
# OAuth 2.0 and OpenID Connect authorization errors; anything else is "provider_error_other".
PROVIDER_ERRORS = {
    "access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type",
    "invalid_scope", "server_error", "temporarily_unavailable", "login_required",
    "interaction_required", "consent_required", "account_selection_required",
    "invalid_request_uri", "invalid_request_object", "request_not_supported",
}


def loggable(value, limit=80):
    """Untrusted text made safe for a log line: printable ASCII only, bounded."""
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in str(value)[:limit])
    return text + ("…" if len(str(value)) > limit else "")


def safe_next(request, value):
    """A same-site relative path, or None: `//evil`, `https://…`, `/\\evil` are dropped."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value or not _PRINTABLE.match(value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def simulator_on():
    return settings.CXONE_SIMULATOR and settings.DEBUG


def signin_failed(request, error, tenant=None):
    """The one way a sign-in ends badly: a logged reason, a readable page, no 500."""
    logger.warning(
        "sign-in failed",
        extra={
            "event": "sign_in",
            "outcome": "failed",
            "reason": error.reason,
            "detail": loggable(error.detail),
            "status": error.status,
            "tenant": tenant.slug if tenant else "",
        },
    )
    retry_url = reverse("login")
    if tenant is not None:
        retry_url = reverse("oidc_authentication_init") + "?" + urlencode({"tenant": tenant.slug})
    if wants_json(request):
        return JsonResponse(
            {"error": "sign_in_failed", "reason": error.reason, "message": error.message, "retry_url": retry_url},
            status=error.status,
        )
    return render(
        request,
        "accounts/signin_failed.html",
        {"message": error.message, "reason": error.reason, "retry_url": retry_url, "request_id": getattr(request, "request_id", "")},
        status=error.status,
    )


@method_decorator(never_cache, name="dispatch")
class LoginView(View):
    def get(self, request):
        environments = list(Environment.objects.filter(is_active=True).order_by("name", "issuer"))
        context = {
            "next": safe_next(request, request.GET.get("next")) or "",
            "environments": environments if len(environments) > 1 else [],
            "can_sign_in": bool(environments),
            # The demo lists its tenants; a production sign-in page lists none.
            "demo_tenants": (
                Tenant.objects.filter(is_active=True, environment__is_active=True).order_by("name")
                if simulator_on()
                else []
            ),
        }
        return render(request, "accounts/login.html", context)


@method_decorator(never_cache, name="dispatch")
class CXoneAuthenticateView(OIDCAuthenticationRequestView):
    """GET /oidc/authenticate/?tenant=SLUG[&login_hint=…][&next=…] starts a sign-in."""

    def __init__(self, **kwargs):
        # The library reads one provider from settings here; ours comes per request.
        View.__init__(self, **kwargs)

    def get(self, request):
        tenant = None
        try:
            tenant, environment = self.target(request)
            if environment is None:
                messages.info(request, "Choose your organization to sign in.")
                return redirect("login")
            return self.start(request, environment, tenant)
        except SignInError as exc:
            return signin_failed(request, exc, tenant)

    def target(self, request):
        slug = request.GET.get("tenant", "").strip()
        if slug:
            # Only a possible slug reaches the database (PostgreSQL refuses NUL, for one).
            valid = len(slug) <= 64 and slug_re.match(slug)
            tenant = Tenant.objects.select_related("environment").filter(slug=slug).first() if valid else None
            if tenant is None or not tenant.is_active or not tenant.environment.is_active:
                reason = "tenant_unknown" if tenant is None else "tenant_inactive"
                raise InvalidRequest(reason, slug, message="No organization with that ID can sign in here.")
            return tenant, tenant.environment
        environments = Environment.objects.filter(is_active=True)
        picked = request.GET.get("environment", "")
        if picked.isdigit():
            return None, environments.filter(pk=int(picked)).first()
        candidates = list(environments[:2])
        return None, candidates[0] if len(candidates) == 1 else None

    def start(self, request, environment, tenant):
        try:
            discovery.current(environment)
        except discovery.DiscoveryError as exc:
            raise UpstreamError("discovery_failed", exc.reason)
        if tenant is not None:
            try:
                discovery.current(tenant)  # where the tenant's APIs live; sign-in works without it
            except discovery.DiscoveryError:
                pass  # logged by discovery.refresh; the last good result (if any) stays
        redirect_uri = request.build_absolute_uri(reverse("oidc_authentication_callback"))
        auth_request = build_authorization_request(
            environment.authorization_endpoint,
            client_id=environment.client_id,
            redirect_uri=redirect_uri,
            **self.get_extra_params(request, tenant),
        )
        next_url = safe_next(request, request.GET.get("next"))
        flows.remember(request.session, auth_request, environment, tenant, next_url, redirect_uri)
        logger.info(
            "sign-in started",
            extra={"event": "sign_in", "outcome": "started", "tenant": tenant.slug if tenant else "", "environment_id": environment.pk},
        )
        return HttpResponseRedirect(auth_request.url)

    def get_extra_params(self, request, tenant=None):
        """CXone's tenantId (branding) and the optional OpenID parameters, sanitised."""
        params = {"tenant_id": str(tenant.tenant_id) if tenant else None}
        login_hint = request.GET.get("login_hint", "").strip()
        if login_hint and len(login_hint) <= 254 and _PRINTABLE.match(login_hint):
            params["login_hint"] = login_hint
        if request.GET.get("display") in ("page", "popup"):
            params["display"] = request.GET["display"]
        max_age = request.GET.get("max_age", "")
        if max_age.isdigit() and len(max_age) <= 9:
            params["max_age"] = int(max_age)
        if request.GET.get("reauth") == "1":
            row = tokenstore.current(request) if request.user.is_authenticated else None
            if row is not None:
                params["id_token_hint"] = row.id_token
        return params


@method_decorator(never_cache, name="dispatch")
class CXoneCallbackView(OIDCAuthenticationCallbackView):
    """GET /oidc/callback/: CXone's answer. Accepted only for the flow its state names."""

    def get(self, request):
        state = request.GET.get("state")
        flow, problem = flows.pop(request.session, state) if state else (None, "state_missing")
        # The state is spent whatever happens next; reload so parallel tabs' flows survive.
        request.session.save()
        request.session = request.session.__class__(request.session.session_key)
        if flow is None:
            return self.login_failure(
                InvalidRequest(problem, message="This sign-in link has expired or was already used. Please start again.")
            )
        self.flow = flow
        try:
            self.check_answer(request, flow)
            self.user = auth.authenticate(request=request, flow=flow)
            if self.user is None or not self.user.is_active:
                raise InvalidRequest("user_inactive", message="Your portal account is disabled.")
            return self.login_success()
        except SignInError as exc:
            return self.login_failure(exc)

    def check_answer(self, request, flow):
        error = request.GET.get("error")
        if error is not None:
            code = error if error in PROVIDER_ERRORS else "other"
            message = "Sign-in was cancelled." if code == "access_denied" else None
            raise ProviderError(f"provider_error_{code}", error, message=message)
        issuer = request.GET.get("iss")
        if issuer is not None and issuer != flow.environment.issuer:
            raise InvalidRequest("issuer_mismatch", message="The answer came from a different CXone environment.")
        code = request.GET.get("code", "")
        if not code or len(code) > MAX_CODE_LENGTH:
            raise InvalidRequest("code_missing")
        flow.code = code

    def login_success(self):
        request, result = self.request, self.request.cxone_sign_in
        with transaction.atomic():
            auth.login(request, self.user)  # cycles the session key
            tokenstore.start(request, self.user, result.tenant, result.token_response)
        identity = self.user.cxone_identity
        logger.info(
            "sign-in succeeded",
            extra={
                "event": "sign_in",
                "outcome": "success",
                "tenant": result.tenant.slug,
                "user_id": self.user.pk,
                "portal_role": identity.portal_role,
            },
        )
        return HttpResponseRedirect(self.flow.next_url or settings.LOGIN_REDIRECT_URL)

    def login_failure(self, error=None):
        return signin_failed(self.request, error, getattr(getattr(self, "flow", None), "tenant", None))


@method_decorator([never_cache, require_POST], name="dispatch")
class LogoutView(View):
    """POST /oidc/logout/: end the local session, then CXone's (end_session_endpoint)."""

    def post(self, request):
        row = tokenstore.end(request)
        was_signed_in = request.user.is_authenticated
        auth.logout(request)
        signed_out = request.build_absolute_uri(reverse("signed_out"))
        end_session = self.end_session_endpoint(row.tenant.environment) if row else None
        logger.info("signed out", extra={"event": "sign_out", "had_tokens": row is not None, "was_signed_in": was_signed_in})
        if not end_session:
            return HttpResponseRedirect(reverse("signed_out"))
        state = secrets.token_urlsafe(16)
        request.session["cxone_logout_state"] = state
        query = urlencode({"id_token_hint": row.id_token, "post_logout_redirect_uri": signed_out, "state": state})
        sep = "&" if "?" in end_session else "?"
        return HttpResponseRedirect(end_session + sep + query)

    @staticmethod
    def end_session_endpoint(environment):
        try:
            discovery.current(environment)
        except discovery.DiscoveryError:
            pass  # logging out locally still works; CXone's part is skipped
        return environment.end_session_endpoint


@never_cache
@require_GET
def signed_out(request):
    expected = request.session.pop("cxone_logout_state", None)
    state = request.GET.get("state")
    if state is not None and state != expected:
        logger.warning("logout state mismatch", extra={"event": "sign_out", "reason": "logout_state_mismatch"})
    return render(request, "accounts/signed_out.html")


@never_cache
@signin_required
def dashboard(request):
    identity = getattr(request.user, "cxone_identity", None)
    return render(
        request,
        "accounts/dashboard.html",
        {"identity": identity, "tenant": identity.tenant if identity else None, "tokens": tokenstore.current(request)},
    )


@never_cache
@signin_required
def session_status(request):
    """GET or POST /api/session/: the session's state as JSON, for agents' screens (XHR)."""
    if request.method not in ("GET", "POST"):
        return JsonResponse({"error": "method_not_allowed"}, status=405)
    identity = getattr(request.user, "cxone_identity", None)
    tokens = tokenstore.current(request)
    return JsonResponse(
        {
            "user": request.user.get_full_name() or request.user.get_username(),
            "tenant": identity.tenant.name if identity else None,
            "portal_role": identity.portal_role if identity else None,
            "cxone_role": identity.cxone_role if identity else None,
            "expires_at": tokens.expires_at.isoformat() if tokens else None,
            "refreshed_at": tokens.refreshed_at.isoformat() if tokens and tokens.refreshed_at else None,
            "refresh_count": tokens.refresh_count if tokens else 0,
        }
    )


def home(request):
    return redirect("dashboard" if request.user.is_authenticated else "login")
