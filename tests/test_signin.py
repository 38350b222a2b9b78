"""Sign-in through CXone's code flow against the simulator on loopback: every rule of
authorize, code exchange, id_token validation, users and roles, positive and negative."""
import base64
import hashlib
import json
import logging
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.test import Client

from accounts.flows import COOKIE, FlowJar
from accounts.models import CXoneIdentity, TokenSession
from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tenants.models import Environment, Tenant

from .conftest import ADMIN, AGENT, GLOBEX_AGENT, SUPERVISOR, Browser, query_of

User = get_user_model()
ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"


def failed(response, status, reason):
    assert response.status_code == status, response.content.decode()[:1000]
    page = response.content.decode()
    assert f'data-test="reason">{reason}<' in page, page[:3000]
    assert "Try again" in page
    return page


def nothing_created():
    return not (User.objects.exists() or CXoneIdentity.objects.exists() or TokenSession.objects.exists())


# --- happy paths ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_agent_signs_in_and_sees_dashboard(browser):
    response = browser.sign_in()
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    page = browser.client.get("/account/").content.decode()
    assert 'data-test="full-name">Alex Rivera<' in page
    assert 'data-test="tenant-name">Acme Support<' in page
    assert 'data-test="portal-role">Agent<' in page
    assert 'data-test="cxone-role">Agent<' in page


@pytest.mark.django_db
@pytest.mark.parametrize("username, cxone_role", [(SUPERVISOR, "Manager"), (ADMIN, "Administrator")])
def test_supervising_roles_sign_in_as_supervisor(browser, username, cxone_role):
    browser.sign_in(username=username)
    page = browser.client.get("/account/").content.decode()
    assert 'data-test="portal-role">Supervisor<' in page
    assert f'data-test="cxone-role">{cxone_role}<' in page
    user = CXoneIdentity.objects.get().user
    assert not user.is_staff and not user.is_superuser


@pytest.mark.django_db
def test_supervisor_roles_are_per_tenant(browser):
    Tenant.objects.filter(slug="acme").update(supervisor_roles="Team Lead")
    browser.sign_in(username=SUPERVISOR)
    assert CXoneIdentity.objects.get().portal_role == "Agent"


@pytest.mark.django_db
def test_dashboard_requires_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/dashboard/")


# --- authorize -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_authorize_request_parameters(browser):
    url = browser.start(tenant="acme", login_hint=AGENT, display="popup", max_age="600")
    assert url.startswith(browser.cxone.op.issuer + "/auth/authorize?")
    q = query_of(url)
    assert q["response_type"] == "code" and q["scope"] == "openid"
    assert q["client_id"] == DEMO_CLIENT_ID
    assert q["redirect_uri"] == f"http://testserver/oidc/callback/{browser.cxone.environment.key}/"
    assert q["tenantId"] == ACME and q["login_hint"] == AGENT
    assert q["display"] == "popup" and q["max_age"] == "600"
    assert q["code_challenge_method"] == "S256" and len(q["state"]) >= 32 and len(q["nonce"]) >= 32
    flow = FlowJar(SimpleNamespace(COOKIES={COOKIE: browser.client.cookies[COOKIE].value})).flows[q["state"]]
    digest = hashlib.sha256(flow["verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == q["code_challenge"]
    assert flow["nonce"] == q["nonce"]
    # The login page is branded and prefilled.
    page = browser.http.get(url).text
    assert "Sign in to Acme Support" in page and f'value="{AGENT}"' in page


@pytest.mark.django_db
def test_bad_optional_parameters_are_dropped(browser):
    q = query_of(browser.start(tenant="acme", display="iframe", login_hint="a\x00b"))
    assert "display" not in q and "max_age" not in q and "login_hint" not in q
    # A number that is not one is refused with a reason, not dropped: the user asked for it.
    for junk in ("-1", "²", "1" * 10):
        failed(browser.client.get("/oidc/authenticate/", {"tenant": "acme", "max_age": junk}), 400, "bad_parameter")


@pytest.mark.django_db
def test_max_age_gives_auth_time(browser):
    seen = {}
    browser.cxone.sim.id_token_hook = lambda claims, headers, key: seen.update(claims)
    location = browser.login_at_cxone(browser.start(tenant="acme", max_age="60"), AGENT)
    assert browser.callback(location).status_code == 302
    assert abs(seen["auth_time"] - time.time()) < 30


@pytest.mark.django_db
def test_reauth_sends_id_token_hint(browser):
    browser.sign_in()
    stored = TokenSession.objects.get().id_token
    q = query_of(browser.start(tenant="acme", reauth="1"))
    assert q["id_token_hint"] == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    "slug, reason",
    [("nope", "tenant_unknown"), ("acme", "tenant_inactive"), ("ac\x00me", "tenant_unknown"), ("a" * 65, "tenant_unknown")],
    ids=["unknown", "inactive", "nul_byte", "too_long"],
)
def test_unknown_or_inactive_tenant(client, cxone, slug, reason, caplog):
    Tenant.objects.filter(slug="acme").update(is_active=False)
    with caplog.at_level(logging.WARNING, logger="accounts.signin"):
        response = client.get("/oidc/authenticate/", {"tenant": slug})
    # An anonymous visitor is not told that an organization exists but is switched off.
    failed(response, 400, "tenant_unknown")
    assert [r.reason for r in caplog.records if hasattr(r, "reason")] == [reason]


@pytest.mark.django_db
def test_without_tenant_the_id_token_names_it(browser):
    url = browser.start()
    assert "tenantId" not in query_of(url)
    response = browser.callback(browser.login_at_cxone(url, GLOBEX_AGENT))
    assert response.status_code == 302
    assert CXoneIdentity.objects.get().tenant.slug == "globex"


@pytest.mark.django_db
def test_without_tenant_and_several_environments_the_login_page_picks(browser, cxone):
    Environment.objects.create(issuer="https://cxone-gov.niceincontact.com", client_id="x", client_secret="y")
    response = browser.client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    page = browser.client.get("/login/").content.decode()
    assert f'?environment={cxone.environment.pk}' in page and 'Sign in with CXone — Simulator' in page
    url = browser.start(environment=str(cxone.environment.pk))
    assert url.startswith(cxone.op.issuer)


@pytest.mark.django_db
def test_unregistered_tenant_in_token_is_refused(browser):
    Tenant.objects.filter(slug="globex").delete()
    url = browser.start()
    failed(browser.callback(browser.login_at_cxone(url, GLOBEX_AGENT)), 400, "tenant_not_registered")
    assert nothing_created()


@pytest.mark.django_db
def test_token_for_another_tenant_never_opens_a_session(browser):
    globex = browser.cxone.sim.tenants["2f4b6d8e-0a1c-4e3f-8b5d-7c9e1a3b5d20"]
    browser.cxone.sim.id_token_hook = lambda claims, headers, key: claims.update(tenantId=globex.tenant_id)
    failed(browser.sign_in(tenant="acme"), 400, "tenant_mismatch")
    assert nothing_created()
    assert "_auth_user_id" not in browser.client.session


# --- state ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_state_is_single_use(browser):
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    assert browser.callback(location).status_code == 302
    failed(browser.callback(location), 400, "state_unknown")


@pytest.mark.django_db
def test_state_is_bound_to_the_browser_session(browser, cxone):
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    other = Browser(Client(), cxone)
    failed(other.callback(location), 400, "state_unknown")
    assert nothing_created()


@pytest.mark.django_db
def test_missing_and_forged_state(client, cxone):
    failed(client.get("/oidc/callback/", {"code": "abc"}), 400, "state_missing")
    failed(client.get("/oidc/callback/", {"code": "abc", "state": "forged"}), 400, "state_unknown")


@pytest.mark.django_db
def test_several_tabs_sign_in_at_once(browser):
    first = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    second = browser.login_at_cxone(browser.start(tenant="globex"), GLOBEX_AGENT)
    assert browser.callback(second).status_code == 302
    assert browser.callback(first).status_code == 302
    assert CXoneIdentity.objects.count() == 2


@pytest.mark.django_db
def test_answer_from_another_issuer_is_refused(browser):
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    failed(browser.callback(location + "&iss=https%3A%2F%2Fevil.example"), 400, "issuer_mismatch")
    assert browser.cxone.sim.count("token") == 0


@pytest.mark.django_db
def test_cancel_at_cxone(browser, caplog):
    url = browser.start(tenant="acme")
    with caplog.at_level(logging.WARNING, logger="accounts.signin"):
        response = browser.callback(browser.login_at_cxone(url, AGENT, action="cancel"))
    page = failed(response, 400, "sign_in_cancelled")
    assert "cancelled" in page
    assert nothing_created()
    assert any(getattr(r, "reason", "") == "sign_in_cancelled" for r in caplog.records)


@pytest.mark.django_db
def test_failure_answers_json_to_xhr(browser):
    response = browser.client.get("/oidc/callback/", {"state": "x", "code": "y"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 400
    assert response.json()["reason"] == "state_unknown" and response.json()["login_url"] == "/login/"


# --- code exchange -------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "client_secret_jwt"])
def test_client_authentication_methods(browser, method):
    Environment.objects.update(token_auth_method=method)
    assert browser.sign_in().status_code == 302
    assert browser.cxone.sim.count("token", auth_method=method) == 1


@pytest.mark.django_db
def test_wrong_client_secret_is_a_clear_failure(browser):
    environment = Environment.objects.get()
    environment.client_secret = "wrong"
    environment.save()
    failed(browser.sign_in(), 400, "token_rejected")
    assert nothing_created()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault, status, reason",
    [
        ((400, {"error": "invalid_grant", "error_description": "used"}), 400, "token_rejected"),
        ((500, {"error": "server_error"}), 502, "token_endpoint_error"),
        ((503, b"<html>maintenance</html>"), 502, "token_endpoint_error"),
        ((200, b"not json"), 502, "token_response_invalid"),
        ((200, {"token_type": "Bearer"}), 502, "token_response_invalid"),
    ],
)
def test_token_endpoint_failures(browser, fault, status, reason):
    url = browser.start(tenant="acme")
    location = browser.login_at_cxone(url, AGENT)
    browser.cxone.sim.faults["token"] = fault
    failed(browser.callback(location), status, reason)
    assert nothing_created()


@pytest.mark.django_db
def test_token_endpoint_timeout(browser, settings):
    settings.CXONE_HTTP_TIMEOUT = 0.3
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    browser.cxone.sim.latency = 1.0
    failed(browser.callback(location), 504, "token_endpoint_timeout")


@pytest.mark.django_db
def test_token_endpoint_down(browser):
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    browser.cxone.op.stop()
    failed(browser.callback(location), 502, "token_endpoint_unreachable")


@pytest.mark.django_db
def test_discovery_down_with_no_previous_result(client, cxone):
    Environment.objects.update(openid_configuration=None, discovered_at=None)
    from django.core.cache import cache

    cache.clear()
    cxone.op.stop()
    failed(client.get("/oidc/authenticate/", {"tenant": "acme"}), 502, "discovery_failed")


# --- id_token validation -------------------------------------------------------------------

def shift(**deltas):
    def hook(claims, headers, key):
        now = int(time.time())
        for name, delta in deltas.items():
            if delta is None:
                claims.pop(name, None)
            else:
                claims[name] = now + delta
    return hook


def setting(**values):
    def hook(claims, headers, key):
        for name, value in values.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
    return hook


OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

FORGERIES = {
    "wrong_issuer": (setting(iss="https://cxone.niceincontact.com"), "id_token_iss"),
    "wrong_audience": (setting(aud="someone-else"), "id_token_aud"),
    "several_audiences_without_azp": (setting(aud=[DEMO_CLIENT_ID, "other"]), "id_token_azp"),
    "azp_of_another_client": (setting(azp="other"), "id_token_azp"),
    "expired_beyond_leeway": (shift(exp=-301, iat=-4000), "id_token_expired"),
    "issued_in_the_future": (shift(iat=+600, exp=+4000), "id_token_not_yet_valid"),
    "not_valid_yet": (shift(nbf=+600), "id_token_not_yet_valid"),
    "no_exp": (shift(exp=None), "id_token_claim_missing"),
    "no_iat": (shift(iat=None), "id_token_claim_missing"),
    "no_sub": (setting(sub=None), "id_token_claim_missing"),
    "empty_sub": (setting(sub=""), "id_token_sub"),
    "wrong_nonce": (setting(nonce="replayed"), "id_token_nonce"),
    "no_nonce": (setting(nonce=None), "id_token_nonce"),
    "no_tenant": (setting(tenantId=None), "id_token_tenant_missing"),
    "alg_none": (lambda c, h, k: jwt.encode(c, None, algorithm="none", headers=h), "id_token_alg"),
    "hs256_with_client_secret": (
        lambda c, h, k: jwt.encode(c, DEMO_CLIENT_SECRET, algorithm="HS256", headers=h),
        "id_token_alg",
    ),
    "signed_by_another_key": (lambda c, h, k: jwt.encode(c, OTHER_KEY, algorithm="RS256", headers=h), "id_token_signature"),
    "unknown_kid": (lambda c, h, k: jwt.encode(c, OTHER_KEY, algorithm="RS256", headers={"kid": "rogue"}), "id_token_kid_unknown"),
    "garbage": (lambda c, h, k: "not.a.jwt", "id_token_malformed"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_id_tokens_are_refused(browser, name, caplog):
    hook, reason = FORGERIES[name]
    browser.cxone.sim.id_token_hook = hook
    with caplog.at_level(logging.WARNING, logger="accounts.signin"):
        failed(browser.sign_in(), 400, reason)
    assert nothing_created()
    assert any(getattr(r, "reason", "") == reason for r in caplog.records)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hook",
    [shift(exp=-200, iat=-3800), shift(iat=+200), shift(nbf=+200)],
    ids=["expired_within_leeway", "iat_within_leeway", "nbf_within_leeway"],
)
def test_clock_skew_within_five_minutes_is_accepted(browser, hook):
    browser.cxone.sim.id_token_hook = hook
    assert browser.sign_in().status_code == 302


@pytest.mark.django_db
def test_leeway_follows_the_setting(browser, settings):
    settings.CXONE_CLOCK_SKEW = 10
    browser.cxone.sim.id_token_hook = shift(exp=-200, iat=-3800)
    failed(browser.sign_in(), 400, "id_token_expired")


@pytest.mark.django_db
def test_azp_equal_to_client_and_audience_list_are_accepted(browser):
    browser.cxone.sim.id_token_hook = setting(aud=[DEMO_CLIENT_ID, "api"], azp=DEMO_CLIENT_ID)
    assert browser.sign_in().status_code == 302


@pytest.mark.django_db
def test_large_id_token_is_accepted(browser):
    browser.cxone.sim.id_token_hook = setting(padding="x" * 60000)
    assert browser.sign_in().status_code == 302


@pytest.mark.django_db
def test_token_without_kid_uses_the_single_key(browser):
    browser.cxone.sim.id_token_hook = lambda c, h, k: jwt.encode(c, k, algorithm="RS256")
    assert browser.sign_in().status_code == 302
    browser.cxone.sim.rotate_keys(keep_old=True)  # now two keys: no kid is ambiguous
    from django.core.cache import cache

    cache.clear()
    browser.cxone.sim.id_token_hook = lambda c, h, k: jwt.encode(c, k, algorithm="RS256")
    failed(Browser(Client(), browser.cxone).sign_in(), 400, "id_token_kid_unknown")


@pytest.mark.django_db
def test_key_rotation_refetches_jwks_once(browser, cxone):
    assert browser.sign_in().status_code == 302
    cxone.sim.rotate_keys(keep_old=False)
    cxone.sim.reset_calls()
    assert Browser(Client(), cxone).sign_in(username=SUPERVISOR).status_code == 302
    assert cxone.sim.count("jwks") == 1


@pytest.mark.django_db
def test_unknown_kid_refetch_is_rate_limited(browser, cxone):
    assert browser.sign_in().status_code == 302  # warms the JWKS cache
    cxone.sim.id_token_hook = FORGERIES["unknown_kid"][0]
    cxone.sim.reset_calls()
    for _ in range(5):
        failed(Browser(Client(), cxone).sign_in(), 400, "id_token_kid_unknown")
    assert cxone.sim.count("jwks") == 1


@pytest.mark.django_db
def test_steady_state_sign_in_makes_exactly_one_server_to_server_call(browser, cxone):
    assert browser.sign_in().status_code == 302  # warms the JWKS cache
    for username in (SUPERVISOR, AGENT):
        cxone.sim.reset_calls()
        assert Browser(Client(), cxone).sign_in(username=username).status_code == 302
        server_to_server = [c["endpoint"] for c in cxone.sim.calls if c["endpoint"] not in ("authorize",)]
        assert server_to_server == ["token"]
    assert cxone.sim.count("userinfo") == 0


@pytest.mark.django_db
def test_jwks_down_with_warm_cache(browser, cxone):
    assert browser.sign_in().status_code == 302
    cxone.sim.faults["jwks"] = (503, {"error": "down"})
    assert Browser(Client(), cxone).sign_in(username=SUPERVISOR).status_code == 302


@pytest.mark.django_db
def test_jwks_down_with_cold_cache(browser, cxone):
    cxone.sim.faults["jwks"] = (503, {"error": "down"})
    failed(browser.sign_in(), 502, "jwks_unavailable")


# --- users, roles, session -----------------------------------------------------------------

@pytest.mark.django_db
def test_user_is_keyed_by_issuer_and_sub_and_updated(browser, cxone):
    browser.sign_in()
    sim_user = cxone.sim.find_user(AGENT)[1]
    sim_user.given_name = "Alexandra"
    Browser(Client(), cxone).sign_in()
    identity = CXoneIdentity.objects.get()
    assert User.objects.count() == 1
    assert identity.given_name == "Alexandra" and identity.sub == sim_user.sub
    assert identity.issuer == cxone.op.issuer
    assert identity.cxone_user_id == sim_user.user_id and identity.agent_id == "1001"
    assert identity.business_unit_id == "4601234" and identity.login_name == AGENT


@pytest.mark.django_db
def test_users_are_never_matched_by_email(browser):
    squatter = User.objects.create_user(AGENT, email=AGENT, password="x", is_staff=True)
    browser.sign_in()
    identity = CXoneIdentity.objects.get()
    assert identity.user != squatter and not identity.user.is_staff


@pytest.mark.django_db
def test_role_from_id_token_wins_over_access_token(browser):
    browser.cxone.sim.id_token_hook = setting(role={"legacyId": "Manager"})
    browser.sign_in(username=AGENT)
    identity = CXoneIdentity.objects.get()
    assert identity.cxone_role == "Manager" and identity.portal_role == "Supervisor"


@pytest.mark.django_db
def test_claims_never_grant_staff(browser):
    browser.cxone.sim.id_token_hook = setting(is_staff=True, is_superuser=True, groups=["admin"])
    browser.sign_in(username=ADMIN)
    user = CXoneIdentity.objects.get().user
    assert not user.is_staff and not user.is_superuser and not user.has_usable_password()


@pytest.mark.django_db
def test_session_key_cycles_and_tokens_stay_server_side(browser):
    browser.client.get("/login/")
    url = browser.start(tenant="acme")
    before = browser.client.session.session_key
    response = browser.callback(browser.login_at_cxone(url, AGENT))
    after = browser.client.session.session_key
    assert before and after and before != after
    row = TokenSession.objects.get()
    cookies = " ".join(m.value for m in response.cookies.values()) + response.get("Location", "")
    for token in (row.access_token, row.refresh_token, row.id_token):
        assert token and token not in cookies
        assert token not in json.dumps(dict(browser.client.session.items()))
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token, id_token FROM accounts_tokensession")
        stored = " ".join(cursor.fetchone())
    assert row.refresh_token not in stored and row.access_token not in stored and row.id_token not in stored


@pytest.mark.django_db
def test_no_token_or_code_in_logs(browser, caplog):
    with caplog.at_level(logging.DEBUG):
        location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
        browser.callback(location)
    row = TokenSession.objects.get()
    code = query_of(location)["code"]
    text = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    for secret in (row.access_token, row.refresh_token, row.id_token, code, DEMO_CLIENT_SECRET):
        assert secret not in text


# --- next ----------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("/dashboard/?tab=2", "/dashboard/?tab=2"),
        ("//evil.example/", "/dashboard/"),
        ("https://evil.example/", "/dashboard/"),
        ("/\\evil.example", "/dashboard/"),
        ("javascript:alert(1)", "/dashboard/"),
        ("/ok\r\nSet-Cookie: x=y", "/dashboard/"),
    ],
)
def test_next_accepts_only_same_site_paths(browser, next_url, expected):
    response = browser.sign_in(next=next_url)
    assert response.status_code == 302 and response["Location"] == expected


# --- logout --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_logout_goes_through_end_session(browser, cxone):
    browser.sign_in()
    id_token = TokenSession.objects.get().id_token
    response = browser.client.post("/oidc/logout/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(cxone.op.issuer + "/auth/authorize/logout?")
    q = query_of(location)
    assert q["id_token_hint"] == id_token
    assert q["post_logout_redirect_uri"] == "http://testserver/signed-out/"
    assert len(q["state"]) >= 16
    assert not TokenSession.objects.exists()
    assert browser.client.get("/account/").status_code == 302
    # CXone ends its session and sends the browser back with the state.
    back = browser.http.get(location, allow_redirects=False)
    assert back.status_code == 302 and back.headers["Location"] == f"http://testserver/signed-out/?state={q['state']}"
    page = browser.callback(back.headers["Location"])
    assert page.status_code == 200 and "You are signed out" in page.content.decode()
    assert cxone.sim.live_refresh_tokens() == 0


@pytest.mark.django_db
def test_logout_without_end_session_endpoint(browser, cxone):
    browser.sign_in()
    environment = Environment.objects.get()
    environment.openid_configuration.pop("end_session_endpoint")
    Environment.objects.filter(pk=environment.pk).update(openid_configuration=environment.openid_configuration)
    from django.core.cache import cache

    cache.clear()
    response = browser.client.post("/oidc/logout/")
    assert response.status_code == 302 and response["Location"] == "/signed-out/"


@pytest.mark.django_db
def test_logout_is_post_only_and_csrf_protected(browser, cxone):
    browser.sign_in()
    confirm = browser.client.get("/oidc/logout/")  # a page with a button: GET never signs out
    assert confirm.status_code == 200 and 'data-test="confirm-sign-out"' in confirm.content.decode()
    assert TokenSession.objects.exists()
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = browser.client.cookies
    assert strict.post("/oidc/logout/").status_code == 403
    assert TokenSession.objects.exists()


@pytest.mark.django_db
def test_untrusted_input_cannot_forge_log_lines_or_reason_codes(client, cxone, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.signin"):
        client.get("/oidc/authenticate/", {"tenant": "x\r\nINFO forged line"})
        location = Browser(client, cxone).login_at_cxone(Browser(client, cxone).start(tenant="acme"), AGENT)
        client.get(cxone.environment.redirect_path, {"state": query_of(location)["state"], "error": "made_up_reason"})
    details = [r.detail for r in caplog.records if hasattr(r, "detail")]
    assert all("\n" not in d and "\r" not in d for d in details)
    assert [r.reason for r in caplog.records if hasattr(r, "reason")] == ["tenant_unknown", "provider_error"]
    assert [r.detail for r in caplog.records if hasattr(r, "reason")][1] == "other"


# --- cost of a sign-in, and accounts an admin switches off ---------------------------------

@pytest.mark.django_db
def test_a_steady_state_callback_stays_within_its_query_budget(browser):
    browser.sign_in()  # warms the JWKS cache and creates the user
    other = Browser(Client(), browser.cxone)
    location = other.login_at_cxone(other.start(tenant="acme"), AGENT)
    browser.cxone.sim.reset_calls()
    with CaptureQueriesContext(connection) as queries:
        response = other.callback(location)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) <= 8, "\n".join(statements)
    assert browser.cxone.sim.count() == browser.cxone.sim.count("token") == 1  # the token call, nothing else


@pytest.mark.django_db
def test_starting_a_sign_in_writes_nothing_to_the_database(client, cxone):
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/oidc/authenticate/", {"tenant": "acme"}).status_code == 302
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == [] and "sessionid" not in client.cookies


@pytest.mark.django_db
def test_a_deactivated_user_is_signed_out_at_the_next_request(browser):
    browser.sign_in()
    assert browser.client.get("/account/").status_code == 200
    user = User.objects.get()
    user.is_active = False
    user.save()  # as the admin does: a save, which forgets the signed-in copy in the cache
    response = browser.client.get("/api/session/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 401 and response.json()["reason"] == "user_inactive"
    assert not TokenSession.objects.exists()
    assert browser.client.get("/account/").status_code == 302


# --- reasons no other test produced: a callback's state and code, the library's parts kept ---

def drop_param(location, name):
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(location)
    return f"{parts.path}?{urlencode({k: v for k, v in query_of(location).items() if k != name})}"


@pytest.mark.django_db
def test_a_state_that_expires_while_its_answer_is_read(browser, monkeypatch):
    """The flow was fresh when the cookie was read and is past FLOW_TTL when its state is
    taken (an answer arriving at the boundary): state_expired, and the state is spent."""
    import accounts.flows as flows

    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    real, calls = time.time, []

    def clock():
        calls.append(1)
        return real() + (flows.FLOW_TTL if len(calls) > 1 else 0)

    monkeypatch.setattr(flows, "time", SimpleNamespace(time=clock))
    failed(browser.callback(location), 400, "state_expired")
    monkeypatch.setattr(flows, "time", time)
    failed(browser.callback(location), 400, "state_unknown")
    assert browser.cxone.sim.count("token") == 0 and nothing_created()


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["environment_off", "tenant_deleted"])
def test_an_environment_gone_during_sign_in_ends_it(browser, change):
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    if change == "environment_off":
        Environment.objects.update(is_active=False)
    else:
        Tenant.objects.filter(slug="acme").delete()
    failed(browser.callback(location), 400, "environment_gone")
    assert browser.cxone.sim.count("token") == 0 and nothing_created()


@pytest.mark.django_db
@pytest.mark.parametrize("code", [None, "", "A" * 4097])
def test_an_answer_without_a_usable_code(browser, code):
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    answer = drop_param(location, "code") + ("" if code is None else f"&code={code}")
    failed(browser.callback(answer), 400, "code_missing")
    assert browser.cxone.sim.count("token") == 0 and nothing_created()


@pytest.mark.django_db
def test_an_issuer_that_promises_iss_must_send_it(browser):
    environment = Environment.objects.get()
    environment.openid_configuration["authorization_response_iss_parameter_supported"] = True
    Environment.objects.filter(pk=environment.pk).update(openid_configuration=environment.openid_configuration)
    from django.core.cache import cache

    cache.clear()
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    failed(browser.callback(drop_param(location, "iss")), 400, "issuer_missing")
    assert nothing_created()


@pytest.mark.django_db
def test_the_backend_parks_no_client_credential(browser, monkeypatch):
    """mozilla-django-oidc's authenticate runs; the client is authenticated per environment in
    get_token, so the library's payload carries no secret and the backend holds none."""
    from accounts.backends import CXoneOIDCBackend

    seen = {}
    original = CXoneOIDCBackend.get_token

    def get_token(self, payload):
        seen["payload"], seen["attributes"] = dict(payload), dict(vars(self))
        return original(self, payload)

    monkeypatch.setattr(CXoneOIDCBackend, "get_token", get_token)
    assert browser.sign_in().status_code == 302
    assert seen["payload"]["client_id"] is None and seen["payload"]["client_secret"] is None
    assert seen["payload"]["code_verifier"] and seen["payload"]["grant_type"] == "authorization_code"
    assert not {"OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET"} & set(seen["attributes"])
    assert DEMO_CLIENT_SECRET not in repr(seen["attributes"])


@pytest.mark.django_db
def test_logout_is_the_librarys_post_with_cxones_url_from_its_own_module(browser, settings, monkeypatch):
    from mozilla_django_oidc.views import OIDCLogoutView

    from accounts import oidc_views

    assert settings.OIDC_OP_LOGOUT_URL_METHOD == "accounts.logout.end_session_url"
    assert not settings.OIDC_OP_LOGOUT_URL_METHOD.startswith(oidc_views.__name__ + ".")
    calls = []
    original = OIDCLogoutView.post
    monkeypatch.setattr(OIDCLogoutView, "post", lambda self, request: calls.append(1) or original(self, request))
    browser.sign_in()
    response = browser.client.post("/oidc/logout/")
    assert calls == [1] and response.status_code == 302
    assert response["Location"].startswith(browser.cxone.op.issuer + "/auth/authorize/logout?")


@pytest.mark.django_db
@pytest.mark.parametrize("padding", [9_000, 20_000])
def test_an_end_session_url_too_long_to_redirect_is_posted(browser, padding):
    """Over 8,000 characters (proxies) and over Django's 16,384 (it refuses the redirect):
    the library's logout still runs, and the request goes to CXone as a posted form."""
    import html
    import re

    browser.cxone.sim.id_token_hook = lambda claims, headers, key: claims.update(padding="x" * padding)
    browser.sign_in()
    response = browser.client.post("/oidc/logout/")
    assert response.status_code == 200
    page = response.content.decode()
    form = re.search(r'<form[^>]*data-test="end-session-form"[^>]*>(.*?)</form>', page, re.S)
    action = html.unescape(re.search(r'action="([^"]+)"', form.group(0)).group(1))
    fields = {html.unescape(n): html.unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1))}
    assert action == browser.cxone.environment.end_session_endpoint
    assert set(fields) == {"id_token_hint", "post_logout_redirect_uri", "state"} and len(fields["id_token_hint"]) > padding
    assert not TokenSession.objects.exists() and browser.client.get("/account/").status_code == 302


# --- the session a sign-in opens: the ways its tokens end ----------------------------------
# (reasons no refresh test produced; they sit here until tests/test_refresh.py takes them)

@pytest.mark.django_db
def test_an_expired_session_without_a_refresh_token_ends(browser, caplog):
    from .test_refresh import XHR, age

    browser.sign_in()
    TokenSession.objects.update(refresh_token="")
    age(browser.client, -5)
    with caplog.at_level(logging.INFO, logger="accounts.refresh"):
        answer = browser.client.get("/api/session/", **XHR)
    assert answer.status_code == 401 and answer.json()["reason"] == "no_refresh_token"
    assert not TokenSession.objects.exists() and browser.cxone.sim.count("token", grant_type="refresh_token") == 0


@pytest.mark.django_db
def test_waiting_for_another_requests_refresh_is_bounded(browser, monkeypatch):
    """An expired token whose lease another request holds (and never releases): this request
    waits at most the lease's length, by the clock it is given, then the session ends."""
    from datetime import timedelta

    from django.utils import timezone

    import accounts.refresh as refresh

    from .test_refresh import XHR, age

    browser.sign_in()
    age(browser.client, -5)
    TokenSession.objects.update(lease_until=timezone.now() + timedelta(minutes=5), lease_owner="another-request")
    ticks = iter(range(0, 10_000, 7))  # each look at the clock: 7 s later; sleeping costs nothing
    monkeypatch.setattr(refresh, "time", SimpleNamespace(monotonic=lambda: next(ticks), sleep=lambda seconds: None, time=time.time))
    answer = browser.client.get("/api/session/", **XHR)
    assert answer.status_code == 401
    assert not TokenSession.objects.exists() and browser.cxone.sim.count("token", grant_type="refresh_token") == 0
