"""The Django side of the CXone API client: whose token, which base URL, and the cache that
keeps CXone from being hammered and keeps each poll cheap.

A `Workspace` is one CXone user's view of their tenant's APIs, a thin façade over three rooms:

- `resources.py`: the generic resource cache of one scope (typed `Meta`: missing, refused,
  fresh, stale), single flight, back-off, what is kept and for how long;
- `lease.py`: the lease on one fetch (atomic on Redis) and this process's slots per tenant;
- `board.py`: the board's read plan, merge and diff (pure), and its one read of CXone.

It needs no request: a tenant, an identity, a `TokenSource`, a cache and a clock
(`Workspace.for_request` builds one from a request), so its tests pass a clock and need no sleeps.
Its scope is (tenant, CXone user) today; the engine takes any opaque scope.
"""
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.core.cache import cache as default_cache

from core import http
from core.reasons import Reason, ReasonError, RefreshStatus

from . import board as board_read
from . import skills as skills_view
from .cxone_api import APIError, CXoneClient
from .lease import Priority
from .resources import Resources, Served, encode, iso, renew_lease  # noqa: F401  (Served: the views' name for it)

logger = logging.getLogger(__name__)


class SessionEnded(ReasonError):
    """The refresh after a 401 failed: the session ends as it does in the middleware."""


@dataclass(frozen=True)
class Limits:
    poll_seconds: float = 5
    contacts_poll_seconds: float = 30
    full_read_seconds: float = 300
    timeout: float = 10
    first_load_wait: float = 2.0
    tenant_concurrency: int = 2
    max_agents: int = 20000
    max_bytes: int = 64 * 1024 * 1024
    page_size: int = 100

    @classmethod
    def from_settings(cls):
        return cls(poll_seconds=settings.CXONE_BOARD_POLL_SECONDS, contacts_poll_seconds=settings.CXONE_CONTACTS_POLL_SECONDS,
                   full_read_seconds=settings.CXONE_BOARD_FULL_READ_SECONDS, timeout=settings.CXONE_HTTP_TIMEOUT,
                   first_load_wait=settings.CXONE_FIRST_LOAD_WAIT, tenant_concurrency=settings.CXONE_TENANT_CONCURRENCY,
                   max_agents=settings.CXONE_BOARD_MAX_AGENTS, max_bytes=settings.CXONE_BOARD_MAX_BYTES,
                   page_size=settings.CXONE_API_PAGE_SIZE)


class TokenSource:
    """Where a Workspace gets the user's access token, and a new one after CXone's 401.

    `current()` -> the access token (raises SessionEnded when the session has none);
    `refresh(rejected)` -> a new access token, refreshed once on the calling thread."""

    def __init__(self, current, refresh):
        self.current, self.refresh = current, refresh

    @classmethod
    def for_request(cls, request):
        from accounts import refresh as refreshing
        from accounts import tokenstore

        def current():
            row = tokenstore.current(request)
            if row is None:
                raise SessionEnded(Reason.TOKEN_SESSION_GONE)
            return row.access_token

        def refresh(rejected):
            outcome = refreshing.refresh_after_rejection(tokenstore.current(request).pk, rejected)
            if outcome.ended:
                raise SessionEnded(outcome.reason, outcome.detail)
            if outcome.status == RefreshStatus.DEFERRED:  # CXone refused the last fresh token too: back off
                raise APIError(Reason.API_UNAUTHORIZED, f"refresh deferred: {outcome.reason}", 401)
            tokenstore.note_expiry(request.session, outcome.row)
            tokenstore.remember(request, outcome.row)
            return outcome.row.access_token

        return cls(current, refresh)


def wall_clock():
    """The adapter's "now" unless a test passes its own clock."""
    return time.time()


def rediscover(tenant, cache):
    """The API host refused the connection: its address may have moved (a demo on another port,
    a tenant moved to another area). Re-run discovery, at most once a minute per tenant."""
    if not cache.add(f"cxone:ws:rediscover:{tenant.pk}", 1, 60):
        return
    from tenants import discovery

    try:
        discovery.refresh(tenant, keep_stale=True)
    except ReasonError as exc:
        logger.warning("re-discovery failed", extra={"event": "discovery", "reason": exc.reason})


# What a page polls on its own (the board's page, the agent's page): never behind one user's
# reads on demand (codes, an agent's contacts, today's figures), which wait their turn.
PAGE_POLLS = ("agents", "skills", "state", "messages", "day:")


def priority_of(name):
    return Priority.BOARD if name in PAGE_POLLS or name.startswith("day:") else Priority.SECONDARY


def directory_logins(rows):
    return {text(r.get("agentId"), 32): text(r.get("userName") or r.get("emailAddress"), 120) for r in rows}


class Workspace:
    """One signed-in CXone user's view of their tenant's APIs."""

    def __init__(self, tenant, cxone_user_id, tokens, *, cache=None, clock=None, sleep=time.sleep,
                 limits=None, session=None, on_refused=None):
        self.tenant = tenant
        self.scope = f"{tenant.pk}:{cxone_user_id}"
        self.tokens = tokens
        self.cache = cache or default_cache
        self.clock = clock or wall_clock
        self.sleep = sleep
        self.limits = limits or Limits.from_settings()
        self.session = session
        self.on_refused = on_refused  # (reason) -> None: e.g. re-read the user's portal role

    @classmethod
    def for_request(cls, request, **kwargs):
        identity = request.user.cxone_identity
        return cls(identity.tenant, identity.cxone_user_id or f"i{identity.pk}", TokenSource.for_request(request), **kwargs)

    @property
    def resources(self):
        """The engine for this user's scope (built per use: clock, sleep and hooks may change)."""
        return Resources(self.cache, lambda: self.clock(), tenant_pk=self.tenant.pk, scope=self.scope, limits=self.limits,
                         sleep=lambda seconds: self.sleep(seconds), on_refused=self.on_refused,
                         on_unreachable=lambda: rediscover(self.tenant, self.cache))

    def client(self):
        base = self.tenant.api_base_url
        if not base:
            raise APIError(Reason.API_UNAVAILABLE, "no api_endpoint")
        return CXoneClient(base, self.tokens.current(), self.session or http.api_session(),
                           refresh_token=self.tokens.refresh, timeout=self.limits.timeout,
                           page_size=self.limits.page_size, max_rows=self.limits.max_agents,
                           max_bytes=self.limits.max_bytes, clock=time.monotonic)  # deadlines: durations, not "now"

    # --- the engine, as the views and actions know it ----------------------------------------------

    def serve(self, name, interval, fetch, *, if_none_match=None, with_body=True, priority=None):
        priority = priority or priority_of(name)
        return self.resources.serve(name, interval, fetch, priority=priority, if_none_match=if_none_match, with_body=with_body)

    def body(self, name, age=None):
        return self.resources.body(name, age)

    def drop(self, name):
        self.resources.drop(name)

    def invalidate(self, name):
        self.resources.invalidate(name)

    # --- the board ------------------------------------------------------------------------------------

    def board(self, *, if_none_match=None, with_body=True):
        return self.serve("agents", self.limits.poll_seconds, self._fetch_board, if_none_match=if_none_match,
                          with_body=with_body)

    def _fetch_board(self, state, started):
        return board_read.read(self.client(), state, started, full_read_seconds=self.limits.full_read_seconds,
                               shape=board_row, directory_rows=directory_logins, renew=renew_lease)

    def board_since(self, since):
        """Only what changed since `since` (a version this board served), pre-encoded for the
        latest step; None when that version is unknown or too old (send the whole board)."""
        res = self.resources
        delta = self.cache.get(res.key("agents", "delta"))
        if delta is not None and delta["from"] == since:
            return Served(version=delta["version"], body=delta["raw"], gz=delta["gz"])
        state, meta = res.state("agents"), res.meta("agents")
        changes = board_read.changes_since(state, since, meta.version)
        if changes is None:
            return None
        changed, removed = changes
        payload = board_read.delta_payload(state["agents"], changed, removed, state["payload"])
        raw, gz = encode({**payload, "version": meta.version or state["version"], "asOf": iso(meta.as_of or self.clock()),
                          "stale": meta.status.value == "stale"})
        return Served(version=meta.version or state["version"], body=raw, gz=gz)

    def _board_agents(self):
        state = self.resources.state("agents")
        return state["agents"] if state else {}

    def board_ids(self):
        return set(self._board_agents())

    def board_agent(self, agent_id):
        """The agent as this user's board last saw them, or None (not on the board)."""
        return self._board_agents().get(agent_id)

    def board_team_ids(self):
        return {a["teamId"] for a in self._board_agents().values() if a["teamId"]}

    # --- smaller resources --------------------------------------------------------------------------

    def skills(self, *, if_none_match=None, with_body=True):
        def fetch(state, started):
            rows, server_time = self.client().skill_activity()
            skills = [skill_row(s, server_time) for s in rows]
            return {"payload": {"skills": skills}}, {"skills": skills}
        return self.serve("skills", self.limits.poll_seconds, fetch, if_none_match=if_none_match, with_body=with_body)

    def skill_summary(self, start, *, with_body=True):
        """Today's figures per skill (CXone's skills/summary from `start`, the local day's
        midnight, to now), once a minute, kept per day."""
        def fetch(state, started):
            rows = self.client().skill_summary(iso(start.timestamp()), iso(started))
            summaries = [summary_row(r) for r in rows]
            return {"payload": {"summaries": summaries}}, {"summaries": summaries}
        return self.serve(skills_view.summary_name(start), 60, fetch, with_body=with_body)

    def skills_today(self, zone, *, if_none_match=None):
        """The skills with today's figures (the local day in `zone`), as the board page polls
        them: encoded once per change, 304 for the pair of versions the browser has."""
        skills = self.skills(with_body=False)
        if skills.error is not None:
            return skills
        start = skills_view.day_start(self.clock(), zone)
        summary = self.skill_summary(start, with_body=False)
        return skills_view.combined(self.resources, skills, summary, skills_view.summary_name(start), if_none_match=if_none_match)

    def contacts(self, agent_id, *, window_hours=24):
        """The agent's completed contacts of the last 24 hours, newest first."""
        def fetch(state, started):
            end = datetime.fromtimestamp(started, tz=dt_timezone.utc)
            rows = self.client().completed_contacts(agent_id, iso((end - timedelta(hours=window_hours)).timestamp()), iso(started))
            contacts = sorted((contact_row(c) for c in rows), key=lambda c: c["startDate"] or "", reverse=True)
            payload = {"contacts": contacts, "total": len(contacts), "summary": summarize(contacts),
                       "window": {"start": iso((end - timedelta(hours=window_hours)).timestamp()), "end": iso(started), "hours": window_hours}}
            return {"payload": payload}, payload
        return self.serve(f"contacts:{agent_id}", self.limits.contacts_poll_seconds, fetch)

    def my_state(self, agent_id):
        def fetch(state, started):
            payload = {"state": board_row(self.client().agent_state(agent_id) or {})}
            return {"payload": payload}, payload
        return self.serve("state", self.limits.poll_seconds, fetch)


# --- CXone's rows, as the portal shows them: bounded, printable text; numbers or None ---------------

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


