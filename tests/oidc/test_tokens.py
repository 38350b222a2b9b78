"""accounts/oidc/tokens.py on its own, over real HTTP to a canned loopback server."""
import base64
import json
from urllib.parse import parse_qs, unquote_plus

import jwt
import pytest

from accounts.oidc import tokens
from accounts.oidc.errors import TokenRejected, UpstreamError, UpstreamTimeout
from core.reasons import Reason

GOOD = {"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt", "id_token": "it"}


def client(url, method="client_secret_basic", secret="s&cret:1-long-enough-for-an-hs256-key-!!"):
    return tokens.Client(client_id="my client", client_secret=secret, auth_method=method, token_endpoint=url + "/auth/token")


def form(request):
    return {k: v[0] for k, v in parse_qs(request["body"]).items()}


# --- client authentication -----------------------------------------------------------------

def test_basic_form_encodes_both_parts_before_base64():
    extra, basic = tokens.client_authentication(client("https://op"))
    assert extra == {} and basic == ("my+client", "s%26cret%3A1-long-enough-for-an-hs256-key-%21%21")


def test_post_puts_the_credentials_in_the_body():
    extra, basic = tokens.client_authentication(client("https://op", "client_secret_post"))
    assert extra == {"client_id": "my client", "client_secret": "s&cret:1-long-enough-for-an-hs256-key-!!"} and basic is None


def test_client_secret_jwt_is_an_hs256_assertion_for_the_token_endpoint():
    extra, basic = tokens.client_authentication(client("https://op", "client_secret_jwt"), now=1_700_000_000)
    assert basic is None and extra["client_assertion_type"] == tokens.CLIENT_ASSERTION_TYPE
    claims = jwt.decode(extra["client_assertion"], "s&cret:1-long-enough-for-an-hs256-key-!!", algorithms=["HS256"], audience="https://op/auth/token",
                        options={"verify_exp": False})
    assert claims["iss"] == claims["sub"] == "my client" and claims["exp"] - claims["iat"] == 60 and claims["jti"]


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        tokens.client_authentication(client("https://op", "private_key_jwt"))


# --- the wire ------------------------------------------------------------------------------

def test_code_exchange_sends_the_grant_and_basic_credentials(canned, http):
    canned.answer(body=json.dumps(GOOD).encode())
    response = tokens.exchange_code(http, client(canned.url), code="c0de", redirect_uri="https://rp/cb/", code_verifier="v" * 43, timeout=5)
    assert (response.access_token, response.refresh_token, response.id_token, response.expires_in) == ("at", "rt", "it", 3600)
    sent = canned.requests[-1]
    assert sent["method"] == "POST" and sent["path"] == "/auth/token"
    assert form(sent) == {"grant_type": "authorization_code", "code": "c0de", "redirect_uri": "https://rp/cb/", "code_verifier": "v" * 43}
    user, _, password = base64.b64decode(sent["headers"]["Authorization"][6:]).decode().partition(":")
    assert (unquote_plus(user), unquote_plus(password)) == ("my client", "s&cret:1-long-enough-for-an-hs256-key-!!")


def test_refresh_sends_scope_openid(canned, http):
    canned.answer(body=json.dumps(GOOD).encode())
    tokens.refresh(http, client(canned.url, "client_secret_post"), refresh_token="rt", timeout=5)
    assert form(canned.requests[-1]) == {"grant_type": "refresh_token", "refresh_token": "rt", "scope": "openid",
                                         "client_id": "my client", "client_secret": "s&cret:1-long-enough-for-an-hs256-key-!!"}


@pytest.mark.parametrize("status, body, error", [(400, b'{"error": "invalid_grant"}', "invalid_grant"),
                                                 (401, b'{"error": "invalid_client"}', "invalid_client"),
                                                 (400, b'{"error": "bad\\nline"}', "unknown"),
                                                 (403, b"<html>", "unknown")])
def test_4xx_is_a_rejection_with_a_bounded_oauth_error(canned, http, status, body, error):
    canned.answer(status, body)
    with pytest.raises(TokenRejected) as caught:
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5)
    assert caught.value.reason == Reason.TOKEN_REJECTED and caught.value.error == error


@pytest.mark.parametrize("status, body, reason", [
    (500, b"{}", Reason.TOKEN_ENDPOINT_ERROR),
    (302, b"", Reason.TOKEN_ENDPOINT_ERROR),
    (200, b"not json", Reason.TOKEN_RESPONSE_INVALID),
    (200, b"[]", Reason.TOKEN_RESPONSE_INVALID),
    (200, b'{"token_type": "Bearer"}', Reason.TOKEN_RESPONSE_INVALID),
    (200, b'{"access_token": "at", "token_type": "MAC"}', Reason.TOKEN_RESPONSE_INVALID),
])
def test_what_is_not_a_token_response_is_an_upstream_error(canned, http, status, body, reason):
    canned.answer(status, body)
    with pytest.raises(UpstreamError) as caught:
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5)
    assert caught.value.reason == reason


def test_timeout_and_unreachable(canned, http):
    canned.delay = 1.0
    with pytest.raises(UpstreamTimeout) as caught:
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=0.2)
    assert caught.value.reason == Reason.TOKEN_ENDPOINT_TIMEOUT
    with pytest.raises(UpstreamError) as caught:
        tokens.refresh(http, client("http://127.0.0.1:9"), refresh_token="rt", timeout=2)
    assert caught.value.reason == Reason.TOKEN_ENDPOINT_UNREACHABLE


def test_unverified_claims_of_junk_are_empty():
    assert tokens.unverified_claims("not a jwt") == {}
    assert tokens.unverified_claims(jwt.encode({"role": {"legacyId": "Agent"}}, "k" * 32))["role"]["legacyId"] == "Agent"


# --- a hostile token endpoint ----------------------------------------------------------------

def huge_body(megabytes):
    yield b'{"access_token": "'
    chunk = b"A" * (1 << 20)
    for _ in range(megabytes):
        yield chunk
    yield b'"}'


@pytest.mark.parametrize("body, problem", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"access_token": "at", "expires_in": Infinity}', "not JSON"),
    (b'{"access_token": "at", "expires_in": NaN}', "not JSON"),
    (b"\xff\xfe\x00junk", "not JSON"),
])
def test_json_that_is_not_plain_data_is_refused(canned, http, body, problem):
    canned.answer(body=body)
    with pytest.raises(UpstreamError) as caught:
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5)
    assert caught.value.reason == Reason.TOKEN_RESPONSE_INVALID and caught.value.detail == problem


def test_a_300_mb_answer_is_cut_off_after_256_kb(canned, http):
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    canned.answer(body=huge_body(300))
    with pytest.raises(UpstreamError) as caught:
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5)
    assert caught.value.detail == "too large"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB: no 300 MB read


def test_a_declared_length_over_the_cap_is_refused_unread(canned, http):
    canned.answer(body=b"{" + b" " * 300_000 + b"}")
    with pytest.raises(UpstreamError) as caught:
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5)
    assert caught.value.detail == "too large"


def test_a_slow_drip_stops_at_the_timeout(canned, http):
    import time

    sent = []

    def drip():  # an OP that sends a byte every 0.2 s (the slow peer, not the test, waits)
        for _ in range(20):
            time.sleep(0.2)
            sent.append(1)
            yield b" "
    canned.answer(body=drip())
    with pytest.raises(UpstreamError):
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=0.5)
    assert len(sent) < 20  # given up while the OP was still dripping, whatever the machine's speed


@pytest.mark.parametrize("expires_in", [0, -1, 59, 86401, 10**12, 1e308, "3600", True, None, [3600]])
def test_expires_in_outside_the_sane_range_is_refused(canned, http, expires_in):
    canned.answer(body=json.dumps({**GOOD, "expires_in": expires_in}).encode())
    with pytest.raises(UpstreamError) as caught:
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5)
    assert caught.value.reason == Reason.TOKEN_RESPONSE_INVALID and caught.value.detail == "expires_in out of range"


@pytest.mark.parametrize("expires_in, kept", [(60, 60), (3600, 3600), (86400, 86400), (3599.0, 3599)])
def test_expires_in_inside_the_range_is_kept(canned, http, expires_in, kept):
    canned.answer(body=json.dumps({**GOOD, "expires_in": expires_in}).encode())
    assert tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5).expires_in == kept


def test_missing_expires_in_is_an_hour_and_tokens_must_be_strings(canned, http):
    canned.answer(body=json.dumps({k: v for k, v in GOOD.items() if k != "expires_in"}).encode())
    assert tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5).expires_in == 3600
    canned.answer(body=json.dumps({**GOOD, "refresh_token": {"nested": 1}}).encode())
    with pytest.raises(UpstreamError):
        tokens.refresh(http, client(canned.url), refresh_token="rt", timeout=5)


def test_token_values_never_appear_in_a_repr():
    response = tokens.TokenResponse("ACCESS", 3600, "REFRESH", "IDTOKEN", 0.0)
    shown = repr(response) + repr(client("https://op"))
    assert "ACCESS" not in shown and "REFRESH" not in shown and "IDTOKEN" not in shown and "s&cret" not in shown
