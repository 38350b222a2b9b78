"""Sign-in flows in progress, one per `state`, kept in a short-lived encrypted cookie.

Starting a sign-in writes nothing to the database: the browser carries its flows in one
HttpOnly cookie, encrypted and authenticated with Fernet under a key derived from
SECRET_KEY, readable only by this portal and only for FLOW_TTL. Several tabs may sign in
at once, so the cookie holds a few flows keyed by state. Each remembers the environment and
tenant its request went to (the mix-up defence: the answer is accepted only from there),
the nonce, the PKCE verifier and where to go afterwards. A flow is used once: the callback
takes it out, and every callback answer carries the cookie without it.
"""
import base64
import json
import time
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.crypto import salted_hmac

from core.reasons import Reason
from tenants.models import Environment, Tenant

from .oidc.tokens import TokenResponse

COOKIE = "cxone_signin"
COOKIE_PATH = "/oidc/"
MAX_FLOWS = 3  # a cookie holds about 4 KB
MAX_NEXT = 512
FLOW_TTL = 15 * 60


@dataclass
class Flow:
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)
    environment: Environment
    tenant: Tenant | None
    next_url: str | None
    redirect_uri: str
    max_age: int | None = None
    # Filled in by the backend's store_tokens hook once the code is exchanged and verified.
    tokens: TokenResponse | None = None


def _fernet():
    key = salted_hmac("cxone-portal.signin-flows", "fernet-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


class FlowJar:
    """The flows of one browser, read from its request and written onto a response."""

    def __init__(self, request):
        self.flows = {}
        self.changed = False
        raw = request.COOKIES.get(COOKIE, "")
        if raw and len(raw) <= 4096:
            try:
                padded = raw + "=" * (-len(raw) % 4)  # written without base64 padding
                data = json.loads(_fernet().decrypt(padded.encode("ascii"), ttl=FLOW_TTL))
            except (InvalidToken, ValueError, UnicodeError):
                data = None
            if isinstance(data, dict):
                now = time.time()
                self.flows = {s: f for s, f in data.items() if isinstance(f, dict) and now - f.get("at", 0) < FLOW_TTL}

    def add(self, auth_request, environment, tenant, next_url, redirect_uri, max_age=None):
        while len(self.flows) >= MAX_FLOWS:
            self.flows.pop(min(self.flows, key=lambda s: self.flows[s]["at"]))
        self.flows[auth_request.state] = {
            "nonce": auth_request.nonce,
            "verifier": auth_request.code_verifier,
            "env": environment.pk,
            "tenant": tenant.pk if tenant else None,
            "next": next_url if next_url and len(next_url) <= MAX_NEXT else None,
            "redirect_uri": redirect_uri,
            "max_age": max_age,
            "at": time.time(),
        }
        self.changed = True

    def pop(self, state):
        """(Flow, None) for a known, fresh state, else (None, reason). The state is spent either way."""
        if not isinstance(state, str) or state not in self.flows:
            return None, Reason.STATE_UNKNOWN
        data = self.flows.pop(state)
        self.changed = True
        if time.time() - data.get("at", 0) >= FLOW_TTL:
            return None, Reason.STATE_EXPIRED
        if data["tenant"]:
            tenant = Tenant.objects.select_related("environment").filter(pk=data["tenant"], environment_id=data["env"]).first()
            environment = tenant.environment if tenant else None
        else:
            tenant, environment = None, Environment.objects.filter(pk=data["env"]).first()
        if environment is None or not environment.is_active:
            return None, Reason.ENVIRONMENT_GONE
        flow = Flow(
            state=state,
            nonce=data["nonce"],
            code_verifier=data["verifier"],
            environment=environment,
            tenant=tenant,
            next_url=data["next"],
            redirect_uri=data["redirect_uri"],
            max_age=data.get("max_age"),
        )
        return flow, None

    def write(self, response):
        if not self.changed:
            return response
        secure = settings.SESSION_COOKIE_SECURE
        if not self.flows:
            response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")
            return response
        token = _fernet().encrypt(json.dumps(self.flows, separators=(",", ":")).encode()).decode("ascii").rstrip("=")
        # Lax: the callback is a top-level navigation from CXone, which Lax cookies ride along.
        response.set_cookie(COOKIE, token, max_age=FLOW_TTL, path=COOKIE_PATH, secure=secure, httponly=True, samesite="Lax")
        return response
