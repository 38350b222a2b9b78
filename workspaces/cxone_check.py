"""Does this tenant's CXone answer as the portal reads it? One call to each read the portal
makes, with a small window and few rows, compared field by field with what the pages need.

Framework-free: a `CXoneClient` in, `Result`s out (`manage.py cxone_check` adapts). What it
reports is names only (endpoints as templates, field names, statuses, timings): never a value
CXone sent, so its output can be pasted into a ticket.
"""
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone as dt_timezone

from .cxone_api import NOT_MODIFIED, APIError
from .rows import NEEDS, count_of

ROWS = 5  # few rows: the shape is what is checked, not the data
WINDOW = timedelta(hours=1)

# Every field NICE documents per answer row, in every variant (spec, SDK, older answers), so
# that what is left over is "unexpected": worth a look, never a failure.
_STATE = {"agentId", "agentStateId", "agentStateName", "agentStateCategory", "businessUnitId", "contactId", "contactStartHandleTime",
          "isActive", "isACW", "isAcw", "isOutbound", "firstName", "fromAddress", "lastName", "lastPollTime", "lastUpdateTime",
          "mediaTypeName", "mediaTypeId", "mediaName", "mediaType", "openContacts", "outStateDescription", "outStateId",
          "sessionStartTime", "skillId", "skillName", "startDate", "stationId", "stationPhoneNumber", "teamId", "teamName", "toAddress",
          "userName"}
_PERFORMANCE = {"agentId", "teamId", "agentOffered", "inboundHandled", "inboundTime", "inboundTalkTime", "inboundAvgTalkTime",
                "outboundHandled", "outboundTime", "outboundTalkTime", "outboundAvgTalkTime", "totalHandled", "totalAvgHandled",
                "totalTalkTime", "totalAvgTalkTime", "totalAvgHandleTime", "consultTime", "availableTime", "unavailableTime",
                "avgAvailableTime", "avgUnavailableTime", "acwTime", "refused", "percentRefused", "loginTime", "workingRate", "occupancy"}
KNOWN = {
    "agents/states": _STATE,
    "agents/{agentId}/states": _STATE,
    "agents": {"agentId", "userName", "firstName", "middleName", "lastName", "emailAddress", "isActive", "teamId", "teamName",
               "reportToId", "reportToFirstName", "reportToMiddleName", "reportToLastName", "isSupervisor", "lastLogin", "lastUpdated",
               "location", "custom1", "custom2", "custom3", "custom4", "custom5", "internalId", "profileId", "profileName", "timeZone",
               "country", "countryName", "state", "city", "chatRefusalTimeout", "phoneRefusalTimeout", "workItemRefusalTimeout",
               "defaultDialingPattern", "defaultDialingPatternName", "teamDefaultMaxChats", "maxConcurrentChats", "notes",
               "createDate", "inactiveDate", "hireDate", "terminationDate", "hourlyCost", "rehireStatus", "employmentType",
               "employmentTypeName", "referral", "atHome", "hiringSource", "ntLoginName", "scheduleNotification", "federatedId",
               "useTeamMaxEmailInboxCount", "maxEmailInboxCount", "useTeamEmailAutoParkingLimit", "maxEmailAutoParkingLimit",
               "sipUser", "systemUser", "systemDomain", "crmUserName", "useAgentTimeZone", "timeDisplayFormat", "sendEmailNotifications",
               "apiKey", "telephone1", "telephone2", "userType", "isWhatIfAgent", "timeZoneOffset", "requestContact",
               "useTeamRequestContact", "userId", "isOpenIdProfileComplete", "teamUuid", "userAddress", "isBillable", "subject",
               "issuer", "address1", "address2", "zipCode", "emailAddressConfirmed", "divisionId"},
    "skills/activity": {"serverTime", "businessUnitId", "agentsACW", "agentsAvailable", "agentsIdle", "agentsLoggedIn",
                        "agentsUnavailable", "agentsWorking", "campaignId", "campaignName", "contactsActive", "earliestQueueTime",
                        "emailFromAddress", "isActive", "inSLA", "isNaturalCalling", "isOutbound", "mediaTypeId", "mediaTypeName",
                        "outSLA", "queueCount", "serviceLevel", "serviceLevelGoal", "serviceLevelThreshold", "skillName", "skillId",
                        "skillQueueCount", "personalQueueCount", "parkedCount", "divisionNo"},
    "skills/summary": {"businessUnitId", "abandonCount", "abandonRate", "agentsAcw", "agentsAvailable", "agentsIdle", "agentsLoggedIn",
                       "agentsUnavailable", "agentsWorking", "averageHandleTime", "averageInqueueTime", "averageSpeedToAnswer",
                       "averageTalkTime", "averageWrapTime", "campaignId", "campaignName", "contactsActive", "contactsHandled",
                       "contactsOffered", "contactsQueued", "contactsOutOfSLA", "contactsWithinSLA", "holdTime", "isActive",
                       "isOutbound", "longestQueueDur", "mediaTypeId", "mediaTypeName", "queueCount", "serviceLevel",
                       "serviceLevelGoal", "serviceLevelThreshold", "skillId", "skillName", "totalContactTime", "dials",
                       "connects", "connectsAHT", "rightPartyConnects", "rightPartyConnectsAHT", "divisionNo"},
    "contacts/completed": {"abandoned", "abandonSeconds", "acwSeconds", "agentId", "agentSeconds", "analyticsProcessedDate",
                           "callbackTime", "campaignId", "campaignName", "conferenceSeconds", "contactId", "contactStartDate",
                           "contactStart", "dateACWWarehoused", "dateContactWarehoused", "dispositionNotes", "endReason", "firstName",
                           "fromAddress", "highProficiency", "holdCount", "holdSeconds", "inQueueSeconds", "isAnalyticsProcessed",
                           "isLogged", "isOutbound", "isRefused", "isShortAbandon", "isTakeover", "lastName", "lastUpdateTime",
                           "lowProficiency", "masterContactId", "mediaSubTypeId", "mediaSubTypeName", "mediaTypeId", "mediaTypeName",
                           "pointOfContactId", "pointOfContactName", "postQueueSeconds", "preQueueSeconds", "primaryDispositionId",
                           "refuseReason", "refuseTime", "releaseSeconds", "routingAttribute", "routingTime", "secondaryDispositionId",
                           "serviceLevelFlag", "skillId", "skillName", "teamId", "teamName", "toAddress", "totalDurationSeconds",
                           "transferIndicatorId", "transferIndicatorName", "tags", "divisionNo"},
    "agents/{agentId}/state-history": {"stateIndex", "startDate", "agentId", "agentStateId", "agentStateName", "agentSessionId",
                                       "contactId", "skillId", "skillName", "mediaTypeId", "mediaTypeName", "fromAddress", "toAddress",
                                       "outStateId", "outStateDescription", "duration", "isOutbound", "isNaturalCalling", "stationId",
                                       "stationName", "teamId", "teamNo"},
    "agents/{agentId}/performance": _PERFORMANCE,
    "teams/{teamId}/performance-total": _PERFORMANCE,
    "teams/{teamId}/unavailable-codes": {"outstateId", "outstateName", "outStateId", "outStateName", "isActive", "isAcw", "isACW",
                                         "agentTimeoutMins", "agentTimeout"},
    "agents/{agentId}/messages": {"messageId", "subject", "messageText", "message", "startDate", "validUntil", "agentMessageId",
                                  "targetType", "targetId", "expireMinutes", "isRead"},
    "server-time": {"ServerTime", "serverTime"},
    # NICE's spec (`AdminSkillsService`, the agent-skill assignment entity)
    "agents/skills": {"agentId", "userId", "firstName", "middleName", "lastName", "agentProficiencyValue", "agentProficiencyName",
                      "agentSklStatus", "campaignId", "campaignName", "emailFromAddress", "internalId", "isActive", "isAssigned",
                      "isSkillActive", "isDialer", "isNaturalCalling", "isNaturalCallingRunning", "isOutbound", "lastUpdateTime",
                      "mediaTypeId", "mediaTypeName", "notes", "outboundStrategy", "priorityBlending", "requireDisposition",
                      "scriptDisposition", "skillId", "skillName", "teamId", "teamName", "useACW", "useDisposition",
                      "useSecondaryDispositions", "screenPopTriggerEvent"},
}
# Where each answer keeps its rows.
LIST_KEYS = {
    "agents/states": "agentStates", "agents": "agents", "agents/{agentId}": "agents", "agents/{agentId}/states": "agentStates",
    "skills/activity": "skillActivity", "skills/summary": "skillSummaries", "contacts/completed": "completedContacts",
    "agents/{agentId}/state-history": "agentStateHistory", "agents/{agentId}/performance": "agentPerformance",
    "teams/{teamId}/performance-total": "teamPerformanceTotal", "teams/{teamId}/unavailable-codes": "unavailableCodes",
    "agents/{agentId}/messages": "messages", "agents/skills": "agentSkillAssignments",
}
KNOWN["agents/{agentId}"] = KNOWN["agents"]


@dataclass
class Result:
    """One endpoint's answer, as names and numbers only."""

    endpoint: str
    status: int | None = None
    ms: float | None = None
    rows: int = 0
    present: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)
    verdict: str = "ok"  # ok | missing | refused | empty | failed | skipped | note

    def as_dict(self):
        return asdict(self)


def _iso(moment):
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class Probe:
    """One call to each endpoint, judged by its names only; the results in calling order."""

    def __init__(self, client, clock):
        self.client, self.clock = client, clock
        self.results, self.bodies = [], {}

    def __call__(self, endpoint, params=None, **path_args):
        """The endpoint's rows (None when it refused, failed or sent nothing)."""
        result = Result(endpoint)
        self.results.append(result)
        started = self.clock()
        try:
            body = self.client.call(self.client.url(endpoint, **path_args), params, path=endpoint)
        except APIError as exc:
            result.status, result.verdict = exc.status, "refused" if exc.status in (401, 403, 404) else "failed"
            return None
        finally:
            result.ms = round((self.clock() - started) * 1000, 1)
        if body is None or body is NOT_MODIFIED:
            result.status, result.verdict = (204 if body is None else 304), "empty"
            return None
        result.status = 200
        key = LIST_KEYS.get(endpoint)
        rows = [r for r in body.get(key, []) if isinstance(r, dict)] if key and isinstance(body.get(key), list) else []
        judge(result, endpoint, body, rows)
        self.bodies[endpoint] = (body, rows)
        return rows

    def body(self, endpoint):
        return self.bodies.get(endpoint, ({}, []))[0]

    def result(self, endpoint):
        return next(r for r in self.results if r.endpoint == endpoint)


def judge(result, endpoint, body, rows):
    """Which needed fields `rows` (or the body, for a row-less answer) carry, which are missing,
    which are undocumented; the verdict."""
    result.rows = len(rows)
    found = set().union(*(r.keys() for r in rows)) if rows else set(body.keys())
    needs = [("ServerTime", "serverTime")] if endpoint == "server-time" else list(NEEDS.get(endpoint, ()))
    for spellings in needs:
        hit = [s for s in spellings if s in found]
        (result.present if hit else result.missing).append(hit[0] if hit else spellings[0])
    known = KNOWN.get(endpoint)
    if known and rows:
        result.unexpected = sorted(str(k)[:40] for k in found - known)[:20]
    if result.missing and endpoint == "server-time":
        result.verdict = "note"  # only a fallback: the skills' rows carry their own clock
    elif result.missing and rows:
        result.verdict = "missing"
    elif not rows and endpoint in LIST_KEYS:
        result.verdict, result.missing = "empty", []


def _no_clock_anywhere(probe, skills):
    """Queues with contacts waiting but no server time in their rows, at the top or from
    `server-time`: no longest wait can be shown."""
    queued = [s for s in skills if count_of(s.get("queueCount"))]
    server_time = probe.body("server-time")
    return bool(queued) and not any("serverTime" in s for s in queued) and not probe.body("skills/activity").get("serverTime") \
        and not (server_time.get("ServerTime") or server_time.get("serverTime"))


def _agent_reads(probe, agent, window, few):
    probe("agents/{agentId}/states", agentId=agent)
    history = probe("agents/{agentId}/state-history", {**window, **few}, agentId=agent) or []
    me = probe("agents/{agentId}", agentId=agent) or []
    probe("agents/{agentId}/performance", window, agentId=agent)
    team = next((count_of(r.get("teamId", r.get("teamNo"))) for r in (me + history) if count_of(r.get("teamId", r.get("teamNo")))), None)
    if team is None:
        probe.results.append(Result("teams/{teamId}/...", verdict="skipped"))
    else:
        probe("teams/{teamId}/performance-total", window, teamId=team)
        probe("teams/{teamId}/unavailable-codes", {"activeOnly": "true"}, teamId=team)
    probe("agents/{agentId}/messages", agentId=agent)


def run(client, *, agent_id=None, now=None, clock=time.monotonic):
    """Call each read once; [Result]. `agent_id`: whose day to read (default: the first agent
    `agents/states` lists)."""
    now = now or datetime.now(dt_timezone.utc)
    window = {"startDate": _iso(now - WINDOW), "endDate": _iso(now)}
    few = {"skip": 0, "top": ROWS}
    probe = Probe(client, clock)
    states = probe("agents/states", few) or []
    probe("agents", few)
    skills = probe("skills/activity", few) or []
    probe("server-time")
    probe("agents/skills", few)
    if _no_clock_anywhere(probe, skills):
        result = probe.result("skills/activity")
        result.missing.append("serverTime")
        result.verdict = "missing"
    probe("skills/summary", window)
    probe("contacts/completed", {**window, **few})
    agent = agent_id or next((str(count_of(s.get("agentId"))) for s in states if count_of(s.get("agentId")) is not None), None)
    if agent is None:
        probe.results.append(Result("agents/{agentId}/...", verdict="skipped"))
    else:
        _agent_reads(probe, agent, window, few)
    return probe.results


def failed(results):
    """True when a field the pages need was missing from an answer that had rows."""
    return any(r.verdict == "missing" for r in results)
