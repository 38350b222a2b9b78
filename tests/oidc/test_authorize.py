"""accounts/oidc/authorize.py on its own: no database, no request."""
import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

from accounts.oidc.authorize import build_authorization_request, code_challenge


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_required_parameters_state_nonce_and_pkce():
    request = build_authorization_request("https://op.example/auth/authorize", client_id="c", redirect_uri="https://rp/cb/")
    q = query(request.url)
    assert q == {
        "response_type": "code", "scope": "openid", "client_id": "c", "redirect_uri": "https://rp/cb/",
        "state": request.state, "nonce": request.nonce,
        "code_challenge": code_challenge(request.code_verifier), "code_challenge_method": "S256",
    }
    assert len(request.state) >= 43 and len(request.nonce) >= 43
    assert 43 <= len(request.code_verifier) <= 128


def test_code_challenge_is_rfc7636_s256():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    digest = hashlib.sha256(verifier.encode()).digest()
    assert code_challenge(verifier) == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_every_request_is_new():
    a, b = (build_authorization_request("https://op/a", client_id="c", redirect_uri="r") for _ in range(2))
    assert len({a.state, b.state, a.nonce, b.nonce, a.code_verifier, b.code_verifier}) == 6


def test_optional_parameters_only_when_given():
    request = build_authorization_request(
        "https://op/a?x=1", client_id="c", redirect_uri="r", tenant_id="t-1", login_hint="a@b", display="popup",
        max_age=0, id_token_hint="h", prompt=None,
    )
    assert request.url.startswith("https://op/a?x=1&")
    q = query(request.url)
    assert q["tenantId"] == "t-1" and q["login_hint"] == "a@b" and q["display"] == "popup"
    assert q["max_age"] == "0" and q["id_token_hint"] == "h" and "prompt" not in q
