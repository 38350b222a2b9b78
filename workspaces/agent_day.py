"""The agent's day: one window, the last 24 hours up to the read, for everything the page shows.

One read (`read_day`) takes the window once and fills it from CXone:

- the completed contacts that started in it (`contacts/completed`), with the figures summed on
  the server from the same rows (handle time = `agentSeconds` + `holdSeconds` + `acwSeconds`;
  never `inQueueSeconds`);
- the states that started in it (`agents/{agentId}/state-history`): a timeline, and the
  Unavailable time summed by reason from that same timeline. CXone's history has no ACW flag:
  after-contact work is an `Unavailable` state whose `outStateId` is one of the team's codes
  with `isAcw` (`teams/{teamId}/unavailable-codes`, read with the team's name from
  `agents/{agentId}` every `FULL_HISTORY_SECONDS`);
- the agent against their team (`agents/{agentId}/performance`, `teams/{teamId}/performance-total`)
  over the same window. A 403 there empties that panel with a reason; the rest still answers.

The history is a few hundred states a day: a read re-fetches only its tail (from the start of
the last state, which may still be growing) and the whole window every `FULL_HISTORY_SECONDS`.
The read goes through `Workspace.serve`, so its cache, single flight and failures are the
board's. The shaping functions are plain and request-free, for tests.
"""
import math

from core.reasons import Reason
from core.web import reason_body

from . import shapes
from .adapter import iso
from .rows import _epoch, code_row, contact_row, count_of, duration_seconds as seconds, first, flag, newest_first, number, summarize, text
from .cxone_api import APIError
from .api import AGENT, Refused, answer, api_view, workspace

WINDOW_HOURS = 24
FULL_HISTORY_SECONDS = 900  # the whole window's history is re-read this often; between, only its tail
MAX_STATES = 5000  # a day's states are a few hundred; more is not a day CXone should send
MAX_CONTACTS = 2000
# A part of the day CXone refuses to this user: that panel says so, the rest answers.
PANEL_REFUSALS = {Reason.API_FORBIDDEN, Reason.API_NOT_FOUND}

def percent(value):
    parsed = number(value)
    return round(parsed, 1) if parsed is not None and 0 <= parsed <= 100 else None


def whole(value, limit=10**7):
    parsed = number(value)
    return int(parsed) if parsed is not None and 0 <= parsed <= limit and parsed == int(parsed) else None


def window(started, hours=WINDOW_HOURS):
    """(start, end) in whole epoch seconds: the last `hours` up to the read."""
    end = math.floor(started)
    return end - hours * 3600, end


# --- the state history -------------------------------------------------------------------------

def history_mark(row):
    """One of CXone's state-history rows, bounded: (start epoch, seconds, state, reason, acw,
    teamId, outStateId), or None when it has no usable start. `acw` is only what the row says
    itself (the spec's rows say nothing: `timeline` asks the team's codes); the team is
    `teamId` (the spec) or `teamNo` (NICE's SDK)."""
    start = _epoch(text(row.get("startDate"), 40))
    if start is None:
        return None
    return (start, seconds(row.get("duration")), text(row.get("agentStateName"), 40),
            text(row.get("outStateDescription"), 100), flag(row, "isACW", "isAcw"),
            text(first(row, "teamId", "teamNo"), 32), count_of(row.get("outStateId")))


def _order(mark):
    """By start; at one instant, the zero-length state (a login) first."""
    return mark[0], math.inf if mark[1] is None else mark[1], mark[2], mark[3]


def timeline(marks, start, end, acw_codes=()):
    """The states that started in [start, end), oldest first, each clipped to the window's end.
    A state CXone gives no duration lasts until the next one starts (the last: until the end).
    After-contact work: an Unavailable state with one of `acw_codes` (or flagged by CXone)."""
    marks = sorted((m for m in marks if start <= m[0] < end), key=_order)
    rows = []
    for i, mark in enumerate(marks):
        begin, duration, state, reason, acw = mark[:5]
        code = mark[6] if len(mark) > 6 else None
        acw = acw or (state == "Unavailable" and code is not None and code in acw_codes)
        if duration is None:
            duration = (marks[i + 1][0] if i + 1 < len(marks) else end) - begin
        rows.append({"state": state, "reason": reason, "acw": acw, "start": iso(begin),
                     "seconds": round(max(0.0, min(begin + duration, end) - begin))})
    return rows


def unavailable_by_reason(rows):
    """Unavailable time per reason, from the timeline's own rows (their sum is the timeline's
    Unavailable time), the longest first. After-contact work is marked: it is handle time."""
    totals = {}
    for row in rows:
        if row["state"] != "Unavailable":
            continue
        entry = totals.setdefault(row["reason"], {"reason": row["reason"], "seconds": 0, "acw": False})
        entry["seconds"] += row["seconds"]
        entry["acw"] = entry["acw"] or row["acw"]
    return sorted(totals.values(), key=lambda e: (-e["seconds"], e["reason"]))


def read_history(client, agent_id, previous, start, end, started, check=None):
    """(marks in the window, full_at, partial): the tail since the last state when the previous
    read is recent enough, else the whole window. `check(rows)` sees CXone's rows."""
    marks = (previous or {}).get("marks")
    if marks and len(marks[0]) != 7:  # kept by an older portal, without outStateId
        marks = None
    full_at = (previous or {}).get("full_at", 0)
    full = marks is None or started >= full_at + FULL_HISTORY_SECONDS
    kept, since = [], start
    if not full:
        kept = [m for m in marks if m[0] >= start]
        if kept:
            since = max(start, math.floor(kept[-1][0]))  # the last state may still be growing: read it again
            kept = [m for m in kept if m[0] < since]
    listing = client.get_all("agents/{agentId}/state-history", "agentStateHistory",
                             {"startDate": iso(since), "endDate": iso(end)}, agentId=agent_id)
    fresh = [m for m in (history_mark(r) for r in listing.rows) if m is not None and since <= m[0] < end]
    if check is not None:
        check(listing.rows)
    marks = sorted(set(kept) | set(fresh), key=_order)[-MAX_STATES:]
    return marks, started if full else full_at, bool(listing.partial) or len(kept) + len(fresh) > MAX_STATES


# --- the agent against their team ----------------------------------------------------------------

def figures(row):
    """CXone's performance row, as the panel compares it."""
    row = row or {}
    return {"handled": whole(row.get("totalHandled")), "averageHandleSeconds": _rounded(seconds(row.get("totalAvgHandleTime"))),
            "occupancy": percent(row.get("occupancy"))}


def _rounded(value):
    return round(value) if value is not None else None


def team_of(marks, previous):
    """The agent's teamId from the newest state CXone reported (`teamId` or `teamNo`), else the
    last read's; None when neither says (`team_facts` asks `agents/{agentId}`)."""
    for mark in reversed(marks):
        if mark[5]:
            return mark[5]
    return (previous or {}).get("team_id")


def team_facts(client, agent_id, team_id, previous, started):
    """{"team_id", "name", "acw": ids of the team's after-contact-work codes, "code_rows"},
    kept for FULL_HISTORY_SECONDS. The name (and the team, when the history named none) comes
    from `agents/{agentId}`: performance rows carry no name. The codes come from
    `teams/{teamId}/unavailable-codes`, in either casing. What CXone refuses stays empty."""
    kept = (previous or {}).get("team_facts")
    if kept and team_id in (None, kept.get("team_id")) and started < kept.get("at", 0) + FULL_HISTORY_SECONDS:
        return kept
    facts = {"team_id": team_id, "at": started, "name": "", "acw": [], "code_rows": []}
    try:
        rows = client.get("agents/{agentId}", "agents", agentId=agent_id)
    except APIError as exc:
        if exc.reason not in PANEL_REFUSALS:
            raise
        rows = []
    if rows:
        facts["name"] = text(rows[0].get("teamName"))
        facts["team_id"] = team_id or text(first(rows[0], "teamId", "teamNo"), 32) or None
    if facts["team_id"] is not None:
        try:
            rows = client.get("teams/{teamId}/unavailable-codes", "unavailableCodes", teamId=facts["team_id"])
        except APIError as exc:
            if exc.reason not in PANEL_REFUSALS:
                raise
            rows = []
        facts["acw"] = sorted({c["id"] for c in map(code_row, rows) if c["isAcw"] and c["id"] is not None})
        facts["code_rows"] = rows[:1]  # for the shape check: the keys of one row
    return facts


def read_performance(client, agent_id, team_id, start, end, team_name=""):
    """({"agent", "team", "teamName", "teamReason"}, None), or (None, reason) when CXone refuses
    the agent's own figures."""
    params = {"startDate": iso(start), "endDate": iso(end)}
    try:
        mine = client.get("agents/{agentId}/performance", "agentPerformance", params, agentId=agent_id)
    except APIError as exc:
        if exc.reason in PANEL_REFUSALS:
            return None, reason_body(exc.reason)
        raise
    team, team_reason = None, None
    if team_id is None:
        team_reason = reason_body(Reason.API_NOT_FOUND)
    else:
        try:
            rows = client.get("teams/{teamId}/performance-total", "teamPerformanceTotal", params, teamId=team_id)
        except APIError as exc:
            if exc.reason not in PANEL_REFUSALS:
                raise
            team_reason = reason_body(exc.reason)
        else:
            team = figures(rows[0] if rows else None)
    return {"agent": figures(mine[0] if mine else None), "team": team, "teamName": team_name, "teamReason": team_reason}, None


# --- the day -------------------------------------------------------------------------------------

def read_day(ws, agent_id, *, interval=None, if_none_match=None):
    """The agent's day through the workspace's single-flight cache (a `Served`)."""

    def fetch(previous, started):
        start, end = window(started)
        client = ws.client()
        rows = client.completed_contacts(agent_id, iso(start), iso(end))
        shapes.check(ws, "contacts/completed", rows)
        contacts = newest_first(contact_row(c) for c in rows)[:MAX_CONTACTS]
        history_reason, marks, full_at, partial = None, [], 0, False
        try:
            marks, full_at, partial = read_history(client, agent_id, previous, start, end, started,
                                                   lambda rows: shapes.check(ws, "agents/{agentId}/state-history", rows))
        except APIError as exc:
            if exc.reason not in PANEL_REFUSALS:
                raise
            history_reason = reason_body(exc.reason)
        facts = team_facts(client, agent_id, team_of(marks, previous), previous, started)
        team_id = facts["team_id"]
        if facts["code_rows"]:
            shapes.check(ws, "teams/{teamId}/unavailable-codes", facts["code_rows"])
        states = timeline(marks, start, end, set(facts["acw"])) if history_reason is None else None
        performance, performance_reason = read_performance(client, agent_id, team_id, start, end, facts["name"])
        payload = {
            "window": {"start": iso(start), "end": iso(end), "hours": WINDOW_HOURS},
            "contacts": contacts, "total": len(contacts), "summary": summarize(contacts),
            "timeline": states, "unavailableByReason": unavailable_by_reason(states) if states is not None else None,
            "historyReason": history_reason, "historyPartial": partial,
            "performance": performance, "performanceReason": performance_reason,
        }
        return {"payload": payload, "marks": marks if history_reason is None else None, "full_at": full_at, "team_id": team_id,
                "team_facts": facts}, payload

    return ws.serve(f"day:{agent_id}", interval or ws.limits.contacts_poll_seconds, fetch, if_none_match=if_none_match)



# --- the view ------------------------------------------------------------------------------------

@api_view("GET", AGENT)
def day(request):
    """`GET /api/agent/day/`: the signed-in agent's own day, never anyone else's (the request
    names no agent: it is the identity's)."""
    agent_id = request.user.cxone_identity.agent_id
    if not agent_id:
        raise Refused(Reason.API_NOT_FOUND, "the identity has no agent id")
    return answer(request, read_day(workspace(request), agent_id, if_none_match=request.headers.get("if-none-match")))
