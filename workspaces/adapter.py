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
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.core.cache import cache as default_cache

from core import http
from core.reasons import Reason, ReasonError, RefreshStatus

from . import board as board_read
from . import floor as floors
from . import refresher as refreshers
from . import shapes
from . import skills as skills_view
from .cxone_api import NOT_MODIFIED, APIError, CXoneClient
from .lease import Priority
from .resources import Resources, Served, encode, iso, renew_lease  # noqa: F401  (Served: the views' name for it)
from .rows import board_row, contact_row, needs_server_time, newest_first, skill_row, summarize, summary_row, text

logger = logging.getLogger(__name__)


class SessionEnded(ReasonError):
    """The refresh after a 401 failed: the session ends as it does in the middleware."""

    ends_session = True


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
    share: bool = False  # supervisors of one view read CXone once (floor.py); the settings turn it on
    proof_seconds: float = 5400
    proof_recheck_seconds: float = 60
    refresh_threads: int = 0  # a room's due data is refreshed on this many threads per process (0: on the request's)

    @classmethod
    def from_settings(cls):
        return cls(poll_seconds=settings.CXONE_BOARD_POLL_SECONDS, contacts_poll_seconds=settings.CXONE_CONTACTS_POLL_SECONDS,
                   full_read_seconds=settings.CXONE_BOARD_FULL_READ_SECONDS, timeout=settings.CXONE_HTTP_TIMEOUT,
                   first_load_wait=settings.CXONE_FIRST_LOAD_WAIT, tenant_concurrency=settings.CXONE_TENANT_CONCURRENCY,
                   max_agents=settings.CXONE_BOARD_MAX_AGENTS, max_bytes=settings.CXONE_BOARD_MAX_BYTES,
                   page_size=settings.CXONE_API_PAGE_SIZE, share=settings.CXONE_SHARED_READS,
                   proof_seconds=settings.CXONE_PROOF_SECONDS, proof_recheck_seconds=settings.CXONE_PROOF_RECHECK_SECONDS,
                   refresh_threads=settings.CXONE_REFRESH_THREADS)


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
            if refreshers.background():  # a refresh thread: the session is the request's to change
                raise refreshers.RefreshDeferred()
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


class ParkedLogins:
    """A first board's agent directory, still being read when the board was stored: its logins
    reach the cache when the read ends (under a random key the board's state names), for the
    board's next read to fill its rows with (board.read's `parked`)."""

    SECONDS = 600

    def __init__(self, cache):
        self.cache = cache

    def park(self, future):
        key = f"cxone:ws:logins:{secrets.token_hex(12)}"

        def arrived(done):
            logins = done.result() if not done.cancelled() and done.exception() is None else None
            try:
                self.cache.set(key, logins or {}, self.SECONDS)  # {}: none came (the next full read has them)
            except Exception as exc:  # noqa: BLE001  (the cache is down: the next full read has them)
                logger.info("agent logins not handed on", extra={"event": "cxone_api", "cause": type(exc).__name__})
        future.add_done_callback(arrived)
        return key

    def collect(self, key):
        return self.cache.get(key)


def with_digest(state, answer):
    """The board's new state with the digest of its agent ids (kept when no id came or went)."""
    if answer is NOT_MODIFIED:
        return answer
    new_state, payload = answer
    previous = (state or {}).get("agents", {})
    _, changed, removed = new_state["history"][-1] if new_state.get("history") else (None, list(new_state["agents"]), [])
    same_ids = state is not None and state.get("digest") and not removed and all(i in previous for i in changed)
    new_state["digest"] = state["digest"] if same_ids else floors.digest(new_state["agents"])
    return new_state, payload


def with_ids(state, rows):
    """A state with the skill ids its rows hold, and their digest (floor.py checks them)."""
    ids = sorted({row["skillId"] for row in rows if row.get("skillId")})
    return {**state, "ids": ids, "digest": floors.digest(ids)}


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
        self.floor = floors.Floor(self)
        self.rooms = {}  # resource name -> the Resources this request served it from (shared or own)
        self.checked = {}  # resource name -> the room's version this request checked against the proof
        self.proof = None  # the proof a shared answer was served on, this request
        # agents/states just read in full with this user's token (their proof, floor.py): the
        # next full read of their board in this request uses it rather than read it again
        self.fresh_states = None

    @classmethod
    def for_request(cls, request, **kwargs):
        identity = request.user.cxone_identity
        return cls(identity.tenant, identity.cxone_user_id or f"i{identity.pk}", TokenSource.for_request(request), **kwargs)

    @property
    def resources(self):
        """The engine for this user's scope (built per use: clock, sleep and hooks may change)."""
        return self._engine(self.scope, on_refused=self.on_refused)

    def shared_room(self, view):
        """The engine of the room every supervisor of `view` is served from (floor.py)."""
        return self._engine(f"{self.tenant.pk}:view:{view}", on_refused=self.floor.refused, shared=True,
                            refresher=refreshers.refresher(self.limits.refresh_threads))

    def _engine(self, scope, **kwargs):
        return Resources(self.cache, lambda: self.clock(), tenant_pk=self.tenant.pk, scope=scope, owner=self.scope,
                         limits=self.limits, sleep=lambda seconds: self.sleep(seconds),
                         on_unreachable=lambda: rediscover(self.tenant, self.cache), **kwargs)

    def room(self, name):
        """Where `name` was served from for this request (this user's own scope until then)."""
        return self.rooms.get(name) or self.resources

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

    def serve_shared(self, name, interval, fetch, *, if_none_match=None, with_body=True):
        """`name` from the room of this supervisor's view when their proof covers the version
        there; else from reads of their own (floor.py). CXone refusing their token is their answer."""
        if self.limits.share:
            try:
                proof = self.floor.proof()
            except APIError as exc:
                return Served(error=exc.reason)
            if proof is floors.PENDING:  # another tab reads their view now: the page asks again
                return Served(error=Reason.API_NOT_LOADED)
            if proof is not None:
                room = self.shared_room(proof.view)
                served = room.serve(name, interval, fetch, priority=priority_of(name), if_none_match=if_none_match,
                                    with_body=with_body)
                if served.error is not None or self.floor.covers(proof, room, name, served.digest):
                    self.rooms[name], self.proof = room, proof
                    self.checked[name] = served.version
                    return served
        self.rooms[name] = self.resources
        return self.serve(name, interval, fetch, if_none_match=if_none_match, with_body=with_body)

    def body(self, name, age=None):
        return self._room_checked(name, self.room(name).body(name, age))

    def _room_checked(self, name, served):
        """`served`, read from a room after this request's coverage check, only if its version is
        the one checked or one whose ids the proof covers too (a newer version may have been
        stored in between); else "not loaded yet" (the page asks again)."""
        room = self.rooms.get(name)
        if served is None or served.error is not None or room is None or room is self.resources or self.proof is None:
            return served
        if served.version == self.checked.get(name):
            return served
        meta = room.meta(name)
        if meta.version == served.version and self.floor.covers(self.proof, room, name, meta.digest):
            return served
        return Served(error=Reason.API_NOT_LOADED)

    def drop(self, name):
        self.room(name).drop(name)

    def invalidate(self, name):
        self.room(name).invalidate(name)

    # --- the board ------------------------------------------------------------------------------------

    def board(self, *, if_none_match=None, with_body=True):
        return self.serve_shared("agents", self.limits.poll_seconds, self._fetch_board, if_none_match=if_none_match,
                                 with_body=with_body)

    def _fetch_board(self, state, started):
        fresh, self.fresh_states = self.fresh_states, None
        answer = board_read.read(self.client(), state, started, full_read_seconds=self.limits.full_read_seconds,
                                 shape=self._board_rows, directory_rows=directory_logins, renew=renew_lease, states=fresh,
                                 parked=ParkedLogins(self.cache))
        return with_digest(state, answer)

    def _board_rows(self, rows):
        shapes.check(self, "agents/states", rows)
        return [board_row(row) for row in rows]

    def board_since(self, since):
        """Only what changed since `since` (a version this board served), pre-encoded for the
        latest step; None when that version is unknown or too old (send the whole board)."""
        res = self.room("agents")
        delta = self.cache.get(res.key("agents", "delta"))
        if delta is not None and delta["from"] == since:
            return self._room_checked("agents", Served(version=delta["version"], body=delta["raw"], gz=delta["gz"]))
        meta = res.meta("agents")
        state = res.state("agents", meta)
        changes = board_read.changes_since(state, since, meta.version)
        if changes is None or (state or {}).get("version") != meta.version:  # a fetch is storing a newer one
            return None
        changed, removed = changes
        payload = board_read.delta_payload(state["agents"], changed, removed, state["payload"])
        raw, gz = encode({**payload, "version": meta.version or state["version"], "asOf": iso(meta.as_of or self.clock()),
                          "stale": meta.status.value == "stale"})
        return self._room_checked("agents", Served(version=meta.version or state["version"], body=raw, gz=gz))

    def board_agents(self):
        """{agent id: row} of this user's board as last read (the board served first if it was
        not yet this request: which room it is in depends on their proof), only agents their
        own token returned."""
        if "agents" not in self.rooms:
            self.board(with_body=False)
        room = self.room("agents")
        state = room.state("agents", room.meta("agents"))  # this process's copy when it has that version
        agents = state["agents"] if state else {}
        if self.rooms.get("agents") is not self.resources and self.proof is not None:
            theirs = self.floor.agent_ids(self.proof) or frozenset()
            agents = {i: row for i, row in agents.items() if i in theirs}
        return agents

    def board_ids(self):
        return set(self.board_agents())

    def board_agent(self, agent_id):
        """The agent as this user's board last saw them, or None (not on the board)."""
        return self.board_agents().get(agent_id)

    def board_team_ids(self):
        return {a["teamId"] for a in self.board_agents().values() if a["teamId"]}

    # --- smaller resources --------------------------------------------------------------------------

    def skills(self, *, if_none_match=None, with_body=True):
        def fetch(state, started):
            client = self.client()
            rows, server_time = client.skill_activity()
            if server_time is None and any(needs_server_time(r) for r in rows):
                server_time = client.server_time()
            skills = [skill_row(s, server_time) for s in rows]
            shapes.check(self, "skills/activity", rows, shapes.lacking("serverTime", rows) if any("notFromCXone" in s for s in skills) else ())
            return with_ids({"payload": {"skills": skills}}, skills), {"skills": skills}
        return self.serve_shared("skills", self.limits.poll_seconds, fetch, if_none_match=if_none_match, with_body=with_body)

    def skill_summary(self, start, *, with_body=True):
        """Today's figures per skill (CXone's skills/summary from `start`, the local day's
        midnight, to now), once a minute, kept per day."""
        def fetch(state, started):
            rows = self.client().skill_summary(iso(start.timestamp()), iso(started))
            summaries = [summary_row(r) for r in rows]
            return with_ids({"payload": {"summaries": summaries}}, summaries), {"summaries": summaries}
        return self.serve_shared(skills_view.summary_name(start), 60, fetch, with_body=with_body)

    def skills_today(self, zone, *, if_none_match=None):
        """The skills with today's figures (the local day in `zone`), as the board page polls
        them: encoded once per change, 304 for the pair of versions the browser has."""
        skills = self.skills(with_body=False)
        if skills.error is not None:
            return skills
        start = skills_view.day_start(self.clock(), zone)
        name = skills_view.summary_name(start)
        summary = self.skill_summary(start, with_body=False)
        return skills_view.combined(self.room("skills"), skills, summary, self.room(name), name, if_none_match=if_none_match)

    def contacts(self, agent_id, *, window_hours=24):
        """The agent's completed contacts of the last 24 hours, newest first."""
        def fetch(state, started):
            end = datetime.fromtimestamp(started, tz=dt_timezone.utc)
            rows = self.client().completed_contacts(agent_id, iso((end - timedelta(hours=window_hours)).timestamp()), iso(started))
            contacts = newest_first(contact_row(c) for c in rows)
            shapes.check(self, "contacts/completed", rows)
            payload = {"contacts": contacts, "total": len(contacts), "summary": summarize(contacts),
                       "window": {"start": iso((end - timedelta(hours=window_hours)).timestamp()), "end": iso(started), "hours": window_hours}}
            return {"payload": payload}, payload
        return self.serve(f"contacts:{agent_id}", self.limits.contacts_poll_seconds, fetch)

    def my_state(self, agent_id):
        def fetch(state, started):
            row = self.client().agent_state(agent_id)
            shapes.check(self, "agents/{agentId}/states", [row] if row else [])
            payload = {"state": board_row(row or {})}
            return {"payload": payload}, payload
        return self.serve("state", self.limits.poll_seconds, fetch)
