"""The time-dependent paths at the edges of a day, on the injected clock (the portal's and the
simulated CXone's): at 00:02 UTC, and at 23:58 in UTC+14 (Pacific/Kiritimati, where the local
day is ten hours ahead of UTC's). The board, the skills with today's figures, the agent's day
and contacts all take their "now" from the one clock, and today is the user's local day."""
from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from accounts.models import TokenSession
from core.models import UserPreference
from simulator.api import TEAM_SIZE
from workspaces import messages as messages_module
from workspaces import skills as skills_view
from workspaces.adapter import Workspace
from workspaces.resources import iso

from .conftest import AGENT, SUPERVISOR, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14
EDGES = {
    "00:02 UTC": (datetime(2026, 12, 1, 0, 2, tzinfo=dt_timezone.utc).timestamp(), "UTC"),
    "23:58 UTC+14": (datetime(2026, 12, 1, 23, 58, tzinfo=KIRITIMATI).timestamp(), "Pacific/Kiritimati"),
}


def signed_in(cxone, username, zone):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=username).status_code == 302
    identity = TokenSession.objects.filter(user__cxone_identity__login_name=username).first().user.cxone_identity
    UserPreference.store(identity.user_id, time_zone=zone)
    browser.identity = identity
    return browser


def summary_calls(cxone):
    return cxone.sim.count("api", path="skills/summary")


@pytest.mark.django_db
@pytest.mark.parametrize("edge", EDGES)
def test_the_board_skills_and_an_agents_day_at_the_edges_of_a_day(cxone, portal_clock, edge):
    now, zone = EDGES[edge]
    portal_clock.at(now)
    supervisor = signed_in(cxone, SUPERVISOR, zone)
    board = supervisor.client.get("/api/supervisor/agents/", **XHR).json()
    assert board["count"] == TEAM_SIZE and board["stale"] is False and board["asOf"] == iso(now)
    skills = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert skills.status_code == 200 and skills["ETag"] and all("today" in s for s in skills.json()["skills"])
    local_midnight = skills_view.day_start(now, ZoneInfo(zone))
    assert local_midnight.date() == datetime.fromtimestamp(now, ZoneInfo(zone)).date() and now - local_midnight.timestamp() < 86400
    ws = Workspace(supervisor.identity.tenant, supervisor.identity.cxone_user_id, None)
    room = ws.shared_room(ws.floor.stored().view)  # the room of the supervisor's view (floor.py)
    assert room.meta(skills_view.summary_name(local_midnight)).has_data  # today's figures, under today's name
    agent = signed_in(cxone, AGENT, zone)
    day = agent.client.get("/api/agent/day/", **XHR).json()
    assert day["window"] == {"start": iso(now - 86400), "end": iso(now), "hours": 24}
    contacts = agent.client.get("/api/agent/contacts/", **XHR).json()
    assert contacts["window"]["end"] == iso(now) and contacts["stale"] is False


@pytest.mark.django_db
def test_todays_figures_are_read_again_when_the_local_day_turns(cxone, portal_clock):
    """Before, the summary was kept under a day-less name: just after midnight the board showed
    the day before's figures as today's until the minute was up."""
    before_midnight = datetime(2026, 12, 1, 23, 59, 30, tzinfo=KIRITIMATI).timestamp()
    portal_clock.at(before_midnight)
    supervisor = signed_in(cxone, SUPERVISOR, "Pacific/Kiritimati")
    cxone.sim.reset_calls()
    first = supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert first.status_code == 200 and summary_calls(cxone) == 1
    portal_clock.later(40)  # 00:00:10 the next local day: within the summary's minute
    assert supervisor.client.get("/api/supervisor/skills/", **XHR).status_code == 200
    assert summary_calls(cxone) == 2
    portal_clock.later(10)
    supervisor.client.get("/api/supervisor/skills/", **XHR)
    assert summary_calls(cxone) == 2  # and then once a minute again
    assert timedelta(seconds=50) == timedelta(seconds=portal_clock.now - before_midnight)


@pytest.mark.django_db
@pytest.mark.parametrize("edge", EDGES)
def test_a_message_across_midnight_is_in_the_inbox_until_its_expiry(cxone, portal_clock, edge):
    """Sent two minutes before or after midnight with five minutes to live: CXone is told the
    injected now as its start, the agent's inbox lists it until five minutes on, then not."""
    from .test_actions import post
    from .test_messages import inbox

    now, zone = EDGES[edge]
    portal_clock.at(now)
    supervisor = signed_in(cxone, SUPERVISOR, zone)
    agent = signed_in(cxone, AGENT, zone)
    body = {"targetType": "Everyone", "subject": "Midnight", "message": "Shift change.", "expireMinutes": 5}
    assert post(supervisor, "/api/supervisor/messages/", body).status_code == 200
    told = [m for m in cxone.sim.api.team_of(str(cxone.tenant().tenant_id)).messages if m["row"]["subject"] == "Midnight"]
    assert [(m["start"], m["until"]) for m in told] == [(now, now + 300)]
    assert [m["subject"] for m in inbox(agent)] == ["Midnight"]
    portal_clock.later(299)  # a second before it expires (the inbox's cache ran out long before)
    assert [m["subject"] for m in inbox(agent)] == ["Midnight"]
    portal_clock.later(1 + messages_module.INBOX_MAX_SECONDS)
    assert inbox(agent) == []
