"""The Skill filter means "agents who have the skill": CXone's agent-skill assignments, served per
board, agree with each skill's queue row (its "logged in" figure), read once per full read,
304 for what the browser has, gzip; a reader that tells what an answer lacked."""
import gzip
import json

import pytest

from workspaces.cxone_api import MAX_PAGES
from workspaces.skill_agents import by_skill

from .conftest import AGENT, SUPERVISOR
from .test_actions import XHR, WORLD_AT, signed_in
from .test_simulator_api import AGENT as SIM_AGENT, SUPERVISOR as SIM_SUPERVISOR, Caller, states_of, world  # noqa: F401 (a fixture)


@pytest.fixture
def supervisor(cxone, portal_clock):
    portal_clock.at(WORLD_AT)
    browser = signed_in(cxone, SUPERVISOR)
    browser.clock = portal_clock
    return browser


def reads(browser, route):
    return [c for c in browser.cxone.sim.calls if c.get("route") == route]


@pytest.mark.django_db
@pytest.mark.parametrize("team_size", [60, 700])
def test_a_skills_agents_logged_in_on_the_board_are_its_queue_rows_logged_in(supervisor, cxone, team_size):
    cxone.sim.api.team_size = team_size  # 700: several pages of assignments (the simulator's pages hold 100)
    board = supervisor.client.get("/api/supervisor/agents/", **XHR).json()["agents"]
    logged_in = {a["agentId"] for a in board if a["state"] != "LoggedOut"}
    assert len(board) == team_size and logged_in
    response = supervisor.client.get("/api/supervisor/skill-agents/", **XHR)
    assert response.status_code == 200
    skills = response.json()["skills"]
    queues = supervisor.client.get("/api/supervisor/skills/", **XHR).json()["skills"]
    assert queues and set(skills) == {q["skillId"] for q in queues}
    for queue in queues:
        have = set(skills[queue["skillId"]]["agentIds"])
        assert skills[queue["skillId"]]["name"] == queue["skillName"]
        assert len(have & logged_in) == queue["agentsLoggedIn"], queue["skillName"]
    on_board = {a["agentId"] for a in board}
    assert all(set(s["agentIds"]) <= on_board for s in skills.values())


@pytest.mark.django_db
def test_assignments_of_more_pages_than_a_boards_read_are_read_whole(supervisor, cxone):
    """Several rows per agent are several times the board's pages: 20,000 agents of 3 skills each
    are 1,200 pages of 50, 2,400 of CXone's smallest (25), past the board's bound (MAX_PAGES),
    which cut the filter to the first 1,000 pages' agents and called it `partial`."""
    cxone.sim.api.team_size = 430  # 1,059 assignments
    board = supervisor.client.get("/api/supervisor/agents/", **XHR).json()["agents"]
    assert len(board) == 430
    cxone.sim.api.page_cap = 1  # CXone's pages may hold fewer rows than asked: here one
    response = supervisor.client.get("/api/supervisor/skill-agents/", **XHR)
    assert response.status_code == 200
    body = response.json()
    pages = len(reads(supervisor, "agents/skills"))
    assert pages > MAX_PAGES and not body["partial"]
    assert sum(len(s["agentIds"]) for s in body["skills"].values()) == pages  # a row a page, each counted
    assert set().union(*(s["agentIds"] for s in body["skills"].values())) == {a["agentId"] for a in board}


@pytest.mark.django_db
def test_the_assignments_are_read_once_per_full_read_with_304_and_gzip(supervisor, settings):
    first = supervisor.client.get("/api/supervisor/skill-agents/", HTTP_ACCEPT_ENCODING="gzip", **XHR)
    assert first.status_code == 200 and first["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(first.content))["skills"]
    tag = first["ETag"]
    pages = len(reads(supervisor, "agents/skills"))  # one read: every page of it
    again = supervisor.client.get("/api/supervisor/skill-agents/", HTTP_IF_NONE_MATCH=tag, **XHR)
    assert again.status_code == 304
    supervisor.clock.later(settings.CXONE_BOARD_FULL_READ_SECONDS - 1)
    assert supervisor.client.get("/api/supervisor/skill-agents/", HTTP_IF_NONE_MATCH=tag, **XHR).status_code == 304
    assert len(reads(supervisor, "agents/skills")) == pages
    supervisor.clock.later(1)
    supervisor.client.get("/api/supervisor/agents/", **XHR)
    assert supervisor.client.get("/api/supervisor/skill-agents/", **XHR).status_code == 200
    assert len(reads(supervisor, "agents/skills")) == 2 * pages


@pytest.mark.django_db
def test_only_supervisors_read_who_has_which_skill(cxone, portal_clock):
    portal_clock.at(WORLD_AT)
    agent = signed_in(cxone, AGENT)
    response = agent.client.get("/api/supervisor/skill-agents/", **XHR)
    assert response.status_code == 403 and response.json()["reason"] == "not_a_supervisor"


@pytest.mark.django_db
def test_cxones_refusal_is_said_not_a_blank_filter(supervisor, cxone):
    cxone.sim.api.faults["agents/skills"] = 403
    response = supervisor.client.get("/api/supervisor/skill-agents/", **XHR)
    assert response.status_code == 403 and response.json()["reason"] == "api_forbidden"


@pytest.mark.django_db
def test_an_answer_without_skill_names_is_read_and_recorded(supervisor, cxone):
    from tenants.models import NotUnderstood

    cxone.sim.api.dropped = {"skillName"}
    response = supervisor.client.get("/api/supervisor/skill-agents/", **XHR)
    assert response.status_code == 200 and all(s["name"] == "" and s["agentIds"] for s in response.json()["skills"].values())
    recorded = NotUnderstood.objects.get(endpoint="agents/skills")
    assert recorded.field == "skillName" and "agentId" in recorded.keys


def test_the_simulators_assignments_agree_with_its_queue_counts_at_any_hour(world):
    """In the simulator's own terms, at 00:05, 09:30, 17:45 and 23:59: for each skill, the agents
    `skills/{skillId}/agents` lists who are logged in are its `agentsLoggedIn`, and
    `agents/skills` lists the same assignments."""
    op, clock = world
    sam = Caller(op, SIM_SUPERVISOR)
    states, _ = states_of(sam)
    logged_in = {agent_id for agent_id, row in states.items() if row["agentStateName"] != "LoggedOut"}
    everything, first = sam.every("agents/skills", "agentSkillAssignments")
    assert first["businessUnitId"] and first["lastPollTime"]
    for queue in sam.get("skills/activity").json()["skillActivity"]:
        rows, _ = sam.every(f"skills/{queue['skillId']}/agents", "agentSkillAssignments")
        assert {r["skillId"] for r in rows} == {queue["skillId"]}
        assert len({r["agentId"] for r in rows} & logged_in) == queue["agentsLoggedIn"], queue["skillName"]
        assert sorted(map(str, rows), key=str) == sorted((str(r) for r in everything if r["skillId"] == queue["skillId"]), key=str)
    assert sam.get("skills/999999/agents").status_code == 404
    assert Caller(op, SIM_AGENT).get("agents/skills").status_code == 403


def test_by_skill_keeps_active_assignments_of_agents_on_the_board():
    rows = [
        {"agentId": 1, "skillId": 7, "skillName": "Billing", "isActive": True, "isSkillActive": True},
        {"agentId": "2", "skillId": "7", "skillName": "Billing"},  # strings, no flags: as CXone may send
        {"agentId": 3, "skillId": 7, "skillName": "Billing", "isActive": False},  # unassigned
        {"agentId": 1, "skillId": 8, "skillName": "Chat", "isSkillActive": False},  # a skill switched off
        {"agentId": 9, "skillId": 7, "skillName": "Billing"},  # not on this board
        {"skillId": 7}, "not a row", {"agentId": 1, "skillId": 5, "skillName": "Account"},
    ]
    assert by_skill(rows, {"1", "2", "3"}) == {"5": {"name": "Account", "agentIds": ["1"]},
                                               "7": {"name": "Billing", "agentIds": ["1", "2"]}}
