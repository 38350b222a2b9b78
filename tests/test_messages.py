"""Messages as supervisors expect them, against the simulator on loopback: an expiry choice,
the list of what this tenant's supervisors sent, a retract that CXone carries out (the agent's
inbox stops listing it), the sender's name in the agent's inbox (never another tenant's), the
teams by name, a message to everyone on the agent's page at its next poll."""
import uuid

import pytest

from workspaces import messages as messages_module
from workspaces.models import SupervisorAction

from .conftest import AGENT, SUPERVISOR
from .test_actions import XHR, WORLD_AT, calls, csrf, post, signed_in


@pytest.fixture
def supervisor(cxone, portal_clock):
    portal_clock.at(WORLD_AT)
    browser = signed_in(cxone, SUPERVISOR)
    browser.clock = portal_clock
    assert browser.client.get("/api/supervisor/agents/", **XHR).status_code == 200
    return browser


def send(browser, **fields):
    body = {"targetType": "Everyone", "subject": "Huddle", "message": "Room 2 at 10:30.", **fields}
    return post(browser, "/api/supervisor/messages/", body)


def sent(browser):
    response = browser.client.get("/api/supervisor/messages/", **XHR)
    assert response.status_code == 200
    return response.json()["messages"]


def inbox_reads(browser):
    return len([c for c in calls(browser, "GET") if c.get("route") == "agents/{agentId}/messages"])


def inbox(browser):
    response = browser.client.get("/api/agent/messages/", **XHR)
    assert response.status_code == 200
    return response.json()["messages"]


@pytest.mark.django_db
def test_the_expiry_chosen_reaches_cxone_and_the_record(supervisor):
    assert send(supervisor, expireMinutes=15).status_code == 200
    assert send(supervisor, subject="Default").status_code == 200
    bodies = [c for c in supervisor.cxone.sim.calls if c.get("route") == "agents/messages"]
    assert len(bodies) == 2
    rows = {r.subject: r.expire_minutes for r in SupervisorAction.objects.filter(kind="message")}
    assert rows == {"Huddle": 15, "Default": 480}
    # the simulator keeps the message as long as CXone was told: gone 15 minutes on
    team = supervisor.cxone.sim.api.team_of(str(supervisor.cxone.tenant().tenant_id))
    lengths = sorted(round((m["until"] - m["start"]) / 60) for m in team.messages)
    assert lengths == [15, 480]


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [0, -5, 10081, "60", 1.5, True])
def test_an_expiry_out_of_bounds_is_refused_before_cxone(supervisor, minutes):
    response = send(supervisor, expireMinutes=minutes)
    assert response.status_code == 400 and response.json()["reason"] == "bad_input"
    assert calls(supervisor) == []


@pytest.mark.django_db
def test_the_sent_list_is_this_tenants_newest_first_with_cxones_ids(supervisor, cxone):
    from tenants.models import Tenant

    assert send(supervisor, subject="First").status_code == 200
    assert send(supervisor, targetType="Team", targetId="2", subject="Second", expireMinutes=60).status_code == 200
    SupervisorAction.objects.create(tenant=Tenant.objects.get(slug="globex"), kind="message", target_type="Everyone",
                                    subject="Globex only", cxone_message_ids=str(uuid.uuid4()), outcome="done")
    SupervisorAction.objects.create(tenant=cxone.tenant(), kind="message", target_type="Everyone", subject="Refused",
                                    outcome="too_many_messages")
    listed = sent(supervisor)
    assert [m["subject"] for m in listed] == ["Second", "First"]
    second = listed[0]
    assert second["targetType"] == "Team" and second["targetId"] == "2" and second["expireMinutes"] == 60
    assert second["retracted"] is False and second["retractedAt"] is None and second["sender"]
    assert len(second["messageIds"]) == 1 and second["expiresAt"] > second["sentAt"]
    assert set(second) == {"id", "sentAt", "sender", "targetType", "targetId", "subject", "message", "expireMinutes",
                           "expiresAt", "messageIds", "retracted", "retractedAt"}


@pytest.mark.django_db
def test_an_agent_may_not_read_the_sent_list(cxone, portal_clock):
    agent = signed_in(cxone, AGENT)
    response = agent.client.get("/api/supervisor/messages/", **XHR)
    assert response.status_code == 403 and response.json()["reason"] == "not_a_supervisor"


@pytest.mark.django_db
def test_a_retract_deletes_in_cxone_and_the_inbox_stops_listing_it(supervisor, cxone):
    agent = signed_in(cxone, AGENT)
    assert send(supervisor, subject="Fire drill").status_code == 200
    assert [m["subject"] for m in inbox(agent)] == ["Fire drill"]
    message = sent(supervisor)[0]
    response = post(supervisor, f"/api/supervisor/messages/{message['id']}/retract/", {})
    assert response.status_code == 200 and response.json()["ok"] is True
    deletes = calls(supervisor, "DELETE")
    assert [c["route"] for c in deletes] == ["agents/messages/{messageId}"]
    assert sent(supervisor)[0]["retracted"] is True
    record = SupervisorAction.objects.get(kind="retract")
    assert (record.target_type, record.target_id, record.cxone_status, record.outcome) == ("Message", str(message["id"]), 204, "done")
    assert record.cxone_message_ids == " ".join(message["messageIds"])
    supervisor.clock.later(10)  # the inbox's next read (at most 10 s on)
    assert inbox(agent) == []


@pytest.mark.django_db
def test_a_retract_twice_or_of_an_unknown_message_is_refused_and_recorded(supervisor):
    assert send(supervisor).status_code == 200
    message = sent(supervisor)[0]
    assert post(supervisor, f"/api/supervisor/messages/{message['id']}/retract/", {}).status_code == 200
    again = post(supervisor, f"/api/supervisor/messages/{message['id']}/retract/", {})
    assert again.status_code == 409 and again.json()["reason"] == "message_retracted"
    unknown = post(supervisor, "/api/supervisor/messages/424242/retract/", {})
    assert unknown.status_code == 404 and unknown.json()["reason"] == "message_unknown"
    assert len(calls(supervisor, "DELETE")) == 1
    outcomes = list(SupervisorAction.objects.filter(kind="retract").order_by("pk").values_list("outcome", "cxone_status"))
    assert outcomes == [("done", 204), ("message_retracted", None), ("message_unknown", None)]


@pytest.mark.django_db
def test_another_tenants_message_cannot_be_retracted_from_here(supervisor):
    from tenants.models import Tenant

    theirs = SupervisorAction.objects.create(tenant=Tenant.objects.get(slug="globex"), kind="message", target_type="Everyone",
                                             subject="Globex", cxone_message_ids=str(uuid.uuid4()), outcome="done")
    response = post(supervisor, f"/api/supervisor/messages/{theirs.pk}/retract/", {})
    assert response.status_code == 404 and response.json()["reason"] == "message_unknown"
    assert calls(supervisor, "DELETE") == []


@pytest.mark.django_db
def test_a_message_cxone_already_dropped_is_retracted_all_the_same(supervisor):
    assert send(supervisor).status_code == 200
    message = sent(supervisor)[0]
    supervisor.cxone.sim.api.faults["agents/messages/{messageId}"] = (404, {"message": "No such message."})
    response = post(supervisor, f"/api/supervisor/messages/{message['id']}/retract/", {})
    assert response.status_code == 200 and sent(supervisor)[0]["retracted"] is True


@pytest.mark.django_db
def test_cxones_refusal_of_a_retract_is_said_and_recorded(supervisor):
    assert send(supervisor).status_code == 200
    message = sent(supervisor)[0]
    supervisor.cxone.sim.api.faults["agents/messages/{messageId}"] = 403
    response = post(supervisor, f"/api/supervisor/messages/{message['id']}/retract/", {})
    assert response.status_code == 403 and response.json()["reason"] == "api_forbidden"
    assert sent(supervisor)[0]["retracted"] is False
    assert SupervisorAction.objects.get(kind="retract").outcome == "api_forbidden"


@pytest.mark.django_db
def test_a_retract_needs_the_csrf_token(supervisor):
    assert send(supervisor).status_code == 200
    message = sent(supervisor)[0]
    response = supervisor.client.post(f"/api/supervisor/messages/{message['id']}/retract/", "{}", content_type="application/json", **XHR)
    assert response.status_code == 403 and response.json()["reason"] == "csrf_failed"
    assert calls(supervisor, "DELETE") == []


@pytest.mark.django_db
def test_the_agent_sees_who_sent_each_message_from_their_own_tenant_only(supervisor, cxone):
    from tenants.models import Tenant

    agent = signed_in(cxone, AGENT)
    assert send(supervisor, subject="From Sam").status_code == 200
    ours = sent(supervisor)[0]
    # Another tenant's record naming the same id (newer) must not name the sender.
    SupervisorAction.objects.create(tenant=Tenant.objects.get(slug="globex"), kind="message", supervisor_name="Mallory",
                                    cxone_message_ids=ours["messageIds"][0], outcome="done")
    # A message sent in CXone itself, whose id only another tenant's record names: no sender.
    team = cxone.sim.api.team_of(str(cxone.tenant().tenant_id))
    outside = str(uuid.uuid4())
    now = supervisor.clock.now
    team.messages.append({"id": outside, "type": "everyone", "target": None, "start": now - 60, "until": now + 3600, "row": {
        "messageId": outside, "subject": "From CXone", "messageText": "Hello", "startDate": "2026-12-01T11:59:00Z",
        "validUntil": "2026-12-01T13:00:00Z"}})
    SupervisorAction.objects.create(tenant=Tenant.objects.get(slug="globex"), kind="message", supervisor_name="Mallory",
                                    cxone_message_ids=outside, outcome="done")
    by_subject = {m["subject"]: m["sentBy"] for m in inbox(agent)}
    assert by_subject == {"From Sam": ours["sender"], "From CXone": None}
    assert ours["sender"] != "Mallory"


@pytest.mark.django_db
def test_a_message_to_everyone_is_in_the_open_inbox_within_ten_seconds(supervisor, cxone):
    agent = signed_in(cxone, AGENT)
    assert inbox(agent) == []  # read now: the inbox is cached from here on
    assert send(supervisor, subject="All hands").status_code == 200
    supervisor.clock.later(messages_module.INBOX_MAX_SECONDS)
    assert [m["subject"] for m in inbox(agent)] == ["All hands"]


@pytest.mark.django_db
def test_a_message_to_everyone_is_in_the_inbox_at_the_very_next_poll(supervisor, cxone):
    agent = signed_in(cxone, AGENT)
    assert inbox(agent) == []  # read now: cached for up to INBOX_MAX_SECONDS
    reads = inbox_reads(supervisor)
    supervisor.clock.later(1)  # the page has been open a second; its cache has 9 s to run
    assert inbox(agent) == [] and inbox_reads(supervisor) == reads  # nothing changed: from the cache
    assert send(supervisor, subject="All hands").status_code == 200
    supervisor.clock.later(1)  # the agent's next poll, long before the cache runs out
    listed = inbox(agent)
    assert [m["subject"] for m in listed] == ["All hands"]
    assert listed[0]["sentBy"] == sent(supervisor)[0]["sender"]
    reads = inbox_reads(supervisor)
    assert [m["subject"] for m in inbox(agent)] == ["All hands"]  # read once per change, not at every poll
    assert inbox_reads(supervisor) == reads


@pytest.mark.django_db
def test_a_retract_leaves_the_inbox_at_the_very_next_poll(supervisor, cxone):
    agent = signed_in(cxone, AGENT)
    assert send(supervisor, subject="Fire drill").status_code == 200
    supervisor.clock.later(1)
    assert [m["subject"] for m in inbox(agent)] == ["Fire drill"]
    supervisor.clock.later(1)
    assert post(supervisor, f"/api/supervisor/messages/{sent(supervisor)[0]['id']}/retract/", {}).status_code == 200
    supervisor.clock.later(1)
    assert inbox(agent) == []


@pytest.mark.django_db
def test_a_refused_message_leaves_the_inbox_cached(supervisor, cxone):
    agent = signed_in(cxone, AGENT)
    assert inbox(agent) == []
    supervisor.clock.later(1)
    assert send(supervisor, targetType="Team", targetId="no-such-team").status_code != 200
    reads = inbox_reads(supervisor)
    supervisor.clock.later(1)
    assert inbox(agent) == [] and inbox_reads(supervisor) == reads


@pytest.mark.django_db
def test_the_teams_a_message_may_go_to_are_sorted_by_name(supervisor):
    response = supervisor.client.get("/api/supervisor/teams/", **XHR)
    assert response.status_code == 200
    teams = response.json()["teams"]
    names = [t["name"] for t in teams]
    assert names == sorted(names, key=str.casefold) and len(names) == 4
    assert all(set(t) == {"teamId", "name"} for t in teams)


@pytest.mark.django_db
def test_get_and_post_share_the_messages_path_and_other_verbs_are_refused(supervisor):
    response = supervisor.client.put("/api/supervisor/messages/", "{}", content_type="application/json",
                                     HTTP_X_CSRFTOKEN=csrf(supervisor), **XHR)
    assert response.status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("sent_id", ["0", "99999999999999999999999999"])
def test_a_retract_of_an_id_out_of_any_range_is_unknown_not_a_500(supervisor, sent_id):
    response = post(supervisor, f"/api/supervisor/messages/{sent_id}/retract/", {})
    assert response.status_code == 404 and response.json()["reason"] == "message_unknown"
