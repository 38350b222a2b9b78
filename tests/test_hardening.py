"""Issue 10: what an attacker and a hostile OpenID Provider found, each fixed at its root.
Every test here failed before its fix."""
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import CXoneIdentity, TokenSession
from simulator.server import RunningSimulator
from tenants import discovery
from tenants.models import Environment, Tenant

from .conftest import AGENT, Browser, query_of
from .test_signin import failed, nothing_created

User = get_user_model()


# --- mix-up (RFC 9207, RFC 9700 4.4) --------------------------------------------------------

@pytest.fixture
def two_environments(cxone):
    """The honest simulator, and a second OP registered as another environment (an attacker's)."""
    attacker = RunningSimulator()
    environment = Environment.objects.create(name="Other", issuer=attacker.issuer, client_id="cxone-portal-demo",
                                             client_secret="demo-client-secret-for-the-simulator-only")
    discovery.refresh(environment, keep_stale=False)
    yield cxone, attacker, environment
    attacker.stop()


@pytest.mark.django_db
def test_each_environment_has_its_own_redirect_uri(two_environments):
    cxone, attacker, other = two_environments
    browser = Browser(Client(), cxone)
    honest = query_of(browser.start(tenant="acme"))["redirect_uri"]
    hostile = query_of(browser.start(environment=str(other.pk)))["redirect_uri"]
    assert urlsplit(honest).path == f"/oidc/callback/{cxone.environment.key}/"
    assert urlsplit(hostile).path == f"/oidc/callback/{other.key}/" and honest != hostile


@pytest.mark.django_db
def test_an_answer_is_refused_at_another_environments_callback(two_environments):
    """The attack: a sign-in started at the attacker's environment is bounced to the honest OP;
    its code comes back to the honest OP's redirect URI, never to the attacker's flow."""
    cxone, attacker, other = two_environments
    browser = Browser(Client(), cxone)
    hostile_state = query_of(browser.start(environment=str(other.pk)))["state"]
    honest_answer = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    code = query_of(honest_answer)["code"]
    forged = f"/oidc/callback/{cxone.environment.key}/?code={code}&state={hostile_state}"
    failed(browser.client.get(forged), 400, "callback_mismatch")
    assert attacker.simulator.count("token") == 0 and cxone.sim.count("token") == 0
    assert nothing_created()


@pytest.mark.django_db
def test_the_bare_callback_accepts_no_sign_in(browser):
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    failed(browser.client.get("/oidc/callback/?" + location.split("?", 1)[1]), 400, "callback_mismatch")


@pytest.mark.django_db
def test_iss_is_required_when_discovery_advertises_it(browser):
    browser.cxone.environment.openid_configuration["authorization_response_iss_parameter_supported"] = True
    browser.cxone.environment.save()
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    failed(browser.callback(location), 400, "issuer_missing")
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    from urllib.parse import quote
    assert browser.callback(location + "&iss=" + quote(browser.cxone.op.issuer, safe="")).status_code == 302


@pytest.mark.django_db
def test_reauth_sends_the_id_token_only_to_its_own_environment(two_environments):
    cxone, attacker, other = two_environments
    browser = Browser(Client(), cxone)
    browser.sign_in()
    assert "id_token_hint" in query_of(browser.start(tenant="acme", reauth="1"))
    assert "id_token_hint" not in query_of(browser.start(environment=str(other.pk), reauth="1"))


@pytest.mark.django_db
def test_max_age_requires_a_recent_auth_time(browser):
    browser.cxone.sim.id_token_hook = lambda claims, headers, key: claims.pop("auth_time", None)
    failed(browser.callback(browser.login_at_cxone(browser.start(tenant="acme", max_age="60"), AGENT)), 400, "id_token_auth_time")
    browser.cxone.sim.id_token_hook = lambda claims, headers, key: claims.update(auth_time=int(time.time()) - 1000)
    failed(browser.callback(browser.login_at_cxone(browser.start(tenant="acme", max_age="60"), AGENT)), 400, "id_token_auth_time")
    browser.cxone.sim.id_token_hook = None
    assert browser.callback(browser.login_at_cxone(browser.start(tenant="acme", max_age="60"), AGENT)).status_code == 302


# --- sessions that outlive a decision to end them ---------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("switch_off", ["user", "tenant", "environment"])
def test_deactivating_ends_sessions_at_the_next_request_and_deletes_refresh_tokens(browser, switch_off):
    browser.sign_in()
    assert TokenSession.objects.count() == 1
    target = {"user": lambda: User.objects.get(), "tenant": lambda: Tenant.objects.get(slug="acme"),
              "environment": lambda: Environment.objects.get()}[switch_off]()
    target.is_active = False
    target.save()
    assert not TokenSession.objects.exists()  # no refresh token outlives the decision
    xhr = browser.client.get("/api/session/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert xhr.status_code == 401
    assert browser.client.get("/account/").status_code == 302
    assert browser.cxone.sim.count("token", grant_type="refresh_token") == 0


@pytest.mark.django_db
def test_deleting_a_used_tenant_removes_its_identities_users_and_sessions(browser):
    browser.sign_in()
    Tenant.objects.get(slug="acme").delete()
    assert not (CXoneIdentity.objects.exists() or User.objects.exists() or TokenSession.objects.exists())
    assert browser.client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_signing_in_again_replaces_the_token_row(browser):
    browser.sign_in()
    first = TokenSession.objects.get()
    browser.sign_in(tenant="globex", username="gus.agent@globex.example")
    assert list(TokenSession.objects.all()) != [first] and TokenSession.objects.count() == 1
    browser.sign_in()
    assert TokenSession.objects.count() == 1


# --- unbounded input from an OpenID Provider ------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("expires_in", ["Infinity", "1e308", "1000000000000", "1000000000", "-5", '"3600"', "0", "true", "null"])
def test_a_refresh_with_an_absurd_expires_in_is_refused_and_releases_its_lease(browser, expires_in, settings, monkeypatch):
    from types import SimpleNamespace

    from accounts import refresh

    from .test_refresh import XHR, age

    settings.CXONE_MIN_TOKEN_LIFETIME = 60
    browser.sign_in()
    sim = browser.cxone.sim
    sim.body_hooks["token"] = lambda body: body.replace(b'"expires_in": ', b'"expires_in": ' + expires_in.encode() + b', "x": ', 1)
    age(browser.client, 30)
    waits = []  # the refresh's waits for a lease: none, it answers at once
    monkeypatch.setattr(refresh, "time", SimpleNamespace(**{**vars(time), "sleep": waits.append}))
    response = browser.client.get("/api/session/", **XHR)
    assert response.status_code == 200  # the token is still valid: the portal keeps it
    row = TokenSession.objects.get()
    assert row.lease_owner == "" and row.lease_until is None and row.failures == 1
    assert waits == []
    assert sim.count("token", grant_type="refresh_token") == 1


NESTED = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["openid-configuration", "cxone-configuration"])
def test_refresh_discovery_all_reports_a_nested_document_without_a_traceback(cxone, endpoint, capsys):
    from django.core.management import CommandError, call_command

    cxone.sim.body_hooks[endpoint] = lambda body: b'{"issuer": ' + NESTED + b"}"
    with pytest.raises(CommandError, match="discovery call"):
        call_command("refresh_discovery", "--all")
    err = capsys.readouterr().err
    assert "discovery_bad_json" in err and "Traceback" not in err


@pytest.mark.django_db
@pytest.mark.parametrize("name, url", [
    ("token_endpoint", "https://evil.example/token"),
    ("jwks_uri", "http://10.0.0.1/jwks"),
    ("end_session_endpoint", "http://127.0.0.2/logout"),
    ("userinfo_endpoint", 42),
])
def test_discovered_endpoints_must_be_on_the_issuers_site(op, name, url):
    from tenants.discovery import DiscoveryError, fetch_openid_configuration

    op.simulator.discovery_overrides = {name: url}
    with pytest.raises(DiscoveryError) as caught:
        fetch_openid_configuration(op.issuer)
    assert caught.value.reason in ("discovery_foreign_endpoint", "discovery_bad_url", "discovery_insecure_url")


def test_the_issuers_parent_domain_and_allowed_domains(settings):
    from tenants.discovery import DiscoveryError, check_endpoint

    issuer = "https://cxone.niceincontact.com"
    for ok in ("https://cxone.niceincontact.com/auth/token", "https://api-na1.niceincontact.com", "https://niceincontact.com/x"):
        check_endpoint(issuer, ok, "endpoint")
    for bad in ("https://niceincontact.com.evil.example/x", "https://evilniceincontact.com/x", "https://10.1.2.3/x"):
        with pytest.raises(DiscoveryError):
            check_endpoint(issuer, bad, "endpoint")
    settings.CXONE_ALLOWED_ENDPOINT_DOMAINS = ["nice-incontact.com"]
    check_endpoint(issuer, "https://api-na1.nice-incontact.com", "endpoint")


@pytest.mark.django_db
def test_a_tenant_whose_api_endpoint_is_elsewhere_is_refused(op):
    from tenants.discovery import DiscoveryError, fetch_cxone_configuration

    op.simulator.body_hooks["cxone-configuration"] = lambda body: body.replace(op.issuer.encode(), b"https://evil.example")
    with pytest.raises(DiscoveryError) as caught:
        fetch_cxone_configuration(op.issuer, "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10")
    assert caught.value.reason == "discovery_foreign_endpoint"


@pytest.mark.django_db
def test_a_huge_token_response_at_sign_in_is_a_readable_502(browser):
    def huge(body):
        yield b'{"access_token": "'
        for _ in range(300):
            yield b"A" * (1 << 20)
        yield b'"}'
    browser.cxone.sim.body_hooks["token"] = huge
    failed(browser.sign_in(), 502, "token_response_invalid")
    assert nothing_created()


@pytest.mark.django_db
def test_a_large_id_token_still_reaches_end_session_by_a_posted_form(browser):
    import html
    import re

    browser.cxone.sim.id_token_hook = lambda claims, headers, key: claims.update(padding="x" * 20_000)
    browser.sign_in()
    response = browser.client.post("/oidc/logout/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-autosubmit' in page and "/static/js/autosubmit.js" in page and "<script>" not in page
    form = re.search(r'<form[^>]*action="([^"]+)"[^>]*data-test="end-session-form">(.*?)</form>', page, re.S)  # not the language switch
    action = html.unescape(form.group(1))
    fields = {html.unescape(n): html.unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2))}
    assert action == browser.cxone.environment.end_session_endpoint
    assert len(fields["id_token_hint"]) > 20_000 and fields["post_logout_redirect_uri"].endswith("/signed-out/")
    answer = browser.http.post(action, data=fields, allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("http://testserver/signed-out/?state=")
    assert browser.cxone.sim.count("logout", hint_valid=True) == 1
    assert browser.client.get("/account/").status_code == 302


# --- bad input from anonymous visitors -------------------------------------------------------

@pytest.mark.django_db
def test_sign_in_starts_are_rate_limited_per_address_with_a_readable_429(cxone, settings):
    settings.CXONE_SIGNIN_RATE_LIMIT = "3/m"
    office, elsewhere = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.9")
    assert [office.get("/oidc/authenticate/", {"tenant": "acme"}).status_code for _ in range(3)] == [302] * 3
    limited = office.get("/oidc/authenticate/", {"tenant": "acme"})
    failed(limited, 429, "sign_in_rate_limited")
    assert 0 < int(limited["Retry-After"]) <= 60
    assert elsewhere.get("/oidc/authenticate/", {"tenant": "acme"}).status_code == 302
    xhr = office.get("/oidc/authenticate/", {"tenant": "acme"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert xhr.status_code == 429 and xhr.json()["reason"] == "sign_in_rate_limited"


@pytest.mark.django_db
def test_a_morning_shift_behind_one_nat_address_never_meets_the_default_limit(cxone):
    shift = Client(REMOTE_ADDR="203.0.113.7")
    assert all(shift.get("/oidc/authenticate/", {"tenant": "acme"}).status_code == 302 for _ in range(400))


@pytest.mark.django_db
def test_the_proxy_header_names_the_client_when_configured(cxone, settings):
    settings.CXONE_SIGNIN_RATE_LIMIT, settings.CLIENT_IP_HEADER = "1/m", "X-Real-IP"
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    assert proxy.get("/oidc/authenticate/", {"tenant": "acme"}, HTTP_X_REAL_IP="203.0.113.7").status_code == 302
    assert proxy.get("/oidc/authenticate/", {"tenant": "acme"}, HTTP_X_REAL_IP="198.51.100.9").status_code == 302
    assert proxy.get("/oidc/authenticate/", {"tenant": "acme"}, HTTP_X_REAL_IP="203.0.113.7").status_code == 429


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"environment": "²"}, {"environment": "-1"}, {"environment": "9" * 30},
                                    {"tenant": "acme", "max_age": "²"}, {"tenant": "acme", "max_age": "1e3"}])
def test_unicode_digits_and_junk_numbers_are_a_clear_400(cxone, client, params):
    failed(client.get("/oidc/authenticate/", params), 400, "bad_parameter")


@pytest.mark.django_db
def test_admin_login_locks_a_username_at_one_address_logs_every_failure_and_unlocks(settings, caplog):
    import logging

    from django.core.management import call_command

    User.objects.create_superuser("root", password="right-password-123")
    office, colleague = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.7")
    with caplog.at_level(logging.INFO):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            office.post("/admin/login/", {"username": "root", "password": "wrong-password"})
        locked = office.post("/admin/login/", {"username": "root", "password": "right-password-123"})
    assert locked.status_code == 429 and "locked" in locked.content.decode()
    failures = [r for r in caplog.records if getattr(r, "event", "") == "admin_sign_in" and r.username == "root"]
    assert len(failures) >= settings.AXES_FAILURE_LIMIT
    assert not any("wrong-password" in r.getMessage() or "right-password" in r.getMessage() for r in caplog.records)
    # Another admin at the same office address is not locked out.
    User.objects.create_superuser("other", password="other-password-123")
    assert colleague.post("/admin/login/", {"username": "other", "password": "other-password-123"}).status_code == 302
    call_command("axes_reset_ip_username", "203.0.113.7", "root")
    assert office.post("/admin/login/", {"username": "root", "password": "right-password-123"}).status_code == 302


@pytest.mark.django_db
def test_cxone_sign_in_is_not_subject_to_the_admin_lockout(browser, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        browser.client.get("/oidc/callback/", {"code": "x", "state": "forged"})
    assert browser.sign_in().status_code == 302


@pytest.mark.django_db
def test_the_sign_in_page_never_shows_an_issuer_or_client_id(cxone, client):
    Environment.objects.create(issuer="https://cxone-gov.niceincontact.com", client_id="secret-client-id-42", client_secret="y")
    page = client.get("/login/").content.decode()
    assert "secret-client-id-42" not in page and "cxone-gov.niceincontact.com" not in page
    assert "Simulator" in page and "CXone environment 1" in page


@pytest.mark.django_db
def test_a_wrong_encryption_key_leaves_the_public_pages_working(browser, settings):
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    assert browser.client.get("/login/").status_code == 200
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    failed(browser.callback(location), 503, "encryption_key_mismatch")
    assert browser.client.get("/oidc/authenticate/", {"environment": str(browser.cxone.environment.pk)}).status_code == 302


# --- DEBUG mode and the simulator ---------------------------------------------------------

@pytest.mark.django_db
def test_the_debug_error_page_masks_secrets_and_tokens(browser, settings, monkeypatch):

    from django.test import RequestFactory
    from django.views.debug import ExceptionReporter

    from accounts import tokenstore
    from simulator.demo import DEMO_CLIENT_SECRET

    settings.DEBUG = True

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(tokenstore, "start", broken)
    location = browser.login_at_cxone(browser.start(tenant="acme"), AGENT)
    browser.client.raise_request_exception = True
    with pytest.raises(RuntimeError) as caught:
        browser.callback(location)
    refresh_tokens = list(browser.cxone.sim._refresh_tokens)
    assert refresh_tokens
    html = ExceptionReporter(RequestFactory().get("/oidc/callback/1/"), RuntimeError, caught.value, caught.tb).get_traceback_html()
    assert "boom" in html and "login_success" in html  # the frames are there
    for secret in [DEMO_CLIENT_SECRET, *refresh_tokens]:
        assert secret not in html, secret
    import re
    assert not re.search(r"eyJ[\w-]{8,}\.[\w-]{8,}", html)  # no JWT: access, id or client assertion
    assert "FIELD_ENCRYPTION_KEY" in html and settings.FIELD_ENCRYPTION_KEY[0] not in html


@pytest.mark.django_db
def test_the_mounted_simulator_sends_codes_only_to_registered_redirect_uris(settings):
    from django.test import RequestFactory

    from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    from simulator.mount import mount

    settings.CXONE_SIMULATOR_ISSUER = "http://testserver/cxone-sim"
    environment = Environment.objects.create(issuer=settings.CXONE_SIMULATOR_ISSUER, client_id=DEMO_CLIENT_ID,
                                             client_secret=DEMO_CLIENT_SECRET)
    app = mount(lambda environ, start_response: [b"portal"])

    def authorize(redirect_uri):
        params = {"client_id": DEMO_CLIENT_ID, "redirect_uri": redirect_uri, "response_type": "code",
                  "scope": "openid", "state": "s", "username": AGENT}
        from urllib.parse import urlencode
        request = RequestFactory().post("/cxone-sim/auth/authorize", urlencode(params),
                                        content_type="application/x-www-form-urlencoded")
        seen = {}
        body = b"".join(app(request.environ, lambda status, headers: seen.update(status=status, headers=dict(headers))))
        return seen["status"], seen["headers"].get("Location", ""), body

    for evil in ("https://evil.example/steal", "http://testserver/oidc/callback/", "http://testserver/oidc/callback/other/"):
        assert authorize(evil)[0].startswith("400"), evil
    status, location, _ = authorize(f"http://testserver/oidc/callback/{environment.key}/")
    assert status.startswith("302") and "code=" in location


def test_a_public_encryption_key_is_refused_without_debug_and_named_with_it(settings):
    from core.checks import encryption_key_is_not_public

    settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY = [], settings.DEV_SECRET_KEY
    settings.DEBUG = True
    assert [m.id for m in encryption_key_is_not_public(None)] == ["cxone.W001"]
    settings.DEBUG = False
    assert [m.id for m in encryption_key_is_not_public(None)] == ["cxone.E002"]
    from django.core.exceptions import ImproperlyConfigured

    from core import crypto
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("client secret")
    settings.FIELD_ENCRYPTION_KEY = ["5yJf3H6mYlq2Lw8cS1kq0rHq7Zb4y6vU8n0tQ2pXw9E="]
    assert encryption_key_is_not_public(None) == []


@pytest.mark.django_db
def test_the_admin_and_register_tenant_show_each_environments_redirect_uris(admin_client, cxone, op, capsys):
    from django.core.management import call_command

    from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    pk, key = cxone.environment.pk, cxone.environment.key
    page = admin_client.get(f"/admin/tenants/environment/{pk}/change/").content.decode()
    assert f"http://testserver/oidc/callback/{key}/" in page and "http://testserver/signed-out/" in page
    call_command("register_tenant", "--issuer", op.issuer, "--client-id", DEMO_CLIENT_ID, "--client-secret", DEMO_CLIENT_SECRET,
                 "--tenant-id", "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10", "--name", "Acme Support", "--slug", "acme",
                 "--portal-url", "https://portal.example.com")
    out = capsys.readouterr().out
    assert f"https://portal.example.com/oidc/callback/{key}/" in out and "https://portal.example.com/signed-out/" in out
