"""CXone's rows, as the portal shows them: bounded, printable text; numbers or None.

Plain functions of one row each, free of requests and caches, so the contract tests and the
adapter share them.
"""
import re
from datetime import datetime


def text(value, limit=150, *, lines=False):
    """Bounded, printable text (line breaks kept when `lines`): no controls, no surrogates."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return "".join(ch for ch in str(value)[:limit] if ch.isprintable() or (lines and ch == "\n"))


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


def board_row(row):
    return {
        "agentId": text(row.get("agentId"), 32),
        "firstName": text(row.get("firstName")),
        "lastName": text(row.get("lastName")),
        "userName": text(row.get("userName") or row.get("emailAddress"), 120),
        "teamId": text(row.get("teamId"), 32),
        "teamName": text(row.get("teamName")),
        "state": text(row.get("agentStateName"), 40),
        "stateReason": text(row.get("outStateDescription")),
        "stateSince": text(row.get("startDate"), 40),
        "skillId": text(row.get("skillId"), 32),
        "skillName": text(row.get("skillName")),
        "mediaType": text(row.get("mediaTypeName"), 40),
        "contactId": text(row.get("contactId"), 32),
        "isACW": row.get("isACW") is True,
    }


def _epoch(value):
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None
    except (ValueError, AttributeError):
        return None


def skill_row(row, server_time=None):
    earliest, now = _epoch(text(row.get("earliestQueueTime"), 40)), _epoch(server_time)
    longest = max(0, round(now - earliest)) if earliest is not None and now is not None else None
    return {
        "skillId": text(row.get("skillId"), 32),
        "skillName": text(row.get("skillName")),
        "mediaType": text(row.get("mediaTypeName"), 40),
        "queueCount": number(row.get("queueCount")),
        "longestWaitSeconds": longest if number(row.get("queueCount")) else None,
        "contactsActive": number(row.get("contactsActive")),
        "agentsLoggedIn": number(row.get("agentsLoggedIn")),
        "agentsWorking": number(row.get("agentsWorking")),
        "agentsAvailable": number(row.get("agentsAvailable")),
        "agentsUnavailable": number(row.get("agentsUnavailable")),
        "agentsACW": number(row.get("agentsACW")),
        "serviceLevel": number(row.get("serviceLevel")),
        "serviceLevelGoal": number(row.get("serviceLevelGoal")),
    }


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
    return {
        "contactId": text(row.get("contactId"), 32),
        "startDate": text(row.get("contactStart"), 40),
        "skillName": text(row.get("skillName")),
        "mediaType": text(row.get("mediaTypeName"), 40),
        "durationSeconds": number(row.get("totalDurationSeconds")),
        "handleSeconds": sum(v for v in handle if v is not None) if any(v is not None for v in handle) else None,
    }


