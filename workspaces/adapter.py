"""The Django side of the CXone API client: whose token, which base URL, and a shared cache
that keeps CXone from being hammered.

- The client gets the session's access token (refreshed before the call when due, by the
  middleware that ran first) and the tenant's discovered `api_endpoint`; a 401 triggers one
  refresh (`accounts.refresh.refresh_after_rejection`) and one retry.
- Results are cached per tenant **and** CXone user (two supervisors may see different teams).
  A poll slot (`cache.add` with a TTL of CXONE_BOARD_POLL_SECONDS) lets one request per
  tenant and user call CXone in each interval, whatever the number of tabs, workers and
  machines sharing the cache; every other request is served from the cache, with no CXone
  call and no database write.
- 429, 503 and timeouts back off per tenant with jitter; the last good data is served,
  marked stale with its age. Nothing here waits longer than the HTTP timeout.
"""
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.core.cache import cache

from accounts import refresh, tokenstore
from core import http, ratelimit
from core.reasons import Reason, ReasonError
from tenants import discovery

from .cxone_api import NOT_MODIFIED, APIError, CXoneClient

BACKOFF_STEPS = (2, 6, 18, 60)  # seconds; CXone sends no reliable Retry-After
CACHE_TTL = 24 * 3600


class SessionEnded(ReasonError):
    """The refresh after a 401 failed: the session ends as it does in the middleware."""


@dataclass
class Result:
    data: dict | None
    as_of: float | None
    stale: bool
    error: APIError | None = None


def iso(epoch):
    return datetime.fromtimestamp(epoch, tz=dt_timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Workspace:
    """One signed-in CXone user's view of their tenant's APIs, for one request."""

    def __init__(self, request):
        self.request = request
        self.identity = request.user.cxone_identity
        self.tenant = self.identity.tenant
        self.scope = f"{self.tenant.pk}:{self.identity.cxone_user_id or self.identity.pk}"

    # --- the client --------------------------------------------------------------------------

    def client(self):
        row = tokenstore.current(self.request)
        if row is None:
            raise SessionEnded(Reason.TOKEN_SESSION_GONE)
        base = self.tenant.api_base_url
        if not base:
            try:
                base = discovery.current(self.tenant).get("api_endpoint")
            except discovery.DiscoveryError as exc:
                raise APIError(Reason.API_UNAVAILABLE, f"discovery: {exc.reason}")
        if not base:
            raise APIError(Reason.API_UNAVAILABLE, "no api_endpoint")

        def refresh_token():
            outcome = refresh.refresh_after_rejection(row.pk, client.token)
            if outcome.ended:
                raise SessionEnded(outcome.reason, outcome.detail)
            tokenstore.note_expiry(self.request.session, outcome.row)
            tokenstore.remember(self.request, outcome.row)
            return outcome.row.access_token

        client = CXoneClient(base, row.access_token, http.session(), refresh_token=refresh_token, timeout=http.timeout(),
                             page_size=settings.CXONE_API_PAGE_SIZE)
        return client

    # --- cached, single-flight reads ------------------------------------------------------------

    def cached(self, name, max_age, fetch):
        """The data under `name` for this tenant and user: from the cache while younger than
        `max_age`; else fetched by the one request that wins this interval's poll slot."""
        key = f"cxone:ws:{name}:{self.scope}"
        entry = cache.get(key)
        now = time.time()
        if entry is not None and now - entry["as_of"] < max_age:
            return Result(entry["data"], entry["as_of"], stale=False)
        backoff_until = cache.get(self._backoff_key())
        if backoff_until and backoff_until > now:
            return self._stale(entry, APIError(Reason.API_THROTTLED, "backing off"))
        if not cache.add(key + ":poll", 1, max(1, int(max_age))):
            if entry is not None:  # another request is polling right now: this answer is one poll old
                return Result(entry["data"], entry["as_of"], stale=now - entry["as_of"] > 2 * max_age)
            return self._wait_for(key, now + http.timeout())
        try:
            data = fetch(entry["data"] if entry else None)
        except APIError as exc:
            if exc.reason in (Reason.API_THROTTLED, Reason.API_TIMEOUT, Reason.API_UNAVAILABLE):
                self._back_off()
            return self._stale(entry, exc)
        cache.delete(self._backoff_key() + ":n")
        as_of = time.time()
        cache.set(key, {"data": data, "as_of": as_of}, CACHE_TTL)
        return Result(data, as_of, stale=False)

    def _wait_for(self, key, deadline):
        """The first read of a board, while another request fetches it: bounded by the HTTP timeout."""
        while time.time() < deadline:
            time.sleep(0.05)
            entry = cache.get(key)
            if entry is not None:
                return Result(entry["data"], entry["as_of"], stale=False)
        return Result(None, None, stale=True, error=APIError(Reason.API_TIMEOUT, "waiting for another request's poll"))

    def _stale(self, entry, error):
        if entry is None:
            return Result(None, None, stale=True, error=error)
        return Result(entry["data"], entry["as_of"], stale=True, error=error)

    def _backoff_key(self):
        return f"cxone:ws:backoff:{self.tenant.pk}"

    def _back_off(self):
        failures = ratelimit.bump(self._backoff_key() + ":n", 3600)
        step = BACKOFF_STEPS[min(failures, len(BACKOFF_STEPS)) - 1]
        delay = step * random.uniform(0.8, 1.2)  # jitter: many workers must not retry in step
        cache.set(self._backoff_key(), time.time() + delay, int(delay) + 1)

    # --- what the pages show -----------------------------------------------------------------------

    def board_agents(self):
        """Every agent the user's CXone role can see. The first read takes every page; later
        polls ask only for changes since lastPollTime and merge them."""
        def fetch(previous):
            client = self.client()
            since = previous.get("lastPollTime") if previous else None
            answer = client.agent_states(updated_since=since)
            if answer is NOT_MODIFIED:
                return previous
            rows, last_poll = answer
            agents = dict(previous["agents"]) if previous and since else {}
            for row in rows:
                if isinstance(row.get("agentId"), (int, str)):
                    agents[str(row["agentId"])] = board_row(row)
            return {"agents": agents, "lastPollTime": last_poll}
        return self.cached("agents", settings.CXONE_BOARD_POLL_SECONDS, fetch)

    def skills(self):
        return self.cached("skills", settings.CXONE_BOARD_POLL_SECONDS,
                           lambda previous: {"skills": [skill_row(s) for s in self.client().skill_activity()]})

    def contacts(self, agent_id):
        """The agent's completed contacts of the last 24 hours, newest first."""
        def fetch(previous):
            now = datetime.now(dt_timezone.utc)
            rows = self.client().completed_contacts(agent_id, iso((now - timedelta(hours=24)).timestamp()), iso(now.timestamp()))
            contacts = sorted((contact_row(c) for c in rows), key=lambda c: c["startDate"] or "", reverse=True)
            return {"contacts": contacts}
        return self.cached(f"contacts:{agent_id}", settings.CXONE_CONTACTS_POLL_SECONDS, fetch)

    def my_state(self):
        agent_id = self.identity.agent_id
        return self.cached("state", settings.CXONE_BOARD_POLL_SECONDS,
                           lambda previous: {"state": board_row(self.client().agent_state(agent_id) or {})})


def _text(value, limit=150):
    return str(value)[:limit] if value not in (None, "") else ""


def board_row(row):
    return {
        "agentId": _text(row.get("agentId"), 32),
        "firstName": _text(row.get("firstName")),
        "lastName": _text(row.get("lastName")),
        "teamName": _text(row.get("teamName")),
        "state": _text(row.get("agentStateName"), 40),
        "stateReason": _text(row.get("outStateDescription")),
        "stateSince": _text(row.get("startDate"), 40),
        "skillName": _text(row.get("skillName")),
        "mediaType": _text(row.get("mediaTypeName"), 40),
    }


def skill_row(row):
    def number(name):
        value = row.get(name)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return {
        "skillId": _text(row.get("skillId"), 32),
        "skillName": _text(row.get("skillName")),
        "mediaType": _text(row.get("mediaTypeName"), 40),
        "queueCount": number("queueCount"),
        "agentsAvailable": number("agentsAvailable"),
        "serviceLevel": number("serviceLevel"),
        "serviceLevelGoal": number("serviceLevelGoal"),
    }


def contact_row(row):
    duration = row.get("totalDurationSeconds")
    return {
        "contactId": _text(row.get("contactId"), 32),
        "startDate": _text(row.get("contactStart"), 40),
        "skillName": _text(row.get("skillName")),
        "mediaType": _text(row.get("mediaTypeName"), 40),
        "durationSeconds": duration if isinstance(duration, (int, float)) and not isinstance(duration, bool) else None,
    }
