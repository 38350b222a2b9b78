"""What a poll asks the database (issue 24): nothing, whether it is a 304, a changed board or a
poll that fetches from CXone (the session, the user, identity and tenant, and the token row
come from the shared cache: core/cached_rows.py), and none writes. Counted by Django (queries)
and, on PostgreSQL, by PostgreSQL itself (pg_stat_database's transactions).

And what must not be served from the cache: a signed-out or disabled user, a session ended by
an admin or by CXone, a tenant switched off in the admin, a role taken away, a sign-out made
while the cache was unreachable. Runs on the embedded defaults (local memory, SQLite) and on
PostgreSQL + Redis alike."""
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import signed_in, signout
from accounts.models import CXoneIdentity, TokenSession
from core import cached_rows
from tenants.models import Environment, Tenant

from . import procs
from .conftest import AGENT, SUPERVISOR, Browser
from .test_refresh import age

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
BOARD, SKILLS, SESSION = "/api/supervisor/agents/", "/api/supervisor/skills/", "/api/session/"
WRITES = ("INSERT", "UPDATE", "DELETE")


# --- counting ------------------------------------------------------------------------------------

def on_postgres():
    return connection.vendor == "postgresql"


@dataclass
class Cost:
    queries: list = None
    transactions: int = None  # PostgreSQL's count, or the queries' on SQLite

    @property
    def writes(self):
        return [sql for sql in self.queries if sql.lstrip().upper().startswith(WRITES)]


def _pg_transactions():
    """Transactions PostgreSQL counted for this database (asked over a connection to another
    database, so that asking adds nothing here)."""
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"] or None,
                         password=s["PASSWORD"] or None, dbname="postgres", autocommit=True) as admin:
        admin.execute("SELECT pg_stat_clear_snapshot()")
        row = admin.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [s["NAME"]]).fetchone()
    return row[0]


def _flush_pg_stats():
    """This backend's counts reach pg_stat_database now (one transaction of its own), on the raw
    connection: no Django health check, no captured query. PostgreSQL 15 skips a forced flush
    while no table's counts are pending, hence the table it reads."""
    connection.ensure_connection()
    connection.connection.execute("SELECT pg_stat_force_next_flush() FROM django_migrations LIMIT 1")


@contextmanager
def costs():
    """The database's work for what runs inside: its queries, and its transactions (PostgreSQL:
    counted by PostgreSQL; SQLite: each query outside an atomic block, and each block, is one)."""
    cost, atomic = Cost(), []
    before = None
    if on_postgres():
        _flush_pg_stats()
        before = _pg_transactions()

    def track(execute, sql, params, many, context):
        atomic.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    if connection.health_check_enabled:
        # As Django's request_started does for a reused connection (the test client skips it): its
        # first query is preceded by a health check. Not close_old_connections() itself: closing an
        # old connection here would flush its backend's counts into this window.
        connection.health_check_done = False
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(track):
        yield cost
    cost.queries = [q["sql"] for q in captured.captured_queries]
    if before is not None:
        _flush_pg_stats()
        cost.transactions = _pg_transactions() - before - 1  # less the flush's own
    else:
        cost.transactions = sum(1 for i, inside in enumerate(atomic) if not inside or (i == 0 or not atomic[i - 1]))


def tables(cost):
    """The table each query reads first, in order."""
    return [sql.split(" FROM ", 1)[1].split()[0].strip('"') for sql in cost.queries if " FROM " in sql]


def poll(client, path, etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    with costs() as cost:
        response = client.get(path, **XHR, **headers)
    return response, cost


# --- fixtures ------------------------------------------------------------------------------------

@pytest.fixture
def later(portal_clock):
    return portal_clock.later


def signed_in_as(cxone, username=SUPERVISOR, tenant="acme"):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(tenant=tenant, username=username).status_code == 302
    return browser


@pytest.fixture
def supervisor(cxone):
    browser = signed_in_as(cxone)
    cxone.sim.reset_calls()
    return browser


def warm(client):
    """A first board and skills poll (they read CXone), and their ETags; the copies the next
    polls read are in the cache."""
    board, skills = client.get(BOARD, **XHR), client.get(SKILLS, **XHR)
    assert board.status_code == 200 and skills.status_code == 200
    return board["ETag"], skills["ETag"]


# --- what a poll costs -----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_an_unchanged_board_or_skills_poll_costs_no_query_and_no_transaction(supervisor):
    board_etag, skills_etag = warm(supervisor.client)
    calls = supervisor.cxone.sim.count()
    for path, etag in [(BOARD, board_etag), (SKILLS, skills_etag), (BOARD, board_etag)]:
        response, cost = poll(supervisor.client, path, etag)
        assert response.status_code == 304, path
        assert cost.queries == [] and cost.transactions <= 1, (path, cost)
        assert cost.transactions == 0, (path, cost)  # the issue asks at most one; it is none
    assert supervisor.cxone.sim.count() == calls


@pytest.mark.django_db(transaction=True)
def test_a_changed_board_poll_costs_no_query_even_when_it_fetches_from_cxone(supervisor, later):
    board_etag, _ = warm(supervisor.client)
    other_tab = Client()
    other_tab.cookies = supervisor.client.cookies
    later(60)  # a minute on: agents changed state (a delta, not yet the full re-read)
    # This poll fetches the delta from CXone with the session's token: its row is in the cache too.
    calls = supervisor.cxone.sim.count("api", path="agents/states")
    fetched, cost = poll(supervisor.client, BOARD, board_etag)
    assert fetched.status_code == 200 and fetched["ETag"] != board_etag
    assert supervisor.cxone.sim.count("api", path="agents/states") > calls
    assert cost.queries == [] and cost.transactions == 0, cost
    # Another tab finds the version moved by that fetch: the changed board, no query at all.
    changed, cost = poll(other_tab, BOARD, board_etag)
    assert changed.status_code == 200 and changed["ETag"] == fetched["ETag"]
    assert cost.queries == [] and cost.transactions == 0, cost


@pytest.mark.django_db(transaction=True)
def test_the_session_poll_costs_no_query(supervisor):
    warm(supervisor.client)
    response, cost = poll(supervisor.client, SESSION)
    assert response.status_code == 200 and response.json()["portalRole"] == "Supervisor"
    assert cost.queries == [] and cost.transactions == 0, cost


@pytest.mark.django_db(transaction=True)
def test_without_cache_sessions_a_poll_reads_its_rows_and_writes_nothing(supervisor, settings):
    """Local memory with several processes (CACHE_SESSIONS off, the deployed default there):
    the database path, as before: the session, the user (one join), the token row; no write."""
    board_etag, _ = warm(supervisor.client)
    settings.CACHE_SESSIONS = False
    response, cost = poll(supervisor.client, BOARD, board_etag)
    assert response.status_code == 304 and cost.writes == []
    assert tables(cost) == ["django_session", "auth_user", "accounts_tokensession"] and len(cost.queries) == 3
    # Each its own transaction; on PostgreSQL after the reused connection's health check: four.
    assert cost.transactions == (4 if on_postgres() else 3), cost


@pytest.mark.django_db(transaction=True)
def test_a_cold_cache_costs_one_read_per_copy_then_none(supervisor):
    board_etag, _ = warm(supervisor.client)
    cached_rows.forget_all()  # e.g. after a restore: every copy refused
    response, cost = poll(supervisor.client, BOARD, board_etag)
    assert response.status_code == 304 and cost.writes == []
    assert tables(cost) == ["django_session", "auth_user", "tenants_tenant", "accounts_tokensession"] and len(cost.queries) == 4
    response, cost = poll(supervisor.client, BOARD, board_etag)
    assert response.status_code == 304 and cost.queries == []


# --- what the cache must never serve ---------------------------------------------------------------

def served_from_the_cache(client, etag):
    response, cost = poll(client, BOARD, etag)
    assert response.status_code == 304 and cost.queries == []  # the copies are in the cache


def refused(client, reason, status=401):
    response = client.get(BOARD, **XHR)
    assert response.status_code == status and response.json()["reason"] == reason, response.content[:300]


@pytest.mark.django_db
def test_signing_out_is_not_undone_by_the_cache(supervisor):
    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    stolen = Client()
    stolen.cookies = supervisor.client.cookies  # the same session cookie, kept by someone else
    assert supervisor.client.post("/oidc/logout/").status_code == 302
    refused(stolen, "not_signed_in")


@pytest.mark.django_db
@pytest.mark.parametrize("switch_off", ["user", "tenant", "environment"])
def test_switching_off_a_user_tenant_or_environment_ends_the_session_at_the_next_poll(supervisor, switch_off):
    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    target = {"user": lambda: get_user_model().objects.get(), "tenant": lambda: Tenant.objects.get(slug="acme"),
              "environment": lambda: Environment.objects.get()}[switch_off]()
    target.is_active = False
    target.save()
    refused(supervisor.client, "user_inactive")


@pytest.mark.django_db
def test_a_tenant_switched_off_in_the_admin_ends_its_sessions_at_the_next_poll(supervisor, admin_client):
    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    acme = Tenant.objects.get(slug="acme")
    form = {"environment": acme.environment_id, "tenant_id": str(acme.tenant_id), "name": acme.name, "slug": acme.slug,
            "supervisor_roles": acme.supervisor_roles}  # `is_active` left out: unticked
    assert admin_client.post(f"/admin/tenants/tenant/{acme.pk}/change/", form).status_code == 302
    assert Tenant.objects.get(pk=acme.pk).is_active is False
    refused(supervisor.client, "user_inactive")


@pytest.mark.django_db
def test_sign_out_everywhere_ends_a_session_served_from_the_cache(supervisor):
    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    signout.sign_out_everywhere(get_user_model().objects.all())
    refused(supervisor.client, "not_signed_in")


@pytest.mark.django_db
def test_a_cxone_session_that_ended_is_not_served_from_the_cache(supervisor):
    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    stolen = Client()
    stolen.cookies = supervisor.client.cookies
    supervisor.cxone.sim.faults["token"] = (400, {"error": "invalid_grant"})  # CXone ended the session
    age(supervisor.client, 60)  # the tokens are due: the next request refreshes
    refused(supervisor.client, "cxone_session_ended")
    assert not TokenSession.objects.exists()
    refused(stolen, "not_signed_in")


@pytest.mark.django_db
def test_a_role_taken_away_is_seen_at_the_next_poll(supervisor):
    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    acme = Tenant.objects.get(slug="acme")
    acme.supervisor_roles = "Administrator"  # Manager (the supervisor's CXone role) no longer supervises
    acme.save()
    refused(supervisor.client, "not_a_supervisor", status=403)
    acme.supervisor_roles = "Manager,Administrator"
    acme.save()
    assert supervisor.client.get(BOARD, **XHR).status_code == 200


@pytest.mark.django_db
def test_a_role_recheck_scheduled_by_a_403_is_seen_at_the_next_request(supervisor):
    from accounts import roles

    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    identity = CXoneIdentity.objects.get(login_name=SUPERVISOR)
    assert roles.reconsider(identity)
    refreshes = supervisor.cxone.sim.count("token", grant_type="refresh_token")
    assert supervisor.client.get(BOARD, **XHR, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert supervisor.cxone.sim.count("token", grant_type="refresh_token") == refreshes + 1  # re-read from CXone
    assert CXoneIdentity.objects.get(pk=identity.pk).role_recheck is False


@pytest.mark.django_db
def test_a_sign_in_as_someone_else_in_the_same_browser_is_seen_at_once(supervisor, cxone):
    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    supervisor.sign_in(username=AGENT)  # another tab, the same browser
    refused(supervisor.client, "not_a_supervisor", status=403)


@pytest.mark.django_db
def test_a_sign_out_while_the_cache_was_unreachable_is_not_undone_when_it_returns(supervisor, settings):
    """The copy could not be forgotten: the process moves the epoch before it trusts the cache again."""
    from .test_outage import redis_cache, refused_redis

    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    stolen = Client()
    stolen.cookies = supervisor.client.cookies
    key = supervisor.client.cookies["sessionid"].value
    working = settings.CACHES
    settings.CACHE_RETRY_SECONDS = 0.0  # the breaker lets the next call try the cache again
    settings.CACHES = redis_cache(refused_redis())
    assert supervisor.client.post("/oidc/logout/").status_code == 302  # the database forgets; the cache cannot
    settings.CACHES = working  # the same cache, back, still holding the copy
    assert cache.get(cached_rows._keys("session", key)[0]) is not None
    refused(stolen, "not_signed_in")


@pytest.mark.django_db
def test_a_copy_read_before_a_write_is_refused_after_it(cxone):
    """The cache-aside race: a reader took the row, a write forgot it, then the reader stored
    what it had read. The reader's copy carries the generation from before the write."""
    reads = []

    def load(during=None):
        reads.append(1)
        if during:
            during()
        return {"is_active": len(reads) > 1}, 60

    first = cached_rows.read("test", 1, lambda: load(during=lambda: cached_rows.forget("test", [1])))
    assert first == {"is_active": False} and len(reads) == 1
    assert cached_rows.read("test", 1, load) == {"is_active": True} and len(reads) == 2  # not the stale copy
    assert cached_rows.read("test", 1, load) == {"is_active": True} and len(reads) == 2  # now a hit
    cache.delete(cached_rows._keys("test", 1)[1])  # the generation evicted: a miss, never a hit
    assert cached_rows.read("test", 1, load) == {"is_active": True} and len(reads) == 3


@pytest.mark.django_db
def test_no_secret_is_copied_into_the_cache(supervisor):
    warm(supervisor.client)
    acme = Tenant.objects.get(slug="acme")
    entry = cache.get(cached_rows._keys(signed_in.TENANT, acme.pk)[0])
    assert entry is not None
    tenant_values, environment_values = entry[2]
    assert "client_secret" not in environment_values and tenant_values["slug"] == "acme"
    environment = signed_in.tenant_of(acme.pk).environment
    assert environment.client_secret == Environment.objects.get().client_secret  # read from the database when asked


@pytest.mark.services
@pytest.mark.skipif(not procs.using_redis(), reason="needs CACHE_URL=redis://… (runs in the PostgreSQL + Redis pass)")
def test_the_services_pass_reads_sessions_from_redis():
    from django.conf import settings

    assert settings.CACHE_SESSIONS and type(cache._cache).__name__ in ("RedisCacheClient", "BreakerRedisCacheClient")


@pytest.mark.django_db
def test_after_a_change_made_in_sql_the_command_refuses_every_copy(supervisor, capsys):
    from django.core.management import call_command

    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    get_user_model().objects.update(is_active=False)  # in SQL or a shell: no save, nothing forgotten
    served_from_the_cache(supervisor.client, etag)  # still the copy (for at most cached_rows.SECONDS)
    call_command("forget_cached_rows")
    assert "refused from now on" in capsys.readouterr().out
    refused(supervisor.client, "user_inactive")


@pytest.mark.django_db
def test_a_made_up_session_key_leaves_nothing_in_the_cache(cxone):
    stranger = Client()
    stranger.cookies["sessionid"] = "x" * 32
    assert stranger.get(BOARD, **XHR).status_code == 401
    entry, generation = cached_rows._keys("session", "x" * 32)
    assert cache.get(entry) is None and cache.get(generation) is None


@pytest.mark.django_db
def test_the_token_row_is_kept_encrypted_and_a_refresh_is_seen_at_once(supervisor):
    from accounts import tokenstore

    from .test_refresh import refreshes

    etag, _ = warm(supervisor.client)
    served_from_the_cache(supervisor.client, etag)
    row = TokenSession.objects.get()
    entry = cache.get(cached_rows._keys(tokenstore.KIND, row.pk)[0])
    assert row.access_token not in repr(entry) and row.refresh_token not in repr(entry) and row.id_token not in repr(entry)
    assert tokenstore.read(row.pk).access_token == row.access_token  # opened with FIELD_ENCRYPTION_KEY
    age(supervisor.client, 30)  # due: the next request refreshes
    assert supervisor.client.get(SESSION, **XHR).json()["refreshCount"] == 1 and refreshes(supervisor.cxone.sim) == 1
    refreshed = TokenSession.objects.get()
    assert refreshed.access_token != row.access_token
    assert tokenstore.read(row.pk).access_token == refreshed.access_token  # not the copy from before
