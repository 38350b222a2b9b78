"""The agent's day and the team board through the portal's JSON, against the simulator's APIs
over real HTTP: roles, shapes, caching per tenant and user, one poll per interval, 304,
`?since=` deltas, gzip, faults, 401 and refresh, another identity in another tab. The
portal's clock is injected (`later`): no test sleeps."""
import gzip
import json

import jwt as pyjwt
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import TokenSession
from simulator.api import TEAM_SIZE

from .conftest import AGENT, SUPERVISOR, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
NOON = 1796126400.0  # 2026-12-01T12:00:00Z


def api_calls(sim, path=None, **match):
    return sim.count("api", **({"path": path} if path else {}), **match)


@pytest.fixture
def later(portal_clock):
    """`later(6)`: six seconds on for the portal and the simulated CXone."""
    return portal_clock.later


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


def board(client, **headers):
    return client.get("/api/supervisor/agents/", **XHR, **headers)


@pytest.mark.django_db
def test_the_dashboard_sends_each_role_to_its_page(agent, supervisor):
    assert agent.client.get("/dashboard/")["Location"] == "/agent/"
    assert supervisor.client.get("/dashboard/")["Location"] == "/supervisor/"
    page = supervisor.client.get("/supervisor/").content.decode()
    assert 'data-workspace="supervisor"' in page and "/static/js/board.js" in page
    assert "<script>" not in page.replace('<script id="board-thresholds" type="application/json">', "")  # no inline code
    assert 'data-test="account-link"' in page
    assert agent.cxone.sim.count() == 0  # pages render no CXone data: their scripts fetch it


@pytest.mark.django_db
@pytest.mark.usefixtures("both_shapes")
def test_the_agents_day_has_every_contact_of_the_last_24_hours_newest_first_with_figures(agent):
    body = agent.client.get("/api/agent/contacts/", **XHR).json()
    assert set(body) >= {"contacts", "total", "summary", "window", "asOf", "stale"} and body["stale"] is False
    contacts = body["contacts"]
    assert body["total"] == len(contacts) > 25  # more than one page of CXone's
    assert set(contacts[0]) == {"contactId", "startDate", "skillName", "mediaType", "durationSeconds", "handleSeconds"}
    starts = [c["startDate"] for c in contacts]
    assert starts == sorted(starts, reverse=True)
    handled = [c["handleSeconds"] for c in contacts if c["handleSeconds"] is not None]
    assert body["summary"] == {"count": len(contacts), "handleSecondsTotal": round(sum(handled)),
                               "handleSecondsAverage": round(sum(handled) / len(handled))}
    assert api_calls(agent.cxone.sim, "contacts/completed") >= 2
    state = agent.client.get("/api/agent/state/", **XHR).json()["state"]
    assert state["agentId"] == "1001" and state["state"]


@pytest.mark.django_db
def test_an_agent_gets_a_readable_403_and_cxone_is_never_called(agent):
    for path in ("/api/supervisor/agents/", "/api/supervisor/skills/", "/api/supervisor/agents/1002/contacts/"):
        response = agent.client.get(path, **XHR)
        assert response.status_code == 403 and response.json()["reason"] == "not_a_supervisor", path
        assert set(response.json()) == {"reason", "message"}
    page = agent.client.get("/supervisor/")
    assert page.status_code == 403 and "for supervisors" in page.content.decode()
    assert api_calls(agent.cxone.sim) == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("both_shapes")
def test_the_board_lists_every_agent_with_state_team_skill_and_login(supervisor, portal_clock):
    portal_clock.at(NOON)  # today's figures need a day under way (tests/test_any_hour.py runs at the edges)
    body = board(supervisor.client).json()
    agents = body["agents"]
    assert len(agents) == body["count"] == body["total"] == TEAM_SIZE and body["stale"] is False and body["full"] is True
    assert set(agents[0]) >= {"agentId", "firstName", "lastName", "userName", "teamName", "state", "stateReason", "stateSince", "skillName"}
    assert {a["state"] for a in agents} <= {"Available", "InboundContact", "OutboundContact", "Unavailable", "LoggedOut", "LoggedIn"}
    assert any(a["stateReason"] for a in agents if a["state"] == "Unavailable")
    assert all(isinstance(a["acw"], bool) and a["acw"] == a["isACW"] for a in agents) and all(a["teamId"] for a in agents)
    skills = supervisor.client.get("/api/supervisor/skills/", **XHR).json()["skills"]
    assert {"skillId", "skillName", "queueCount", "longestWaitSeconds", "agentsAvailable", "serviceLevel", "serviceLevelGoal", "today"} <= set(skills[0])
    waiting = [s for s in skills if s["queueCount"]]
    assert all(isinstance(s["longestWaitSeconds"], int) and "notFromCXone" not in s for s in waiting)
    # Today's figures: CXone sends durations as ISO-8601 strings ("PT4M17S"); the board gets seconds.
    today = [s["today"] for s in skills if s["today"] and s["today"]["contactsHandled"]]
    assert today and all(t["averageHandleTime"] > 0 and t["averageSpeedToAnswer"] is not None for t in today)
    one = supervisor.client.get("/api/supervisor/agents/1001/contacts/", **XHR).json()
    assert one["total"] == len(one["contacts"]) > 0


@pytest.mark.django_db
def test_an_unchanged_poll_is_a_304_and_since_answers_only_what_changed(supervisor, later):
    first = board(supervisor.client)
    version = first.json()["version"]
    assert first["ETag"] == f'"v{version}"'
    again = board(supervisor.client, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert board(supervisor.client, HTTP_IF_NONE_MATCH='"v1"').status_code == 200  # an old version gets the board
    later(60)
    delta = supervisor.client.get(f"/api/supervisor/agents/?since={version}", **XHR).json()
    assert delta["full"] is False and delta["version"] > version and len(delta["agents"]) < TEAM_SIZE
    assert set(delta) >= {"version", "full", "agents", "removed", "asOf", "stale"}
    unknown = supervisor.client.get("/api/supervisor/agents/?since=12345", **XHR).json()
    assert unknown["full"] is True and len(unknown["agents"]) == TEAM_SIZE


@pytest.mark.django_db
def test_json_is_gzipped_when_the_browser_accepts_it(supervisor):
    plain = board(supervisor.client)
    zipped = board(supervisor.client, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip" and len(zipped.content) < len(plain.content) / 3
    assert json.loads(gzip.decompress(zipped.content)) == plain.json()


@pytest.mark.django_db
def test_one_poll_per_interval_whatever_the_tabs_then_only_changes(supervisor, later):
    tabs = [Client() for _ in range(4)]
    for tab in tabs:
        tab.cookies = supervisor.client.cookies
    for _ in range(3):
        for tab in tabs:
            assert board(tab).status_code == 200
    sim = supervisor.cxone.sim
    # one full read (3 pages): the supervisor's own read of their view (floor.py), which the
    # board's first read starts from rather than read again
    assert api_calls(sim, "agents/states", updatedSince=False) == 3
    later(6)
    for tab in tabs:
        assert len(board(tab).json()["agents"]) == TEAM_SIZE
    assert api_calls(sim, "agents/states", updatedSince=True) == 1  # one delta for four tabs, merged
    assert api_calls(sim, "agents/states", updatedSince=False) == 3


@pytest.mark.django_db
def test_an_unchanged_poll_costs_what_a_signed_in_session_request_costs(supervisor):
    board(supervisor.client)
    calls = supervisor.cxone.sim.count()
    with CaptureQueriesContext(connection) as session_queries:
        assert supervisor.client.get("/api/session/", **XHR).status_code == 200
    version = board(supervisor.client).json()["version"]
    with CaptureQueriesContext(connection) as poll_queries:
        assert board(supervisor.client, HTTP_IF_NONE_MATCH=f'"v{version}"').status_code == 304
    assert len(poll_queries.captured_queries) <= len(session_queries.captured_queries)
    writes = [q["sql"] for q in poll_queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == [] and supervisor.cxone.sim.count() == calls


@pytest.mark.django_db
def test_two_supervisors_never_share_data(supervisor, cxone):
    other = Browser(Client(), cxone)
    other.sign_in(tenant="globex", username="tess.lead@globex.example")
    acme = {a["lastName"] for a in board(supervisor.client).json()["agents"]}
    globex = {a["lastName"] for a in board(other.client).json()["agents"]}
    assert "Okafor" in acme and "Okafor" not in globex and "Nakamura" in globex


@pytest.mark.django_db
def test_a_page_of_one_identity_polling_after_a_sign_in_as_another_gets_409(supervisor, cxone):
    acme_identity = str(TokenSession.objects.get(user__cxone_identity__login_name=SUPERVISOR).user.cxone_identity.pk)
    assert board(supervisor.client, HTTP_X_PORTAL_IDENTITY=acme_identity).status_code == 200
    supervisor.sign_in(tenant="globex", username="tess.lead@globex.example")  # another tab, same browser
    response = board(supervisor.client, HTTP_X_PORTAL_IDENTITY=acme_identity)
    assert response.status_code == 409 and response.json()["reason"] == "session_changed"
    assert "Globex" in response.json()["signedInAs"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [429, 503])
def test_throttling_serves_the_last_good_data_as_stale_and_backs_off(supervisor, later, status):
    assert board(supervisor.client).json()["stale"] is False
    sim = supervisor.cxone.sim
    sim.api.faults["*"] = status
    later(6)
    body = board(supervisor.client).json()
    assert body["stale"] is True and len(body["agents"]) == TEAM_SIZE and body["reason"] == "api_throttled" and body["message"] and "notice" not in body
    throttled = api_calls(sim)
    later(1.5)  # inside the back-off (2 s, jittered by 20 %): no call
    assert board(supervisor.client).json()["stale"] is True
    assert api_calls(sim) == throttled


@pytest.mark.django_db
def test_no_data_and_an_outage_is_a_readable_503_not_a_500(supervisor):
    supervisor.cxone.sim.api.faults["*"] = 503
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 503 and response.json()["reason"] == "api_throttled" and response.json()["message"]


@pytest.mark.django_db
def test_cxones_403_says_the_role_does_not_allow_it_and_drops_the_board(supervisor, later):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import CXoneIdentity

    CXoneIdentity.objects.update(role_checked_at=timezone.now() - timedelta(hours=1))  # not re-checked lately
    assert board(supervisor.client).status_code == 200
    supervisor.cxone.sim.api.faults["*"] = 403
    later(6)
    response = board(supervisor.client)
    assert response.status_code == 403 and "CXone role" in response.json()["message"]
    assert board(supervisor.client).status_code == 403  # not the cached board
    identity = CXoneIdentity.objects.get(login_name=SUPERVISOR)
    # The next request re-read the role from CXone (the simulator still says Manager).
    assert identity.role_checked_at > timezone.now() - timedelta(minutes=1) and identity.role_recheck is False


@pytest.mark.django_db
def test_a_revoked_access_token_is_refreshed_once_and_the_call_retried(supervisor):
    row = TokenSession.objects.get(user__cxone_identity__login_name=SUPERVISOR)
    supervisor.cxone.sim.api.revoked.add(pyjwt.decode(row.access_token, options={"verify_signature": False})["jti"])
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 200 and len(response.json()["skills"]) == 4
    assert supervisor.cxone.sim.count("token", grant_type="refresh_token") == 1
    assert TokenSession.objects.get(pk=row.pk).access_token != row.access_token


@pytest.mark.django_db
def test_when_that_refresh_fails_the_session_ends(supervisor):
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


@pytest.mark.django_db
def test_drill_downs_only_for_agents_on_the_board_and_404s_are_cached(supervisor):
    board(supervisor.client)
    sim = supervisor.cxone.sim
    before = api_calls(sim)
    response = supervisor.client.get("/api/supervisor/agents/999999/contacts/", **XHR)
    assert response.status_code == 404 and response.json()["reason"] == "not_on_board" and api_calls(sim) == before


@pytest.mark.django_db
def test_a_moved_api_host_heals_itself_through_discovery(supervisor, later):
    """`make run` on another port than the one discovery stored: the API host refuses the
    connection, the notice says CXone cannot be reached (not "slow down"), discovery runs
    again (at most once a minute), and the next poll after the back-off works."""
    tenant = supervisor.cxone.tenant("acme")
    good = tenant.cxone_configuration["api_endpoint"]
    tenant.cxone_configuration = {**tenant.cxone_configuration, "api_endpoint": "http://127.0.0.1:9/cxone-sim/api-na1"}
    tenant.save()
    response = board(supervisor.client)
    assert response.status_code == 503 and response.json()["reason"] == "api_unavailable"
    assert "cannot be reached" in response.json()["message"]
    tenant.refresh_from_db()
    assert tenant.cxone_configuration["api_endpoint"] == good  # discovery ran again
    later(90)  # past the back-off
    assert board(supervisor.client).status_code == 200


@pytest.mark.django_db
def test_a_first_load_while_another_request_fetches_says_not_loaded_yet(supervisor, settings):
    from django.core.cache import cache

    from workspaces.adapter import Workspace

    settings.CXONE_FIRST_LOAD_WAIT = 0
    identity = TokenSession.objects.get(user__cxone_identity__login_name=SUPERVISOR).user.cxone_identity
    assert supervisor.client.get("/api/supervisor/skills/", **XHR).status_code == 200  # their view is known now
    ws = Workspace(identity.tenant, identity.cxone_user_id, None, cache=cache)
    elsewhere = ws.shared_room(ws.floor.stored().view).lease("agents")
    assert elsewhere.acquire()  # a fetch of their view's board in flight elsewhere
    read_view = api_calls(supervisor.cxone.sim, "agents/states")
    response = board(supervisor.client)
    assert response.status_code == 503 and response.json()["reason"] == "api_not_loaded"
    assert api_calls(supervisor.cxone.sim, "agents/states") == read_view


@pytest.mark.django_db
def test_when_this_process_waits_on_the_tenant_enough_the_rest_answer_at_once(supervisor, settings):
    from workspaces.lease import tenant_slots

    tenant = supervisor.cxone.tenant("acme")
    slots = tenant_slots(tenant.pk, settings.CXONE_TENANT_CONCURRENCY)
    taken = [slots.take() for _ in range(settings.CXONE_TENANT_CONCURRENCY)]
    try:
        response = board(supervisor.client)
        assert response.status_code == 503 and response.json()["reason"] == "api_busy"
    finally:
        for took in taken:
            if took:
                slots.give()
    assert board(supervisor.client).status_code == 200


@pytest.mark.django_db
def test_a_request_cxone_calls_bad_is_a_reason(supervisor):
    supervisor.cxone.sim.api.faults["skills/activity"] = (400, {"error": "Bad request"})
    response = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert response.status_code == 502 and response.json()["reason"] == "api_bad_request"


@pytest.mark.django_db
def test_the_skills_answer_like_the_board_etag_304_and_gzip(supervisor, later):
    first = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert first.status_code == 200 and first["ETag"] and "today" in first.json()["skills"][0]
    again = supervisor.client.get("/api/supervisor/skills/", HTTP_IF_NONE_MATCH=first["ETag"], **XHR)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    zipped = supervisor.client.get("/api/supervisor/skills/", HTTP_ACCEPT_ENCODING="gzip", **XHR)
    assert zipped["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(zipped.content)) == first.json()
    later(6)  # a new read of the skills: a new version, the whole answer again
    newer = supervisor.client.get("/api/supervisor/skills/", HTTP_IF_NONE_MATCH=first["ETag"], **XHR)
    assert newer.status_code == 200 and newer["ETag"] != first["ETag"]
