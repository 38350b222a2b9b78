"""The authentication backend: code exchange, id_token validation, user and role.

Built on mozilla-django-oidc's backend and its hooks, made multi-tenant: every setting
the library reads from Django settings comes here from the tenant registry, per sign-in.
"""
import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from cxone_portal import http
from tenants.models import Tenant

from .models import CXoneIdentity
from .oidc import id_token as id_tokens
from .oidc import tokens
from .oidc.errors import InvalidIdToken, InvalidRequest
from .oidc.jwks import JWKSCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignInResult:
    """What the callback view needs after authenticate() returned the user."""

    tenant: Tenant
    token_response: tokens.TokenResponse
    claims: dict


def client_for(environment):
    return tokens.Client(
        client_id=environment.client_id,
        client_secret=environment.client_secret,
        auth_method=environment.token_auth_method,
        token_endpoint=environment.token_endpoint,
    )


def jwks_cache():
    return JWKSCache(
        cache,
        http.session(),
        ttl=settings.CXONE_JWKS_TTL,
        min_refetch_interval=settings.CXONE_JWKS_MIN_REFETCH_INTERVAL,
        timeout=http.timeout(),
    )


def validate_for(environment, token, *, nonce):
    """Validate an id_token issued for this environment (sign-in and refresh alike)."""
    keys = jwks_cache()
    return id_tokens.validate_id_token(
        token,
        signing_key=lambda header: keys.signing_key(environment.jwks_uri, header),
        issuer=environment.issuer,
        client_id=environment.client_id,
        nonce=nonce,
        leeway=settings.CXONE_CLOCK_SKEW,
    )


def cxone_role(id_claims, access_token):
    """role.legacyId from the id_token, else from the access token's payload.

    The access token came straight from the token endpoint over TLS with client
    authentication (OpenID Connect Core 3.1.3.7, step 6), so its payload is trusted as is.
    """
    for claims in (id_claims, tokens.unverified_claims(access_token)):
        role = claims.get("role")
        if isinstance(role, dict) and isinstance(role.get("legacyId"), str) and role["legacyId"]:
            return role["legacyId"][:150]
    return ""


class CXoneOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # The library reads one provider from settings here; ours come from the registry.
        self.UserModel = get_user_model()

    def authenticate(self, request, flow=None, **kwargs):
        """Called by the callback view with the flow remembered for this `state`."""
        if request is None or flow is None:
            return None
        self.request = request
        self.flow = flow
        token_response = self.get_token(
            {"code": flow.code, "redirect_uri": flow.redirect_uri, "code_verifier": flow.code_verifier}
        )
        claims = self.verify_token(token_response.id_token, nonce=flow.nonce)
        self.tenant = self.tenant_for(claims)
        user = self.upsert_user(token_response, claims)
        request.cxone_sign_in = SignInResult(self.tenant, token_response, claims)
        return user

    def upsert_user(self, token_response, claims):
        """Create or update the user in one transaction. Two first sign-ins of the same
        person can race (two browsers, two workers): the loser's insert hits the unique
        (issuer, sub) or username and it retries, now finding the winner's rows."""
        for _ in range(2):
            try:
                with transaction.atomic():
                    return self.get_or_create_user(token_response.access_token, token_response.id_token, claims)
            except IntegrityError:
                continue
        with transaction.atomic():  # third and last try: an error now is a real one
            return self.get_or_create_user(token_response.access_token, token_response.id_token, claims)

    def get_token(self, payload):
        """Exchange the code at this environment's token endpoint (one server-to-server call)."""
        return tokens.exchange_code(
            http.session(),
            client_for(self.flow.environment),
            code=payload["code"],
            redirect_uri=payload["redirect_uri"],
            code_verifier=payload["code_verifier"],
            timeout=http.timeout(),
        )

    def verify_token(self, token, **kwargs):
        return validate_for(self.flow.environment, token, nonce=kwargs.get("nonce"))

    def tenant_for(self, claims):
        """The id_token's tenant: registered, active, of this environment, and the one asked for."""
        environment = self.flow.environment
        tenant = Tenant.objects.filter(environment=environment, tenant_id=_as_uuid(claims["tenantId"])).first()
        if tenant is None:
            raise InvalidRequest("tenant_not_registered", message="Your CXone tenant is not registered with this portal.")
        if not tenant.is_active:
            raise InvalidRequest("tenant_inactive", message="Your CXone tenant is not enabled for this portal.")
        if self.flow.tenant is not None and tenant.pk != self.flow.tenant.pk:
            raise InvalidIdToken("tenant_mismatch", message="CXone signed you in to a different tenant than the one you chose.")
        return tenant

    def get_userinfo(self, access_token, id_token, payload):
        # CXone's id_token carries every claim the portal uses: no userinfo call.
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        identity_claims = dict(payload)
        identity_claims["_role"] = cxone_role(payload, access_token)
        users = self.filter_users_by_claims(identity_claims)
        user = users[0] if users else self.create_user(identity_claims)
        return self.update_user(user, identity_claims)

    def filter_users_by_claims(self, claims):
        identity = (
            CXoneIdentity.objects.select_related("user")
            .filter(issuer=self.flow.environment.issuer, sub=claims["sub"])
            .first()
        )
        return [identity.user] if identity else []

    def get_username(self, claims):
        digest = hashlib.sha256(f"{self.flow.environment.issuer}|{claims['sub']}".encode()).hexdigest()
        return f"cxone-{digest[:40]}"

    def create_user(self, claims):
        user = self.UserModel(username=self.get_username(claims), is_staff=False, is_superuser=False)
        user.set_unusable_password()
        user.save()
        return user

    def update_user(self, user, claims):
        """Refresh the identity from the claims. CXone never makes anyone staff or superuser."""
        role = claims["_role"]
        values = {
            "tenant": self.tenant,
            "cxone_user_id": str(claims.get("userId", ""))[:64],
            "agent_id": str(claims.get("icAgentId", ""))[:32],
            "business_unit_id": str(claims.get("icBUId", ""))[:32],
            "login_name": str(claims.get("name", ""))[:255],
            "given_name": str(claims.get("given_name", ""))[:150],
            "family_name": str(claims.get("family_name", ""))[:150],
            "cxone_role": role,
            "portal_role": self.tenant.portal_role_for(role),
            "last_sign_in_at": timezone.now(),
        }
        CXoneIdentity.objects.update_or_create(
            issuer=self.flow.environment.issuer, sub=claims["sub"], defaults={"user": user, **values}
        )
        user.first_name, user.last_name = values["given_name"], values["family_name"]
        user.save(update_fields=["first_name", "last_name"])
        return user

    def user_can_authenticate(self, user):
        return user.is_active


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidRequest("tenant_not_registered", message="Your CXone tenant is not registered with this portal.")
