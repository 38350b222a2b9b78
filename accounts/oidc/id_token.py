"""id_token validation: OpenID Connect Core 3.1.3.7 at sign-in, 12.2 on refresh."""
import hmac

import jwt

from .errors import InvalidIdToken

_REASONS = [
    (jwt.ExpiredSignatureError, "id_token_expired"),
    (jwt.InvalidAudienceError, "id_token_aud"),
    (jwt.InvalidIssuerError, "id_token_iss"),
    (jwt.ImmatureSignatureError, "id_token_not_yet_valid"),
    (jwt.InvalidIssuedAtError, "id_token_iat"),
    (jwt.MissingRequiredClaimError, "id_token_claim_missing"),
    (jwt.InvalidSignatureError, "id_token_signature"),
    (jwt.InvalidAlgorithmError, "id_token_alg"),
    (jwt.DecodeError, "id_token_malformed"),
]


def _reason(exc):
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "id_token_invalid"


def unverified_header(token):
    if not isinstance(token, str) or not token:
        raise InvalidIdToken("id_token_missing")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidIdToken("id_token_malformed", type(exc).__name__)
    # RS256 only: never `none`, never an HMAC keyed with something public.
    if header.get("alg") != "RS256":
        raise InvalidIdToken("id_token_alg", str(header.get("alg"))[:16])
    return header


def validate_id_token(token, *, signing_key, issuer, client_id, nonce, leeway):
    """Verify signature and claims; returns the claims. `signing_key(header)` finds the key.

    `nonce=None` skips the nonce rule (refreshed id_tokens need not carry one).
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
        raise InvalidIdToken("id_token_claim_missing", exc.claim)
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(_reason(exc), type(exc).__name__)
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and "azp" not in claims:
        raise InvalidIdToken("id_token_azp", "several audiences and no azp")
    if "azp" in claims and claims["azp"] != client_id:
        raise InvalidIdToken("id_token_azp")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidIdToken("id_token_sub")
    if nonce is not None:
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise InvalidIdToken("id_token_nonce")
    if not claims.get("tenantId"):
        raise InvalidIdToken("id_token_tenant_missing")
    return claims


def check_refreshed_claims(original, refreshed):
    """OpenID Connect Core 12.2: a refreshed id_token is about the same user and tenant."""
    for name in ("iss", "sub", "tenantId"):
        if str(refreshed.get(name)) != str(original.get(name)):
            raise InvalidIdToken(f"refreshed_id_token_{name.lower()}")
    original_aud = original.get("aud")
    if sorted(_as_list(refreshed.get("aud"))) != sorted(_as_list(original_aud)):
        raise InvalidIdToken("refreshed_id_token_aud")


def _as_list(value):
    return value if isinstance(value, list) else [value]
