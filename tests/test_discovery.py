"""Both discoveries against a real issuer on loopback (the simulator)."""
import json
import logging
import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tenants import discovery
from tenants.discovery import DiscoveryError, fetch_cxone_configuration, fetch_openid_configuration
from tenants.models import Environment

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"


def reason_of(call):
    with pytest.raises(DiscoveryError) as info:
        call()
    return info.value.reason


def test_openid_configuration_success(op):
    document = fetch_openid_configuration(op.issuer)
    assert document["issuer"] == op.issuer
    assert document["token_endpoint"] == op.issuer + "/auth/token"
    assert document["end_session_endpoint"] == op.issuer + "/auth/authorize/logout"
    assert op.simulator.count("openid-configuration") == 1


def test_cxone_configuration_success(op):
    document = fetch_cxone_configuration(op.issuer, uuid.UUID(ACME))
    assert document["api_endpoint"] == op.issuer + "/api-na1"
    assert document["area"] == "na1" and document["tenantId"] == ACME


def test_issuer_mismatch_is_refused(op):
    op.simulator.discovery_overrides = {"issuer": "https://cxone.niceincontact.com"}
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_issuer_mismatch"


def test_trailing_slash_is_a_different_issuer(op):
    assert reason_of(lambda: fetch_openid_configuration(op.issuer + "/")) == "discovery_issuer_mismatch"


def test_unknown_tenant_is_refused(op):
    assert reason_of(lambda: fetch_cxone_configuration(op.issuer, uuid.uuid4())) == "discovery_tenant_unknown"


def test_timeout(op, settings):
    settings.CXONE_HTTP_TIMEOUT = 0.3
    op.simulator.latency = 1.0
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_timeout"


def test_garbage_json(op):
    op.simulator.faults["openid-configuration"] = (200, b"<html>not json</html>")
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_bad_json"
    op.simulator.faults["openid-configuration"] = (200, [1, 2, 3])
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_bad_json"


def test_server_error_and_missing_endpoint(op):
    op.simulator.faults["openid-configuration"] = (503, {"error": "unavailable"})
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_http_error"
    op.simulator.faults.clear()
    op.simulator.discovery_overrides = {"token_endpoint": None}
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_bad_document"


def test_unreachable(op):
    op.stop()
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_unreachable"


def test_http_issuer_refused_when_flag_off(op, settings):
    settings.CXONE_ALLOW_HTTP_ISSUERS = False
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_insecure_url"
    assert op.simulator.count() == 0  # refused before any call


def test_http_issuer_must_be_loopback_even_with_flag(settings):
    settings.CXONE_ALLOW_HTTP_ISSUERS = True
    assert reason_of(lambda: fetch_openid_configuration("http://cxone.example.com")) == "discovery_insecure_url"
    assert reason_of(lambda: fetch_openid_configuration("ftp://127.0.0.1")) == "discovery_bad_url"


def test_endpoints_in_the_document_obey_the_https_rule(op, settings):
    op.simulator.discovery_overrides = {"token_endpoint": "http://evil.example/token"}
    assert reason_of(lambda: fetch_openid_configuration(op.issuer)) == "discovery_insecure_url"


@pytest.mark.django_db
def test_results_are_cached_and_persisted(cxone):
    environment = Environment.objects.get(pk=cxone.environment.pk)
    assert environment.openid_configuration["issuer"] == cxone.op.issuer
    assert environment.discovered_at is not None
    for _ in range(3):
        discovery.current(environment)
        discovery.current(cxone.tenant("acme"))
    assert cxone.sim.count() == 0


@pytest.mark.django_db
def test_stale_result_is_refetched(cxone, django_assert_num_queries):
    environment = cxone.environment
    Environment.objects.filter(pk=environment.pk).update(discovered_at=timezone.now() - timedelta(days=2))
    environment.refresh_from_db()
    from django.core.cache import cache

    cache.clear()
    discovery.current(environment)
    assert cxone.sim.count("openid-configuration") == 1
    environment.refresh_from_db()
    assert timezone.now() - environment.discovered_at < timedelta(minutes=1)


@pytest.mark.django_db
def test_stale_but_kept_when_issuer_is_down(cxone, caplog):
    environment = cxone.environment
    old = timezone.now() - timedelta(days=2)
    Environment.objects.filter(pk=environment.pk).update(discovered_at=old)
    environment.refresh_from_db()
    from django.core.cache import cache

    cache.clear()
    cxone.op.stop()
    with caplog.at_level(logging.WARNING, logger="tenants.discovery"):
        document = discovery.current(environment)
    assert document["token_endpoint"] == cxone.op.issuer + "/auth/token"
    assert any(getattr(r, "reason", "") == "discovery_unreachable" for r in caplog.records)
    environment.refresh_from_db()
    assert environment.discovered_at == old
    assert environment.openid_configuration is not None
    assert environment.discovery_reason == "discovery_unreachable" and "openid-configuration" in environment.discovery_detail
    # The stale result is served from the cache for a while: no new attempt each time.
    discovery.current(environment)


@pytest.mark.django_db
def test_no_previous_result_and_issuer_down_raises(op):
    environment = Environment.objects.create(issuer=op.issuer, client_id="c", client_secret="s")
    op.stop()
    with pytest.raises(DiscoveryError):
        discovery.current(environment)


@pytest.mark.django_db
def test_client_secret_is_encrypted_at_rest(cxone):
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM tenants_environment WHERE id = %s", [cxone.environment.pk])
        stored = cursor.fetchone()[0]
    assert "demo-client-secret" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert Environment.objects.get(pk=cxone.environment.pk).client_secret == "demo-client-secret-for-the-simulator-only"


# --- the endpoint rule: public-suffix list, ports, and links a page shows (issue 18, item 9) ---

from tenants import wellknown  # noqa: E402


@pytest.mark.parametrize("issuer, url", [
    # herokuapp.com is a public suffix (the list's private section): each app is its own site.
    ("https://login.herokuapp.com", "https://attacker-app.herokuapp.com/token"),
    ("https://login.example.co.uk", "https://attacker.co.uk/token"),
    # The issuer's own port, not another service on the same host or domain.
    ("https://cxone.niceincontact.com", "https://api-na1.niceincontact.com:8443/x"),
    ("https://cxone.niceincontact.com", "https://cxone.niceincontact.com:444/auth/token"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:9999/auth/token"),
    ("https://cxone.niceincontact.com", "javascript://cxone.niceincontact.com/%0aalert(1)"),
    ("https://cxone.niceincontact.com", "https://cxone.niceincontact.com:notaport/x"),
])
def test_an_endpoint_off_the_issuers_site_or_port_is_foreign(issuer, url):
    with pytest.raises(DiscoveryError) as caught:
        wellknown.check_endpoint(issuer, url, "token_endpoint", allow_http_loopback=True)
    assert caught.value.reason in ("discovery_foreign_endpoint", "discovery_bad_url")


@pytest.mark.parametrize("issuer, url", [
    ("https://cxone.niceincontact.com", "https://api-na1.niceincontact.com"),
    ("https://cxone.niceincontact.com", "https://cxone.niceincontact.com:443/auth/token"),
    ("https://login.herokuapp.com", "https://login.herokuapp.com/token"),
    ("http://127.0.0.1:8000/cxone-sim", "http://127.0.0.1:8000/cxone-sim/api-na1"),
])
def test_an_endpoint_on_the_issuers_site_and_port_passes(issuer, url):
    wellknown.check_endpoint(issuer, url, "endpoint", allow_http_loopback=True)


def test_the_protocol_part_reads_no_settings_and_speaks_no_english(settings):
    """What the deployment allows comes in as arguments; failures are (reason, detail)."""
    settings.CXONE_ALLOW_HTTP_ISSUERS = False
    settings.CXONE_ALLOWED_ENDPOINT_DOMAINS = []
    wellknown.check_url("http://127.0.0.1:8000", allow_http_loopback=True)
    wellknown.check_endpoint("https://cxone.niceincontact.com", "https://api.example.net", "api_endpoint",
                             allowed_domains=("example.net",))
    with pytest.raises(DiscoveryError) as caught:
        wellknown.check_url("http://127.0.0.1:8000")
    assert caught.value.reason == "discovery_insecure_url" and not hasattr(caught.value, "message")
    source = (discovery.__file__.rsplit("/", 1)[0] + "/wellknown.py")
    text = open(source).read()
    assert "django" not in text and "settings" not in text.split('"""', 2)[2]


@pytest.mark.parametrize("ui_endpoint, kept", [
    ("javascript:alert(document.domain)//", False),
    ("https://na1.nice-incontact.com", False),  # not on the simulator's (loopback) issuer
    ("https://evil.example/phish", False),
    ("{issuer}/ui", True),
])
def test_ui_endpoint_passes_the_api_endpoint_rule_or_is_dropped(op, ui_endpoint, kept):
    ui_endpoint = ui_endpoint.format(issuer=op.issuer)
    op.simulator.body_hooks["cxone-configuration"] = lambda body: re.sub(
        rb'"ui_endpoint": "[^"]*"', b'"ui_endpoint": ' + json.dumps(ui_endpoint).encode(), body)
    document = fetch_cxone_configuration(op.issuer, ACME)
    assert document["api_endpoint"] == op.issuer + "/api-na1"
    assert (document.get("ui_endpoint") == ui_endpoint) is kept
    assert kept or "ui_endpoint" not in document


@pytest.mark.django_db
def test_a_javascript_ui_endpoint_never_reaches_a_page(cxone):
    from .conftest import Browser

    cxone.sim.body_hooks["cxone-configuration"] = lambda body: re.sub(
        rb'"ui_endpoint": "[^"]*"', b'"ui_endpoint": "javascript:alert(document.domain)//"', body)
    tenant = cxone.tenant("acme")
    discovery.refresh(tenant, keep_stale=False)
    tenant.refresh_from_db()
    assert "ui_endpoint" not in tenant.cxone_configuration
    from django.test import Client

    browser = Browser(Client(), cxone)
    assert browser.sign_in().status_code == 302
    page = browser.client.get("/agent/").content.decode()
    assert "javascript:" not in page and "Open CXone" not in page


@pytest.mark.django_db
def test_a_failure_is_stored_as_reason_and_detail_and_cleared_by_a_success(cxone):
    environment = cxone.environment
    cxone.sim.discovery_overrides = {"issuer": "https://elsewhere.example"}
    with pytest.raises(DiscoveryError):
        discovery.refresh(environment, keep_stale=False)
    stored = Environment.objects.get(pk=environment.pk)
    assert stored.discovery_reason == "discovery_issuer_mismatch" and stored.discovery_failure.value == "discovery_issuer_mismatch"
    assert "elsewhere.example" in stored.discovery_detail
    cxone.sim.discovery_overrides = {}
    discovery.refresh(stored, keep_stale=False)
    stored = Environment.objects.get(pk=environment.pk)
    assert (stored.discovery_reason, stored.discovery_detail, stored.discovery_failure) == ("", "", None)
    # A code no longer in the vocabulary still reads as a discovery failure.
    Environment.objects.filter(pk=environment.pk).update(discovery_reason="retired_reason")
    assert Environment.objects.get(pk=environment.pk).discovery_failure.value == "discovery_failed"


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_a_stored_link_that_is_not_http():
    """A javascript: ui_endpoint stored before the rule existed is gone after `migrate`."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("tenants", "0003_environment_key")])
    old = executor.loader.project_state([("tenants", "0003_environment_key")]).apps
    environment = old.get_model("tenants", "Environment").objects.create(
        issuer="https://cxone.niceincontact.com", client_id="c", client_secret="s", key="global", discovery_error="An old sentence.")
    old.get_model("tenants", "Tenant").objects.create(
        environment_id=environment.pk, tenant_id=uuid.UUID(ACME), name="Acme", slug="acme",
        cxone_configuration={"api_endpoint": "https://api-na1.niceincontact.com", "ui_endpoint": "javascript:alert(1)//",
                             "auth_endpoint": "https://na1.nice-incontact.com"})
    call_command("migrate", verbosity=0)  # every app: whatever unapplying 0004 took with it
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug="acme")
    assert "ui_endpoint" not in tenant.cxone_configuration and tenant.cxone_configuration["auth_endpoint"]
    stored = Environment.objects.get(key="global")
    assert (stored.discovery_reason, stored.discovery_detail) == ("discovery_failed", "An old sentence.")
