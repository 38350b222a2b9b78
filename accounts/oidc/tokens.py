"""The token endpoint: code exchange and refresh, with the environment's client auth."""
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from urllib.parse import quote_plus

import jwt
import requests

from core.reasons import Reason
from core.untrusted import UntrustedBodyError, read_json

from .errors import TokenRejected, UpstreamError, UpstreamTimeout

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_EXPIRES_IN = 3600
# A lifetime outside this range is refused: 0 would refresh on every request, 10^9 never.
LIFETIME_RANGE = (60, 86400)
_OAUTH_ERROR = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str = field(repr=False)
    auth_method: str  # client_secret_basic | client_secret_post | client_secret_jwt
    token_endpoint: str


@dataclass(frozen=True)
class TokenResponse:
    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: str | None = field(repr=False)
    id_token: str | None = field(repr=False)
    received_at: float

    @property
    def expires_at(self):
        return self.received_at + self.expires_in

    def as_dict(self):
        """The token response as mozilla-django-oidc's `get_token` contract has it: a dict."""
        return asdict(self)


def client_authentication(client, now=None):
    """(extra form fields, HTTP Basic credentials or None) for the client's method."""
    if client.auth_method == "client_secret_basic":
        # RFC 6749 2.3.1: form-encode both parts before Basic.
        return {}, (quote_plus(client.client_id), quote_plus(client.client_secret))
    if client.auth_method == "client_secret_post":
        return {"client_id": client.client_id, "client_secret": client.client_secret}, None
    if client.auth_method == "client_secret_jwt":
        now = int(now or time.time())
        assertion = jwt.encode(
            {
                "iss": client.client_id,
                "sub": client.client_id,
                "aud": client.token_endpoint,
                "jti": uuid.uuid4().hex,
                "iat": now,
                "exp": now + 60,
            },
            client.client_secret,
            algorithm="HS256",
        )
        return {"client_assertion_type": CLIENT_ASSERTION_TYPE, "client_assertion": assertion}, None
    raise ValueError(f"unknown token endpoint auth method {client.auth_method!r}")


def _post(session, client, form, timeout, lifetime_range):
    extra, basic = client_authentication(client)
    try:
        response = session.post(
            client.token_endpoint,
            data={**form, **extra},
            auth=basic,
            timeout=timeout,
            allow_redirects=False,
            headers={"Accept": "application/json"},
            stream=True,
        )
        with response:
            status, problem = response.status_code, None
            try:
                body = read_json(response, timeout=timeout)
            except UntrustedBodyError as exc:
                body, problem = None, str(exc)
    except requests.Timeout:
        raise UpstreamTimeout(Reason.TOKEN_ENDPOINT_TIMEOUT)
    except requests.RequestException as exc:
        raise UpstreamError(Reason.TOKEN_ENDPOINT_UNREACHABLE, type(exc).__name__)
    if 400 <= status < 500:
        error = body.get("error") if isinstance(body, dict) else None
        raise TokenRejected(Reason.TOKEN_REJECTED, error if isinstance(error, str) and _OAUTH_ERROR.match(error) else "unknown")
    if status != 200:
        raise UpstreamError(Reason.TOKEN_ENDPOINT_ERROR, f"HTTP {status}")
    if problem is not None:
        raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, problem)
    return _token_response(body, lifetime_range)


def _token_response(body, lifetime_range):
    """RFC 6749 5.1, checked: every field the portal keeps has the type and range it should."""
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, "no access_token")
    if not isinstance(body.get("token_type", "Bearer"), str) or body.get("token_type", "Bearer").lower() != "bearer":
        raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, "token_type is not Bearer")
    for name in ("refresh_token", "id_token"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, f"{name} is not a string")
    expires_in = body.get("expires_in", DEFAULT_EXPIRES_IN)
    low, high = lifetime_range
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or not low <= expires_in <= high:
        raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, "expires_in out of range")
    return TokenResponse(
        access_token=body["access_token"],
        expires_in=int(expires_in),
        refresh_token=body.get("refresh_token") or None,
        id_token=body.get("id_token") or None,
        received_at=time.time(),
    )


def exchange_code(session, client, *, code, redirect_uri, code_verifier, timeout, lifetime_range=LIFETIME_RANGE):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    return _post(session, client, form, timeout, lifetime_range)


def refresh(session, client, *, refresh_token, timeout, lifetime_range=LIFETIME_RANGE):
    # NICE's own SDK sends scope=openid with the refresh grant.
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": "openid"}
    return _post(session, client, form, timeout, lifetime_range)


def unverified_claims(token):
    """The payload of a JWT this client received straight from the token endpoint."""
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return payload if isinstance(payload, dict) else {}
