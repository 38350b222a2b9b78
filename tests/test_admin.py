"""Django admin: registering environments and tenants, with discovery on save."""
import uuid

import pytest

from simulator.demo import DEMO_CLIENT_SECRET
from tenants.models import Environment, Tenant

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"


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
    assert "not the configured" in response.content.decode()
    op.simulator.discovery_overrides = {}
    op.stop()
    response = add_environment(staff, op)
    assert "could not be reached" in response.content.decode()
    assert not Environment.objects.exists()


@pytest.mark.django_db
def test_tenant_bad_input_is_refused(staff, op):
    add_environment(staff, op)
    environment = Environment.objects.get()
    response = add_tenant(staff, environment, tenant_id="1234-not-a-uuid")
    assert response.status_code == 200 and "valid UUID" in response.content.decode()
    response = add_tenant(staff, environment, tenant_id=str(uuid.uuid4()))
    assert response.status_code == 200 and "CXone does not know tenant" in response.content.decode()
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
    page = response.content.decode()
    assert "could not be reached" in page and "last good result kept" in page
