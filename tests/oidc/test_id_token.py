"""accounts/oidc/id_token.py on its own: each rule of OpenID Connect Core 3.1.3.7 (and 12.2
on refresh), positive and negative, in milliseconds: no database, no HTTP."""
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.oidc.errors import InvalidIdToken
from accounts.oidc.id_token import check_refreshed_claims, validate_id_token
from core.reasons import Reason

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ISSUER, CLIENT, NONCE = "https://cxone.example", "portal", "n-123"


def claims(**changes):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": CLIENT, "sub": "user:1", "iat": now, "exp": now + 3600, "nonce": NONCE, "tenantId": "t-1"}
    base.update({k: now + v[1] if isinstance(v, tuple) else v for k, v in changes.items()})  # ("now", ±s)
    return {k: v for k, v in base.items() if v is not None}


def token(payload, key=KEY, alg="RS256", headers=None):
    return jwt.encode(payload, key, algorithm=alg, headers=headers or {"kid": "k1"})


def validate(tok, nonce=NONCE, leeway=300):
    return validate_id_token(tok, signing_key=lambda header: KEY.public_key(), issuer=ISSUER, client_id=CLIENT, nonce=nonce, leeway=leeway)


def reason_of(tok, **kwargs):
    with pytest.raises(InvalidIdToken) as caught:
        validate(tok, **kwargs)
    return caught.value.reason


def test_a_good_token_gives_its_claims():
    assert validate(token(claims()))["sub"] == "user:1"


@pytest.mark.parametrize("changes, reason", [
    ({"iss": "https://evil.example"}, Reason.ID_TOKEN_ISS),
    ({"aud": "someone-else"}, Reason.ID_TOKEN_AUD),
    ({"aud": [CLIENT, "other"]}, Reason.ID_TOKEN_AZP),
    ({"aud": [CLIENT, "other"], "azp": "other"}, Reason.ID_TOKEN_AZP),
    ({"exp": ("now", -301)}, Reason.ID_TOKEN_EXPIRED),
    ({"nbf": ("now", 400)}, Reason.ID_TOKEN_NOT_YET_VALID),
    ({"iat": ("now", 400)}, Reason.ID_TOKEN_NOT_YET_VALID),
    ({"iat": "yesterday"}, Reason.ID_TOKEN_IAT),
    ({"iat": None}, Reason.ID_TOKEN_CLAIM_MISSING),
    ({"sub": None}, Reason.ID_TOKEN_CLAIM_MISSING),
    ({"sub": ""}, Reason.ID_TOKEN_SUB),
    ({"nonce": "replayed"}, Reason.ID_TOKEN_NONCE),
    ({"nonce": None}, Reason.ID_TOKEN_NONCE),
    ({"tenantId": None}, Reason.ID_TOKEN_TENANT_MISSING),
])
def test_each_rule_refuses(changes, reason):
    assert reason_of(token(claims(**changes))) == reason


@pytest.mark.parametrize("changes", [
    {"exp": ("now", -295)}, {"nbf": ("now", 295)}, {"iat": ("now", 295)},
    {"aud": [CLIENT, "other"], "azp": CLIENT},
])
def test_within_the_five_minute_leeway_and_azp_rules_pass(changes):
    assert validate(token(claims(**changes)))["sub"] == "user:1"


def test_signature_alg_and_shape():
    assert reason_of(token(claims(), key=OTHER_KEY)) == Reason.ID_TOKEN_SIGNATURE
    assert reason_of(token(claims(), key="k" * 32, alg="HS256")) == Reason.ID_TOKEN_ALG
    unsigned = jwt.encode(claims(), None, algorithm="none")
    assert reason_of(unsigned) == Reason.ID_TOKEN_ALG
    assert reason_of("a.b.c") == Reason.ID_TOKEN_MALFORMED
    assert reason_of("") == Reason.ID_TOKEN_MISSING
    assert reason_of(None) == Reason.ID_TOKEN_MISSING


def test_nonce_none_skips_the_nonce_rule_on_refresh():
    assert validate(token(claims(nonce=None)), nonce=None)["sub"] == "user:1"


@pytest.mark.parametrize("changes, detail", [({"sub": "user:2"}, "sub"), ({"iss": "x"}, "iss"),
                                             ({"tenantId": "t-2"}, "tenantId"), ({"aud": "other"}, "aud")])
def test_a_refreshed_token_is_about_the_same_user(changes, detail):
    original = claims()
    check_refreshed_claims(original, dict(original))
    with pytest.raises(InvalidIdToken) as caught:
        check_refreshed_claims(original, {**original, **changes})
    assert (caught.value.reason, caught.value.detail) == (Reason.REFRESHED_ID_TOKEN_MISMATCH, detail)
