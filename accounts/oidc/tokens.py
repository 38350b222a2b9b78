"""The token endpoint: code exchange and refresh, with the environment's client auth."""
import re
import time
import uuid
from dataclasses import asdict, dataclass
from urllib.parse import quote_plus

import jwt
import requests

from cxone_portal.reasons import Reason

from .errors import TokenRejected, UpstreamError, UpstreamTimeout

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_EXPIRES_IN = 3600
_OAUTH_ERROR = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    auth_method: str  # client_secret_basic | client_secret_post | client_secret_jwt
    token_endpoint: str


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    refresh_token: str | None
    id_token: str | None
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


def _post(session, client, form, timeout):
    extra, basic = client_authentication(client)
    try:
        response = session.post(
            client.token_endpoint,
            data={**form, **extra},
            auth=basic,
            timeout=timeout,
            allow_redirects=False,
            headers={"Accept": "application/json"},
        )
    except requests.Timeout:
        raise UpstreamTimeout(Reason.TOKEN_ENDPOINT_TIMEOUT)
    except requests.RequestException as exc:
        raise UpstreamError(Reason.TOKEN_ENDPOINT_UNREACHABLE, type(exc).__name__)
    if 400 <= response.status_code < 500:
        try:
            error = str(response.json().get("error", ""))
        except (ValueError, AttributeError):
            error = ""
        error = error if _OAUTH_ERROR.match(error) else "unknown"
        raise TokenRejected(Reason.TOKEN_REJECTED, error)
    if response.status_code != 200:
        raise UpstreamError(Reason.TOKEN_ENDPOINT_ERROR, f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, "not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, "no access_token")
    if str(body.get("token_type", "Bearer")).lower() != "bearer":
        raise UpstreamError(Reason.TOKEN_RESPONSE_INVALID, "token_type is not Bearer")
    try:
        expires_in = int(body.get("expires_in", DEFAULT_EXPIRES_IN))
    except (TypeError, ValueError):
        expires_in = DEFAULT_EXPIRES_IN
    return TokenResponse(
        access_token=body["access_token"],
        expires_in=max(1, expires_in),
        refresh_token=body.get("refresh_token") or None,
        id_token=body.get("id_token") or None,
        received_at=time.time(),
    )


def exchange_code(session, client, *, code, redirect_uri, code_verifier, timeout):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    return _post(session, client, form, timeout)


def refresh(session, client, *, refresh_token, timeout):
    # NICE's own SDK sends scope=openid with the refresh grant.
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": "openid"}
    return _post(session, client, form, timeout)


def unverified_claims(token):
    """The payload of a JWT this client received straight from the token endpoint."""
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return payload if isinstance(payload, dict) else {}
