"""CXone's rows, as the portal shows them: bounded, printable text; numbers or None.

Plain functions of one row each, free of requests and caches, so the contract tests and the
adapter share them. Each reads every documented spelling of a field (NICE's OpenAPI spec and
NICE's agent SDK disagree in places: see docs/simulator.md), and a value CXone did not send is
named in the row's `notFromCXone` list, so the page can say "not available from CXone" rather
than show a blank or a zero.
"""
import re
from datetime import datetime


def text(value, limit=150, *, lines=False):
    """Bounded, printable text (line breaks kept when `lines`): no controls, no surrogates."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    value = str(value)[:limit]
    if value.isprintable():  # nearly always: one C-level scan, no per-character Python (20,000 rows a read)
        return value
    return "".join(ch for ch in value if ch.isprintable() or (lines and ch == "\n"))


def number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and value == value and abs(value) < 1e12:
        return value
    if isinstance(value, str) and len(value) < 20:  # CXone sends some durations as strings
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if parsed == parsed and abs(parsed) < 1e12 else None
    return None


_ISO_DURATION = re.compile(r"^P(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,8})M)?(?:(\d{1,9}(?:\.\d{1,6})?)S)?)?$")
_CLOCK_DURATION = re.compile(r"^(\d{1,6}):([0-5]?\d):([0-5]?\d(?:\.\d{1,6})?)$")


def duration_seconds(value):
    """A duration CXone sends as a number, a numeric string, ISO-8601 (`PT1H2M3.5S`, as its
    reporting APIs write them) or `H:MM:SS`: seconds, or None. Never negative."""
    if isinstance(value, str) and value[:1] in ("P", "p") and len(value) <= 40:
        match = _ISO_DURATION.match(value.strip().upper())
        if match is None or value.strip().upper() in ("P", "PT"):
            return None
        days, hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + secs
    if isinstance(value, str) and ":" in value and len(value) <= 20:
        match = _CLOCK_DURATION.match(value.strip())
        if match is None:
            return None
        return int(match.group(1)) * 3600 + int(match.group(2)) * 60 + float(match.group(3))
    parsed = number(value)
    return parsed if parsed is not None and parsed >= 0 else None


def first(row, *names):
    """The first of `names` the row carries (not None): CXone spells some fields two ways."""
    for name in names:
        value = row.get(name)
        if value is not None:
            return value
    return None


def flag(row, *names):
    """True only when one of the spellings is JSON true (`isACW` in the spec, `isAcw` in older answers)."""
    return any(row.get(name) is True for name in names)


def board_row(row):
    acw = flag(row, "isACW", "isAcw")
    return {
        "agentId": text(row.get("agentId"), 32),
        "firstName": text(row.get("firstName")),
        "lastName": text(row.get("lastName")),
        "userName": text(row.get("userName") or row.get("emailAddress"), 120),
        "teamId": text(first(row, "teamId", "teamNo"), 32),
        "teamName": text(row.get("teamName")),
        "state": text(row.get("agentStateName"), 40),
        "stateReason": text(row.get("outStateDescription")),
        "stateSince": text(row.get("startDate"), 40),
        "skillId": text(row.get("skillId"), 32),
        "skillName": text(row.get("skillName")),
        # `agents/states` names the medium `mediaTypeName`; `agents/{agentId}/states` `mediaName`.
        "mediaType": text(first(row, "mediaTypeName", "mediaName"), 40),
        "contactId": text(row.get("contactId"), 32),
        "isACW": acw,
        "acw": acw,
    }


def _epoch(value):
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None
    except (ValueError, AttributeError):
        return None


def skill_row(row, server_time=None):
    """`server_time` is the fallback for a row without its own `serverTime` (CXone sends it in
    each row; the top level or `GET server-time` stand in)."""
    earliest = _epoch(text(row.get("earliestQueueTime"), 40))
    now = _epoch(text(row.get("serverTime"), 40)) or _epoch(server_time)
    longest = max(0, round(now - earliest)) if earliest is not None and now is not None else None
    queued = number(row.get("queueCount"))
    shaped = {
        "skillId": text(row.get("skillId"), 32),
        "skillName": text(row.get("skillName")),
        "mediaType": text(row.get("mediaTypeName"), 40),
        "queueCount": queued,
        "longestWaitSeconds": longest if queued else None,
        "contactsActive": number(row.get("contactsActive")),
        "agentsLoggedIn": number(row.get("agentsLoggedIn")),
        "agentsWorking": number(row.get("agentsWorking")),
        "agentsAvailable": number(row.get("agentsAvailable")),
        "agentsUnavailable": number(row.get("agentsUnavailable")),
        "agentsACW": number(row.get("agentsACW")),
        "serviceLevel": number(row.get("serviceLevel")),
        "serviceLevelGoal": number(row.get("serviceLevelGoal")),
    }
    if queued and longest is None:  # contacts wait, and CXone did not say since when (or what time it is)
        shaped["notFromCXone"] = ["longestWaitSeconds"]
    return shaped


def needs_server_time(row):
    """A queued row without its own `serverTime`: its longest wait needs another clock."""
    return bool(number(row.get("queueCount"))) and _epoch(text(row.get("serverTime"), 40)) is None


def summarize(contacts):
    """The figures above the list, from the same rows: count, total and average handle time."""
    handled = [c["handleSeconds"] for c in contacts if c["handleSeconds"] is not None]
    total = sum(handled)
    return {"count": len(contacts), "handleSecondsTotal": round(total),
            "handleSecondsAverage": round(total / len(handled)) if handled else None}


def summary_row(row):
    return {
        "skillId": text(row.get("skillId"), 32),
        "contactsOffered": number(row.get("contactsOffered")),
        "contactsHandled": number(row.get("contactsHandled")),
        "abandonRate": number(row.get("abandonRate")),
        "averageSpeedToAnswer": duration_seconds(row.get("averageSpeedToAnswer")),  # CXone: "PT4M17S" and the like
        "averageHandleTime": duration_seconds(row.get("averageHandleTime")),
        "serviceLevel": number(row.get("serviceLevel")),
    }


def contact_row(row):
    handle = [number(row.get(k)) for k in ("agentSeconds", "holdSeconds", "acwSeconds")]
    # `contactStartDate` today; `contactStart` in the older resultSet-era API.
    start = text(first(row, "contactStartDate", "contactStart"), 40)
    shaped = {
        "contactId": text(row.get("contactId"), 32),
        "startDate": start,
        "skillName": text(row.get("skillName")),
        "mediaType": text(row.get("mediaTypeName"), 40),
        "durationSeconds": number(row.get("totalDurationSeconds")),
        "handleSeconds": sum(v for v in handle if v is not None) if any(v is not None for v in handle) else None,
    }
    if _epoch(start) is None:
        shaped["notFromCXone"] = ["startDate"]
    return shaped


def newest_first(contacts):
    """By start instant, newest first (CXone's timestamps vary in precision: never by string);
    a contact without a start goes last."""
    return sorted(contacts, key=lambda c: _epoch(c["startDate"]) or float("-inf"), reverse=True)


def code_row(row):
    """One of a team's unavailable codes: NICE's spec spells them `outstateId`/`outstateName`,
    its SDK and older answers `outStateId`/`outStateName`."""
    return {"id": count_of(first(row, "outstateId", "outStateId", "OutstateId", "OutStateId")),
            "name": text(first(row, "outstateName", "outStateName", "OutstateName", "OutStateName"), 100),
            "isAcw": flag(row, "isAcw", "isACW")}


def count_of(value, limit=10**9 - 1):
    """A whole non-negative id CXone may send as a number or a numeric string, or None."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit else None


# --- what a view needs from each answer: any of the spellings, in at least one row ------------

NEEDS = {
    "agents": (("agentId",),),
    "agents/{agentId}": (("teamId",), ("teamName",)),
    "agents/states": (("agentId",), ("agentStateName",)),
    "agents/{agentId}/states": (("agentStateName",),),
    "skills/activity": (("skillId",), ("queueCount",), ("earliestQueueTime",)),
    "contacts/completed": (("contactStartDate", "contactStart"),),
    "agents/{agentId}/state-history": (("startDate",), ("agentStateName",)),
    "teams/{teamId}/unavailable-codes": (("outstateId", "outStateId"), ("outstateName", "outStateName")),
    "agents/{agentId}/performance": (("totalHandled",),),
    "teams/{teamId}/performance-total": (("totalHandled",),),
    "skills/summary": (("skillId",),),
    "agents/{agentId}/messages": (("messageId",), ("subject",)),
    "agents/skills": (("agentId",), ("skillId",), ("skillName",)),
}


def missing_fields(endpoint, rows):
    """[(field, keys present)] for each need of `endpoint` that no row meets (the field named by
    its first spelling; the keys are names only, never values). Nothing when there are no rows."""
    if not rows:
        return []
    found = set().union(*(row.keys() for row in rows[:50]))
    return [(spellings[0], present_keys(rows)) for spellings in NEEDS.get(endpoint, ()) if not found & set(spellings)]


def present_keys(rows):
    """The keys the first rows carried: bounded, printable names, never values."""
    keys = set().union(*(row.keys() for row in rows[:50])) if rows else set()
    return sorted(text(k, 40) for k in keys if isinstance(k, str))[:40]
