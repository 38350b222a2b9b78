"""The agent's day (`GET /api/agent/day/`) against the simulator's APIs over real HTTP: one
window for the list and every figure, handle time without queue time, states by reason that
add up to the timeline, the agent against their team, a refused panel that leaves the rest,
and only ever the signed-in agent's own day. Both clocks are injected: no test sleeps."""
from datetime import datetime, timezone as dt_timezone

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from workspaces import agent_day

from .conftest import AGENT, GLOBEX_AGENT, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
DAY = 86400
MONDAY = datetime(2025, 3, 10, tzinfo=dt_timezone.utc).timestamp()  # 00:00 UTC


@pytest.fixture
def clock(portal_clock):
    """Monday at 12:00:17 UTC, then wherever a test sets it."""
    portal_clock.at(MONDAY + 12 * 3600 + 17.25)
    return portal_clock


@pytest.fixture
def agent(browser):
    assert browser.sign_in(username=AGENT).status_code == 302
    browser.cxone.sim.reset_calls()
    return browser


def day(client, **extra):
    response = client.get("/api/agent/day/", **XHR, **extra)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def epoch(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def assert_adds_up(body):
    """Every figure from the rows the same answer carries, all inside its one window."""
    start, end = epoch(body["window"]["start"]), epoch(body["window"]["end"])
    assert end - start == 24 * 3600 and body["window"]["hours"] == 24
    contacts = body["contacts"]
    handled = [c["handleSeconds"] for c in contacts if c["handleSeconds"] is not None]
    assert body["summary"] == {"count": len(contacts), "handleSecondsTotal": round(sum(handled)),
                               "handleSecondsAverage": round(sum(handled) / len(handled)) if handled else None}
    assert body["total"] == len(contacts)
    assert all(start <= epoch(c["startDate"]) < end for c in contacts)
    timeline = body["timeline"]
    assert all(start <= epoch(row["start"]) < end and epoch(row["start"]) + row["seconds"] <= end + 1 for row in timeline)
    assert [row["start"] for row in timeline] == sorted(row["start"] for row in timeline)
    unavailable = sum(row["seconds"] for row in timeline if row["state"] == "Unavailable")
    assert sum(r["seconds"] for r in body["unavailableByReason"]) == unavailable
    for entry in body["unavailableByReason"]:
        assert entry["seconds"] == sum(r["seconds"] for r in timeline if r["state"] == "Unavailable" and r["reason"] == entry["reason"])


@pytest.mark.django_db
@pytest.mark.usefixtures("both_shapes")
def test_the_day_answers_one_window_with_its_rows_figures_states_and_the_team(agent, clock):
    body = day(agent.client)
    assert set(body) >= {"window", "contacts", "total", "summary", "timeline", "unavailableByReason", "historyReason",
                         "historyPartial", "performance", "performanceReason", "version", "asOf", "stale"}
    assert body["stale"] is False and body["historyReason"] is None and body["performanceReason"] is None
    assert body["window"] == {"start": "2025-03-09T12:00:17Z", "end": "2025-03-10T12:00:17Z", "hours": 24}
    assert len(body["contacts"]) > 25  # more than one of CXone's pages
    assert set(body["contacts"][0]) == {"contactId", "startDate", "skillName", "mediaType", "durationSeconds", "handleSeconds"}
    assert len(body["timeline"]) > 25 and set(body["timeline"][0]) == {"state", "reason", "acw", "start", "seconds"}
    assert {r["state"] for r in body["timeline"]} >= {"Available", "Unavailable", "InboundContact"}
    reasons = {r["reason"]: r for r in body["unavailableByReason"]}
    assert {"Break", "Lunch", "ACW"} <= set(reasons) and reasons["ACW"]["acw"] is True and reasons["Break"]["acw"] is False
    assert all(set(r) == {"reason", "seconds", "acw"} for r in body["unavailableByReason"])
    assert_adds_up(body)
    performance = body["performance"]
    assert set(performance) == {"agent", "team", "teamName", "teamReason"} and performance["teamName"] == "Tier 1"
    for side in ("agent", "team"):
        figures = performance[side]
        assert set(figures) == {"handled", "averageHandleSeconds", "occupancy"}
        assert isinstance(figures["handled"], int) and isinstance(figures["averageHandleSeconds"], int)
        assert 0 <= figures["occupancy"] <= 100
    # CXone's own count over the same window is the list's.
    assert performance["agent"]["handled"] == body["summary"]["count"]
    assert performance["team"]["handled"] > performance["agent"]["handled"]
    # The list the page used to read agrees too.
    contacts = agent.client.get("/api/agent/contacts/", **XHR).json()
    assert contacts["summary"] == body["summary"] and contacts["window"]["end"] == body["window"]["end"]
    # Unchanged since the browser's version: 304, nothing sent.
    response = agent.client.get("/api/agent/day/", **XHR, HTTP_IF_NONE_MATCH=f'"v{body["version"]}"')
    assert response.status_code == 304 and response.content == b""


@pytest.mark.django_db
def test_handle_time_never_includes_the_time_in_queue(agent, clock, monkeypatch):
    """However long the caller waited, handle time is agentSeconds + holdSeconds + acwSeconds."""
    api = agent.cxone.sim.api
    answer_as_cxone = api._completed_contacts

    def queued_for_an_hour(ctx):
        status, body = answer_as_cxone(ctx)
        for row in (body or {}).get("completedContacts", []):
            row["inQueueSeconds"] += 3600
            row["totalDurationSeconds"] += 3600
        return status, body

    plain = day(agent.client)
    cache.clear()
    monkeypatch.setattr(api, "_completed_contacts", queued_for_an_hour)
    queued = day(agent.client)
    assert [c["durationSeconds"] for c in queued["contacts"]] == [c["durationSeconds"] + 3600 for c in plain["contacts"]]
    assert [c["handleSeconds"] for c in queued["contacts"]] == [c["handleSeconds"] for c in plain["contacts"]]
    assert queued["summary"] == plain["summary"]
    # And it is the three fields CXone reports, row by row.
    team = agent.cxone.sim.api.team_of(agent.cxone.tenant("acme").tenant_id)
    start, end = epoch(plain["window"]["start"]), epoch(plain["window"]["end"])
    raw = {str(r["contactId"]): r for r in team.contacts([team.by_id[1001]], start, end, clock.now)}
    assert len(raw) == len(plain["contacts"])
    for row in plain["contacts"]:
        cx = raw[row["contactId"]]
        assert row["handleSeconds"] == cx["agentSeconds"] + cx["holdSeconds"] + cx["acwSeconds"]
    assert any(r["inQueueSeconds"] for r in raw.values())


@pytest.mark.django_db
@override_settings(TIME_ZONE="America/Los_Angeles")
def test_the_figures_equal_the_rows_at_every_hour_of_a_day(agent, clock):
    """00:05, 01:05 … 23:05 UTC, in a portal zone and a user zone far from UTC: the window is
    the last 24 hours whatever the zone, and every figure is the sum over the rows answered."""
    timezone.activate("Pacific/Kiritimati")  # UTC+14: its midnight is 10:00 UTC
    try:
        for hour in range(24):
            clock.at(MONDAY + hour * 3600 + 300)
            body = day(agent.client)
            assert body["window"]["end"] == f"2025-03-10T{hour:02d}:05:00Z", hour
            assert_adds_up(body)
            assert body["performance"]["agent"]["handled"] == body["summary"]["count"], hour
            contacts = agent.client.get("/api/agent/contacts/", **XHR).json()
            handled = [c["handleSeconds"] for c in contacts["contacts"] if c["handleSeconds"] is not None]
            assert contacts["summary"]["count"] == len(contacts["contacts"]) and contacts["summary"]["handleSecondsTotal"] == round(sum(handled))
    finally:
        timezone.deactivate()


@pytest.mark.django_db
def test_a_later_read_fetches_only_the_histories_tail_and_equals_a_full_read(agent, clock):
    sim = agent.cxone.sim
    first = day(agent.client)
    full_pages = sim.count("api", route="agents/{agentId}/state-history")
    assert full_pages > 4  # a day of states is many of CXone's pages
    for _ in range(6):
        clock.later(47)
        sim.reset_calls()
        tail = day(agent.client)
        assert tail["version"] > first["version"]
        assert sim.count("api", route="agents/{agentId}/state-history") == 1
    cache.clear()
    again = day(agent.client)
    assert again["window"] == tail["window"]
    assert again["timeline"] == tail["timeline"] and again["unavailableByReason"] == tail["unavailableByReason"]
    assert_adds_up(tail)


@pytest.mark.django_db
def test_a_403_on_performance_empties_that_panel_and_the_rest_answers(agent, clock):
    api = agent.cxone.sim.api
    api.faults["agents/{agentId}/performance"] = 403
    body = day(agent.client)
    assert body["performance"] is None
    assert body["performanceReason"] == {"reason": "api_forbidden", "message": "Your CXone role does not allow this."}
    assert body["contacts"] and body["timeline"] and body["unavailableByReason"]
    assert_adds_up(body)
    # Only the team refused: the agent's own figures stay, the team's side says why.
    api.faults = {"teams/{teamId}/performance-total": 403}
    cache.clear()
    body = day(agent.client)
    assert body["performanceReason"] is None and body["performance"]["agent"]["handled"] == body["summary"]["count"]
    assert body["performance"]["team"] is None and body["performance"]["teamReason"]["reason"] == "api_forbidden"
    # The state history refused: its panels say why, the list and figures stay.
    api.faults = {"agents/{agentId}/state-history": 403}
    cache.clear()
    body = day(agent.client)
    assert body["timeline"] is None and body["unavailableByReason"] is None
    assert body["historyReason"]["reason"] == "api_forbidden" and body["summary"]["count"] == len(body["contacts"]) > 0
    assert body["performance"]["teamName"] == "Tier 1"  # the team came from agents/{agentId} instead


@pytest.mark.django_db
def test_an_agent_reads_only_their_own_day(agent, clock, cxone):
    sim = cxone.sim
    mine = day(agent.client, QUERY_STRING="agentId=1002")
    paths = [c["path"] for c in sim.calls if c.get("endpoint") == "api"]
    assert paths and all("1002" not in p for p in paths)
    assert all(p.split("/")[1] == "1001" for p in paths if p.startswith("agents/"))
    # Another agent (another tenant) gets their own day, never this one's from the cache.
    other = Browser(Client(), cxone)
    assert other.sign_in(tenant="globex", username=GLOBEX_AGENT).status_code == 302
    theirs = day(other.client)
    assert theirs["contacts"] != mine["contacts"] and theirs["timeline"] != mine["timeline"]
    # CXone itself refuses an Agent another agent's history: the portal never asks.
    assert sim.count("api", route="agents/{agentId}/state-history") >= 2
    anonymous = Client().get("/api/agent/day/", **XHR)
    assert anonymous.status_code in (401, 403) and "reason" in anonymous.json()


# --- the shaping, without CXone -----------------------------------------------------------------

def test_durations_in_every_shape_cxone_writes_them():
    assert agent_day.seconds("PT1H2M3.5S") == 3723.5 and agent_day.seconds("PT0S") == 0 and agent_day.seconds("P1DT1S") == 86401
    assert agent_day.seconds("0:05:07") == 307 and agent_day.seconds(12) == 12 and agent_day.seconds("12.5") == 12.5
    for bad in ("PT", "P", "PT-5S", "-3", -3, True, None, {}, [], "PT1H" * 20, "soon", float("nan"), 1e13):
        assert agent_day.seconds(bad) is None, bad


def test_cxones_history_rows_are_bounded_and_clipped_to_the_window():
    start, end = 300, 300 + DAY  # 00:05 to 00:05 the next day
    rows = [
        {"startDate": "1970-01-01T00:10:00Z", "agentStateName": "Unavailable", "outStateDescription": "Break\x00" + "x" * 500,
         "duration": "PT10M", "teamId": 7},
        {"startDate": "1970-01-01T00:00:00Z", "agentStateName": "Available", "duration": 5000},  # before the window: out
        {"startDate": "not a date", "agentStateName": "Available", "duration": 5},
        {"startDate": "1970-01-01T23:50:00Z", "agentStateName": "Unavailable", "outStateDescription": ["?"], "duration": 10**9},
        {"startDate": "1970-01-01T12:00:00Z", "agentStateName": {"x": 1}, "duration": 0, "isACW": "yes"},
        {"startDate": "1970-01-01T12:00:00Z", "agentStateName": "Available", "duration": -50},  # lasts until the next one
    ]
    marks = [m for m in map(agent_day.history_mark, rows) if m]
    assert len(marks) == 5
    timeline = agent_day.timeline(marks, start, end)
    assert [r["start"] for r in timeline] == ["1970-01-01T00:10:00Z", "1970-01-01T12:00:00Z", "1970-01-01T12:00:00Z", "1970-01-01T23:50:00Z"]
    assert timeline[0]["reason"] == "Break" + "x" * 94 and timeline[0]["seconds"] == 600
    assert timeline[1] == {"state": "", "reason": "", "acw": False, "start": "1970-01-01T12:00:00Z", "seconds": 0}
    assert timeline[2]["state"] == "Available" and timeline[2]["seconds"] == 11 * 3600 + 50 * 60
    assert timeline[3]["seconds"] == end - agent_day._epoch("1970-01-01T23:50:00Z")  # clipped to the window's end
    assert agent_day.unavailable_by_reason(timeline) == [
        {"reason": "", "seconds": 900, "acw": False}, {"reason": "Break" + "x" * 94, "seconds": 600, "acw": False}]
    assert agent_day.figures({"totalHandled": True, "totalAvgHandleTime": "PT4M", "occupancy": 250}) == {
        "handled": None, "averageHandleSeconds": 240, "occupancy": None}
