"""Issue 18, the second red-team round: client addresses, sessions that really end, and what an
OP or an admin could still break. Every test here fails on the code before its fix; time is
moved by arguments or an injected clock, never slept."""
import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import events, middleware, refresh, roles
from accounts.models import CXoneIdentity, PasswordSession, SignInEvent, TokenSession
from core import clientip
from tenants.models import Tenant

from .conftest import AGENT, SUPERVISOR, Browser, query_of
from .test_signin import failed, nothing_created

User = get_user_model()
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def request_with(remote="10.0.0.2", **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


# --- 1. client addresses ---------------------------------------------------------------------

@pytest.mark.parametrize("header, proxies, meta, expected", [
    ("X-Forwarded-For", 1, {"HTTP_X_FORWARDED_FOR": "198.51.100.66, 203.0.113.7"}, "203.0.113.7"),  # never the leftmost
    ("X-Forwarded-For", 2, {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7, 10.0.0.9"}, "203.0.113.7"),
    ("X-Forwarded-For", 2, {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}, "203.0.113.7"),  # came through one proxy only
    ("X-Forwarded-For", 1, {"HTTP_X_FORWARDED_FOR": "203.0.113.7:51234"}, "203.0.113.7"),  # Azure adds ports
    ("X-Forwarded-For", 1, {"HTTP_X_FORWARDED_FOR": "1.1.1.1, [2001:db8::1]:443"}, "2001:db8::1"),
    ("X-Forwarded-For", 1, {"HTTP_X_FORWARDED_FOR": "1.1.1.1, not-an-address"}, "10.0.0.2"),  # garbage: the proxy
    ("X-Forwarded-For", 1, {}, "10.0.0.2"),
    ("X-Real-IP", 1, {"HTTP_X_REAL_IP": "203.0.113.7"}, "203.0.113.7"),
    ("", 1, {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}, "10.0.0.2"),
    ("REMOTE_ADDR", 1, {"HTTP_X_REAL_IP": "203.0.113.7"}, "10.0.0.2"),
])
def test_the_client_address_is_the_entry_a_trusted_proxy_wrote(settings, header, proxies, meta, expected):
    settings.CLIENT_IP_HEADER, settings.CLIENT_IP_TRUSTED_PROXIES = header, proxies
    assert clientip.client_address(request_with(**meta)) == expected
    from core import ratelimit
    assert ratelimit.client_address is clientip.client_address  # callers of the old name keep working


def test_an_ipv6_client_is_limited_by_its_64():
    assert clientip.rate_key("2001:db8:1:2:aaaa::1") == clientip.rate_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert clientip.rate_key("203.0.113.7") == "203.0.113.7"


@pytest.mark.django_db
def test_forged_forwarded_for_entries_do_not_escape_the_sign_in_limit(cxone, settings):
    settings.CXONE_SIGNIN_RATE_LIMIT, settings.CLIENT_IP_HEADER = "3/m", "X-Forwarded-For"
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    statuses = [proxy.get("/oidc/authenticate/", {"tenant": "acme"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.7").status_code
                for i in range(10)]
    assert statuses == [302] * 3 + [429] * 7
    assert proxy.get("/oidc/authenticate/", {"tenant": "acme"}, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.9").status_code == 302


def admin_login(client, username, password, **extra):
    return client.post("/admin/login/", {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_a_stranger_forging_the_admins_address_cannot_lock_the_admin_out(settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    User.objects.create_superuser("root", password="right-password-123")
    stranger = Client(REMOTE_ADDR="10.0.0.2")
    guesses = [admin_login(stranger, "root", f"guess-{i}", HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.66").status_code
               for i in range(30)]
    assert guesses.count(429) == 30 - settings.AXES_FAILURE_LIMIT + 1  # the stranger's own pair locks at its 5th
    admin = Client(REMOTE_ADDR="10.0.0.2")
    assert admin_login(admin, "root", "right-password-123", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 302


@pytest.mark.django_db
def test_a_stranger_at_the_admins_own_address_cannot_lock_the_admins_browser_out(settings):
    from core.axes import DEVICE_COOKIE

    User.objects.create_superuser("root", password="right-password-123")
    office = "203.0.113.7"
    admin = Client(REMOTE_ADDR=office)
    assert admin_login(admin, "root", "right-password-123").status_code == 302
    assert DEVICE_COOKIE in admin.cookies  # this browser is now a known device of root
    admin.post("/admin/logout/")
    stranger = Client(REMOTE_ADDR=office)
    for i in range(settings.AXES_FAILURE_LIMIT + 5):
        admin_login(stranger, "root", f"guess-{i}")
    assert admin_login(stranger, "root", "right-password-123").status_code == 429  # the unknown browser is locked
    assert admin_login(Client(REMOTE_ADDR=office), "root", "right-password-123").status_code == 429
    assert admin_login(admin, "root", "right-password-123").status_code == 302  # the admin's own is not
    # A device cookie counts its own failures: a stolen one buys only AXES_FAILURE_LIMIT guesses.
    admin.post("/admin/logout/")
    for i in range(settings.AXES_FAILURE_LIMIT):
        admin_login(admin, "root", f"typo-{i}")
    assert admin_login(admin, "root", "right-password-123").status_code == 429
    # A cookie is only good for the username it was issued to, and only as signed.
    stolen = Client(REMOTE_ADDR=office)
    stolen.cookies[DEVICE_COOKIE] = admin.cookies[DEVICE_COOKIE].value + "x"
    assert admin_login(stolen, "root", "right-password-123").status_code == 429


def test_check_deploy_warns_without_a_client_address_header_and_on_a_per_worker_cache(settings, monkeypatch):
    from core.checks import client_addresses_are_known, shared_cache_for_several_workers

    settings.DEBUG, settings.CLIENT_IP_HEADER = False, ""
    assert [m.id for m in client_addresses_are_known(None)] == ["cxone.W002"]
    for value in ("X-Real-IP", "REMOTE_ADDR"):
        settings.CLIENT_IP_HEADER = value
        assert client_addresses_are_known(None) == []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setenv("GUNICORN_WORKERS", "2")
    warning = shared_cache_for_several_workers(None)
    assert [m.id for m in warning] == ["cxone.W003"] and "2 workers" in warning[0].msg
    monkeypatch.setenv("GUNICORN_WORKERS", "1")
    assert shared_cache_for_several_workers(None) == []
    monkeypatch.delenv("GUNICORN_WORKERS")  # gunicorn.conf.py's default: 2 x cores + 1
    assert [m.id for m in shared_cache_for_several_workers(None)] == ["cxone.W003"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    monkeypatch.setenv("GUNICORN_WORKERS", "4")
    assert shared_cache_for_several_workers(None) == []


# --- 2. sign out everywhere ------------------------------------------------------------------

@pytest.mark.django_db
def test_sign_out_everywhere_ends_a_local_admins_sessions_and_counts_them(admin_client):
    victim = User.objects.create_superuser("victim", password="stolen-password-123")
    thief, own = Client(), Client()
    for browser in (thief, own):
        assert admin_login(browser, "victim", "stolen-password-123").status_code == 302
    assert thief.get("/admin/").status_code == 200
    response = admin_client.post("/admin/auth/user/", {"action": "sign_out_everywhere", "_selected_action": [victim.pk]}, follow=True)
    assert "Ended 2 session(s) of 1 user(s)." in response.content.decode()
    assert thief.get("/admin/").status_code == 302 and own.get("/admin/").status_code == 302
    assert admin_client.get("/admin/").status_code == 200  # the admin who ran it is someone else
    assert SignInEvent.objects.filter(reason="signed_out_by_admin", who="victim").count() == 1


@pytest.mark.django_db
def test_sign_out_everywhere_finds_sessions_from_before_the_index(admin_client):
    from accounts.signout import sign_out_everywhere

    victim = User.objects.create_superuser("victim", password="stolen-password-123")
    thief = Client()
    admin_login(thief, "victim", "stolen-password-123")
    PasswordSession.objects.all().delete()  # as a session signed in before the index existed
    assert sign_out_everywhere(User.objects.filter(pk=victim.pk)) == (1, 1)
    assert thief.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_sign_out_everywhere_counts_live_sessions_only(browser):
    from accounts.signout import sign_out_everywhere

    browser.sign_in()
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))  # expired, not yet cleared
    assert sign_out_everywhere(User.objects.all()) == (0, 0)
    assert not TokenSession.objects.exists()


# --- 3. the absolute session limit ----------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """The middleware's clock, moved by the test."""
    class Clock:
        offset = 0.0

        def __call__(self):
            return time.time() + self.offset
    moved = Clock()
    monkeypatch.setattr(middleware, "clock", moved)
    return moved


@pytest.mark.django_db
def test_refreshes_do_not_extend_a_session_past_its_absolute_limit(browser, settings, clock):
    from .test_refresh import age

    settings.SESSION_COOKIE_AGE = 120
    browser.sign_in()
    expiry = browser.client.session.get_expiry_date()
    clock.offset = 100
    age(browser.client, 30)  # the token is due: this request refreshes it, and saves the session
    assert browser.client.get("/api/session/", **XHR).status_code == 200
    assert browser.cxone.sim.count("token", grant_type="refresh_token") == 1
    assert browser.client.session.get_expiry_date() == expiry  # the save did not push the expiry
    clock.offset = 121
    response = browser.client.get("/api/session/", **XHR)
    assert response.status_code == 401 and response.json()["reason"] == "session_expired"
    assert not TokenSession.objects.exists()
    assert browser.client.get("/account/").status_code == 302
    assert SignInEvent.objects.filter(kind="session_ended", reason="session_expired").count() == 1


@pytest.mark.django_db
def test_a_password_session_has_the_same_absolute_limit(admin_client, settings, clock):
    settings.SESSION_COOKIE_AGE = 120
    admin = Client()
    User.objects.create_superuser("root", password="right-password-123")
    admin_login(admin, "root", "right-password-123")
    clock.offset = 119
    assert admin.get("/admin/").status_code == 200
    clock.offset = 120
    assert admin.get("/admin/").status_code == 302


# --- 4. portal roles that follow the tenant and CXone ----------------------------------------

@pytest.fixture
def supervisor(cxone):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    assert browser.client.get("/supervisor/").status_code == 200
    cxone.sim.reset_calls()
    return browser


@pytest.mark.django_db
def test_a_tenants_supervisor_roles_reach_open_sessions_at_their_next_request(supervisor, admin_client):
    tenant = Tenant.objects.get(slug="acme")
    tenant.supervisor_roles = "Administrator"
    tenant.save()
    response = supervisor.client.get("/supervisor/")
    assert response.status_code == 403 and "supervisors" in response.content.decode()
    assert supervisor.client.get("/api/supervisor/agents/", **XHR).json()["reason"] == "not_a_supervisor"
    tenant.supervisor_roles = "Manager,Administrator"
    tenant.save()
    assert supervisor.client.get("/supervisor/").status_code == 200
    assert supervisor.cxone.sim.count("token") == 0  # re-derived from the stored CXone role


@pytest.mark.django_db
def test_a_cxone_403_makes_the_next_request_read_the_role_from_cxone_again(supervisor):
    identity = CXoneIdentity.objects.get(login_name=SUPERVISOR)
    _, sim_user = supervisor.cxone.sim.find_user(SUPERVISOR)
    sim_user.role = "Agent"  # changed in CXone after sign-in
    assert supervisor.client.get("/supervisor/").status_code == 200  # nothing asked CXone yet
    assert roles.reconsider(identity) is True
    assert roles.reconsider(identity) is False  # already pending
    assert supervisor.client.get("/supervisor/").status_code == 403
    assert supervisor.cxone.sim.count("token", grant_type="refresh_token") == 1
    identity.refresh_from_db()
    assert (identity.cxone_role, identity.portal_role, identity.role_recheck) == ("Agent", "Agent", False)
    # A 403 that is not about the role costs one refresh per interval, not one per request.
    assert roles.reconsider(identity) is False
    assert roles.reconsider(identity, now=timezone.now() + timedelta(seconds=roles.ROLE_RECHECK_INTERVAL + 1)) is True


# --- 5. deleting an identity ------------------------------------------------------------------

@pytest.mark.django_db
def test_deleting_an_identity_ends_its_sessions_and_the_person_can_sign_in_again(browser, admin_client):
    browser.sign_in()
    identity = CXoneIdentity.objects.get()
    key = browser.client.session.session_key
    response = admin_client.post(f"/admin/accounts/cxoneidentity/{identity.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TokenSession.objects.exists() and not Session.objects.filter(session_key=key).exists()
    assert not User.objects.filter(username__startswith="cxone-").exists()
    assert browser.client.get("/account/").status_code == 302
    assert browser.sign_in().status_code == 302  # was a 500: the old user held the username
    assert CXoneIdentity.objects.count() == 1


@pytest.mark.django_db
def test_deleting_identities_in_bulk_and_deleting_a_user_still_work(browser, admin_client, cxone):
    Browser(Client(), cxone).sign_in(tenant="globex", username="gus.agent@globex.example")
    browser.sign_in()
    admin_client.post("/admin/accounts/cxoneidentity/", {"action": "delete_selected", "post": "yes",
                                                         "_selected_action": list(CXoneIdentity.objects.values_list("pk", flat=True))})
    assert not CXoneIdentity.objects.exists() and not TokenSession.objects.exists()
    browser.sign_in()
    User.objects.filter(username__startswith="cxone-").delete()
    assert not CXoneIdentity.objects.exists()


# --- 6. claims that are not text ----------------------------------------------------------

HOSTILE_CLAIMS = [
    {"given_name": "\ud800"}, {"name": "\ud800"}, {"sub": "\ud800"}, {"family_name": "x\udfff"},
    {"name": "a\x00b"}, {"sub": "\x00"}, {"given_name": "\x1b[31mred"}, {"family_name": "\u202eevil"},
    {"given_name": "x" * 151}, {"sub": "s" * 256}, {"userId": {"nested": 1}}, {"icAgentId": True},
    {"extra": ["fine", "\ud800"]}, {"\ud800": "key"}, {"role": {"legacyId": "Manager\x00"}},
]


@pytest.mark.django_db
@pytest.mark.parametrize("hostile", HOSTILE_CLAIMS, ids=lambda h: ascii(h)[:40])
def test_claims_that_are_not_text_are_id_token_invalid_never_a_500(browser, hostile):
    browser.cxone.sim.id_token_hook = lambda claims, headers, key: claims.update(hostile)
    browser.client.raise_request_exception = True
    failed(browser.sign_in(), 400, "id_token_invalid")
    assert nothing_created()


@pytest.mark.django_db
def test_hostile_claims_in_a_refreshed_id_token_end_the_session(browser):
    from .test_refresh import age

    browser.sign_in()
    browser.cxone.sim.id_token_hook = lambda claims, headers, key: claims.update(given_name="\ud800")
    age(browser.client, 30)
    response = browser.client.get("/api/session/", **XHR)
    assert response.status_code == 401 and not TokenSession.objects.exists()
    assert SignInEvent.objects.filter(kind="session_ended", reason="id_token_invalid").exists()


def test_the_claim_rules_on_their_own():
    from accounts.oidc.claims import check_claims, clean_role, is_clean
    from accounts.oidc.errors import InvalidIdToken

    check_claims({"sub": "abc", "name": "Zoë Ørsted-李", "given_name": "שרה", "icAgentId": 123, "padding": "x" * 20000})
    with pytest.raises(InvalidIdToken) as caught:
        check_claims({"sub": "abc", "name": "\ud800"})
    assert caught.value.reason == "id_token_invalid" and caught.value.detail == "claim.name is not valid text"
    assert not is_clean("a\u2066b", 10) and is_clean("a\u200db", 10)  # bidi isolate no; zero-width joiner yes
    assert clean_role("Manager") == "Manager" and clean_role("Man\x00ager") == "" and clean_role(["x"]) == ""


# --- 7. anonymous failures cannot grow the event table ---------------------------------------

@pytest.mark.django_db
def test_two_hundred_anonymous_failures_are_a_row_or_two_and_counted_honestly(browser, admin_client):
    started = time.monotonic()
    for _ in range(200):
        state = query_of(browser.start(tenant="acme"))["state"]
        key = browser.cxone.environment.key
        assert browser.client.get(f"/oidc/callback/{key}/", {"error": "access_denied", "state": state}).status_code == 400
    elapsed = time.monotonic() - started
    rows = SignInEvent.objects.filter(kind="sign_in_failed")
    assert rows.count() <= 2 and sum(rows.values_list("count", flat=True)) == 200  # a minute may turn meanwhile
    tenant = Tenant.objects.get(slug="acme")
    assert events.failure_counts(timezone.now() - timedelta(hours=24)) == {tenant.pk: 200}
    page = admin_client.get(f"/admin/tenants/tenant/{tenant.pk}/change/").content.decode()
    assert "failures in the last 24 hours: 200" in page
    print(f"\n200 anonymous failures: {rows.count()} event row(s), {elapsed:.1f} s")


@pytest.mark.django_db
def test_failures_of_one_minute_share_a_row_per_tenant_and_reason(cxone):
    now = timezone.now().replace(second=5)
    acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
    for tenant, reason, seconds in [(acme, "sign_in_cancelled", 0), (acme, "sign_in_cancelled", 50), (acme, "provider_error", 1),
                                    (globex, "sign_in_cancelled", 2), (acme, "sign_in_cancelled", 60)]:
        events.record(events.Kind.SIGN_IN_FAILED, reason=reason, tenant=tenant, now=now + timedelta(seconds=seconds))
    assert SignInEvent.objects.count() == 4
    assert events.failure_counts(now - timedelta(hours=1)) == {acme.pk: 4, globex.pk: 1}
    assert events.failure_counts(now + timedelta(days=2)) == {}
    # Events that name a user stay one row each.
    user = User.objects.create_user("u1")
    for _ in range(3):
        events.record(events.Kind.SIGN_IN_FAILED, reason="user_inactive", user=user, tenant=acme, now=now)
    assert SignInEvent.objects.filter(user=user).count() == 3


# --- 8. 401 storms --------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_cxone_that_refuses_every_token_backs_the_session_off_then_ends_it(supervisor):
    sim = supervisor.cxone.sim
    row = TokenSession.objects.get()
    sim.api.revoked.add(pyjwt.decode(row.access_token, options={"verify_signature": False})["sub"])  # every token
    statuses = []
    for _ in range(12):  # a tab polling the board
        cache.clear()
        statuses.append(supervisor.client.get("/api/supervisor/skills/", **XHR).status_code)
    assert sim.count("token", grant_type="refresh_token") == 1  # was 12: one per poll
    row = TokenSession.objects.get()
    assert row.rejection_rounds == 1 and row.rejected_until > timezone.now() + timedelta(seconds=50)
    assert 500 not in statuses
    # Back-off over: one more refresh; refused again: a second round; the third ends the session.
    when = timezone.now()
    for _ in range(2):
        when += timedelta(seconds=refresh.REJECTION_BACKOFF + 1)
        assert refresh.refresh_after_rejection(row.pk, row.access_token, now=when).status == "refreshed"
        row = TokenSession.objects.get()
        when += timedelta(seconds=5)
        outcome = refresh.refresh_after_rejection(row.pk, row.access_token, now=when)
    assert outcome.ended and outcome.reason == "api_unauthorized"
    assert sim.count("token", grant_type="refresh_token") == 3 and not TokenSession.objects.exists()
    cache.clear()
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 401
    assert SignInEvent.objects.filter(kind="session_ended", reason="api_unauthorized").count() == 1


@pytest.mark.django_db
def test_a_single_revoked_token_is_still_refreshed_and_an_old_storm_is_forgotten(supervisor):
    row = TokenSession.objects.get()
    now = timezone.now()
    TokenSession.objects.filter(pk=row.pk).update(rejection_rounds=2, rejection_refreshed_at=now - timedelta(hours=1))
    outcome = refresh.refresh_after_rejection(row.pk, row.access_token, now=now)
    assert outcome.status == "refreshed" and outcome.row.access_token != row.access_token
    row = TokenSession.objects.get()
    assert row.rejection_rounds == 0 and row.rejection_refreshed_at == now


# --- the same, as deployed: gunicorn on SQLite, or on PostgreSQL + Redis -----------------------

@pytest.mark.subprocess
def test_under_gunicorn_addresses_lockouts_claims_and_events(tmp_path, op):
    """Forged X-Forwarded-For entries, a stranger at the admin's address, hostile claims (NUL on
    PostgreSQL) and 200 anonymous failures, against gunicorn (two workers on a shared cache)."""
    import re

    import requests

    from . import procs
    from .live import LiveBrowser

    workers = 2 if procs.using_redis() else 1  # a local-memory cache is per worker (cxone.W003)
    deployed = procs.Deployment(tmp_path, op, CLIENT_IP_HEADER="X-Forwarded-For", CXONE_SIGNIN_RATE_LIMIT="5/m")
    try:
        portal = deployed.gunicorn(workers=workers, threads=4)
        # 1. The sign-in limit counts the address the proxy appended, whatever the client wrote.
        starts = [requests.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False,
                               headers={"X-Forwarded-For": f"192.0.2.{i}, 203.0.113.7"}).status_code for i in range(12)]
        assert starts == [302] * 5 + [429] * 7, starts

        # 2. A stranger forging the admin's address, then one at the admin's own address.
        done = procs.manage(deployed.env, "shell", "--no-imports", "-c", "from django.contrib.auth.models import User; "
                            "User.objects.create_superuser('root', password='right-password-123')")
        assert done.returncode == 0, done.stderr

        def login(http, password, address):
            form = http.get(portal.url + "/admin/login/", headers={"X-Forwarded-For": address})
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
            return http.post(portal.url + "/admin/login/", allow_redirects=False,
                             data={"username": "root", "password": password, "csrfmiddlewaretoken": token},
                             headers={"X-Forwarded-For": address, "Referer": portal.url + "/admin/login/"}).status_code

        stranger = requests.Session()
        forged = [login(stranger, f"guess-{i}", "203.0.113.7, 198.51.100.66") for i in range(30)]
        assert forged.count(429) == 26, forged  # the stranger's own pair locks at its 5th failure
        admin = requests.Session()
        assert login(admin, "right-password-123", "203.0.113.7") == 302
        neighbour = requests.Session()
        assert [login(neighbour, f"guess-{i}", "203.0.113.7") for i in range(8)][-1] == 429
        admin.cookies.pop("sessionid")
        assert login(admin, "right-password-123", "203.0.113.7") == 302  # the known browser gets in

        # 3. Claims that are not text: a readable 400 on SQLite and PostgreSQL, never a 500.
        for hostile in ({"given_name": "\ud800"}, {"name": "a\x00b"}, {"sub": "\x00"}):
            op.simulator.id_token_hook = lambda claims, headers, key, hostile=hostile: claims.update(hostile)
            browser = LiveBrowser(portal.url, op)
            start = browser.http.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False,
                                     headers={"X-Forwarded-For": "198.51.100.1"})
            from simulator.browser import answer_authorize
            answer = browser.http.get(answer_authorize(start.headers["Location"], AGENT, http=browser.http), allow_redirects=False)
            assert answer.status_code == 400 and 'data-test="reason">id_token_invalid<' in answer.text, answer.status_code
        op.simulator.id_token_hook = None

        # 4. 200 anonymous failures: one or two rows.
        for i in range(200):
            http = requests.Session()
            start = http.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False,
                             headers={"X-Forwarded-For": f"198.51.100.{i % 250}"})
            asked = query_of(start.headers["Location"])
            assert http.get(asked["redirect_uri"], params={"error": "access_denied", "state": asked["state"]},
                            allow_redirects=False).status_code == 400
        counted = procs.manage(deployed.env, "shell", "--no-imports", "-c", "from accounts.models import SignInEvent as E; "
                               "r = E.objects.filter(kind='sign_in_failed'); print(r.count(), sum(r.values_list('count', flat=True)))")
        rows, total = map(int, counted.stdout.split()[-2:])
        assert rows <= 3 and total == 203, counted.stdout  # 200 cancels and the 3 hostile claims
        print(f"\ngunicorn ({workers} worker(s)): forged starts {starts.count(302)}/12 passed; forged guesses locked after "
              f"{forged.index(429)}; 200 anonymous failures -> {rows} row(s)")
    finally:
        logs = deployed.close()
    assert '"status":500' not in "".join(logs)
