"""The authorization request: state, nonce and PKCE (S256, always; RFC 9700 2.1.1)."""
import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


def code_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_authorization_request(
    authorization_endpoint,
    *,
    client_id,
    redirect_uri,
    tenant_id=None,
    login_hint=None,
    display=None,
    max_age=None,
    id_token_hint=None,
    prompt=None,
    ui_locales=None,
):
    """The authorize URL and the secrets the callback needs. `ui_locales` (OpenID Connect Core
    3.1.2.1) asks CXone's login page for the portal's language: BCP 47 tags, e.g. "pt-BR"."""
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, inside RFC 7636's 43..128
    params = {
        "response_type": "code",
        "scope": "openid",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    optional = {
        "tenantId": tenant_id,
        "login_hint": login_hint,
        "display": display,
        "max_age": max_age,
        "id_token_hint": id_token_hint,
        "prompt": prompt,
        "ui_locales": ui_locales,
    }
    params.update({k: str(v) for k, v in optional.items() if v not in (None, "")})
    sep = "&" if "?" in authorization_endpoint else "?"
    return AuthorizationRequest(authorization_endpoint + sep + urlencode(params), state, nonce, verifier)
