"""accounts/oidc/jwks.py on its own: a real JWKS endpoint on loopback, a local-memory cache."""
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache.backends.locmem import LocMemCache

from accounts.oidc.errors import InvalidIdToken, UpstreamError
from accounts.oidc.jwks import JWKSCache
from core.reasons import Reason


def jwk(kid):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def keys(canned, http):
    cache = LocMemCache("jwks-test", {})
    first = jwk("k1")
    canned.answer(body=json.dumps({"keys": [first]}).encode())
    return JWKSCache(cache, http, ttl=3600, min_refetch_interval=60, timeout=5), canned, first


def fetches(canned):
    return len(canned.requests)


def test_forged_kids_refetch_at_most_once_per_interval(keys):
    cache, canned, first = keys
    cache.signing_key(canned.url + "/jwks", {"kid": "k1"})
    for _ in range(5):
        with pytest.raises(InvalidIdToken):
            cache.signing_key(canned.url + "/jwks", {"kid": "forged"})
    assert fetches(canned) == 2


def test_known_kid_is_served_from_the_cache(keys):
    cache, canned, first = keys
    assert cache.signing_key(canned.url + "/jwks", {"kid": "k1"}).key_id == "k1"
    assert cache.signing_key(canned.url + "/jwks", {"kid": "k1"}) is not None
    assert fetches(canned) == 1


def test_an_unknown_kid_refetches_once_per_interval(keys):
    cache, canned, first = keys
    cache.signing_key(canned.url + "/jwks", {"kid": "k1"})
    canned.answer(body=json.dumps({"keys": [jwk("k2"), first]}).encode())
    assert cache.signing_key(canned.url + "/jwks", {"kid": "k2"}).key_id == "k2"  # rotated: one re-fetch
    assert fetches(canned) == 2
    for _ in range(5):
        with pytest.raises(InvalidIdToken) as caught:
            cache.signing_key(canned.url + "/jwks", {"kid": "forged"})
        assert caught.value.reason == Reason.ID_TOKEN_KID_UNKNOWN
    assert fetches(canned) == 2  # the rotation's re-fetch was this interval's one: none for forgeries


def test_a_stale_copy_is_used_when_the_endpoint_is_down(keys):
    cache, canned, first = keys
    cache.signing_key(canned.url + "/jwks", {"kid": "k1"})
    cache.ttl = 0  # everything is stale now
    canned.answer(500, b"{}")
    assert cache.signing_key(canned.url + "/jwks", {"kid": "k1"}).key_id == "k1"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"keys": "x"}', b'{"nokeys": []}'])
def test_no_usable_document_and_no_copy_is_jwks_unavailable(keys, body):
    cache, canned, first = keys
    canned.answer(200, body)
    with pytest.raises(UpstreamError) as caught:
        cache.signing_key(canned.url + "/jwks", {"kid": "k1"})
    assert caught.value.reason == Reason.JWKS_UNAVAILABLE


def test_ambiguous_or_unfit_keys_match_nothing(keys):
    cache, canned, first = keys
    enc = {**jwk("k1"), "use": "enc"}
    canned.answer(body=json.dumps({"keys": [enc, {**first, "kid": "dup"}, {**jwk("x"), "kid": "dup"}]}).encode())
    for kid in ("k1", "dup"):
        with pytest.raises(InvalidIdToken):
            cache.signing_key(canned.url + "/jwks", {"kid": kid})


def test_a_nested_or_huge_jwks_is_refused(keys):
    cache, canned, first = keys
    for body in (b'{"keys": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b'{"keys": [' + b'{"kty": "RSA"},' * 60 + b"{}]}"):
        canned.answer(body=body)
        with pytest.raises(UpstreamError) as caught:
            cache._fetch(canned.url + "/jwks")
        assert caught.value.reason == Reason.JWKS_UNAVAILABLE
