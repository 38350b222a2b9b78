"""Who has which skill: the board's Skill filter means "the agents who have the skill", as
CXone's own Supervisor filters and as a skill's queue row counts them (`agentsLoggedIn`).

`GET /api/supervisor/skill-agents/` answers `{skills: {skillId: {name, agentIds}}, partial}` from
CXone's agent-skill assignments (`agents/skills`, every page), read once per full read of the
board (`CXONE_BOARD_FULL_READ_SECONDS`): assignments change when an administrator edits them,
not from poll to poll. Only active assignments of active skills, and only agents on the
caller's board (the board is read first when it was not yet), and one read per view of the
tenant (floor.py). Encoded once per read, ETag/304 and gzip through `api.answer`. What an answer lacked is recorded (`shapes`).
"""
from . import floor as floors
from . import shapes
from .api import SUPERVISOR, answer, api_view, board_ids, workspace
from .cxone_api import MAX_PAGES
from .rows import text

READ_TIMEOUTS = 3  # the lease holds a fetch for four timeouts and a little more (resources.lease_seconds)
ROWS_PER_AGENT = 10


def assignment(row):
    """(skill id, skill name, agent id) of one assignment row, or None when it is not one a
    board can use (no ids, or switched off: `isActive`/`isSkillActive` false)."""
    if row.get("isActive") is False or row.get("isSkillActive") is False:
        return None
    agent_id, skill_id = text(row.get("agentId"), 32), text(row.get("skillId"), 32)
    if not agent_id or not skill_id:
        return None
    return skill_id, text(row.get("skillName"), 100), agent_id


def by_skill(rows, on_board):
    """{skillId: {name, agentIds (sorted)}} of the assignments whose agent is in `on_board`.
    A skill none of them has is left out: the filter lists only what the board can show."""
    skills = {}
    for row in rows:
        found = assignment(row) if isinstance(row, dict) else None
        if found is None or found[2] not in on_board:
            continue
        skill_id, name, agent_id = found
        entry = skills.setdefault(skill_id, {"name": name, "agentIds": set()})
        entry["name"] = entry["name"] or name
        entry["agentIds"].add(agent_id)
    return {skill_id: {"name": entry["name"], "agentIds": sorted(entry["agentIds"], key=lambda a: (len(a), a))}
            for skill_id, entry in sorted(skills.items(), key=lambda item: (item[1]["name"].lower(), item[0]))}


def skill_agents(ws, on_board, *, if_none_match=None):
    """The assignments of the agents in `on_board`, read at most once per full-read interval.

    One row per agent and skill: several times the board's rows, so the read may take up to
    `READ_TIMEOUTS` of the client's timeouts (still inside its lease) and hold up to
    `ROWS_PER_AGENT` rows per agent the board may hold, in as many times the board's pages
    (20,000 agents of 3 skills each are 1,200 pages of 50, 2,400 of 25); beyond that it says
    `partial`."""
    def fetch(state, started):
        client = ws.client()
        client.max_rows = ws.limits.max_agents * ROWS_PER_AGENT
        client.max_pages = MAX_PAGES * ROWS_PER_AGENT
        listing = client.skill_assignments(deadline=client.deadline() + (READ_TIMEOUTS - 1) * ws.limits.timeout)
        shapes.check(ws, "agents/skills", listing.rows)
        payload = {"skills": by_skill(listing.rows, on_board), "partial": bool(listing.partial)}
        ids = sorted({agent_id for entry in payload["skills"].values() for agent_id in entry["agentIds"]})
        return {"payload": payload, "ids": ids, "kind": "agents", "digest": floors.digest(ids)}, payload
    # One read per view (floor.py): a member gets it when every agent it names is one of theirs.
    return ws.serve_shared("skill-agents", ws.limits.full_read_seconds, fetch, if_none_match=if_none_match)


@api_view("GET", SUPERVISOR)
def supervisor_skill_agents(request):
    ws = workspace(request)
    return answer(request, skill_agents(ws, board_ids(ws), if_none_match=request.headers.get("if-none-match")))
