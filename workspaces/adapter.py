"""The Django side of the CXone API client: whose token, which base URL, and a shared cache
that keeps CXone from being hammered and keeps each poll cheap.

A `Workspace` is one CXone user's view of their tenant's APIs. It needs no request: a
tenant, an identity, a `TokenSource`, a cache and a clock (`Workspace.for_request` builds one
from a request), so its tests pass a clock and need no sleeps.

Every resource lives in the shared cache per (tenant, CXone user, resource), in two entries:
a small *meta* (version, when its fetch started, the last failure) and the *body*, encoded
once per change (sorted JSON, and gzip). A poll reads the meta; an unchanged version is a 304,
a fresh one is the stored bytes. Only a poll that finds the data older than its interval
fetches, and only the one that wins the *lease*:

- one fetch in flight per key across tabs, workers and machines (`cache.add`, lasting the
  fetch's whole deadline), and a write only replaces older data (versions grow);
- every other request answers at once from the cache, with the data's age; a first load
  waits at most `first_load_wait` seconds, then says the data has not arrived yet;
- per process, at most `tenant_concurrency` threads wait on one tenant's CXone; the rest
  answer from the cache, so one slow tenant never holds every thread;
- 429/503 and outages back off per tenant (2, 6, 18, 60 s, jittered) until that tenant's CXone
  answers again; data is served marked stale, with the cause;
- 401 after one refresh, or 403: the user's cached data is dropped, never served again.

The board (`agents/states`) merges `updatedSince` deltas into the last full read and re-reads
everything every `full_read_seconds` (or when CXone's count disagrees), so agents CXone stops
listing leave; it keeps a short history of versions, so `?since=<version>` answers only the
rows that changed.
"""
import contextvars
import gzip
import json
import logging
import random
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.core.cache import cache as default_cache

from core import http, metrics, ratelimit
from core.reasons import Reason, ReasonError, RefreshStatus

from .cxone_api import NOT_MODIFIED, APIError, CXoneClient

logger = logging.getLogger(__name__)

BACKOFF_STEPS = (2, 6, 18, 60)  # seconds; CXone sends no reliable Retry-After
CACHE_TTL = 24 * 3600
HISTORY = 36  # versions kept for `?since=` (3 minutes at 5 s)
# Failures after which the data is still worth showing, marked stale.
TRANSIENT = {Reason.API_THROTTLED, Reason.API_TIMEOUT, Reason.API_UNAVAILABLE, Reason.API_BAD_RESPONSE,
             Reason.API_BAD_REQUEST, Reason.API_BUSY}
# Failures after which the user may no longer see the data: dropped, never served stale.
REFUSED = {Reason.API_FORBIDDEN, Reason.API_UNAUTHORIZED}


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


@dataclass
class Served:
    """What a view sends: bytes with a version, or a reason with no data (`body` None)."""

    version: int | None = None
    body: bytes | None = None
    gz: bytes | None = None
    age: float | None = None
    error: Reason | None = None
    not_modified: bool = False

    @property
    def etag(self):
        return f'"v{self.version}"' if self.version is not None else None


_slots, _slots_lock = {}, threading.Lock()


def _tenant_slot(tenant_pk, size):
    """This process's few threads that may wait on one tenant's CXone at once."""
    with _slots_lock:
        slot = _slots.get(tenant_pk)
        if slot is None:
            slot = _slots[tenant_pk] = threading.BoundedSemaphore(max(1, size))
        return slot


def encode(payload):
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return raw, gzip.compress(raw, compresslevel=5, mtime=0)


def wall_clock():
    """The adapter's "now" unless a test passes its own clock."""
    return time.time()


def iso(epoch):
    return datetime.fromtimestamp(epoch, tz=dt_timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


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

    # --- the client --------------------------------------------------------------------------

    def client(self):
        base = self.tenant.api_base_url
        if not base:
            raise APIError(Reason.API_UNAVAILABLE, "no api_endpoint")
        return CXoneClient(base, self.tokens.current(), self.session or http.api_session(),
                           refresh_token=self.tokens.refresh, timeout=self.limits.timeout,
                           page_size=self.limits.page_size, max_rows=self.limits.max_agents,
                           max_bytes=self.limits.max_bytes, clock=time.monotonic)

    # --- keys --------------------------------------------------------------------------------------

    def _key(self, name, part):
        return f"cxone:ws:{name}:{self.scope}:{part}"

    def _backoff_key(self):
        return f"cxone:ws:backoff:{self.tenant.pk}"

    # --- the single-flight machinery -----------------------------------------------------------------

    def serve(self, name, interval, fetch, *, if_none_match=None, with_body=True):
        """The resource `name`: fetched by `fetch(previous_state) -> (state, payload)` when older
        than `interval`, by the one request holding the lease; from the cache otherwise.
        `with_body=False` answers the version and age only (a caller that may send less)."""
        meta = self.cache.get(self._key(name, "meta"))
        now = self.clock()
        if meta is None or now >= meta["started"] + interval:
            meta = self._refresh(name, fetch, meta, now) or meta
        if meta is None:
            return Served(error=Reason.API_NOT_LOADED)
        if meta.get("refused"):
            return Served(error=meta["refused"], age=None)
        age = max(0.0, self.clock() - meta["as_of"])
        if if_none_match and if_none_match == f'"v{meta["version"]}"':
            return Served(version=meta["version"], age=age, not_modified=True)
        if not with_body:
            return Served(version=meta["version"], age=age)
        return self.body(name, age)

    def body(self, name, age=None):
        """The stored bytes of `name` (plain and gzip)."""
        body = self.cache.get(self._key(name, "body"))
        if body is None:
            return Served(error=Reason.API_NOT_LOADED)
        return Served(version=body["version"], body=body["raw"], gz=body["gz"], age=age)

    def _refresh(self, name, fetch, meta, now):
        """Try to fetch; returns the meta to serve (None when there is nothing yet)."""
        backoff_until = self.cache.get(self._backoff_key())
        if backoff_until and backoff_until > now:
            return meta or {"refused": Reason.API_THROTTLED}
        # Waiting for another request's fetch is waiting on this tenant's CXone too: both hold
        # one of the tenant's few threads of this process, so a slow tenant never holds them all.
        slot = _tenant_slot(self.tenant.pk, self.limits.tenant_concurrency)
        if not slot.acquire(blocking=False):
            return meta or {"refused": Reason.API_BUSY}
        try:
            lease, lease_key = uuid.uuid4().hex, self._key(name, "lease")
            if self.cache.add(lease_key, lease, int(self.limits.timeout) + 2):
                try:
                    return self._fetch(name, fetch, now)
                finally:
                    if self.cache.get(lease_key) == lease:
                        self.cache.delete(lease_key)
            return meta or self._wait_for_first(name)
        finally:
            slot.release()

    def _wait_for_first(self, name):
        """A first load while another request fetches: wait a little, never the whole timeout."""
        waited = 0.0
        while waited < self.limits.first_load_wait:
            self.sleep(0.05)
            waited += 0.05
            meta = self.cache.get(self._key(name, "meta"))
            if meta is not None:
                metrics.lease_waited("loaded")
                return meta
        metrics.lease_waited("not_loaded")
        return None

    def _fetch(self, name, fetch, started):
        state = self.cache.get(self._key(name, "state"))
        try:
            answer = fetch(state, started)
        except APIError as exc:
            return self._failed(name, exc, started)
        self.cache.delete(self._backoff_key() + ":n")  # this tenant's CXone answered
        self.cache.delete(self._backoff_key())
        meta = self.cache.get(self._key(name, "meta"))
        if answer is NOT_MODIFIED:
            if meta is None:
                return None
            meta = {**meta, "started": started, "as_of": self.clock(), "error": None}
            if meta.get("stale") and state is not None:  # the stale mark goes: a new version, same rows
                return self._store(name, None, self._repayload(state), started, meta)
            self.cache.set(self._key(name, "meta"), meta, CACHE_TTL)
            return meta
        new_state, payload = answer
        if meta is not None and meta.get("started", 0) > started:
            return meta  # a newer fetch finished first: never overwrite newer data
        return self._store(name, new_state, payload, started, meta)

    def _store(self, name, state, payload, started, meta, *, stale_reason=None):
        """Encode once, then write state, the pre-encoded delta, the body, and last the meta
        (a reader that sees the new meta finds its body)."""
        version = max(int(started * 1000), (meta or {}).get("version", 0) + 1)
        stamp = {"version": version, "asOf": iso(self.clock()), "stale": stale_reason is not None}
        if stale_reason is not None:
            stamp.update(reason=stale_reason.value, notice=str(stale_reason.words))
        raw, gz = encode({**payload, **stamp})
        if state is not None:
            history = state.get("history")
            if history and history[-1][0] is None:
                history[-1] = (version, *history[-1][1:])
            delta = state.pop("delta", None)
            state = {**state, "version": version}
            self.cache.set(self._key(name, "state"), state, CACHE_TTL)
            if delta is not None:  # the common `?since=<previous version>`, encoded once too
                delta_raw, delta_gz = encode({**delta["payload"], **stamp})
                self.cache.set(self._key(name, "delta"), {"from": delta["from"], "version": version, "raw": delta_raw, "gz": delta_gz}, CACHE_TTL)
        self.cache.set(self._key(name, "body"), {"version": version, "raw": raw, "gz": gz}, CACHE_TTL)
        as_of = self.clock() if stale_reason is None else (meta or {}).get("as_of", self.clock())
        meta = {"version": version, "started": started, "as_of": as_of, "stale": stale_reason is not None, "error": stale_reason}
        self.cache.set(self._key(name, "meta"), meta, CACHE_TTL)
        return meta

    def _repayload(self, state):
        return state["payload"] if state and "payload" in state else {}

    def _failed(self, name, exc, started):
        logger.warning("cxone read failed", extra={"event": "cxone_api", "resource": name, "reason": exc.reason, "detail": exc.detail})
        if exc.reason in REFUSED:  # the user may no longer see it: dropped, refused for a poll
            self.drop(name)
            if self.on_refused is not None:
                self.on_refused(exc.reason)
            return self._refusal(name, exc.reason, started, int(self.limits.poll_seconds) or 1)
        if exc.reason == Reason.API_NOT_FOUND:  # answered (and cached) like data
            return self._refusal(name, exc.reason, started, CACHE_TTL)
        if exc.reason in (Reason.API_THROTTLED, Reason.API_TIMEOUT, Reason.API_UNAVAILABLE):
            self._back_off()
            if exc.reason == Reason.API_UNAVAILABLE and "ConnectionError" in exc.detail:
                self._rediscover()
        return self._note_failure(name, self.cache.get(self._key(name, "meta")), exc.reason, started)

    def _note_failure(self, name, meta, reason, started):
        """The last data stays, marked stale with the cause (a new version: the mark changed);
        with no data, the cause alone."""
        if meta is None or meta.get("refused"):
            return {"refused": reason}
        state = self.cache.get(self._key(name, "state"))
        if meta.get("error") == reason or state is None:
            meta = {**meta, "started": started, "stale": True, "error": reason}
            self.cache.set(self._key(name, "meta"), meta, CACHE_TTL)
            return meta
        return self._store(name, None, self._repayload(state), started, meta, stale_reason=reason)

    def _refusal(self, name, reason, started, ttl):
        """CXone's refusal, kept in place of the data until the next fetch is due."""
        meta = {"version": 0, "started": started, "as_of": started, "refused": reason}
        self.cache.set(self._key(name, "meta"), meta, ttl)
        return meta

    def drop(self, name):
        self.cache.delete_many([self._key(name, part) for part in ("meta", "body", "state", "delta")])

    def _back_off(self):
        metrics.cxone_backoff()
        failures = ratelimit.bump(self._backoff_key() + ":n", 3600, store=self.cache)
        step = BACKOFF_STEPS[min(failures, len(BACKOFF_STEPS)) - 1]
        delay = step * random.uniform(0.8, 1.2)  # jitter: many workers must not retry in step
        self.cache.set(self._backoff_key(), self.clock() + delay, int(delay) + 1)

    def _rediscover(self):
        """The API host refused the connection: its address may have moved (a demo on another
        port, a tenant moved to another area). Re-run discovery, at most once a minute."""
        if not self.cache.add(f"cxone:ws:rediscover:{self.tenant.pk}", 1, 60):
            return
        from tenants import discovery

        try:
            discovery.refresh(self.tenant, keep_stale=True)
        except ReasonError as exc:
            logger.warning("re-discovery failed", extra={"event": "discovery", "reason": exc.reason})

    # --- the board ------------------------------------------------------------------------------------

    def board(self, *, if_none_match=None, with_body=True):
        return self.serve("agents", self.limits.poll_seconds, self._fetch_board, if_none_match=if_none_match, with_body=with_body)

    def board_since(self, since):
        """Only what changed since `since` (a version this board served), pre-encoded for the
        latest step; None when that version is unknown or too old (send the whole board)."""
        delta = self.cache.get(self._key("agents", "delta"))
        if delta is not None and delta["from"] == since:
            return Served(version=delta["version"], body=delta["raw"], gz=delta["gz"])
        state = self.cache.get(self._key("agents", "state"))
        meta = self.cache.get(self._key("agents", "meta")) or {}
        history = [entry for entry in (state or {}).get("history", []) if entry[0] is not None]
        if state is None or not history or since < history[0][0] or since > meta.get("version", 0):
            return None
        changed, removed = set(), set()
        for version, versions_changed, versions_removed in history:
            if version > since:
                changed |= set(versions_changed)
                removed |= set(versions_removed)
        changed -= removed
        payload = {"version": meta.get("version", state["version"]), "full": False, "agents": [state["agents"][i] for i in sorted(changed) if i in state["agents"]],
                   "removed": sorted(removed), "asOf": iso(meta.get("as_of", self.clock())), "stale": bool(meta.get("stale")),
                   "count": len(state["agents"]), "total": state["payload"].get("total"), "partial": state["payload"].get("partial")}
        raw, gz = encode(payload)
        return Served(version=payload["version"], body=raw, gz=gz)

    def board_ids(self):
        state = self.cache.get(self._key("agents", "state"))
        return set(state["agents"]) if state else set()

    def board_agent(self, agent_id):
        """The agent as this user's board last saw them, or None (not on the board)."""
        state = self.cache.get(self._key("agents", "state"))
        return state["agents"].get(agent_id) if state else None

    def board_team_ids(self):
        state = self.cache.get(self._key("agents", "state"))
        return {a["teamId"] for a in state["agents"].values() if a["teamId"]} if state else set()

    def invalidate(self, name):
        """The next poll fetches at once (after an action changed what CXone will answer)."""
        meta = self.cache.get(self._key(name, "meta"))
        if meta is not None and not meta.get("refused"):
            self.cache.set(self._key(name, "meta"), {**meta, "started": 0}, CACHE_TTL)

    def _fetch_board(self, state, started):
        full = (state is None or not state.get("last_poll") or state.get("needs_full")
                or started >= state.get("full_at", 0) + self.limits.full_read_seconds)
        client = self.client()
        deadline = client.deadline()
        directory = self._read_directory(client) if full else None
        answer = client.agent_states(updated_since=None if full else state["last_poll"], deadline=deadline)
        logins = (state or {}).get("logins", {})
        if directory is not None:
            try:  # never past the read's own deadline
                logins = directory.result(timeout=max(0.0, deadline - time.monotonic()))
            except FuturesTimeout:
                logger.info("agent directory too slow", extra={"event": "cxone_api"})
        if answer is NOT_MODIFIED:
            return NOT_MODIFIED if state else _empty_board_answer(started)
        listing, last_poll = answer
        previous = state["agents"] if state else {}
        agents = {} if full else dict(previous)
        for row in listing.rows:
            shaped = board_row(row)
            if shaped["agentId"]:
                shaped["userName"] = shaped["userName"] or logins.get(shaped["agentId"], "")
                agents[shaped["agentId"]] = shaped
        changed = [i for i, row in agents.items() if previous.get(i) != row]
        removed = [i for i in previous if i not in agents]
        total = listing.total if full else (state or {}).get("payload", {}).get("total")
        partial = listing.partial if full else (state or {}).get("payload", {}).get("partial", False)
        # CXone counts more agents than the board holds (a delta of someone new): read all next time.
        needs_full = bool(listing.partial) or (full and total is not None and len(agents) < total and not partial)
        ordered = sorted(agents.values(), key=lambda a: (a["lastName"].lower(), a["firstName"].lower(), a["agentId"]))
        payload = {"full": True, "agents": ordered, "removed": [], "count": len(agents), "total": total if total is not None else len(agents),
                   "partial": bool(partial)}
        history = list((state or {}).get("history", []))[-(HISTORY - 1):]
        new_state = {"agents": agents, "last_poll": last_poll, "full_at": started if full else state["full_at"], "logins": logins,
                     "needs_full": needs_full, "payload": payload, "history": history}
        previous_version = (state or {}).get("version")
        if previous_version is not None:
            new_state["delta"] = {"from": previous_version, "payload": {
                "full": False, "agents": [agents[i] for i in sorted(changed)], "removed": sorted(removed),
                "count": len(agents), "total": payload["total"], "partial": payload["partial"]}}
        new_state["history"].append((None, changed, removed))  # _store names the version
        return new_state, payload

    def _read_directory(self, client):
        """CXone's agent list (`agents`: logins, which `agents/states` lacks), read beside the
        full read of states, on a thread of its own (one slow tenant's directory never queues
        another's) with this request's context. A failure only costs the logins: the board
        stands on the states."""
        side = CXoneClient(client.base_url, client.token, client.session, timeout=client.timeout, page_size=client.page_size,
                           max_rows=client.max_rows, max_bytes=client.max_bytes)

        def read():
            try:
                rows = side.get_all("agents", "agents").rows
            except ReasonError as exc:
                logger.info("agent directory not read", extra={"event": "cxone_api", "reason": exc.reason})
                return {}
            return {text(r.get("agentId"), 32): text(r.get("userName") or r.get("emailAddress"), 120) for r in rows}
        pool = ThreadPoolExecutor(1, thread_name_prefix="cxone-directory")
        try:
            return pool.submit(contextvars.copy_context().run, read)
        finally:
            pool.shutdown(wait=False)  # the thread ends with its read, bounded by the client's timeout

    # --- smaller resources --------------------------------------------------------------------------

    def skills(self):
        def fetch(state, started):
            rows, server_time = self.client().skill_activity()
            skills = [skill_row(s, server_time) for s in rows]
            return {"payload": {"skills": skills}}, {"skills": skills}
        return self.serve("skills", self.limits.poll_seconds, fetch)

    def skill_summary(self, start):
        """Today's figures per skill (CXone's skills/summary from `start` to now), once a minute."""
        def fetch(state, started):
            rows = self.client().skill_summary(iso(start.timestamp()), iso(started))
            summaries = [summary_row(r) for r in rows]
            return {"payload": {"summaries": summaries}}, {"summaries": summaries}
        return self.serve("skill-summary", 60, fetch)

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


def _empty_board_answer(started):
    payload = {"full": True, "agents": [], "removed": [], "count": 0, "total": 0, "partial": False}
    return {"agents": {}, "last_poll": None, "full_at": started, "needs_full": True, "payload": payload, "history": []}, payload


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


