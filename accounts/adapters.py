"""From the registry to the protocol layer: what `accounts/oidc` needs for one environment.

Sign-in (the backend) and refresh both import these, so an environment's client, keys and
id_token rules are built in one place.
"""
from django.conf import settings
from core.cache import best_effort as cache  # an unreachable cache reads as empty (core/cache.py)

from core import http

from .oidc import id_token as id_tokens
from .oidc import tokens
from .oidc.jwks import JWKSCache


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


def validate_id_token(environment, token, *, nonce, max_age=None):
    """Validate an id_token issued for this environment (sign-in and refresh alike)."""
    keys = jwks_cache()
    return id_tokens.validate_id_token(
        token,
        signing_key=lambda header: keys.signing_key(environment.jwks_uri, header),
        issuer=environment.issuer,
        client_id=environment.client_id,
        nonce=nonce,
        leeway=settings.CXONE_CLOCK_SKEW,
        max_age=max_age,
    )


def exchange_code(environment, *, code, redirect_uri, code_verifier):
    return tokens.exchange_code(
        http.session(),
        client_for(environment),
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        timeout=http.timeout(),
        lifetime_range=lifetime_range(),
    )


def refresh_tokens(environment, refresh_token):
    return tokens.refresh(
        http.session(), client_for(environment), refresh_token=refresh_token, timeout=http.timeout(),
        lifetime_range=lifetime_range(),
    )


def lifetime_range():
    return settings.CXONE_MIN_TOKEN_LIFETIME, settings.CXONE_MAX_TOKEN_LIFETIME
