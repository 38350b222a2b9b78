"""id_token validation: OpenID Connect Core 3.1.3.7 at sign-in, 12.2 on refresh."""
import hmac
import time

import jwt

from core.reasons import Reason

from .claims import check_claims
from .errors import InvalidIdToken

# PyJWT's errors, most specific first (InvalidSignatureError is a DecodeError).
_REASONS = [
    (jwt.ExpiredSignatureError, Reason.ID_TOKEN_EXPIRED),
    (jwt.InvalidAudienceError, Reason.ID_TOKEN_AUD),
    (jwt.InvalidIssuerError, Reason.ID_TOKEN_ISS),
    (jwt.ImmatureSignatureError, Reason.ID_TOKEN_NOT_YET_VALID),
    (jwt.InvalidIssuedAtError, Reason.ID_TOKEN_IAT),
    (jwt.InvalidSignatureError, Reason.ID_TOKEN_SIGNATURE),
    (jwt.InvalidAlgorithmError, Reason.ID_TOKEN_ALG),
    (jwt.DecodeError, Reason.ID_TOKEN_MALFORMED),
]


def _reason(exc):
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return Reason.ID_TOKEN_INVALID


def unverified_header(token):
    if not isinstance(token, str) or not token:
        raise InvalidIdToken(Reason.ID_TOKEN_MISSING)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(Reason.ID_TOKEN_MALFORMED, type(exc).__name__)
    # RS256 only: never `none`, never an HMAC keyed with something public.
    if header.get("alg") != "RS256":
        raise InvalidIdToken(Reason.ID_TOKEN_ALG, str(header.get("alg"))[:16])
    return header


def validate_id_token(token, *, signing_key, issuer, client_id, nonce, leeway, max_age=None, now=None):
    """Verify signature and claims; returns the claims. `signing_key(header)` finds the key.

    `nonce=None` skips the nonce rule (refreshed id_tokens need not carry one); a `max_age`
    the authorization request sent makes `auth_time` required and bounded (3.1.3.7 #11).
    """
    header = unverified_header(token)
    key = signing_key(header)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=client_id,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["iss", "aud", "exp", "iat", "sub"], "verify_iat": True},
        )
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidIdToken(Reason.ID_TOKEN_CLAIM_MISSING, exc.claim)
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(_reason(exc), type(exc).__name__)
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and "azp" not in claims:
        raise InvalidIdToken(Reason.ID_TOKEN_AZP, "several audiences and no azp")
    if "azp" in claims and claims["azp"] != client_id:
        raise InvalidIdToken(Reason.ID_TOKEN_AZP)
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidIdToken(Reason.ID_TOKEN_SUB)
    # Text that is not text (lone surrogates, NUL), control characters, oversized names:
    # refused before any claim reaches the database or a page (claims.py).
    check_claims(claims)
    if nonce is not None:
        given = claims.get("nonce")
        # compare_digest refuses non-ASCII str (TypeError): such a nonce is simply not ours.
        if not isinstance(given, str) or not given.isascii() or not hmac.compare_digest(given, nonce):
            raise InvalidIdToken(Reason.ID_TOKEN_NONCE)
    if not claims.get("tenantId"):
        raise InvalidIdToken(Reason.ID_TOKEN_TENANT_MISSING)
    if max_age is not None:
        check_auth_time(claims.get("auth_time"), max_age, leeway, time.time() if now is None else now)
    return claims


def check_auth_time(auth_time, max_age, leeway, now):
    if isinstance(auth_time, bool) or not isinstance(auth_time, (int, float)):
        raise InvalidIdToken(Reason.ID_TOKEN_AUTH_TIME, "missing")
    if now - auth_time > max_age + leeway:
        raise InvalidIdToken(Reason.ID_TOKEN_AUTH_TIME, "older than max_age")
    if auth_time > now + leeway:
        raise InvalidIdToken(Reason.ID_TOKEN_AUTH_TIME, "in the future")


def check_refreshed_claims(original, refreshed):
    """OpenID Connect Core 12.2: a refreshed id_token is about the same user and tenant."""
    for name in ("iss", "sub", "tenantId"):
        if str(refreshed.get(name)) != str(original.get(name)):
            raise InvalidIdToken(Reason.REFRESHED_ID_TOKEN_MISMATCH, name)
    original_aud = original.get("aud")
    if sorted(_as_list(refreshed.get("aud"))) != sorted(_as_list(original_aud)):
        raise InvalidIdToken(Reason.REFRESHED_ID_TOKEN_MISMATCH, "aud")


def _as_list(value):
    return value if isinstance(value, list) else [value]
