"""The issuer's signing keys, kept in the shared cache.

Keys are re-fetched when older than `ttl`; an unknown `kid` (CXone rotated its key)
triggers one early re-fetch, at most once per `min_refetch_interval` per issuer, so a
flood of forged tokens cannot turn the portal into a cannon aimed at CXone. A stale copy
is kept long after `ttl` and used when the JWKS endpoint is down.
"""
import hashlib
import logging
import time

import jwt
import requests

from core.reasons import Reason
from core.untrusted import UntrustedBodyError, read_json

from .errors import InvalidIdToken, UpstreamError

logger = logging.getLogger(__name__)

STALE_FACTOR = 24
MAX_KEYS = 50


class JWKSCache:
    def __init__(self, cache, session, *, ttl=3600, min_refetch_interval=60, timeout=10):
        self.cache = cache
        self.session = session
        self.ttl = ttl
        self.min_refetch_interval = min_refetch_interval
        self.timeout = timeout

    def _key(self, jwks_uri):
        return "cxone:jwks:" + hashlib.sha256(jwks_uri.encode()).hexdigest()[:24]

    def _fetch(self, jwks_uri):
        try:
            with self.session.get(jwks_uri, timeout=self.timeout, allow_redirects=False, stream=True) as response:
                if response.status_code != 200:
                    raise ValueError(f"HTTP {response.status_code}")
                document = read_json(response, timeout=self.timeout)
        except (requests.RequestException, UntrustedBodyError, ValueError) as exc:
            raise UpstreamError(Reason.JWKS_UNAVAILABLE, str(exc)[:80] if isinstance(exc, ValueError) else type(exc).__name__)
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list) or len(keys) > MAX_KEYS:
            raise UpstreamError(Reason.JWKS_UNAVAILABLE, "no list of keys")
        entry = {"keys": [k for k in keys if isinstance(k, dict)], "fetched_at": time.time()}
        self.cache.set(self._key(jwks_uri), entry, self.ttl * STALE_FACTOR)
        return entry

    def _keys(self, jwks_uri, *, force=False):
        entry = self.cache.get(self._key(jwks_uri))
        fresh = entry is not None and time.time() - entry["fetched_at"] < self.ttl
        if fresh and not force:
            return entry["keys"]
        try:
            return self._fetch(jwks_uri)["keys"]
        except UpstreamError as exc:
            if entry is None:
                raise
            logger.warning("JWKS re-fetch failed; using the cached keys", extra={"event": "jwks", "reason": exc.reason})
            return entry["keys"]

    def signing_key(self, jwks_uri, header):
        """The RS256 key for a token header; one rate-limited re-fetch on an unknown kid."""
        key = _match(self._keys(jwks_uri), header)
        if key is None and self.cache.add(self._key(jwks_uri) + ":refetch", 1, self.min_refetch_interval):
            key = _match(self._keys(jwks_uri, force=True), header)
        if key is None:
            raise InvalidIdToken(Reason.ID_TOKEN_KID_UNKNOWN, str(header.get("kid"))[:64])
        return key


def _match(keys, header):
    kid = header.get("kid")
    candidates = [
        k
        for k in keys
        if k.get("kty") == "RSA" and k.get("use", "sig") == "sig" and k.get("alg", "RS256") == "RS256"
    ]
    if kid is not None:
        candidates = [k for k in candidates if k.get("kid") == kid]
    if len(candidates) != 1:
        return None
    try:
        return jwt.PyJWK(candidates[0], algorithm="RS256")
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
