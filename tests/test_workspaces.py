"""The agent's day and the team board against the simulator's APIs over real HTTP: roles,
shapes, caching per tenant and user, one poll per interval, deltas, faults, 401 and refresh."""
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import TokenSession
from simulator.api import TEAM_SIZE

from .conftest import AGENT, SUPERVISOR, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def api_calls(sim, path=None, **match):
    return sim.count("api", **({"path": path} if path else {}), **match)


@pytest.fixture
def agent(browser):
    assert browser.sign_in(username=AGENT).status_code == 302
    browser.cxone.sim.reset_calls()
    return browser


@pytest.fixture
def supervisor(cxone):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    cxone.sim.reset_calls()
    return browser


@pytest.mark.django_db
def test_the_dashboard_sends_each_role_to_its_page(agent, supervisor):
    assert agent.client.get("/dashboard/")["Location"] == "/agent/"
    assert supervisor.client.get("/dashboard/")["Location"] == "/supervisor/"
    page = supervisor.client.get("/supervisor/").content.decode()
    assert "Team board" in page and "/static/js/workspace.js" in page and "<script>" not in page
    assert 'data-test="account-link"' in page
    assert agent.cxone.sim.count() == 0  # pages render no CXone data: their scripts fetch it


@pytest.mark.django_db
def test_the_agents_day_has_every_contact_of_the_last_24_hours_newest_first(agent):
    body = agent.client.get("/api/agent/contacts/", **XHR).json()
    assert set(body) >= {"contacts", "total", "asOf", "stale"} and body["stale"] is False
    contacts = body["contacts"]
    assert body["total"] == len(contacts) > 25  # more than one page of CXone's
    assert set(contacts[0]) == {"contactId", "startDate", "skillName", "mediaType", "durationSeconds"}
    starts = [c["startDate"] for c in contacts]
    assert starts == sorted(starts, reverse=True)
    assert api_calls(agent.cxone.sim, "contacts/completed") >= 2
    state = agent.client.get("/api/agent/state/", **XHR).json()["state"]
    assert state["agentId"] == "1001" and state["state"]


@pytest.mark.django_db
def test_an_agent_gets_a_readable_403_and_cxone_is_never_called(agent):
    for path in ("/api/supervisor/agents/", "/api/supervisor/skills/", "/api/supervisor/agents/1002/contacts/"):
        response = agent.client.get(path, **XHR)
        assert response.status_code == 403 and response.json()["reason"] == "not_a_supervisor", path
    page = agent.client.get("/supervisor/")
    assert page.status_code == 403 and "for supervisors" in page.content.decode()
    assert api_calls(agent.cxone.sim) == 0


@pytest.mark.django_db
def test_the_board_lists_every_agent_with_state_team_and_skill(supervisor):
    body = supervisor.client.get("/api/supervisor/agents/", **XHR).json()
    agents = body["agents"]
    assert len(agents) == TEAM_SIZE and body["stale"] is False
    assert set(agents[0]) >= {"agentId", "firstName", "lastName", "teamName", "state", "stateReason", "stateSince", "skillName"}
    assert {a["state"] for a in agents} <= {"Available", "InboundContact", "OutboundContact", "Unavailable", "LoggedOut"}
    assert any(a["stateReason"] for a in agents if a["state"] == "Unavailable")
    skills = supervisor.client.get("/api/supervisor/skills/", **XHR).json()["skills"]
    assert {"skillId", "skillName", "queueCount", "agentsAvailable", "serviceLevel", "serviceLevelGoal"} <= set(skills[0])
    one = supervisor.client.get("/api/supervisor/agents/1001/contacts/", **XHR).json()
    assert one["total"] == len(one["contacts"]) > 0


@pytest.mark.django_db
def test_one_poll_per_interval_whatever_the_tabs_then_only_changes(supervisor, settings):
    settings.CXONE_BOARD_POLL_SECONDS = 1
    tabs = [Client() for _ in range(4)]
    for tab in tabs:
        tab.cookies = supervisor.client.cookies
    for _ in range(3):
        for tab in tabs:
            assert tab.get("/api/supervisor/agents/", **XHR).status_code == 200
    sim = supervisor.cxone.sim
    assert api_calls(sim, "agents/states", updatedSince=False) == 3  # one full read: 3 pages
    time.sleep(1.1)
    for tab in tabs:
        assert len(tab.get("/api/supervisor/agents/", **XHR).json()["agents"]) == TEAM_SIZE
    assert api_calls(sim, "agents/states", updatedSince=True) >= 1  # the delta, merged
    assert api_calls(sim, "agents/states", updatedSince=False) == 3


@pytest.mark.django_db
def test_a_poll_from_cache_costs_no_cxone_call_and_no_database_write(supervisor):
    supervisor.client.get("/api/supervisor/agents/", **XHR)
    calls = supervisor.cxone.sim.count()
    with CaptureQueriesContext(connection) as queries:
        assert supervisor.client.get("/api/supervisor/agents/", **XHR).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == [] and supervisor.cxone.sim.count() == calls


@pytest.mark.django_db
def test_two_supervisors_never_share_data(supervisor, cxone):
    other = Browser(Client(), cxone)
    other.sign_in(tenant="globex", username="tess.lead@globex.example")
    acme = {a["lastName"] for a in supervisor.client.get("/api/supervisor/agents/", **XHR).json()["agents"]}
    globex = other.client.get("/api/supervisor/agents/", **XHR).json()["agents"]
    assert "Okafor" in acme and "Okafor" not in {a["lastName"] for a in globex} and "Nakamura" in {a["lastName"] for a in globex}


@pytest.mark.django_db
@pytest.mark.parametrize("status", [429, 503])
def test_throttling_serves_the_last_good_data_as_stale_and_backs_off(supervisor, settings, status):
    settings.CXONE_BOARD_POLL_SECONDS = 1
    assert supervisor.client.get("/api/supervisor/agents/", **XHR).json()["stale"] is False
    sim = supervisor.cxone.sim
    sim.api.faults["*"] = status
    time.sleep(1.1)
    body = supervisor.client.get("/api/supervisor/agents/", **XHR).json()
    assert body["stale"] is True and len(body["agents"]) == TEAM_SIZE and body["reason"] == "api_throttled" and body["notice"]
    throttled = api_calls(sim)
    time.sleep(1.1)  # the next interval, still inside the back-off: no call
    assert supervisor.client.get("/api/supervisor/agents/", **XHR).json()["stale"] is True
    assert api_calls(sim) == throttled


@pytest.mark.django_db
def test_no_data_and_an_outage_is_a_readable_503_not_a_500(supervisor):
    supervisor.cxone.sim.api.faults["*"] = 503
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 503 and response.json()["reason"] == "api_throttled" and response.json()["message"]


@pytest.mark.django_db
def test_cxones_403_says_which_role_is_missing(supervisor):
    supervisor.cxone.sim.api.faults["*"] = 403
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 403 and "CXone role" in response.json()["message"]


@pytest.mark.django_db
def test_a_revoked_access_token_is_refreshed_once_and_the_call_retried(supervisor):
    import jwt as pyjwt

    row = TokenSession.objects.get(user__cxone_identity__login_name=SUPERVISOR)
    supervisor.cxone.sim.api.revoked.add(pyjwt.decode(row.access_token, options={"verify_signature": False})["jti"])
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 200 and len(response.json()["skills"]) == 4
    assert supervisor.cxone.sim.count("token", grant_type="refresh_token") == 1
    assert TokenSession.objects.get(pk=row.pk).access_token != row.access_token


@pytest.mark.django_db
def test_when_that_refresh_fails_the_session_ends(supervisor):
    import jwt as pyjwt

    row = TokenSession.objects.get(user__cxone_identity__login_name=SUPERVISOR)
    supervisor.cxone.sim.api.revoked.add(pyjwt.decode(row.access_token, options={"verify_signature": False})["sub"])
    supervisor.cxone.sim.faults["token"] = (400, {"error": "invalid_grant"})
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 401 and response.json()["reason"] == "cxone_session_ended"
    assert not TokenSession.objects.filter(pk=row.pk).exists()
    assert supervisor.client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_a_local_admin_gets_a_readable_403_on_the_workspaces(admin_client, cxone):
    response = admin_client.get("/api/agent/contacts/", **XHR)
    assert response.status_code == 403 and response.json()["reason"] == "not_a_cxone_user"
    assert admin_client.get("/agent/").status_code == 403
    assert admin_client.get("/dashboard/")["Location"] == "/account/"
