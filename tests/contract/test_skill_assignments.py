"""Who has which skill, as NICE's spec shows CXone answering `agents/skills` (the
`agentSkillAssignments` entity of `AdminSkillsService.getSkillAgents` in `calljacob/nice-cxone-api`,
the same entity a third-party connector reads from `agents/skills`; see README.md), served on
loopback and read through the portal's own reader (`workspaces.skill_agents`)."""
import json

from workspaces.skill_agents import skill_agents

from .test_nice_shapes import corpus, served, ws  # noqa: F401  (fixtures)


def test_every_page_of_assignments_is_read_and_only_active_ones_of_agents_on_the_board_count(corpus, ws):
    corpus.routes["agents/skills"] = {0: "agents-skills.page1.json", 2: "agents-skills.page2.json"}
    skills = served(skill_agents(ws, {"1001", "1002", "1003"}))["skills"]
    assert skills == {"2101": {"name": "Billing Line", "agentIds": ["1001", "1002"]},  # 1003's assignment is inactive
                      "2102": {"name": "Chat Support", "agentIds": ["1001"]}}  # on CXone's second page
    assert ("agents/skills", 2) in corpus.calls and served(skill_agents(ws, {"1001"}))["partial"] is False


def test_an_agent_not_on_this_supervisors_board_is_left_out(corpus, ws):
    corpus.routes["agents/skills"] = {0: "agents-skills.page1.json", 2: "agents-skills.page2.json"}
    assert served(skill_agents(ws, {"1002"}))["skills"] == {"2101": {"name": "Billing Line", "agentIds": ["1002"]}}


def test_nothing_assigned_is_an_empty_filter_not_an_error(corpus, ws):
    corpus.routes["agents/skills"] = "agents.json"  # totalRecords 0 and no assignment rows
    body = served(skill_agents(ws, {"1001"}))
    assert body["skills"] == {} and json.dumps(body)


def test_more_assignments_than_the_bounds_hold_say_partial(corpus, ws, monkeypatch):
    from dataclasses import replace

    from workspaces import skill_agents as module

    monkeypatch.setattr(module, "ROWS_PER_AGENT", 1)
    ws.limits = replace(ws.limits, max_agents=3)  # at most 3 rows of CXone's 4
    corpus.routes["agents/skills"] = {0: "agents-skills.page1.json", 2: "agents-skills.page2.json"}
    body = served(skill_agents(ws, {"1001", "1002", "1003"}))
    assert body["partial"] is True and body["skills"]["2101"]["agentIds"] == ["1001", "1002"]
