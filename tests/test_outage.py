"""Degrade, never die: an unreachable Redis (refusing, or accepting and never answering) and an
unopenable database, for real, in the portal's process; key mismatches mid-rotation; the
probes whatever the Host; the rotation command beside a refresh. The end-to-end outage through
nginx and two gunicorn instances is tests/test_deployment.py."""
import json
import logging
import socket

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache as default_cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.models import TokenSession
from core import cache as portal_cache
from core import crypto
from core.observability import JsonFormatter, RequestIdFilter, current_tenant
from core.reasons import Reason

from . import procs
from .conftest import SUPERVISOR, Browser
from .settings import TEST_FIELD_KEY

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture(autouse=True)
def closed_breaker():
    portal_cache.breaker.open_until = 0.0
    yield
    portal_cache.breaker.open_until = 0.0


@pytest.fixture
def silent_redis():
    """A port that accepts connections (the kernel's backlog) and never answers: a hanging Redis."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def redis_cache(location, timeout=0.3):
    return {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": location, "KEY_PREFIX": "outage-test",
                        "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout}}}


def refused_redis():
    return f"redis://127.0.0.1:{procs.free_port()}/0"  # nothing listens there


def test_a_hanging_redis_costs_one_timeout_then_fails_at_once(settings, silent_redis):
    settings.CACHES = redis_cache(silent_redis)
    with pytest.raises(portal_cache.CacheUnavailable) as first:
        default_cache.get("anything")
    assert first.value.__cause__ is not None  # redis-py's own timeout, after CACHE_SOCKET_TIMEOUT
    assert portal_cache.breaker.is_open
    with pytest.raises(portal_cache.CacheUnavailable) as second:
        default_cache.set("anything", 1)
    assert second.value.__cause__ is None  # the breaker answered: Redis was not asked again
    # What can do without the cache reads it as empty and forgets writes.
    assert portal_cache.best_effort.get("anything", "default") == "default"
    assert portal_cache.best_effort.add("anything", 1) is True
    with pytest.raises(ValueError):
        portal_cache.best_effort.incr("anything")


def test_the_breaker_lets_one_call_through_again_after_its_pause(settings):
    settings.CACHES = redis_cache(refused_redis())
    settings.CACHE_RETRY_SECONDS = 0.0  # the pause ends at once: the next call asks Redis again
    for _ in range(2):
        with pytest.raises(portal_cache.CacheUnavailable) as failed:
            default_cache.get("anything")
        assert failed.value.__cause__ is not None


@pytest.mark.django_db
def test_with_redis_down_sign_in_and_pages_work_and_live_data_answers_503_cache_unavailable(settings, cxone):
    settings.CACHES = redis_cache(refused_redis())
    browser = Browser(Client(raise_request_exception=False), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302  # rate limit, JWKS, discovery: no cache
    assert browser.client.get("/supervisor/").status_code == 200
    assert browser.client.get("/account/").status_code == 200
    board = browser.client.get("/api/supervisor/agents/", **XHR)
    assert board.status_code == 503 and board["Retry-After"] == "5"
    assert board.json() == {"reason": "cache_unavailable", "message": str(Reason.CACHE_UNAVAILABLE.words)}
    assert "live data is paused" in board.json()["message"]
    assert browser.client.get("/api/session/", **XHR).status_code == 200
    # Redis is back: the same session reads the board, nobody signed in again.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "back"}}
    assert browser.client.get("/api/supervisor/agents/", **XHR).status_code == 200
    # Sign-out too, through CXone's end_session.
    other = Browser(Client(raise_request_exception=False), cxone)
    assert other.sign_in(username=SUPERVISOR).status_code == 302
    settings.CACHES = redis_cache(refused_redis())
    signed_out = other.client.post("/oidc/logout/")
    assert signed_out.status_code == 302 and signed_out["Location"].startswith(cxone.op.issuer)
    assert other.client.get("/account/").status_code == 302  # signed out: to the sign-in page


def test_redis_refusing_writes_is_a_cache_failure_not_another_error():
    from redis.exceptions import OutOfMemoryError, ReadOnlyError, ResponseError

    for refused in (ResponseError("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk."),
                    OutOfMemoryError("command not allowed when used memory > 'maxmemory'."),
                    ReadOnlyError("You can't write against a read only replica.")):
        assert portal_cache.is_cache_failure(refused), refused
    assert not portal_cache.is_cache_failure(ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"))


@pytest.mark.django_db
def test_a_redis_that_refuses_writes_is_503_cache_unavailable_and_sign_in_works(settings, cxone, tmp_path):
    """Redis up, reads answered, every write refused (OOM at maxmemory here; MISCONF after a failed
    background save is the same): an outage like an unreachable Redis, never a 500 on every request
    whose best-effort write it refused (the user's preferences, a rate limit, the JWKS)."""
    import redis

    from .deployment import Redis

    server = Redis(tmp_path)
    try:
        redis.Redis(port=server.port).config_set("maxmemory", 1)
        settings.CACHES = redis_cache(server.url, timeout=5)
        browser = Browser(Client(raise_request_exception=False), cxone)
        assert browser.sign_in(username=SUPERVISOR).status_code == 302
        assert browser.client.get("/api/session/", **XHR).status_code == 200
        assert browser.client.get("/account/").status_code == 200
        board = browser.client.get("/api/supervisor/agents/", **XHR)
        assert board.status_code == 503 and board.json()["reason"] == "cache_unavailable"
    finally:
        server.stop()


def unopenable_database_error():
    """A real OperationalError from Django's backend: a database file that cannot be opened."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    broken = DatabaseWrapper({**connection.settings_dict, "NAME": "/nonexistent-dir/portal.sqlite3", "ENGINE": "django.db.backends.sqlite3",
                              "OPTIONS": {}}, alias="broken")
    try:
        broken.ensure_connection()
    except Exception as exc:
        return exc
    raise AssertionError("the database opened")


def handler500_answer(path, exc, **headers):
    from core.error_pages import server_error

    request = RequestFactory().get(path, **headers)
    try:
        raise exc
    except Exception:  # Django calls handler500 inside its except block
        return server_error(request)


@pytest.mark.django_db
def test_a_database_outage_is_503_database_unavailable_as_json_and_as_a_readable_page():
    exc = unopenable_database_error()
    api = handler500_answer("/api/supervisor/agents/", exc)
    assert api.status_code == 503 and json.loads(api.content)["reason"] == "database_unavailable"
    assert api["Retry-After"] == "5"
    page = handler500_answer("/account/", exc)
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")
    assert str(Reason.DATABASE_UNAVAILABLE.words).replace("'", "&#x27;") in page.content.decode()


def test_any_unexpected_exception_under_api_answers_json_never_html():
    answer = handler500_answer("/api/agent/state/", RuntimeError("a bug"))
    assert answer.status_code == 500 and answer["Content-Type"] == "application/json"
    assert json.loads(answer.content)["reason"] == "internal_error"
    script = handler500_answer("/account/", RuntimeError("a bug"), HTTP_ACCEPT="application/json")
    assert json.loads(script.content)["reason"] == "internal_error"
    page = handler500_answer("/account/", RuntimeError("a bug"))
    assert page.status_code == 500 and b"Something went wrong" in page.content


@pytest.mark.django_db
def test_a_token_no_listed_key_opens_is_encryption_key_mismatch_not_a_500(settings, cxone):
    """Rolling rotation: signed in on an instance with the new key, served by one without it."""
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, TEST_FIELD_KEY]
    browser = Browser(Client(raise_request_exception=False), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    settings.FIELD_ENCRYPTION_KEY = [TEST_FIELD_KEY]  # the old instance
    answer = browser.client.get("/api/supervisor/agents/", **XHR)
    assert answer.status_code == 503 and answer.json()["reason"] == "encryption_key_mismatch"
    assert browser.client.get("/supervisor/").status_code == 200  # the page itself needs no token
    settings.FIELD_ENCRYPTION_KEY = [new_key, TEST_FIELD_KEY]  # given the key: it works again
    assert browser.client.get("/api/supervisor/agents/", **XHR).status_code == 200
    stored = crypto.encrypt("x")
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.InvalidToken):  # still cryptography's type for code that catches it
        crypto.decrypt(stored)


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["10.0.3.7:8000", "127.0.0.1:8123", "[::1]:8000", "evil.example"])
def test_probes_answer_whatever_the_host_and_https(settings, host):
    settings.ALLOWED_HOSTS, settings.SECURE_SSL_REDIRECT = ["portal.example.com"], True
    client = Client(HTTP_HOST=host)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert client.get("/account/").status_code == 400  # everything else still checks the host


@pytest.mark.django_db
def test_readyz_is_503_with_the_cause_logged_as_a_warning(settings, caplog):
    settings.CACHES = redis_cache(refused_redis())
    with caplog.at_level("WARNING", logger="core.health"):
        ready = Client().get("/readyz")
    assert ready.status_code == 503 and ready.json()["cache"] == "error: CacheUnavailable" and ready.json()["database"] == "ok"
    warning = [r for r in caplog.records if r.name == "core.health"]
    assert warning and warning[0].levelname == "WARNING" and warning[0].cache == "error: CacheUnavailable"
    assert Client().get("/healthz").status_code == 200  # liveness needs nothing


# --- key rotation beside refreshes ----------------------------------------------------------------

@pytest.fixture
def signed_in_row(cxone):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    return TokenSession.objects.get(user__cxone_identity__login_name=SUPERVISOR)


def raw_access_token(pk):
    from django.db.models import TextField
    from django.db.models.functions import Cast

    return TokenSession.objects.filter(pk=pk).values_list(Cast("access_token", TextField()), flat=True).get()


@pytest.mark.django_db
def test_rotation_leaves_a_row_whose_refresh_holds_the_lease_and_finishes_after(settings, signed_in_row, monkeypatch, capsys):
    from core.management.commands import rotate_field_encryption as rotate

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, TEST_FIELD_KEY]
    TokenSession.objects.filter(pk=signed_in_row.pk).update(lease_until=timezone.now() + timezone.timedelta(seconds=30), lease_owner="x")
    before = raw_access_token(signed_in_row.pk)
    monkeypatch.setattr(rotate, "LEASED_RETRIES", 2)
    monkeypatch.setattr(rotate, "RETRY_PAUSE", 0)
    with pytest.raises(CommandError, match="1 row"):
        call_command("rotate_field_encryption")
    assert raw_access_token(signed_in_row.pk) == before  # the refresh's row was not touched
    TokenSession.objects.filter(pk=signed_in_row.pk).update(lease_until=None, lease_owner="")
    call_command("rotate_field_encryption")
    assert "accounts.TokenSession: 1 row(s) re-encrypted" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEY = [new_key]
    assert TokenSession.objects.get(pk=signed_in_row.pk).access_token == signed_in_row.access_token


@pytest.mark.django_db
def test_rotation_never_overwrites_a_refresh_that_lands_between_its_read_and_its_write(settings, signed_in_row, monkeypatch, capsys):
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, TEST_FIELD_KEY]
    original = crypto.decrypt
    landed = []

    def decrypt_while_a_refresh_lands(value):
        plaintext = original(value)
        if plaintext == signed_in_row.access_token and not landed:
            landed.append(True)  # the command has read the row's ciphertexts and now decrypts them
            TokenSession.objects.filter(pk=signed_in_row.pk).update(access_token="refreshed-token", refresh_count=9)
        return plaintext

    monkeypatch.setattr(crypto, "decrypt", decrypt_while_a_refresh_lands)
    call_command("rotate_field_encryption")
    assert "accounts.TokenSession: 1 row(s) re-encrypted, 1 written by a refresh meanwhile" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEY = [new_key]
    assert TokenSession.objects.get(pk=signed_in_row.pk).access_token == "refreshed-token"


class Collected(logging.Handler):
    """A handler with the portal's filter, as settings.LOGGING's console handler has."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.addFilter(RequestIdFilter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(JsonFormatter().format(record)))


def test_request_logs_after_sign_in_name_tenant_and_user(cxone):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    collected = Collected()
    root = logging.getLogger()
    root.addHandler(collected)
    try:
        assert browser.client.get("/api/supervisor/agents/", **XHR).status_code == 200
    finally:
        root.removeHandler(collected)
    calls = [line for line in collected.lines if line.get("event") == "cxone_api"]
    assert calls
    for line in calls:
        assert line["tenant"] == "acme" and line["user"].isdigit() and len(line["request_id"]) == 32
    assert current_tenant() == "-"  # reset after the request
