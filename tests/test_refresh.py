"""The refresh middleware against the simulator: silent, single-flight, failure-safe."""
import time
from datetime import timedelta

import pytest
from core.sessions import SessionStore  # the engine the portal runs (it forgets the cached copy)
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import refresh, tokenstore
from accounts.models import TokenSession

from .conftest import register
from .live import LiveBrowser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def age(client, seconds_left):
    """Move the session's access token to `seconds_left` before expiry (negative: expired)."""
    key = client.session.session_key
    expires = timezone.now() + timedelta(seconds=seconds_left)
    TokenSession.objects.filter(session_key=key).update(expires_at=expires)
    store = SessionStore(key)
    store[tokenstore.EXPIRES_KEY] = expires.timestamp()
    store.save()


def refreshes(sim):
    return sim.count("token", grant_type="refresh_token")


@pytest.fixture
def signed_in(browser):
    assert browser.sign_in().status_code == 302
    browser.cxone.sim.reset_calls()
    return browser


def test_margin_is_the_setting_but_never_over_half_the_lifetime(settings):
    settings.CXONE_REFRESH_MARGIN = 300
    assert refresh.margin(3600) == 300
    assert refresh.margin(400) == 200
    settings.CXONE_REFRESH_MARGIN = 120
    assert refresh.margin(3600) == 120
    assert refresh.is_due(1000, 3600, now=880) and not refresh.is_due(1000, 3600, now=879)


@pytest.mark.django_db
def test_fresh_token_costs_no_query_write_or_call(signed_in):
    with CaptureQueriesContext(connection) as queries:
        assert signed_in.client.get("/signed-out/").status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "accounts_tokensession" not in sql
    assert not any(q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for q in queries.captured_queries)
    assert signed_in.cxone.sim.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, path, extra",
    [("get", "/account/", {}), ("post", "/api/session/", {}), ("get", "/api/session/", XHR)],
    ids=["GET", "POST", "XHR"],
)
def test_refresh_before_expiry_on_any_request(signed_in, method, path, extra):
    sim = signed_in.cxone.sim
    age(signed_in.client, 60)
    before = TokenSession.objects.get()
    response = getattr(signed_in.client, method)(path, **extra)
    assert response.status_code == 200
    assert refreshes(sim) == 1
    after = TokenSession.objects.get()
    assert after.refresh_count == 1 and after.refreshed_at is not None
    assert after.expires_at > before.expires_at
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # rotated, and the new one kept
    assert after.lease_owner == "" and after.lease_until is None
    # Fresh again: the next request makes no call.
    getattr(signed_in.client, method)(path, **extra)
    assert refreshes(sim) == 1


@pytest.mark.django_db
def test_refresh_uses_the_environments_client_authentication(signed_in):
    signed_in.cxone.environment.token_auth_method = "client_secret_jwt"
    signed_in.cxone.environment.save()
    age(signed_in.client, 60)
    signed_in.client.get("/account/")
    assert signed_in.cxone.sim.count("token", grant_type="refresh_token", auth_method="client_secret_jwt") == 1


@pytest.mark.django_db
def test_several_refreshes_chain_with_rotation(signed_in):
    sim = signed_in.cxone.sim
    seen = set()
    for n in range(1, 4):
        age(signed_in.client, 30)
        assert signed_in.client.get("/account/").status_code == 200
        row = TokenSession.objects.get()
        assert row.refresh_count == n
        seen.add(row.refresh_token)
    assert len(seen) == 3 and refreshes(sim) == 3
    assert sim.live_refresh_tokens() == 1  # each spent one is dead at the OP


@pytest.mark.django_db
def test_old_refresh_token_kept_when_none_comes_back(signed_in):
    signed_in.cxone.sim.rotate_refresh_tokens = False
    old = TokenSession.objects.get().refresh_token
    age(signed_in.client, 30)
    signed_in.client.get("/account/")
    row = TokenSession.objects.get()
    assert row.refresh_count == 1 and row.refresh_token == old


@pytest.mark.django_db
@pytest.mark.parametrize("error", ["invalid_grant", "invalid_client"])
def test_terminal_errors_end_the_session_cleanly(signed_in, error):
    signed_in.cxone.sim.faults["token"] = (400 if error == "invalid_grant" else 401, {"error": error})
    age(signed_in.client, 60)
    response = signed_in.client.get("/account/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=%2Faccount%2F"
    assert not TokenSession.objects.exists()
    page = signed_in.client.get(response["Location"]).content.decode()
    assert "Your CXone session ended" in page
    assert signed_in.client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_terminal_error_answers_xhr_with_401_json(signed_in):
    signed_in.cxone.sim.faults["token"] = (400, {"error": "invalid_grant"})
    age(signed_in.client, 60)
    response = signed_in.client.post("/api/session/", **XHR)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"reason", "message", "login_url"} and body["reason"] == "cxone_session_ended"
    assert body["login_url"] == "/login/"


@pytest.mark.django_db
@pytest.mark.parametrize("fault", [(503, {"error": "temporarily_unavailable"}), (500, b"oops")])
def test_op_failure_keeps_the_session_until_expiry(signed_in, fault):
    sim = signed_in.cxone.sim
    sim.faults["token"] = fault
    age(signed_in.client, 60)
    assert signed_in.client.get("/account/").status_code == 200
    row = TokenSession.objects.get()
    assert row.failures == 1 and row.retry_at > timezone.now() and row.lease_owner == ""
    # Backoff: the next requests do not hammer CXone.
    for _ in range(3):
        assert signed_in.client.get("/api/session/", **XHR).status_code == 200
    assert refreshes(sim) == 1
    # After the backoff, CXone is back: the refresh goes through.
    sim.faults.clear()
    TokenSession.objects.update(retry_at=timezone.now() - timedelta(seconds=1))
    assert signed_in.client.get("/account/").status_code == 200
    row = TokenSession.objects.get()
    assert row.refresh_count == 1 and row.failures == 0 and refreshes(sim) == 2


@pytest.mark.django_db
def test_op_down_signs_out_once_the_token_expired(signed_in):
    signed_in.cxone.op.stop()
    age(signed_in.client, 60)
    assert signed_in.client.get("/account/").status_code == 200
    TokenSession.objects.update(retry_at=None)
    age(signed_in.client, -1)
    response = signed_in.client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not TokenSession.objects.exists()


@pytest.mark.django_db
def test_timeout_counts_as_transient(signed_in, settings):
    settings.CXONE_HTTP_TIMEOUT = 0.3
    signed_in.cxone.sim.latency = 1.0
    age(signed_in.client, 60)
    assert signed_in.client.get("/account/").status_code == 200
    assert TokenSession.objects.get().failures == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "claims, reason",
    [({"sub": "user:someone-else"}, ("refreshed_id_token_mismatch", "sub")),
     ({"tenantId": "2f4b6d8e-0a1c-4e3f-8b5d-7c9e1a3b5d20"}, ("refreshed_id_token_mismatch", "tenantId")),
     ({"aud": "another-client"}, ("id_token_aud", "InvalidAudienceError")),
     ({"iss": "https://cxone.niceincontact.com"}, ("id_token_iss", "InvalidIssuerError"))],
)
def test_refreshed_id_token_must_match(signed_in, claims, reason, caplog):
    signed_in.cxone.sim.id_token_hook = lambda c, h, k: c.update(claims)
    age(signed_in.client, 60)
    response = signed_in.client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not TokenSession.objects.exists()
    assert any((getattr(r, "reason", ""), getattr(r, "detail", "")) == reason for r in caplog.records)


@pytest.mark.django_db
def test_local_admin_sessions_are_left_alone(admin_client, cxone):
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get("/admin/").status_code == 200
    assert "accounts_tokensession" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert cxone.sim.count() == 0


@pytest.mark.django_db
def test_dashboard_shows_expiry_and_last_refresh(signed_in):
    page = signed_in.client.get("/account/").content.decode()
    assert 'data-test="expires-at"' in page and 'data-test="refreshed-at">not yet<' in page
    age(signed_in.client, 30)
    page = signed_in.client.get("/account/").content.decode()
    row = TokenSession.objects.get()
    from django.utils.dateformat import format as date_format  # times are shown in the user's zone; the markup keeps UTC
    assert f'datetime="{date_format(row.refreshed_at, "c")}"' in page
    assert f'datetime="{date_format(row.expires_at, "c")}"' in page
    assert 'data-test="refresh-count">1<' in page


def wait_until_due(row, lifetime):
    """Until the portal's own rule makes `row`'s tokens due (real time: this test is about it),
    at most a lifetime; a wait on the condition, not a guessed sleep."""
    expires_at, deadline = row.expires_at.timestamp(), time.monotonic() + lifetime + 1
    while not refresh.is_due(expires_at, lifetime):
        assert time.monotonic() < deadline, "the tokens never became due"
        time.sleep(0.02)


@pytest.mark.django_db
def test_stays_signed_in_across_real_refreshes_while_idle(browser):
    """Real time, no clock tricks: 2-second tokens, idle gaps, three silent refreshes."""
    sim = browser.cxone.sim
    sim.token_ttl, sim.ttl_jitter = 2, 0
    assert browser.sign_in().status_code == 302
    for n in range(1, 4):
        wait_until_due(TokenSession.objects.order_by("-pk").first(), lifetime=2)  # past the margin (half of 2 s)
        response = browser.client.get("/account/")
        assert response.status_code == 200
        assert f'data-test="refresh-count">{n}<' in response.content.decode()
    assert refreshes(sim) == 3


# --- concurrency: threads of one process, real HTTP ---------------------------------------

@pytest.fixture
def live_cxone(op, transactional_db):
    return register(op)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("expired", [False, True], ids=["due", "already_expired"])
def test_twenty_requests_at_refresh_time_make_one_refresh(live_server, live_cxone, expired):
    sim = live_cxone.sim
    browser = LiveBrowser(live_server.url, live_cxone.op)
    browser.sign_in()
    browser.http.get(live_server.url + "/account/")  # sets the CSRF cookie
    row = TokenSession.objects.get()
    seconds_left = -5 if expired else 60
    expires = timezone.now() + timedelta(seconds=seconds_left)
    TokenSession.objects.filter(pk=row.pk).update(expires_at=expires)
    store = SessionStore(row.session_key)
    store[tokenstore.EXPIRES_KEY] = expires.timestamp()
    store.save()
    sim.reset_calls()
    sim.latency = 0.3  # a refresh takes a while: everyone else arrives during it
    statuses = browser.burst(20, method="post")
    assert statuses == [200] * 20
    assert refreshes(sim) == 1
    assert TokenSession.objects.get().refresh_count == 1


@pytest.mark.django_db
def test_tokens_of_dead_sessions_are_purged(signed_in, cxone, capsys):
    from django.contrib.sessions.models import Session
    from django.core.management import call_command

    from .conftest import Browser

    other = Browser(signed_in.client.__class__(), cxone)
    other.sign_in(username="sam.supervisor@acme.example")
    assert TokenSession.objects.count() == 2
    Session.objects.filter(session_key=other.client.session.session_key).update(expire_date=timezone.now())
    call_command("purge_token_sessions")
    assert "1 token session(s) deleted" in capsys.readouterr().out
    assert list(TokenSession.objects.values_list("session_key", flat=True)) == [signed_in.client.session.session_key]
