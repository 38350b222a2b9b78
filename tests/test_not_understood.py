"""A tolerant reader that is still loud: an answer lacking a field the page needs shows "not
available from CXone" (never a blank, never a 500), one record per tenant, endpoint and hour
in the tenant's admin and the log; CXone's own words for a refusal reach the log, bounded."""
import logging

import pytest
from django.test import Client

from tenants.models import NotUnderstood

from .conftest import AGENT, SUPERVISOR, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def signed_in(cxone, username):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=username).status_code == 302
    return browser


@pytest.mark.django_db
def test_a_missing_start_date_says_not_available_and_is_listed_for_the_tenant(cxone, admin_client, caplog):
    cxone.sim.api.dropped = {"contactStartDate"}
    agent = signed_in(cxone, AGENT)
    with caplog.at_level(logging.WARNING, logger="workspaces.shapes"):
        response = agent.client.get("/api/agent/contacts/", **XHR)
        day = agent.client.get("/api/agent/day/", **XHR)
    assert response.status_code == 200 and day.status_code == 200
    contacts = response.json()["contacts"]
    assert contacts and all(c["startDate"] == "" and c["notFromCXone"] == ["startDate"] for c in contacts)
    record = NotUnderstood.objects.get()  # the day read the same endpoint within the hour: one record
    assert (record.tenant.slug, record.endpoint, record.field, record.hours) == ("acme", "contacts/completed", "contactStartDate", 1)
    assert "agentSeconds" in record.keys and "contactStartDate" not in record.keys
    logged = [r for r in caplog.records if getattr(r, "event", "") == "cxone_shape"]
    assert len(logged) == 1 and logged[0].reason == "api_unexpected_shape" and logged[0].endpoint == "contacts/completed"
    page = admin_client.get(f"/admin/tenants/tenant/{record.tenant.pk}/change/").content.decode()
    assert "What the portal did not understand from CXone" in page and "contacts/completed" in page and "contactStartDate" in page
    listing = admin_client.get("/admin/tenants/notunderstood/").content.decode()
    assert "contacts/completed" in listing and "agentSeconds" in listing
    assert admin_client.get("/admin/tenants/notunderstood/add/").status_code == 403  # read-only


@pytest.mark.django_db
def test_codes_without_ids_say_not_available_instead_of_an_empty_list(cxone):
    cxone.sim.api.dropped = {"outstateId", "outStateId"}
    supervisor = signed_in(cxone, SUPERVISOR)
    body = supervisor.client.get("/api/supervisor/teams/1/unavailable-codes/", **XHR).json()
    assert body["codes"] == [] and body["notFromCXone"] == ["codes"]
    assert NotUnderstood.objects.get().field == "outstateId"


@pytest.mark.django_db
@pytest.mark.parametrize("said, words", [
    ({"error": "InvalidParameter", "errorDescription": "top is too large."}, "InvalidParameter: top is too large."),
    ({"error": "invalid_request", "error_description": "Bad date."}, "invalid_request: Bad date."),
    ({"Message": "No known way to render data." + "x" * 500}, "No known way to render data." + "x" * 172),
])
def test_cxones_words_for_a_refusal_reach_the_log_bounded(cxone, caplog, said, words):
    supervisor = signed_in(cxone, SUPERVISOR)
    cxone.sim.api.faults["agents/states"] = (400, said)
    with caplog.at_level(logging.INFO, logger="workspaces.cxone_api"):
        response = supervisor.client.get("/api/supervisor/agents/", **XHR)
    assert response.status_code in (502, 503) and set(response.json()) >= {"reason", "message"}
    logged = [r for r in caplog.records if getattr(r, "path", "") == "agents/states" and getattr(r, "status", 0) == 400]
    assert logged and logged[0].cxone_says == words and len(words) <= 200
