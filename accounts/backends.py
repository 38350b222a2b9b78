"""The authentication backend: mozilla-django-oidc's control flow, made multi-tenant.

The library's `authenticate` runs unchanged: get_token -> verify_token -> store_tokens ->
get_or_create_user (get_userinfo -> verify_claims -> filter_users_by_claims -> create_user /
update_user). What a multi-tenant portal must change is overridden below, one hook each:
the provider comes per sign-in from the flow (`accounts/flows.py`), not from settings.
"""
import hashlib
import uuid

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from core.reasons import Reason
from tenants.models import Tenant

from . import adapters, signed_in
from .models import CXoneIdentity, PortalRole
from .oidc import claims as claims_rules
from .oidc import tokens
from .oidc.errors import InvalidIdToken, InvalidRequest

ROLE_KEY = "cxone_role"


def cxone_role(id_claims, access_token):
    """role.legacyId from the id_token, else from the access token's payload.

    The access token came straight from the token endpoint over TLS with client
    authentication (OpenID Connect Core 3.1.3.7, step 6), so its payload is trusted as is.
    """
    for claims in (id_claims, tokens.unverified_claims(access_token)):
        role = claims.get("role")
        if isinstance(role, dict) and isinstance(role.get("legacyId"), str) and role["legacyId"]:
            return claims_rules.clean_role(role["legacyId"])
    return ""


class CXoneOIDCBackend(OIDCAuthenticationBackend):
    # The library's `authenticate` copies these into the token payload it hands `get_token`,
    # which authenticates the client per environment instead (`adapters.exchange_code`): no
    # credential is parked here, and the payload's copies are None.
    OIDC_RP_CLIENT_ID = OIDC_RP_CLIENT_SECRET = None

    def __init__(self, *args, **kwargs):
        """The library reads one provider from settings here; ours comes with each flow."""
        self.UserModel = get_user_model()

    def authenticate(self, request, flow=None, **kwargs):
        """Takes the sign-in's flow (environment, nonce, PKCE verifier); the library does the rest."""
        if request is None or flow is None:
            return None
        self.flow = flow
        return super().authenticate(request, nonce=flow.nonce, code_verifier=flow.code_verifier)

    def get_token(self, payload):
        """The environment's token endpoint and client authentication, and the flow's redirect_uri:
        of the library's payload only `code` and `code_verifier` are used."""
        self.token_response = adapters.exchange_code(
            self.flow.environment,
            code=payload["code"],
            redirect_uri=self.flow.redirect_uri,
            code_verifier=payload["code_verifier"],
        )
        return self.token_response.as_dict()

    def verify_token(self, token, **kwargs):
        """Every rule of OpenID Connect Core 3.1.3.7 against the environment's JWKS, not just the signature."""
        return adapters.validate_id_token(self.flow.environment, token, nonce=kwargs.get("nonce"), max_age=self.flow.max_age)

    def store_tokens(self, access_token, id_token):
        """Hands the tokens to the flow, never to the session: the view stores them encrypted."""
        self.flow.tokens = self.token_response

    def get_or_create_user(self, access_token, id_token, payload):
        """The library's, in one transaction. Two first sign-ins of one person (two browsers,
        two workers) race on the unique (issuer, sub): the loser retries and finds the winner's rows."""
        for attempt in range(3):
            try:
                with transaction.atomic():
                    return super().get_or_create_user(access_token, id_token, payload)
            except IntegrityError:
                if attempt == 2:
                    raise

    def get_userinfo(self, access_token, id_token, payload):
        """No userinfo call: CXone's id_token carries every claim; the role comes from the access token."""
        return {**payload, ROLE_KEY: cxone_role(payload, access_token)}

    def verify_claims(self, claims):
        """The id_token's tenant must be registered, active, of this environment, and the one asked for."""
        asked = self.flow.tenant
        tenant_id = _as_uuid(claims["tenantId"])
        if asked is not None and asked.tenant_id == tenant_id:
            self.tenant = asked
        else:
            self.tenant = Tenant.objects.filter(environment=self.flow.environment, tenant_id=tenant_id).first()
        if self.tenant is None:
            raise InvalidRequest(Reason.TENANT_NOT_REGISTERED)
        if not self.tenant.is_active:
            raise InvalidRequest(Reason.TENANT_INACTIVE)
        if asked is not None and self.tenant.pk != asked.pk:
            raise InvalidIdToken(Reason.TENANT_MISMATCH)
        self.tenant.environment = self.flow.environment
        return True

    def filter_users_by_claims(self, claims):
        """By (issuer, sub), never by e-mail: CXone's login names are not verified addresses."""
        identity = (
            CXoneIdentity.objects.select_related("user")
            .filter(issuer=self.flow.environment.issuer, sub=claims["sub"])
            .first()
        )
        return [identity.user] if identity else []

    def get_username(self, claims):
        """A stable, opaque name from (issuer, sub)."""
        digest = hashlib.sha256(f"{self.flow.environment.issuer}|{claims['sub']}".encode()).hexdigest()
        return f"cxone-{digest[:40]}"

    def create_user(self, claims):
        """A user with no password (CXone is the only way in), and its identity."""
        user = self.UserModel(username=self.get_username(claims), is_staff=False, is_superuser=False)
        user.set_unusable_password()
        user.save()
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        """Refresh the identity from the claims. CXone never makes anyone staff or superuser."""
        role = claims[ROLE_KEY]
        values = {
            "tenant_id": self.tenant.pk,
            "cxone_user_id": str(claims.get("userId", ""))[:64],
            "agent_id": str(claims.get("icAgentId", ""))[:32],
            "business_unit_id": str(claims.get("icBUId", ""))[:32],
            "login_name": str(claims.get("name", ""))[:255],
            "given_name": str(claims.get("given_name", ""))[:150],
            "family_name": str(claims.get("family_name", ""))[:150],
            "cxone_role": role,
            "portal_role": PortalRole.for_cxone_role(self.tenant, role),
        }
        identity = getattr(user, "cxone_identity", None)
        if identity is None:
            identity = CXoneIdentity(user=user, issuer=self.flow.environment.issuer, sub=claims["sub"], **values)
            identity.save(force_insert=True)
        elif any(getattr(identity, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(identity, name, value)
            identity.save(update_fields=list(values))
        identity.tenant = self.tenant
        user.cxone_identity = identity
        names = (identity.given_name, identity.family_name)
        if (user.first_name, user.last_name) != names:
            user.first_name, user.last_name = names
            user.save(update_fields=["first_name", "last_name"])
        return user

    def get_user(self, user_id):
        """As ModelBackend's: no user for a deactivated account, tenant or environment, so that
        session ends. The user, identity, tenant and environment come from the shared cache when
        they are current there (accounts/signed_in.py), else in one query."""
        user = signed_in.user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user):
        """Active, and so are the CXone tenant and environment the user signs in through."""
        if not user.is_active:
            return False
        identity = getattr(user, "cxone_identity", None)
        return identity is None or (identity.tenant.is_active and identity.tenant.environment.is_active)


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidRequest(Reason.TENANT_NOT_REGISTERED)
