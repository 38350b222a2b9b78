"""The simulator's CXone REST APIs over real HTTP on loopback, with an injected clock (never
the wall clock, never a sleep): a team of any size, the supervisor's actions, messages, skills,
the agent's day. Every world here is a function of the clock, so each test is deterministic
and runs at several times of day, 00:05 UTC among them."""
import re
from datetime import datetime, timezone

import jwt
import pytest
import requests

from simulator.api import HOLD, TEAM_SKILLS
from simulator.demo import VIEW_ONLY_ROLE
from simulator.server import RunningSimulator

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"
AGENT, SUPERVISOR, VIEWER = "alex.agent@acme.example", "sam.supervisor@acme.example", "vera.viewer@acme.example"
DAY0 = datetime(2025, 3, 10, tzinfo=timezone.utc).timestamp()  # a Monday
TIMES = {"00:05": 5 * 60, "09:30": 9.5 * 3600, "17:45": 17.75 * 3600, "23:59": 23 * 3600 + 59 * 60 + 30}
# The versions the portal's client uses per path; the simulator answers any version.
V = {"agents": "v30.0", "agents/states": "v30.0", "contacts/completed": "v30.0", "skills/activity": "v30.0",
     "skills/summary": "v30.0", "server-time": "v23.0", "unavailable-codes": "v23.0", "state": "v30.0", "logout": "v30.0",
     "messages": "v30.0", "inbox": "v23.0", "state-history": "v27.0", "performance": "v23.0", "performance-total": "v27.0"}
BOARD_STATES = {"Available", "InboundContact", "OutboundContact", "Unavailable", "LoggedOut"}  # never a LoggedIn: it lasts 0 s
THRESHOLDS = {"Unavailable": 15 * 60, "contact": 10 * 60, "ACW": 3 * 60}  # a supervisor's, on the board


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


def iso(epoch):
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def seconds(duration):
    """An ISO-8601 duration (CXone's reporting APIs) in seconds."""
    found = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?", duration)
    assert found and duration != "PT", duration
    hours, minutes, secs = found.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)


class Caller:
    """One CXone user calling the simulator's APIs with their own access token."""

    def __init__(self, op, username):
        tenant, _ = op.simulator.find_user(username)
        self.token = op.simulator.issue_tokens(username)["access_token"]
        self.base = f"{op.issuer}/api-{tenant.area}/inContactAPI/services"
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {self.token}", "Accept": "application/json"})

    def get(self, path, version="v30.0", **params):
        return self.http.get(f"{self.base}/{version}/{path}", params=params, timeout=30)

    def post(self, path, version="v30.0", json=None, **params):
        return self.http.post(f"{self.base}/{version}/{path}", params=params, json=json, timeout=30)

    def every(self, path, key, version="v30.0", **params):
        """Every row, following `_links.next`; (rows, first page's body)."""
        answer = self.get(path, version, **params)
        if answer.status_code == 204:
            return [], None
        assert answer.status_code == 200, answer.text
        first = body = answer.json()
        rows = list(body[key])
        while body["_links"].get("next"):
            answer = self.http.get(body["_links"]["next"], timeout=30)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            rows += body[key]
        assert len(rows) == first["totalRecords"]
        return rows, first


def start(at="09:30", **options):
    clock = Clock(DAY0 + TIMES[at])
    return RunningSimulator(clock=clock, **options), clock


@pytest.fixture(params=list(TIMES))
def world(request):
    """A demo simulator whose APIs run on a clock standing at one of TIMES (pages of 200)."""
    op, clock = start(request.param, page_cap=200)
    yield op, clock
    op.stop()


@pytest.fixture
def morning():
    op, clock = start("09:30", page_cap=200)
    yield op, clock
    op.stop()


def states_of(caller, **params):
    rows, body = caller.every("agents/states", "agentStates", V["agents/states"], **params)
    return {r["agentId"]: r for r in rows}, body


def pick(rows, test):
    """The first generated agent (not a demo user) whose state passes `test`."""
    return next(r for r in rows.values() if r["agentId"] % 1000 >= 100 and test(r))


# --- team size, page cap, deltas ---------------------------------------------------------------------


def test_a_team_of_3000_in_pages_of_50_answers_every_agent():
    op, clock = start("00:05", team_size=3000, page_cap=50)
    try:
        sam = Caller(op, SUPERVISOR)
        first = sam.get("agents/states", top=100)  # builds the team, then answers one page (timed in bench/timings.py)
        body = first.json()
        assert first.status_code == 200 and len(body["agentStates"]) == 50 and body["totalRecords"] == 3000
        assert "top=50" in body["_links"]["next"] and "skip=50" in body["_links"]["next"]
        rows, _ = sam.every("agents/states", "agentStates", top=100)
        assert len({r["agentId"] for r in rows}) == 3000
        # Unchanged clock: nothing changed (304); 20 seconds on: only the agents who changed.
        since = body["lastPollTime"]
        assert sam.get("agents/states", updatedSince=since).status_code == 304
        clock.advance(20)
        changed, delta = sam.every("agents/states", "agentStates", updatedSince=since)
        assert 0 < len(changed) < 300 and all(epoch(r["lastUpdateTime"]) > epoch(since) for r in changed)
        assert epoch(delta["lastPollTime"]) == clock()
        agents, _ = sam.every("agents", "agents", V["agents"])
        assert len(agents) == 3000 and agents[0]["userName"] == AGENT
    finally:
        op.stop()


def test_team_size_defaults_to_60_and_follows_the_setting(settings):
    op, _ = start()
    try:
        assert Caller(op, SUPERVISOR).get("agents").json()["totalRecords"] == 60
    finally:
        op.stop()
    from simulator.mount import mount

    settings.CXONE_SIMULATOR_AGENTS = 250
    dispatcher = mount(lambda environ, start_response: [b"portal"])
    assert dispatcher.simulator.api.team_size == 250 and dispatcher.simulator.api.page_cap == 25


def test_the_board_shows_agents_past_a_supervisors_thresholds_at_any_hour():
    op, clock = start("00:05", team_size=3000, page_cap=1000)
    try:
        sam = Caller(op, SUPERVISOR)
        for at in TIMES.values():
            clock.t = DAY0 + at
            rows, _ = states_of(sam)
            now = clock()
            past = {"Unavailable": 0, "contact": 0, "ACW": 0}
            for r in rows.values():
                kind = "ACW" if r["isACW"] else "contact" if r["agentStateName"].endswith("Contact") else r["agentStateName"]
                if kind in past and now - epoch(r["startDate"]) > THRESHOLDS[kind]:
                    past[kind] += 1
            assert all(past.values()), (at, past)
            assert {r["agentStateName"] for r in rows.values()} <= BOARD_STATES
    finally:
        op.stop()


def test_about_one_agent_in_ten_has_long_periods(morning):
    op, clock = morning
    sam = Caller(op, SUPERVISOR)
    rows, _ = states_of(sam)
    long_agents = 0
    for agent_id in rows:
        history, _ = sam.every(f"agents/{agent_id}/state-history", "agentStateHistory", V["state-history"],
                               startDate=iso(clock() - 86400), endDate=iso(clock()))
        # Lunch and breaks are everyone's; the long ones are contacts and meetings of 20-60 minutes.
        if any(h["duration"] >= 20 * 60 and h["outStateDescription"] != "Lunch" and h["agentStateName"] != "LoggedOut"
               for h in history):
            long_agents += 1
    assert 2 <= long_agents <= 12, long_agents


def test_a_removed_agent_leaves_every_listing_and_comes_back_in_a_delta(morning):
    op, clock = morning
    sam = Caller(op, SUPERVISOR)
    rows, body = states_of(sam)
    gone = pick(rows, lambda r: r["agentStateName"] != "LoggedOut")["agentId"]
    op.simulator.api.remove_agent(ACME, gone)
    after, _ = states_of(sam)
    assert gone not in after and len(after) == len(rows) - 1
    assert gone not in {a["agentId"] for a in sam.every("agents", "agents")[0]}
    assert sam.get(f"agents/{gone}").status_code == 404 and sam.get(f"agents/{gone}/states").status_code == 404
    assert sum(s["agentsLoggedIn"] for s in sam.get("skills/activity").json()["skillActivity"]) < sum(
        len(TEAM_SKILLS[r["teamId"]]) for r in rows.values() if r["agentStateName"] != "LoggedOut")
    # A delta never says who left (CXone has no removal marker): only a full read shows it.
    since = body["lastPollTime"]
    assert sam.get("agents/states", updatedSince=since).status_code == 304
    op.simulator.api.restore_agent(ACME, gone)
    delta, _ = states_of(sam, updatedSince=since)
    assert gone in delta


# --- skills -----------------------------------------------------------------------------------------


def test_skills_activity_agrees_with_the_agents_states(world):
    op, clock = world
    sam = Caller(op, SUPERVISOR)
    rows, _ = states_of(sam)
    body = sam.get("skills/activity", V["skills/activity"]).json()
    # CXone's clock is in each row (NICE's spec), never at the top; `server-time` stands in.
    assert "serverTime" not in body and all(epoch(s["serverTime"]) == clock() for s in body["skillActivity"])
    assert body["totalRecords"] == len(body["skillActivity"]) and "_links" in body
    assert sam.get("server-time", V["server-time"]).json() == {"ServerTime": iso(clock())}
    summaries = sam.get("skills/summary", startDate=iso(clock() - 3600), endDate=iso(clock())).json()["skillSummaries"]
    summary = {s["skillId"]: s for s in summaries}
    for skill in body["skillActivity"]:
        mine = [r for r in rows.values() if skill["skillId"] in {s.id for s in TEAM_SKILLS[r["teamId"]]}]
        logged_in = [r for r in mine if r["agentStateName"] != "LoggedOut"]
        assert skill["agentsLoggedIn"] == len(logged_in)
        assert skill["agentsAvailable"] == sum(r["agentStateName"] == "Available" for r in logged_in)
        assert skill["agentsWorking"] == sum(r["agentStateName"].endswith("Contact") for r in logged_in)
        assert skill["agentsACW"] == sum(r["isACW"] for r in logged_in)
        assert skill["agentsUnavailable"] == sum(r["agentStateName"] == "Unavailable" and not r["isACW"] for r in logged_in)
        on_it = sum(r["agentStateName"].endswith("Contact") and r["skillId"] == skill["skillId"] for r in rows.values())
        assert skill["contactsActive"] == on_it + skill["queueCount"]
        assert skill["serviceLevelGoal"] == summary[skill["skillId"]]["serviceLevelGoal"]
        if skill["queueCount"]:
            assert epoch(skill["earliestQueueTime"]) < clock()  # longest wait = serverTime - earliestQueueTime
        else:
            assert skill["earliestQueueTime"] is None


def test_skills_summary_agrees_with_the_completed_contacts(world):
    op, clock = world
    sam = Caller(op, SUPERVISOR)
    assert sam.get("skills/summary", startDate=iso(clock() - 3600)).status_code == 400
    assert sam.get("skills/summary", endDate=iso(clock())).status_code == 400
    assert Caller(op, AGENT).get("skills/summary", startDate=iso(clock() - 3600), endDate=iso(clock())).status_code == 403
    window = {"startDate": iso(clock() - 2 * 3600), "endDate": iso(clock())}
    summaries = sam.get("skills/summary", V["skills/summary"], **window).json()["skillSummaries"]
    contacts, _ = sam.every("contacts/completed", "completedContacts", V["contacts/completed"], **window)
    assert sum(s["contactsOffered"] for s in summaries) == len(contacts) > 0
    for s in summaries:
        mine = [c for c in contacts if c["skillId"] == s["skillId"]]
        handled = [c for c in mine if not c["abandoned"]]
        inbound = [c for c in handled if not c["isOutbound"]]
        assert s["contactsOffered"] == len(mine) and s["contactsHandled"] == len(handled)
        assert s["abandonCount"] == len(mine) - len(handled)
        queued = len(inbound) + s["abandonCount"]
        within = sum(c["inQueueSeconds"] <= s["serviceLevelThreshold"] for c in inbound)
        assert s["contactsWithinSLA"] == within and s["serviceLevel"] == (round(100 * within / queued) if queued else 0)
        if handled:
            assert seconds(s["averageHandleTime"]) == pytest.approx(
                sum(c["agentSeconds"] + c["holdSeconds"] + c["acwSeconds"] for c in handled) / len(handled), abs=0.01)
        if inbound:
            asa = sum(c["inQueueSeconds"] for c in inbound) / len(inbound)
            assert seconds(s["averageSpeedToAnswer"]) == pytest.approx(asa, abs=0.01)
        if s["contactsOffered"]:
            assert s["abandonRate"] == round(100 * s["abandonCount"] / s["contactsOffered"], 2)
    one = sam.get("skills/4101/summary", **window).json()["skillSummaries"]
    assert [s["skillId"] for s in one] == [4101] and one[0] == next(s for s in summaries if s["skillId"] == 4101)


# --- unavailable codes and the supervisor's actions ------------------------------------------------------


def test_unavailable_codes_per_team(morning):
    op, _ = morning
    sam = Caller(op, SUPERVISOR)
    names = {}
    for team_id in (1, 2, 3, 4):
        body = sam.get(f"teams/{team_id}/unavailable-codes", V["unavailable-codes"]).json()
        codes = body["unavailableCodes"]
        assert body["teamId"] == team_id
        assert set(codes[0]) == {"outstateId", "outstateName", "isActive", "isAcw", "agentTimeoutMins"}
        assert sum(c["isAcw"] and c["isActive"] for c in codes) == 1
        active = sam.get(f"teams/{team_id}/unavailable-codes", V["unavailable-codes"], activeOnly="true").json()
        active = active["unavailableCodes"]
        assert all(c["isActive"] for c in active) and len(active) <= len(codes)
        names[team_id] = {c["outstateName"] for c in codes}
    assert len({frozenset(n) for n in names.values()}) == 4 and set.intersection(*names.values()) >= {"Break", "Lunch"}
    alex = Caller(op, AGENT)  # Tier 1: his own team's codes, not another team's
    assert alex.get("teams/1/unavailable-codes").status_code == 200 and alex.get("teams/2/unavailable-codes").status_code == 403
    assert sam.get("teams/9/unavailable-codes").status_code == 404


@pytest.mark.parametrize("at", ["00:05", "17:45"])
def test_a_supervisor_sets_a_state_that_holds_then_the_day_resumes(at):
    op, clock = start(at, page_cap=200)
    try:
        sam = Caller(op, SUPERVISOR)
        rows, body = states_of(sam)
        target = pick(rows, lambda r: r["agentStateName"] == "Available")
        agent_id, now = target["agentId"], clock()
        answer = sam.post(f"agents/{agent_id}/state", V["state"], state="Unavailable", outStateId="103")
        assert answer.status_code == 202 and answer.json() == {}
        # The clock has not moved, yet the next delta carries the change.
        delta, after = states_of(sam, updatedSince=body["lastPollTime"])
        row = delta[agent_id]
        assert (row["agentStateName"], row["outStateDescription"], row["outStateId"]) == ("Unavailable", "Meeting", 103)
        assert row["startDate"] == iso(now) and epoch(row["lastUpdateTime"]) > epoch(body["lastPollTime"])
        assert sam.get("agents/states", updatedSince=after["lastPollTime"]).status_code == 304
        clock.advance(HOLD - 1)  # it holds, whatever the agent's day had planned
        assert sam.get(f"agents/{agent_id}/states").json()["agentStates"][0]["startDate"] == iso(now)
        clock.advance(3 * 3600)
        assert sam.get(f"agents/{agent_id}/states").json()["agentStates"][0]["startDate"] != iso(now)
        history, _ = sam.every(f"agents/{agent_id}/state-history", "agentStateHistory",
                               startDate=iso(now - 1), endDate=iso(clock()))
        meeting = next(h for h in history if h["startDate"] == iso(now))
        assert meeting["outStateDescription"] == "Meeting" and meeting["duration"] >= HOLD
        # Back to Available, at once.
        assert sam.post(f"agents/{agent_id}/state", state="Available").status_code == 202
    finally:
        op.stop()


def test_state_changes_follow_cxones_rules(morning):
    op, clock = morning
    sam = Caller(op, SUPERVISOR)
    rows, _ = states_of(sam)
    idle = pick(rows, lambda r: r["agentStateName"] == "Available")
    codes = sam.get(f"teams/{idle['teamId']}/unavailable-codes").json()["unavailableCodes"]
    acw_code = next(c["outstateId"] for c in codes if c["isAcw"])
    assert sam.post(f"agents/{idle['agentId']}/state", state="Unavailable", outStateId=str(acw_code)).status_code == 409
    assert sam.post(f"agents/{idle['agentId']}/state", state="Busy").status_code == 400
    assert sam.post(f"agents/{idle['agentId']}/state", state="Unavailable", outStateId="999").status_code == 400
    assert sam.post(f"agents/{idle['agentId']}/state", state="Unavailable", outStateId="110").status_code == 400  # inactive
    assert sam.post("agents/98765/state", state="Available").status_code == 404
    assert sam.post("agents/98765/logout").status_code == 404
    off = pick(rows, lambda r: r["agentStateName"] == "LoggedOut")
    assert sam.post(f"agents/{off['agentId']}/state", state="Available").status_code == 409
    for who in (AGENT, VIEWER):  # an agent, and a supervisor whose role may only look
        caller = Caller(op, who)
        assert caller.post(f"agents/{idle['agentId']}/state", state="Available").status_code == 403
        assert caller.post(f"agents/{idle['agentId']}/logout").status_code == 403
        message = {"subject": "s", "message": "m", "targetType": "Everyone"}
        assert caller.post("agents/messages", json={"agentMessages": [message]}).status_code == 403
    assert Caller(op, VIEWER).get("agents/states").status_code == 200  # reading is allowed
    assert sam.get("agents/1/state").status_code == 405


def test_an_acw_code_during_a_contact_follows_the_contact(morning):
    op, clock = morning
    sam = Caller(op, SUPERVISOR)
    rows, _ = states_of(sam)
    busy = pick(rows, lambda r: r["agentStateName"] == "InboundContact")
    code = next(c for c in sam.get(f"teams/{busy['teamId']}/unavailable-codes").json()["unavailableCodes"] if c["isAcw"])
    assert sam.post(f"agents/{busy['agentId']}/state", state="Unavailable", outStateId=str(code["outstateId"])).status_code == 202
    assert sam.get(f"agents/{busy['agentId']}/states").json()["agentStates"][0]["contactId"] == busy["contactId"]
    clock.advance(3 * 3600)
    history, _ = sam.every(f"agents/{busy['agentId']}/state-history", "agentStateHistory",
                           startDate=busy["startDate"], endDate=iso(clock()))
    assert history[0]["contactId"] == busy["contactId"] and history[0]["agentStateName"] == "InboundContact"
    after = history[1]  # what followed the contact: the code the supervisor chose, as its ACW
    assert "isACW" not in after  # CXone's history has no ACW flag: the code's isAcw says it
    assert after["agentStateName"] == "Unavailable" and after["outStateId"] == code["outstateId"] and after["contactId"] == busy["contactId"]


def test_logout_ends_the_session_and_disconnects_the_contact(morning):
    op, clock = morning
    sam = Caller(op, SUPERVISOR)
    rows, body = states_of(sam)
    busy = pick(rows, lambda r: r["agentStateName"] == "InboundContact" and r["mediaTypeName"] != "EMail"
                and clock() - epoch(r["startDate"]) > 20)
    agent_id, now = busy["agentId"], clock()
    assert sam.post(f"agents/{agent_id}/logout", V["logout"]).status_code == 202
    delta, _ = states_of(sam, updatedSince=body["lastPollTime"])
    assert delta[agent_id]["agentStateName"] == "LoggedOut" and delta[agent_id]["startDate"] == iso(now)
    assert sam.post(f"agents/{agent_id}/logout").status_code == 409  # already out
    contacts, _ = sam.every("contacts/completed", "completedContacts", agentId=agent_id,
                            startDate=iso(now - 3600), endDate=iso(now + 1))
    cut = next(c for c in contacts if c["contactId"] == busy["contactId"])
    assert cut["endReason"] == "Agent Logged Out" and cut["acwSeconds"] == 0
    assert cut["agentSeconds"] + cut["holdSeconds"] == now - epoch(busy["startDate"])
    clock.advance(4 * 3600)
    history, _ = sam.every(f"agents/{agent_id}/state-history", "agentStateHistory", startDate=iso(now), endDate=iso(clock()))
    assert history[0]["agentStateName"] == "LoggedOut" and history[0]["duration"] >= HOLD
    assert history[1]["agentStateName"] == "LoggedIn" and history[1]["duration"] == 0


# --- messages -------------------------------------------------------------------------------------------


def test_messages_reach_their_targets_inboxes(morning):
    op, clock = morning
    sam, alex = Caller(op, SUPERVISOR), Caller(op, AGENT)
    assert alex.get("agents/1001/messages", V["inbox"]).status_code == 204
    sent = sam.post("agents/messages", V["messages"], json={"agentMessages": [
        {"subject": "Welcome", "message": "Hi Alex", "targetType": "Agent", "targetId": 1001, "startDate": iso(clock()),
         "expireMinutes": 30},
        {"subject": "Tier 1 huddle", "message": "At 10", "targetType": "Team", "targetId": 1, "expireMinutes": 90},
        {"subject": "All hands", "message": "<b>Friday</b>", "targetType": "Everyone", "expireMinutes": 120},
        {"subject": "Nobody", "message": "x", "targetType": "Agent", "targetId": 424242},
        {"subject": "A station", "message": "x", "targetType": "Station", "targetId": 1},
    ]})
    assert sent.status_code == 200
    body = sent.json()
    assert body["errorCount"] == 2 and [r["success"] for r in body["agentMessageResults"]] == [True, True, True, False, False]
    assert all(r["error"] for r in body["agentMessageResults"][3:]) and body["agentMessageResults"][0]["agentMessageId"]
    inbox = alex.get("agents/1001/messages", V["inbox"]).json()["messages"]
    assert [m["subject"] for m in inbox] == ["Welcome", "Tier 1 huddle", "All hands"]
    assert set(inbox[0]) >= {"messageId", "subject", "messageText", "startDate", "validUntil"}
    assert inbox[2]["messageText"] == "<b>Friday</b>" and inbox[0]["validUntil"] == iso(clock() + 30 * 60)
    assert [m["subject"] for m in op.simulator.api.inbox(ACME, 1001)] == ["Welcome", "Tier 1 huddle", "All hands"]
    assert alex.get("agents/1002/messages", V["inbox"]).status_code == 403  # another agent's inbox
    assert len(sam.get("agents/1001/messages", V["inbox"]).json()["messages"]) == 3  # a supervisor reads it
    other_team = pick(states_of(sam)[0], lambda r: r["teamId"] != 1)["agentId"]
    assert [m["subject"] for m in sam.get(f"agents/{other_team}/messages").json()["messages"]] == ["All hands"]
    clock.advance(31 * 60)  # the first one expired
    assert [m["subject"] for m in alex.get("agents/1001/messages").json()["messages"]] == ["Tier 1 huddle", "All hands"]


@pytest.mark.parametrize("message, status", [
    ({"subject": "s" * 100, "message": "m" * 1024, "targetType": "Everyone"}, 200),
    ({"subject": "s" * 101, "message": "m", "targetType": "Everyone"}, 400),
    ({"subject": "s", "message": "m" * 1025, "targetType": "Everyone"}, 400),
    ({"message": "m", "targetType": "Everyone"}, 400),
])
def test_message_limits(morning, message, status):
    op, _ = morning
    assert Caller(op, SUPERVISOR).post("agents/messages", json={"agentMessages": [message]}).status_code == status


# --- the agent's day ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username, agent_id", [(AGENT, 1001), (SUPERVISOR, 1150)])
def test_the_agents_day_adds_up(world, username, agent_id):
    """State history from the login, performance and completed contacts: one timeline."""
    op, clock = world
    caller, now = Caller(op, username), clock()
    login = epoch(caller.get(f"agents/{agent_id}", V["agents"]).json()["agents"][0]["lastLogin"])
    assert now - 86400 < login <= now
    if now - login < 3 * 3600:  # a shift just begun: the day before's has more to add up
        login -= 86400
    window = {"startDate": iso(login), "endDate": iso(now)}
    history, _ = caller.every(f"agents/{agent_id}/state-history", "agentStateHistory", V["state-history"], **window)
    assert history[0]["agentStateName"] == "LoggedIn" and history[0]["startDate"] == iso(login)
    for before, after in zip(history, history[1:]):
        assert epoch(before["startDate"]) + before["duration"] == pytest.approx(epoch(after["startDate"]))
        assert {"agentStateName", "outStateDescription", "duration", "contactId", "skillName", "mediaTypeName",
                "teamId"} <= set(after)
    perf = caller.get(f"agents/{agent_id}/performance", V["performance"], **window).json()["agentPerformance"][0]
    contacts, _ = caller.every("contacts/completed", "completedContacts", V["contacts/completed"], agentId=agent_id, **window)
    assert perf["totalHandled"] == len(contacts) == perf["inboundHandled"] + perf["outboundHandled"] > 10
    assert perf["agentOffered"] == perf["inboundHandled"] + perf["refused"]
    for c in contacts:
        assert c["totalDurationSeconds"] == c["inQueueSeconds"] + c["agentSeconds"] + c["holdSeconds"] + c["acwSeconds"]
        assert c["holdSeconds"] >= 0 and c["agentSeconds"] >= 0
    aht = sum(c["agentSeconds"] + c["holdSeconds"] + c["acwSeconds"] for c in contacts) / len(contacts)
    assert seconds(perf["totalAvgHandleTime"]) == pytest.approx(aht, abs=0.01)
    assert seconds(perf["totalTalkTime"]) == pytest.approx(sum(c["agentSeconds"] for c in contacts), abs=0.01)

    def spent(test):
        return sum(min(h["duration"], now - epoch(h["startDate"])) for h in history if test(h))

    team = caller.get(f"agents/{agent_id}", V["agents"]).json()["agents"][0]["teamId"]
    codes = caller.get(f"teams/{team}/unavailable-codes").json()["unavailableCodes"]
    acw = {c["outstateId"] for c in codes if c["isAcw"]}
    for h in history:
        h["isACW"] = h["agentStateName"] == "Unavailable" and h["outStateId"] in acw  # as the portal reads it

    assert seconds(perf["availableTime"]) == spent(lambda h: h["agentStateName"] == "Available")
    assert seconds(perf["acwTime"]) == spent(lambda h: h["isACW"])
    assert seconds(perf["unavailableTime"]) == spent(lambda h: h["agentStateName"] == "Unavailable" and not h["isACW"])
    assert seconds(perf["loginTime"]) == spent(lambda h: h["agentStateName"] != "LoggedOut")
    assert 0 < perf["occupancy"] < 100


def test_who_may_read_whose_day(morning):
    op, clock = morning
    window = {"startDate": iso(clock() - 8 * 3600), "endDate": iso(clock())}
    alex, viewer = Caller(op, AGENT), Caller(op, VIEWER)
    assert alex.get("agents/1001/performance", **window).status_code == 200
    assert alex.get("agents/1001/state-history", **window).status_code == 200
    assert alex.get("agents/1002/performance", **window).status_code == 403
    assert alex.get("agents/1002/state-history", **window).status_code == 403
    assert viewer.get("agents/1002/state-history", **window).status_code == 200  # a view-only supervisor reads
    assert alex.get("agents/1001/performance").status_code == 400  # startDate and endDate are required
    assert Caller(op, SUPERVISOR).get("agents/98765/performance", **window).status_code == 404
    assert alex.get("agents/1001/state-history", startDate=iso(clock() + 60), endDate=iso(clock() + 120)).status_code == 204


def test_team_performance_totals_and_a_fault_for_agents(morning):
    op, clock = morning
    window = {"startDate": iso(clock() - 6 * 3600), "endDate": iso(clock())}
    sam, alex = Caller(op, SUPERVISOR), Caller(op, AGENT)
    total = sam.get("teams/1/performance-total", V["performance-total"], **window).json()["teamPerformanceTotal"][0]
    members = [a["agentId"] for a in sam.every("agents", "agents")[0] if a["teamId"] == 1]
    each = [sam.get(f"agents/{m}/performance", **window).json()["agentPerformance"][0] for m in members]
    for key in ("agentOffered", "inboundHandled", "outboundHandled", "totalHandled", "refused"):
        assert total[key] == sum(p[key] for p in each), key
    for key in ("totalTalkTime", "availableTime", "unavailableTime", "acwTime", "loginTime"):
        assert seconds(total[key]) == pytest.approx(sum(seconds(p[key]) for p in each), abs=0.01), key
    assert total["teamId"] == 1 and total["totalHandled"] > 0
    assert alex.get("teams/1/performance-total", **window).status_code == 200  # his own team
    assert alex.get("teams/2/performance-total", **window).status_code == 403
    op.simulator.api.faults[("teams/{teamId}/performance-total", "Agent")] = 403
    assert alex.get("teams/1/performance-total", **window).status_code == 403
    assert sam.get("teams/1/performance-total", **window).status_code == 200


# --- CXone's habits on the new paths ----------------------------------------------------------------------------


def test_any_version_is_served_and_recorded(morning):
    op, _ = morning
    sam = Caller(op, SUPERVISOR)
    assert sam.get("server-time", "v99.0").status_code == 200
    op.simulator.reset_calls()
    sam.get("teams/2/unavailable-codes", V["unavailable-codes"])
    call = op.simulator.calls[-1]
    assert (call["path"], call["route"], call["version"]) == (
        "teams/2/unavailable-codes", "teams/{teamId}/unavailable-codes", "v23.0")


@pytest.mark.parametrize("method, path", [("get", "server-time"), ("get", "agents/1001/state-history"),
                                          ("post", "agents/1001/logout"), ("get", "skills/summary"),
                                          ("get", "agents/1001/messages")])
def test_bad_tokens_are_401_and_faults_apply(morning, method, path):
    op, _ = morning
    sam = Caller(op, SUPERVISOR)
    sam.http.headers["Authorization"] = "Bearer not-a-token"
    assert getattr(sam, method)(path).status_code == 401
    good = Caller(op, SUPERVISOR)
    op.simulator.api.revoked.add(jwt.decode(good.token, options={"verify_signature": False})["jti"])
    assert getattr(good, method)(path).status_code == 401
    op.simulator.api.faults["*"] = 429
    assert getattr(Caller(op, SUPERVISOR), method)(path).status_code == 429


def test_the_view_only_demo_supervisor():
    from simulator.demo import demo_tenants

    viewers = [u for t in demo_tenants() for u in t.users if u.role == VIEW_ONLY_ROLE]
    assert [u.username for u in viewers] == [VIEWER, "vic.viewer@globex.example"]


# --- NICE's shapes, in both documented variants --------------------------------------------------------


def test_the_simulator_speaks_nices_spec_by_default(morning):
    op, clock = morning
    sam = Caller(op, SUPERVISOR)
    assert op.simulator.api.shapes == "spec"
    rows, _ = states_of(sam)
    ids = {"LoggedOut": 0, "Available": 1, "Unavailable": 2, "InboundContact": 3, "OutboundContact": 4}  # NICE's SDK enum
    assert all(r["agentStateId"] == ids[r["agentStateName"]] for r in rows.values())
    assert all(isinstance(r["isACW"], bool) and "isAcw" not in r for r in rows.values())
    busy = pick(rows, lambda r: r["agentStateName"] == "InboundContact")
    mine = sam.get(f"agents/{busy['agentId']}/states").json()["agentStates"][0]
    assert mine["mediaName"] == busy["mediaTypeName"] and "mediaTypeName" not in mine and isinstance(mine["mediaType"], int)
    codes = sam.get(f"teams/{busy['teamId']}/unavailable-codes", V["unavailable-codes"]).json()["unavailableCodes"]
    assert all("outstateId" in c and "outStateId" not in c for c in codes)
    window = {"startDate": iso(clock() - 3600), "endDate": iso(clock())}
    history, _ = sam.every(f"agents/{busy['agentId']}/state-history", "agentStateHistory", V["state-history"], **window)
    assert history and all("isACW" not in h and "isAcw" not in h and "teamId" in h for h in history)
    team = sam.get(f"teams/{busy['teamId']}/performance-total", V["performance-total"], **window).json()["teamPerformanceTotal"][0]
    assert "teamName" not in team
    contacts, _ = sam.every("contacts/completed", "completedContacts", agentId=busy["agentId"], **window)
    assert contacts and all("contactStartDate" in c and "contactStart" not in c for c in contacts)
    # CXone types targetId as a number: a string is refused, one message at a time.
    answer = sam.post("agents/messages", json={"agentMessages": [{"subject": "s", "message": "m", "targetType": "Agent",
                                                                  "targetId": str(busy["agentId"])}]}).json()
    assert answer["errorCount"] == 1


def test_the_sdk_variant_and_a_dropped_field(morning):
    op, clock = morning
    api = op.simulator.api
    api.shapes = "sdk"
    sam = Caller(op, SUPERVISOR)
    rows, _ = states_of(sam)
    assert all("isAcw" in r and "isACW" not in r for r in rows.values())
    agent = next(iter(rows.values()))
    codes = sam.get(f"teams/{agent['teamId']}/unavailable-codes").json()["unavailableCodes"]
    assert all({"outStateId", "outStateName"} <= set(c) and "outstateId" not in c for c in codes)
    history, _ = sam.every(f"agents/{agent['agentId']}/state-history", "agentStateHistory",
                           startDate=iso(clock() - 3600), endDate=iso(clock()))
    assert history and all("teamNo" in h and "teamId" not in h for h in history)
    api.dropped = {"serverTime", "earliestQueueTime"}
    skills = sam.get("skills/activity").json()["skillActivity"]
    assert skills and all("serverTime" not in s and "earliestQueueTime" not in s for s in skills)


def test_the_variant_comes_from_the_environment(monkeypatch):
    from simulator.api import CXoneAPI

    monkeypatch.setenv("CXONE_SIMULATOR_SHAPES", "sdk")
    monkeypatch.setenv("CXONE_SIMULATOR_DROP", "serverTime, contactStartDate")
    api = CXoneAPI(None)
    assert api.shapes == "sdk" and api.dropped == {"serverTime", "contactStartDate"}
    monkeypatch.setenv("CXONE_SIMULATOR_SHAPES", "ours")
    with pytest.raises(ValueError, match="spec, sdk"):
        CXoneAPI(None)


LEAD = "tara.lead@acme.example"  # a Manager whose CXone view holds Billing (3) and Escalations (4) only


def test_a_team_limited_supervisor_is_answered_only_their_view(morning):
    op, _ = morning
    sam, tara = Caller(op, SUPERVISOR), Caller(op, LEAD)
    everyone, _ = states_of(sam)
    theirs, body = states_of(tara)
    assert {r["teamId"] for r in theirs.values()} == {3, 4}
    assert set(theirs) == {i for i, r in everyone.items() if r["teamId"] in (3, 4)} and body["totalRecords"] == len(theirs)
    agents, _ = tara.every("agents", "agents", V["agents"])
    assert {a["teamId"] for a in agents} == {3, 4}
    outside = next(i for i, r in everyone.items() if r["teamId"] == 1 and i != 1005)
    inside = next(iter(theirs))
    assert tara.get(f"agents/{outside}").status_code == 404 and tara.get(f"agents/{inside}").status_code == 200
    assert tara.get("agents/1005/states").status_code == 200  # their own agent is theirs, whatever its team
    skills, _ = tara.every("skills/activity", "skillActivity", V["skills/activity"])
    assert {s["skillId"] for s in skills} == {s.id for t in (3, 4) for s in TEAM_SKILLS[t]}
    sent = tara.post("agents/messages", json={"agentMessages": [
        {"subject": "Hi", "message": "Outside", "targetType": "Team", "targetId": 1, "expireMinutes": 5}]})
    assert sent.json()["errorCount"] == 1


def test_the_assignments_follow_the_team_at_once_and_each_callers_view(morning):
    """`agents/skills` is worked out once per team, skills and view, not once per page (a
    20,000-agent tenant's 50,000 rows per page were what made its read time out): an agent
    removed or listed again, a bigger tenant, more teams, a view that changes show at the next
    read, and each caller is answered only their view, whoever asked first."""
    from simulator.provider import SimUser

    op, clock = morning
    api = op.simulator.api
    acme = op.simulator.tenants[ACME]
    acme.users.append(SimUser("uma.lead@acme.example", "Uma", "Berg", "Manager", agent_id=1090, teams=(3, 4)))
    sam, tara, uma = Caller(op, SUPERVISOR), Caller(op, LEAD), Caller(op, "uma.lead@acme.example")

    def assigned(caller, path="agents/skills"):
        return caller.every(path, "agentSkillAssignments", top=7)[0]  # pages of 7: many pages of one read

    theirs = assigned(tara)  # the view first, then the whole tenant: neither answers the other
    everything = assigned(sam)
    assert theirs == [r for r in everything if r["teamId"] in (3, 4)] and theirs
    team = api.team_of(ACME)
    memo = team.assigned()  # what every page of Sam's read was cut from: worked out once, kept
    assert team.assigned() is memo and len(memo) == len(everything)
    assert {r["agentId"] for r in everything} == {a["agentId"] for a in sam.every("agents", "agents")[0]}
    clock.advance(90)  # the same assignments, stamped by the clock as before
    later = assigned(sam)
    assert [dict(r, lastUpdateTime=None) for r in later] == [dict(r, lastUpdateTime=None) for r in everything]
    assert {r["lastUpdateTime"] for r in later} == {iso(clock() - 30 * 86400)}

    assert team.assigned() is memo  # the clock moved, the team did not
    gone = next(r["agentId"] for r in theirs if r["agentId"] % 1000 >= 100)
    api.remove_agent(ACME, gone)
    assert team.assigned() is not memo and len(team.assigned()) < len(memo)
    for caller in (sam, tara):
        assert gone not in {r["agentId"] for r in assigned(caller)}
    skill = next(r["skillId"] for r in theirs if r["agentId"] == gone)
    assert gone not in {r["agentId"] for r in assigned(tara, f"skills/{skill}/agents")}
    api.restore_agent(ACME, gone)  # listed again: in the very next read, where it was
    assert [r["agentId"] for r in assigned(tara)] == [r["agentId"] for r in theirs]
    assert gone in {r["agentId"] for r in assigned(tara, f"skills/{skill}/agents")}

    api.team_size += 1  # a new agent
    grown = assigned(sam)
    new = {r["agentId"] for r in grown} - {r["agentId"] for r in everything}
    assert len(new) == 1 and len({r["agentId"] for r in grown}) == len({r["agentId"] for r in everything}) + 1
    added = next(a for a in sam.every("agents", "agents")[0] if a["agentId"] in new)
    assert ({r["agentId"] for r in assigned(tara)} >= new) == (added["teamId"] in (3, 4))

    api.team_count = 8  # more teams: tara's view is still Billing and Escalations only
    spread = assigned(sam)
    assert {r["teamId"] for r in spread} == set(range(1, 9))
    assert {r["teamId"] for r in assigned(tara)} == {3, 4}

    uma_user = acme.user("uma.lead@acme.example")
    hidden = next(r["agentId"] for r in spread if r["teamId"] == 4)
    uma_user.teams, uma_user.hidden = (4,), (hidden,)  # her view changes between two reads
    hers = assigned(uma)
    assert hers == [r for r in assigned(sam) if r["teamId"] == 4 and r["agentId"] != hidden] and hers
    assert {r["teamId"] for r in assigned(tara)} == {3, 4}  # the same teams, another view: not Uma's


def test_a_tenant_of_more_teams_for_many_views():
    """`api.team_count` (benchmarks: 20 distinct views need more than four teams) spreads the
    generated agents over that many teams, "Team 5" and on borrowing the first four's skills and
    codes; a supervisor limited to two of them is answered only theirs. Unset, the world is the demo's."""
    from simulator.provider import SimUser

    op, _ = start("09:30", team_size=400, page_cap=200)
    try:
        acme = op.simulator.tenants[ACME]
        acme.users.append(SimUser("lee.lead@acme.example", "Lee", "Lead", "Manager", agent_id=1090, teams=(5, 6)))
        default, _ = states_of(Caller(op, SUPERVISOR))
        assert {r["teamId"] for r in default.values()} == {1, 2, 3, 4}
        assert Caller(op, SUPERVISOR).get("teams/5/unavailable-codes", V["unavailable-codes"]).status_code == 404
        op.simulator.api.team_count = 8
        sam, lee = Caller(op, SUPERVISOR), Caller(op, "lee.lead@acme.example")
        everyone, _ = states_of(sam)
        assert {r["teamId"] for r in everyone.values()} == set(range(1, 9))
        assert {r["teamName"] for r in everyone.values() if r["teamId"] == 7} == {"Team 7"}
        theirs, _ = states_of(lee)
        assert set(theirs) == {i for i, r in everyone.items() if r["teamId"] in (5, 6)} and theirs
        skills, _ = lee.every("skills/activity", "skillActivity", V["skills/activity"])
        assert {s["skillId"] for s in skills} == {s.id for t in (1, 2) for s in TEAM_SKILLS[t]}
        codes = sam.get("teams/7/unavailable-codes", V["unavailable-codes"]).json()
        assert codes["teamName"] == "Team 7" and any(c["outstateName"] == "Billing Wrap-up" for c in codes["unavailableCodes"])
        assert sam.get("teams/9/unavailable-codes", V["unavailable-codes"]).status_code == 404
    finally:
        op.stop()
