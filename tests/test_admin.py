"""Django admin: registering environments and tenants, with discovery on save."""
import html
import uuid

import pytest

from core.reasons import Reason
from simulator.demo import DEMO_CLIENT_SECRET
from tenants.models import Environment, Tenant

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"


def words_of(reason):
    return str(reason.words)


def text_of(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def staff(admin_client):
    return admin_client


def add_environment(staff, op, **overrides):
    data = {
        "name": "Sim",
        "issuer": op.issuer,
        "client_id": "portal",
        "client_secret": DEMO_CLIENT_SECRET,
        "token_auth_method": "client_secret_basic",
        "is_active": "on",
    }
    data.update(overrides)
    return staff.post("/admin/tenants/environment/add/", data)


def add_tenant(staff, environment, **overrides):
    data = {
        "environment": environment.pk,
        "tenant_id": ACME,
        "name": "Acme Support",
        "slug": "acme",
        "is_active": "on",
        "supervisor_roles": "Manager,Administrator",
    }
    data.update(overrides)
    return staff.post("/admin/tenants/tenant/add/", data)


@pytest.mark.django_db
def test_add_environment_runs_discovery_and_hides_the_secret(staff, op):
    response = add_environment(staff, op)
    assert response.status_code == 302, response.content.decode()[:2000]
    environment = Environment.objects.get()
    assert environment.openid_configuration["issuer"] == op.issuer
    page = staff.get(f"/admin/tenants/environment/{environment.pk}/change/").content.decode()
    assert DEMO_CLIENT_SECRET not in page
    # Saving without a secret keeps the stored one (write-only field).
    response = add_environment(staff, op, name="Renamed", client_secret="")
    assert response.status_code == 200  # duplicate issuer+client_id is refused on add
    response = staff.post(
        f"/admin/tenants/environment/{environment.pk}/change/",
        {"name": "Renamed", "issuer": op.issuer, "client_id": "portal", "client_secret": "",
         "token_auth_method": "client_secret_jwt", "is_active": "on"},
    )
    assert response.status_code == 302
    environment.refresh_from_db()
    assert environment.client_secret == DEMO_CLIENT_SECRET and environment.name == "Renamed"


@pytest.mark.django_db
def test_bad_issuer_is_refused_with_a_message(staff, op):
    op.simulator.discovery_overrides = {"issuer": "https://elsewhere.example"}
    response = add_environment(staff, op)
    assert response.status_code == 200
    assert words_of(Reason.DISCOVERY_ISSUER_MISMATCH) in text_of(response) and "expected=" in text_of(response)
    op.simulator.discovery_overrides = {}
    op.stop()
    response = add_environment(staff, op)
    assert words_of(Reason.DISCOVERY_UNREACHABLE) in text_of(response)
    assert not Environment.objects.exists()


@pytest.mark.django_db
def test_tenant_bad_input_is_refused(staff, op):
    add_environment(staff, op)
    environment = Environment.objects.get()
    response = add_tenant(staff, environment, tenant_id="1234-not-a-uuid")
    assert response.status_code == 200 and "valid UUID" in response.content.decode()
    response = add_tenant(staff, environment, tenant_id=str(uuid.uuid4()))
    assert response.status_code == 200 and words_of(Reason.DISCOVERY_TENANT_UNKNOWN) in text_of(response)
    assert not Tenant.objects.exists()


@pytest.mark.django_db
def test_tenant_list_shows_status_age_and_api_base_and_runs_discovery(staff, op):
    add_environment(staff, op)
    environment = Environment.objects.get()
    assert add_tenant(staff, environment).status_code == 302
    page = staff.get("/admin/tenants/tenant/").content.decode()
    assert op.issuer + "/api-na1" in page
    assert "ok" in page and "ago" in page
    tenant = Tenant.objects.get()
    op.simulator.reset_calls()
    response = staff.post(
        "/admin/tenants/tenant/", {"action": "run_discovery", "_selected_action": [tenant.pk]}, follow=True
    )
    assert "discovery ok" in response.content.decode()
    assert op.simulator.count("cxone-configuration") == 1
    op.stop()
    response = staff.post(
        "/admin/tenants/tenant/", {"action": "run_discovery", "_selected_action": [tenant.pk]}, follow=True
    )
    page = text_of(response)
    assert words_of(Reason.DISCOVERY_UNREACHABLE) in page and "Last good result kept" in page


# --- issue 12: see and act ------------------------------------------------------------------

@pytest.mark.django_db
def test_identities_are_listed_searchable_and_filterable(admin_client, cxone):
    from django.test import Client

    from .conftest import Browser

    Browser(Client(), cxone).sign_in()
    Browser(Client(), cxone).sign_in(tenant="globex", username="tess.lead@globex.example")
    page = admin_client.get("/admin/accounts/cxoneidentity/").content.decode()
    assert "Alex Rivera" in page and "Tess Nakamura" in page and "Globex Care" in page and "Supervisor" in page
    found = admin_client.get("/admin/accounts/cxoneidentity/", {"q": "tess.lead"}).content.decode()
    assert "Tess Nakamura" in found and "Alex Rivera" not in found
    active = admin_client.get("/admin/accounts/cxoneidentity/", {"activity": "session", "portal_role__exact": "Agent"}).content.decode()
    assert "Alex Rivera" in active and "Tess Nakamura" not in active
    users = admin_client.get("/admin/auth/user/").content.decode()
    assert "Alex Rivera (alex.agent@acme.example)" in users and "Acme Support" in users


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["accounts/cxoneidentity", "tenants/tenant", "tenants/environment", "auth/user"])
def test_sign_out_everywhere_ends_every_session_of_the_selection_and_says_how_many(admin_client, cxone, model):
    from django.contrib.sessions.models import Session
    from django.test import Client

    from accounts.models import CXoneIdentity, TokenSession

    from .conftest import Browser

    laptops = [Browser(Client(), cxone) for _ in range(2)]
    for laptop in laptops:
        laptop.sign_in()  # one agent, two browsers
    other = Browser(Client(), cxone)
    other.sign_in(tenant="globex", username="tess.lead@globex.example")
    alex = CXoneIdentity.objects.get(login_name="alex.agent@acme.example")
    pk = {"accounts/cxoneidentity": alex.pk, "tenants/tenant": alex.tenant_id, "tenants/environment": alex.tenant.environment_id,
          "auth/user": alex.user_id}[model]
    response = admin_client.post(f"/admin/{model}/", {"action": "sign_out_everywhere", "_selected_action": [pk]}, follow=True)
    if model == "tenants/environment":  # the environment holds both tenants
        assert "Ended 3 session(s) of 2 user(s)." in response.content.decode()
        return
    assert "Ended 2 session(s) of 1 user(s)." in response.content.decode()
    for laptop in laptops:
        assert laptop.client.get("/account/").status_code == 302
    assert other.client.get("/account/").status_code == 200
    assert TokenSession.objects.count() == 1 and Session.objects.filter(session_key__in=[
        laptop.client.session.session_key for laptop in laptops]).count() == 0


@pytest.mark.django_db
def test_sign_in_events_are_recorded_browsable_and_pruned(admin_client, cxone):
    from datetime import timedelta

    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from accounts.models import SignInEvent

    from .conftest import AGENT, Browser

    browser = Browser(Client(), cxone)
    browser.sign_in()
    browser.callback(browser.login_at_cxone(browser.start(tenant="acme"), AGENT, action="cancel"))
    browser.client.post("/oidc/logout/")
    kinds = list(SignInEvent.objects.order_by("at").values_list("kind", "reason", "who"))
    assert kinds == [("sign_in", "", AGENT), ("sign_in_failed", "sign_in_cancelled", ""), ("sign_out", "", AGENT)]
    assert all(SignInEvent.objects.values_list("request_id", flat=True))
    page = admin_client.get("/admin/accounts/signinevent/", {"kind__exact": "sign_in_failed"}).content.decode()
    rows = page.split("<tbody>")[-1].split("</tbody>")[0]
    assert "sign_in_cancelled" in rows and "signed in" not in rows
    tenant_page = admin_client.get(f"/admin/tenants/tenant/{cxone.tenant('acme').pk}/change/").content.decode()
    assert "failures in the last 24 hours: 1" in tenant_page and "sign-in failed" in tenant_page
    assert "API base URL: " + cxone.op.issuer + "/api-na1" in tenant_page  # discovery as readable fields
    tenants = admin_client.get("/admin/tenants/tenant/").content.decode()
    assert "ago" in tenants
    SignInEvent.objects.filter(kind="sign_in").update(at=timezone.now() - timedelta(days=91))
    call_command("prune_sign_in_events")
    assert not SignInEvent.objects.filter(kind="sign_in").exists() and SignInEvent.objects.count() == 2


@pytest.mark.django_db
def test_adding_a_tenant_is_guided(admin_client, cxone):
    page = admin_client.get("/admin/tenants/tenant/add/").content.decode()
    assert "Organization ID" in page and "tenantId" in page and "capitals don" in page
    assert f'<option value="{cxone.environment.pk}" selected>' in page  # the one environment, preselected


@pytest.mark.django_db
def test_a_tenant_added_to_the_simulator_at_runtime_registers_through_the_admin_form(admin_client, cxone):
    from simulator.demo import practice_tenant
    from tenants.models import Tenant

    practice = practice_tenant()
    cxone.sim.add_tenant(practice)
    response = admin_client.post("/admin/tenants/tenant/add/", {
        "environment": cxone.environment.pk, "tenant_id": practice.tenant_id, "name": practice.name,
        "slug": practice.slug, "is_active": "on", "supervisor_roles": "Manager,Administrator"})
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant = Tenant.objects.get(slug="initech")
    assert tenant.api_base_url == cxone.op.issuer + "/api-au1"
    from django.test import Client

    from .conftest import Browser
    assert Browser(Client(), cxone).sign_in(tenant="initech", username="pete.lead@initech.example")["Location"] == "/dashboard/"


@pytest.mark.django_db
def test_organization_ids_that_differ_only_in_case_are_refused(admin_client, cxone):
    response = admin_client.post("/admin/tenants/tenant/add/", {
        "environment": cxone.environment.pk, "tenant_id": "3a7c9e1b-2d4f-4a6b-8c0e-5f7a9b1c3d30", "name": "Other",
        "slug": "ACME", "is_active": "on", "supervisor_roles": "Manager"})
    assert response.status_code == 200 and "capitals don" in response.content.decode()


@pytest.mark.django_db
def test_a_reasons_words_live_in_one_place(staff, cxone, monkeypatch):
    """Change a reason's words on the enumeration alone: the sign-in page, the JSON answer and
    the admin all say the new words, nothing else edited."""
    from django.core.cache import cache

    from tenants import discovery

    for reason in (Reason.DISCOVERY_FAILED, Reason.DISCOVERY_UNREACHABLE):
        monkeypatch.setattr(reason, "words", f"Reworded {reason.value}: the one table speaks.")
    failed_words, unreachable_words = str(Reason.DISCOVERY_FAILED.words), str(Reason.DISCOVERY_UNREACHABLE.words)

    Environment.objects.update(openid_configuration=None, discovered_at=None)
    cache.clear()
    cxone.op.stop()
    page = staff.get("/oidc/authenticate/", {"tenant": "acme"})
    assert page.status_code == 502 and failed_words in text_of(page)
    answer = staff.get("/oidc/authenticate/", {"tenant": "acme"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert answer.json() == {"reason": "discovery_failed", "message": failed_words, "login_url": "/oidc/authenticate/?tenant=acme"}

    tenant = Tenant.objects.get(slug="acme")
    with pytest.raises(discovery.DiscoveryError):
        discovery.refresh(tenant, keep_stale=False)
    assert unreachable_words in text_of(staff.get("/admin/tenants/tenant/"))
    assert unreachable_words in text_of(staff.get(f"/admin/tenants/tenant/{tenant.pk}/change/"))
    action = staff.post("/admin/tenants/tenant/", {"action": "run_discovery", "_selected_action": [tenant.pk]}, follow=True)
    assert unreachable_words in text_of(action)


@pytest.mark.django_db
def test_sign_out_everywhere_is_listed_by_the_registrys_admin_without_an_upward_import():
    """The tenant and environment admins list accounts' action and sign-in counts, and the
    registry imports nothing from accounts (accounts fills the registry admin's hooks in)."""
    import inspect

    import tenants.admin
    from accounts.admin import sign_out_environments, sign_out_tenants
    from tenants.admin import EnvironmentAdmin, TenantAdmin

    assert sign_out_tenants in TenantAdmin.actions and sign_out_environments in EnvironmentAdmin.actions
    assert "accounts" not in "".join(line for line in inspect.getsource(tenants.admin).splitlines() if line.startswith(("from", "import")))
