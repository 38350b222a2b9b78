"""Supervisors act through CXone with their own token: every refusal the portal makes first
costs CXone no call; CXone's refusals come back worded from the one table; every action is
recorded; the board shows the effect at its next poll. Agents read their inbox."""
import json

import pytest
from django.test import Client

from workspaces.models import SupervisorAction

from .conftest import AGENT, SUPERVISOR, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
VIEWER = "vera.viewer@acme.example"
WORLD_AT = 1796126400.0  # 2026-12-01T12:00:00Z, a weekday at noon: agents in every state


def signed_in(cxone, username, *, csrf_checks=True):
    browser = Browser(Client(enforce_csrf_checks=csrf_checks), cxone)
    assert browser.sign_in(username=username).status_code == 302
    return browser


def csrf(browser):
    page = browser.client.get("/supervisor/")
    return page.content.decode().split('data-csrf="', 1)[1].split('"', 1)[0] if page.status_code == 200 else ""


def post(browser, path, body, token=None):
    return browser.client.post(path, json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=token or csrf(browser), **XHR)


def calls(browser, method="POST"):
    return [c for c in browser.cxone.sim.calls if c["endpoint"] == "api" and c.get("method", "GET") == method]


@pytest.fixture
def supervisor(cxone, portal_clock):
    portal_clock.at(WORLD_AT)  # the simulator's world is a function of its clock: a fixed one
    browser = signed_in(cxone, SUPERVISOR)
    body = browser.client.get("/api/supervisor/agents/", **XHR).json()
    browser.agents = {a["agentId"]: a for a in body["agents"]}
    return browser


def an_agent(browser, *, state=None, team=None):
    """An agent who is logged in (CXone answers 409 to acting on a logged-out one)."""
    for a in browser.agents.values():
        if a["state"] == "LoggedOut" or a["agentId"] in ("1002",):
            continue
        if (state is None or a["state"] == state) and (team is None or a["teamId"] == team):
            return a
    raise AssertionError(f"the simulator's world at {WORLD_AT} has no logged-in agent in state {state}, team {team}")


@pytest.mark.django_db
@pytest.mark.usefixtures("both_shapes")
def test_unavailable_codes_of_a_team(supervisor):
    body = supervisor.client.get("/api/supervisor/teams/1/unavailable-codes/", **XHR).json()
    assert {"id": 101, "name": "Break", "isAcw": False} in body["codes"]
    assert any(c["isAcw"] for c in body["codes"]) and all(set(c) == {"id", "name", "isAcw"} for c in body["codes"])
    inactive = supervisor.client.get("/api/supervisor/teams/2/unavailable-codes/", **XHR).json()["codes"]
    assert 110 not in {c["id"] for c in inactive}  # Project Time is inactive


@pytest.mark.django_db
@pytest.mark.usefixtures("both_shapes")
def test_a_state_change_is_done_recorded_and_on_the_board_at_the_next_poll(supervisor):
    agent = next((a for a in supervisor.agents.values() if a["teamId"] == "1" and a["state"] == "Available"), None) \
        or an_agent(supervisor, state="Available")  # on a contact, CXone starts the new state when the contact ends
    code = {"1": 106, "2": 107, "3": 108, "4": 109}[agent["teamId"]]
    response = post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/state/", {"state": "Unavailable", "reasonId": code})
    assert response.status_code == 200 and response.json()["ok"] is True and response.json()["message"]
    assert len(calls(supervisor)) == 1
    action = SupervisorAction.objects.get()
    assert (action.kind, action.target_id, action.cxone_status, action.outcome) == ("set_state", agent["agentId"], 202, "done")
    assert action.request_id and action.tenant.slug == "acme" and action.detail.startswith("Unavailable: ")
    now = {a["agentId"]: a for a in supervisor.client.get("/api/supervisor/agents/", **XHR).json()["agents"]}
    reasons = {"1": "Coaching", "2": "Research", "3": "Payment Follow-up", "4": "Case Review"}
    assert now[agent["agentId"]]["state"] == "Unavailable" and now[agent["agentId"]]["stateReason"] in reasons.values()


@pytest.mark.django_db
def test_logout_and_available(supervisor):
    agent = an_agent(supervisor)
    assert post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/logout/", {}).status_code == 200
    now = {a["agentId"]: a for a in supervisor.client.get("/api/supervisor/agents/", **XHR).json()["agents"]}
    assert now[agent["agentId"]]["state"] == "LoggedOut"
    assert post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/state/", {"state": "Available"}).status_code in (200, 409)
    assert SupervisorAction.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("body, reason", [
    ({"state": "Lunch"}, "bad_input"),
    ({"state": "Unavailable"}, "bad_input"),
    ({"state": "Unavailable", "reasonId": 999}, "bad_input"),
    ({"state": "Unavailable", "reasonId": "101"}, "bad_input"),
    ("not an object", "bad_input"),
])
def test_what_the_portal_refuses_first_costs_cxone_no_call(supervisor, body, reason):
    agent = an_agent(supervisor, team="1")
    supervisor.client.get("/api/supervisor/teams/1/unavailable-codes/", **XHR)  # codes cached, as the page does
    before = len(calls(supervisor)) + len(calls(supervisor, "GET"))
    response = post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/state/", body)
    assert response.status_code == 400 and response.json()["reason"] == reason and response.json()["message"]
    assert len(calls(supervisor)) + len(calls(supervisor, "GET")) == before
    # Recorded when the portal understood what was asked, with its reason and no CXone status.
    assert all(a.cxone_status is None and a.outcome == reason for a in SupervisorAction.objects.all())


@pytest.mark.django_db
def test_messages_too_long_or_to_nobody_are_refused_first(supervisor):
    agent = an_agent(supervisor)
    for body in ({"targetType": "Agent", "targetId": agent["agentId"], "subject": "x" * 101, "message": "hi"},
                 {"targetType": "Agent", "targetId": agent["agentId"], "subject": "Hi", "message": "x" * 1025},
                 {"targetType": "Station", "targetId": "1", "subject": "Hi", "message": "hi"},
                 {"targetType": "Agent", "targetId": "424242", "subject": "Hi", "message": "hi"}):
        response = post(supervisor, "/api/supervisor/messages/", body)
        assert response.status_code in (400, 404), body
    assert calls(supervisor) == []


@pytest.mark.django_db
def test_a_message_reaches_the_agents_inbox(supervisor, cxone):
    agent_browser = signed_in(cxone, AGENT)
    response = post(supervisor, "/api/supervisor/messages/", {"targetType": "Agent", "targetId": "1001", "subject": "Huddle", "message": "At 10:30, room 2."})
    assert response.status_code == 200 and response.json()["ok"] is True
    inbox = agent_browser.client.get("/api/agent/messages/", **XHR).json()["messages"]
    assert any(m["subject"] == "Huddle" and m["message"] == "At 10:30, room 2." for m in inbox)
    assert set(inbox[0]) == {"messageId", "subject", "message", "startDate", "sentBy"}
    team = post(supervisor, "/api/supervisor/messages/", {"targetType": "Team", "targetId": "1", "subject": "Team", "message": "Hello"})
    everyone = post(supervisor, "/api/supervisor/messages/", {"targetType": "Everyone", "subject": "All", "message": "Hello"})
    assert team.status_code == everyone.status_code == 200
    assert SupervisorAction.objects.filter(kind="message").count() == 3


@pytest.mark.django_db
def test_an_agent_or_a_missing_csrf_token_is_refused_without_calling_cxone(supervisor, cxone):
    agent_browser = signed_in(cxone, AGENT)
    response = post(agent_browser, "/api/supervisor/agents/1005/logout/", {}, token="x")
    assert response.status_code == 403
    no_token = supervisor.client.post("/api/supervisor/agents/1005/logout/", "{}", content_type="application/json", **XHR)
    assert no_token.status_code == 403 and no_token.json()["reason"] == "csrf_failed"
    agent_token = signed_in(cxone, AGENT, csrf_checks=False)
    refused = post(agent_token, "/api/supervisor/agents/1005/logout/", {}, token="unused")
    assert refused.status_code == 403 and refused.json()["reason"] == "not_a_supervisor"
    assert calls(supervisor) == []


@pytest.mark.django_db
def test_acting_on_a_logged_out_agent_is_cxones_409_worded(supervisor):
    gone = next((a for a in supervisor.agents.values() if a["state"] == "LoggedOut"), None)
    if gone is None:
        agent = an_agent(supervisor)
        post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/logout/", {})
        gone = agent
    response = post(supervisor, f"/api/supervisor/agents/{gone['agentId']}/logout/", {})
    assert response.status_code == 409 and response.json()["reason"] == "api_conflict"


@pytest.mark.django_db
def test_cxones_refusals_are_worded_and_recorded(supervisor):
    agent = an_agent(supervisor, team="1")
    not_on_contact = next(a for a in supervisor.agents.values() if a["teamId"] == "1" and not a["contactId"] and a["state"] != "LoggedOut")
    supervisor.client.get("/api/supervisor/teams/1/unavailable-codes/", **XHR)
    conflict = post(supervisor, f"/api/supervisor/agents/{not_on_contact['agentId']}/state/", {"state": "Unavailable", "reasonId": 201})
    assert conflict.status_code == 409 and conflict.json()["reason"] == "api_conflict" and "active contact" in conflict.json()["message"]
    supervisor.cxone.sim.api.faults["agents/{agentId}/logout"] = 403
    forbidden = post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/logout/", {})
    assert forbidden.status_code == 403 and forbidden.json()["reason"] == "api_forbidden" and "CXone role does not allow" in forbidden.json()["message"]
    supervisor.cxone.sim.api.faults["agents/{agentId}/logout"] = (404, {"message": "Agent not found"})
    missing = post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/logout/", {})
    assert missing.status_code == 404 and missing.json()["reason"] == "api_not_found"
    outcomes = list(SupervisorAction.objects.order_by("created_at").values_list("cxone_status", "outcome"))
    assert outcomes == [(409, "api_conflict"), (403, "api_forbidden"), (404, "api_not_found")]


@pytest.mark.django_db
def test_a_view_only_supervisor_reads_the_board_but_cxone_refuses_their_actions(cxone):
    tenant = cxone.tenant("acme")
    tenant.supervisor_roles = "Manager,Administrator,Supervisor View Only"
    tenant.save()
    viewer = signed_in(cxone, VIEWER)
    agents = viewer.client.get("/api/supervisor/agents/", **XHR).json()["agents"]
    target = next(a for a in agents if a["agentId"] not in ("1004",))
    response = post(viewer, f"/api/supervisor/agents/{target['agentId']}/logout/", {})
    assert response.status_code == 403 and response.json()["reason"] == "api_forbidden"
    assert SupervisorAction.objects.get().outcome == "api_forbidden"


@pytest.mark.django_db
def test_the_admin_lists_supervisor_actions_read_only(supervisor, admin_client):
    agent = an_agent(supervisor)
    post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/logout/", {})
    page = admin_client.get("/admin/workspaces/supervisoraction/")
    assert page.status_code == 200 and "Samira" in page.content.decode()
    assert admin_client.get("/admin/workspaces/supervisoraction/add/").status_code == 403
    assert admin_client.get("/admin/workspaces/supervisoraction/?kind__exact=logout").status_code == 200


@pytest.mark.django_db
def test_a_tenants_thresholds_reach_the_board(cxone):
    from workspaces.models import BoardThresholds

    BoardThresholds.objects.create(tenant=cxone.tenant("acme"), unavailable_seconds=40 * 60, contact_seconds=12 * 60, acw_seconds=90,
                                   longest_wait_seconds=30)
    page = signed_in(cxone, SUPERVISOR).client.get("/supervisor/").content.decode()
    thresholds = json.loads(page.split('id="board-thresholds" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert thresholds == {"unavailableMinutes": 40, "contactMinutes": 12, "acwMinutes": 1.5, "longestWaitSeconds": 30,
                          "unavailableSeconds": 2400, "contactSeconds": 720, "acwSeconds": 90, "teams": {}}
