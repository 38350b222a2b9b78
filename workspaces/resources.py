"""A cache of CXone resources for one *scope* (opaque: today a tenant and a user, next a tenant
and a view), with one fetch in flight per resource and a typed state.

Each resource lives in the shared cache in a few entries under `cxone:ws:<name>:<scope>:`:
a small `Meta` (its `Status`, version, when its fetch started, when its data was read, the
cause of a refusal or of staleness), the *body* encoded once per change (JSON and gzip), and
the fetch's own *state* (what the next fetch builds on). A poll reads the meta; an unchanged
version is a 304, a fresh one is the stored bytes. Only a poll that finds the data older than
its interval fetches, and only the one that wins the lease (`lease.py`):

- every other request answers at once from the cache, with the data's age; a first load waits
  at most `first_load_wait` seconds, then says the data has not arrived yet;
- per process, at most `tenant_concurrency` threads wait on one tenant's CXone (the board
  first); a scope has at most one read other than the board in flight;
- 429/503 and outages back off per tenant (2, 6, 18, 60 s, jittered); data is served marked
  stale with the cause; an unreachable host is re-discovered after the lease is released;
- 401 after one refresh, or 403: the scope's data is dropped, never served again;
- every entry is kept for a small multiple of its own interval (`KEEP_INTERVALS`), refusals
  too, so the cache holds what is polled, not what once was.

Every "now" is the injected `clock`.
"""
import contextvars
import gzip
import json
import logging
import random
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timezone as dt_timezone
from enum import Enum

from core import metrics, ratelimit
from core.reasons import Reason

from .cxone_api import NOT_MODIFIED, READ_TIMEOUTS, APIError
from .lease import Priority, lease as make_lease, tenant_slots

logger = logging.getLogger(__name__)

BACKOFF_STEPS = (2, 6, 18, 60)  # seconds; CXone sends no reliable Retry-After
STALE_AFTER = 3  # intervals: data older than this that could not be refreshed is marked stale
KEEP_INTERVALS = 12  # an entry outlives its interval this many times (a minute for a 5 s board)
MIN_KEEP = 300  # seconds: past the back-off's longest step (72 s jittered) and a full re-read
# Failures after which the user may no longer see the data: dropped, never served stale.
REFUSED = {Reason.API_FORBIDDEN, Reason.API_UNAUTHORIZED}
BACKS_OFF = {Reason.API_THROTTLED, Reason.API_TIMEOUT, Reason.API_UNAVAILABLE}
KEPT_STATES = 24  # states this process keeps beside the cache (the newest it stored or read) ...
KEPT_ROWS = 60000  # ... holding at most this many board rows in all (three 20,000-agent boards: ~100 MB;
                   # another state counts as one)


class KeptStates:
    """The states this process stored or read lately, by their cache key and `Meta.state_id` (a
    random name per stored state): the next refresh, delta or whole body of that state uses this
    copy rather than unpickle it from the cache again (a 3,000-agent board is 1.6 MB). A copy is
    used only while the meta still names it, so a state another process stored since is read
    from the cache. States are never changed in place (a fetch builds a new one)."""

    def __init__(self, size=KEPT_STATES, rows=KEPT_ROWS):
        self.size, self.rows, self.lock, self.states = size, rows, threading.Lock(), OrderedDict()

    @staticmethod
    def weight(state):
        rows = state.get("agents") if isinstance(state, dict) else None
        return 1 + (len(rows) if isinstance(rows, dict) else 0)

    def get(self, key, state_id):
        if not state_id:
            return None
        with self.lock:
            kept = self.states.get(key)
            if kept is None or kept[0] != state_id:
                return None
            self.states.move_to_end(key)
            return kept[1]

    def forget(self, key):
        with self.lock:
            self.states.pop(key, None)

    def put(self, key, state_id, state):
        if not state_id or state is None:
            return
        with self.lock:
            self.states[key] = (state_id, state)
            self.states.move_to_end(key)
            while len(self.states) > self.size or (
                    len(self.states) > 1 and sum(self.weight(kept) for _, kept in self.states.values()) > self.rows):
                self.states.popitem(last=False)


kept_states = KeptStates()
# The state's part names its format: "state2" holds board.Rows (rows as JSON pieces), which code
# before it cannot unpickle; during a rolling deploy each side reads only its own states.
STATE = "state2"
PARTS = ("meta", "body", STATE, "delta")
_fetching = contextvars.ContextVar("cxone_fetch_lease", default=None)


class Status(Enum):
    MISSING = "missing"  # never read, expired, or nothing to show yet (`reason` says why)
    REFUSED = "refused"  # CXone refused (`reason`): no data, until the next fetch is due
    FRESH = "fresh"
    STALE = "stale"  # the last data, after a failed read (`reason`)


@dataclass(frozen=True)
class Meta:
    status: Status
    version: int = 0
    started: float = 0.0  # when the fetch behind this began: the next one is due an interval later
    as_of: float = 0.0  # when its data was read
    reason: Reason | None = None
    keep: int = 60  # seconds its entries are kept (a small multiple of its interval)
    digest: str = ""  # of the ids its rows hold (a shared room checks them against a member's proof)
    state_id: str = ""  # names the state stored with it (KeptStates); kept by a meta over the same state

    @property
    def has_data(self):
        return self.status in (Status.FRESH, Status.STALE)

    def due(self, now, interval):
        return self.status is Status.MISSING or now >= self.started + interval

    def or_because(self, reason):
        """This meta when it has something to say, else "nothing yet, because `reason`"."""
        return self if self.status is not Status.MISSING else Meta(Status.MISSING, reason=reason)


MISSING = Meta(Status.MISSING)


@dataclass
class Served:
    """What a view sends: bytes with a version, or a reason with no data (`body` None)."""

    version: int | None = None
    body: bytes | None = None
    gz: bytes | None = None
    age: float | None = None
    error: Reason | None = None
    not_modified: bool = False
    tag: str | None = None  # an ETag of its own (an answer made of several versions)
    digest: str = ""  # the ids its version holds (Meta.digest)

    @property
    def etag(self):
        if self.tag is not None:
            return f'"{self.tag}"'
        return f'"v{self.version}"' if self.version is not None else None


class Fragments(list):
    """A JSON array whose items are already encoded (bytes): `encode` splices them in as they are
    (the board's rows, encoded once per row: board.Rows)."""


def encode(payload):
    pieces = {name: value for name, value in payload.items() if isinstance(value, Fragments)}
    marks = {name: f"\x00{name}\x00" for name in pieces}  # control characters: never in data (rows.text)
    raw = json.dumps({**payload, **marks}, separators=(",", ":"), ensure_ascii=False).encode()
    for name, value in pieces.items():
        raw = raw.replace(json.dumps(marks[name], ensure_ascii=False).encode(), b"[" + b",".join(value) + b"]", 1)
    return raw, gzip.compress(raw, compresslevel=5, mtime=0)


def iso(epoch):
    return datetime.fromtimestamp(epoch, tz=dt_timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def keep_seconds(interval):
    return int(max(MIN_KEEP, KEEP_INTERVALS * interval))


def stamp(version, as_of, reason=None):
    """What every stored answer says about itself: its version, age and staleness."""
    marked = {"version": version, "asOf": iso(as_of), "stale": reason is not None}
    if reason is not None:
        marked.update(reason=reason.value, message=str(reason.words))
    return marked


@dataclass
class Fetched:
    """A fetch's outcome for the engine: the meta to serve, and whether the host was unreachable
    (re-discovered once the lease is released)."""

    meta: Meta
    unreachable: bool = False


class Resources:
    """The cached resources of one scope of one tenant.

    `tenant_pk` scopes the back-off, the slots and the re-discovery; `scope` the data;
    `owner` the one-secondary-read-in-flight rule (the user whose token reads). A `shared`
    scope (a view's room, `floor.py`) is read with whichever member's token: CXone refusing
    that token refuses that member, not the room's data."""

    def __init__(self, cache, clock, *, tenant_pk, scope, owner=None, limits, sleep, on_refused=None, on_unreachable=None,
                 shared=False, refresher=None):
        self.cache, self.clock, self.sleep, self.limits = cache, clock, sleep, limits
        self.tenant_pk, self.scope, self.owner, self.shared = tenant_pk, scope, owner or scope, shared
        self.refresher = refresher  # refresher.Refresher: due data is refreshed off the request thread
        self.on_refused = on_refused  # (reason) -> None
        self.on_unreachable = on_unreachable  # () -> None, outside any lease

    # --- keys and entries ----------------------------------------------------------------------

    def key(self, name, part):
        return f"cxone:ws:{name}:{self.scope}:{part}"

    def backoff_key(self):
        return f"cxone:ws:backoff:{self.tenant_pk}"

    def meta(self, name):
        meta = self.cache.get(self.key(name, "meta"))
        return meta if isinstance(meta, Meta) else MISSING

    def state(self, name, meta=None):
        """The fetch's state; with `meta` (read first), the state that meta names, from this
        process's copy when it has it."""
        key = self.key(name, STATE)
        kept = kept_states.get(key, meta.state_id) if meta is not None else None
        if kept is not None:
            return kept
        state = self.cache.get(key)
        if meta is not None and isinstance(state, dict) and state.get("state_id") == meta.state_id:
            kept_states.put(key, meta.state_id, state)
        return state

    def lease_seconds(self):
        """A fetch's whole bound: one read's deadline (sized to the team: at most READ_TIMEOUTS
        timeouts; a refused delta's full re-read renews the lease first), and a token refresh
        that waits for another (accounts.refresh: 2 x timeout + 5)."""
        return READ_TIMEOUTS * self.limits.timeout + 2 * self.limits.timeout + 7

    def lease(self, name):
        return make_lease(self.cache, self.key(name, "lease"), self.lease_seconds())

    def drop(self, name):
        self.cache.delete_many([self.key(name, part) for part in PARTS])
        kept_states.forget(self.key(name, STATE))

    def invalidate(self, name):
        """The next poll fetches at once (after an action changed what CXone will answer)."""
        meta = self.meta(name)
        if meta.has_data:
            self._set_meta(name, replace(meta, started=0.0))

    def _set_meta(self, name, meta):
        """A new meta over the same data: the data's entries live as long as the meta that names
        them (else a run of 304s or failures would outlive the body and answer "not loaded")."""
        for part in ("body", STATE, "delta"):
            self.cache.touch(self.key(name, part), meta.keep)
        self.cache.set(self.key(name, "meta"), meta, meta.keep)

    # --- serving -------------------------------------------------------------------------------

    def serve(self, name, interval, fetch, *, priority=Priority.SECONDARY, if_none_match=None, with_body=True):
        """The resource `name`: fetched by `fetch(previous_state, started) -> (state, payload)` (or
        NOT_MODIFIED) when older than `interval`, by the one request holding the lease; from the
        cache otherwise. `with_body=False` answers the version and age only."""
        meta = self.meta(name)
        now = self.clock()
        if meta.due(now, interval) and self.refresher is not None and meta.has_data:
            due = meta  # handed to a refresh thread; this poll answers at once with the data's age
            if not self.refresher.submit(self.key(name, "meta"), lambda: self._refresh(name, interval, fetch, due, now, priority)):
                meta = self._not_refreshed(name, interval, meta, now, Reason.API_BUSY)
        elif meta.due(now, interval):
            meta = self._refresh(name, interval, fetch, meta, now, priority)
        return self.answer(name, meta, if_none_match=if_none_match, with_body=with_body)

    def answer(self, name, meta, *, if_none_match=None, with_body=True):
        if not meta.has_data:
            return Served(error=meta.reason or Reason.API_NOT_LOADED)
        age = max(0.0, self.clock() - meta.as_of)
        if if_none_match and if_none_match == f'"v{meta.version}"':
            return Served(version=meta.version, age=age, not_modified=True, digest=meta.digest)
        if not with_body:
            return Served(version=meta.version, age=age, digest=meta.digest)
        served = self.body(name, age, meta=meta)
        served.digest = meta.digest
        return served

    def body(self, name, age=None, *, meta=None):
        """The stored bytes of `name`'s current version (plain and gzip), encoded now if no one
        asked for this version yet (a fetch stores the state, not the whole body: most polls
        are 304s and deltas)."""
        body = self.cache.get(self.key(name, "body"))
        meta = meta or self.meta(name)
        if body is None or (meta.has_data and body["version"] < meta.version):
            body = self._encode_body(name, meta) or body
        if body is None:
            return Served(error=Reason.API_NOT_LOADED)
        return Served(version=body["version"], body=body["raw"], gz=body["gz"], age=age)

    def _encode_body(self, name, meta):
        """The whole body of `meta`'s version from the stored state, kept for every poll after;
        None when the state is not of that version (a newer fetch is being stored)."""
        state = self.state(name, meta)
        if not meta.has_data or state is None or state.get("version") != meta.version or "payload" not in state:
            return None
        raw, gz = encode({**state["payload"], **stamp(meta.version, meta.as_of, meta.reason if meta.status is Status.STALE else None)})
        body = {"version": meta.version, "raw": raw, "gz": gz}
        self.cache.set(self.key(name, "body"), body, meta.keep)
        return body

    # --- who fetches -----------------------------------------------------------------------------

    def _refresh(self, name, interval, fetch, meta, now, priority):
        """Fetch if this request may; the meta to serve (its status says when there is nothing)."""
        backoff_until = self.cache.get(self.backoff_key())
        if backoff_until and backoff_until > now:
            return self._not_refreshed(name, interval, meta, now, Reason.API_THROTTLED)
        # Waiting for another request's fetch is waiting on this tenant's CXone too: both hold one
        # of the tenant's few threads of this process, so a slow tenant never holds them all.
        with tenant_slots(self.tenant_pk, self.limits.tenant_concurrency).holding(priority) as slot:
            if not slot:
                return self._not_refreshed(name, interval, meta, now, Reason.API_BUSY)
            with self._owner_flight(priority) as flight:
                if not flight:
                    return self._not_refreshed(name, interval, meta, now, Reason.API_BUSY)
                return self._under_lease(name, interval, fetch, meta, now)

    def _not_refreshed(self, name, interval, meta, now, reason):
        """Due but not fetched (backing off, or no slot): data older than STALE_AFTER intervals
        says so, with the cause; old data is never served as fresh."""
        if meta.status is Status.FRESH and now - meta.as_of > STALE_AFTER * interval:
            return self._note_failure(name, reason, meta.started, meta.keep)
        return meta.or_because(reason)

    def _owner_flight(self, priority):
        """At most one read other than the board in flight per owner, across processes."""
        if priority is Priority.BOARD:
            return _Always()
        return make_lease(self.cache, f"cxone:ws:flight:{self.tenant_pk}:{self.owner}", self.lease_seconds()).holding()

    def _under_lease(self, name, interval, fetch, meta, now):
        lease = self.lease(name)
        with lease.holding() as held:
            if not held:  # another request fetches: its data as it is, stale past STALE_AFTER intervals
                if meta.status is Status.MISSING:
                    return self._wait_for_first(name)
                return self._not_refreshed(name, interval, meta, now, Reason.API_BUSY)
            current = self.meta(name)  # another request may have stored between our read and the lease
            if not current.due(now, interval):
                return current
            fetched = self._fetch(name, keep_seconds(interval), fetch, now, lease, current)
        if fetched.unreachable and self.on_unreachable is not None:
            self.on_unreachable()  # outside the lease: a re-discovery may take its own time
        return fetched.meta

    def _wait_for_first(self, name):
        """A first load while another request fetches: wait a little, never the whole fetch."""
        waited = 0.0
        while waited < self.limits.first_load_wait:  # counted in steps: a test's clock may stand still
            self.sleep(0.05)
            waited += 0.05
            meta = self.meta(name)
            if meta.status is not Status.MISSING:
                metrics.lease_waited("loaded")
                return meta
        metrics.lease_waited("not_loaded")
        return MISSING

    # --- a fetch and what it leaves ----------------------------------------------------------------

    def _fetch(self, name, keep, fetch, started, lease, meta=None):
        state = self.state(name, meta or self.meta(name))
        token = _fetching.set(lease)
        try:
            answer = fetch(state, started)
        except APIError as exc:
            return self._failed(name, exc, started, keep)
        finally:
            _fetching.reset(token)
        lease.renew()  # the store is part of the fetch
        self.cache.delete_many([self.backoff_key() + ":n", self.backoff_key()])  # this tenant's CXone answered
        meta = self.meta(name)
        if answer is NOT_MODIFIED:
            return Fetched(self._unchanged(name, meta, state, started, keep))
        if meta.started > started:
            return Fetched(meta)  # a newer fetch finished first: never overwrite newer data
        new_state, payload = answer
        return Fetched(self.store(name, new_state, payload, started, meta, keep=keep))

    def _unchanged(self, name, meta, state, started, keep):
        """CXone says nothing changed: the same version, read now (a stale mark goes: a new one)."""
        if not meta.has_data:
            return meta
        if meta.status is Status.STALE and state is not None:
            return self.store(name, None, state.get("payload", {}), started, meta, keep=keep)
        meta = replace(meta, started=started, as_of=self.clock(), keep=keep)
        self._set_meta(name, meta)
        return meta

    def store(self, name, state, payload, started, meta, *, keep, stale_reason=None):
        """Write the state, the pre-encoded delta, the body (when the state does not hold the
        payload: else the first request for it encodes it, once), and last the meta (a reader that
        sees the new meta finds its state), all in one write (a Redis MULTI). Stale data keeps the
        age it has."""
        ttl = keep
        entries = {}
        version = max(int(started * 1000), meta.version + 1)
        as_of = self.clock() if stale_reason is None or not meta.has_data else meta.as_of
        marked = stamp(version, as_of, stale_reason)
        state_id = meta.state_id
        if state is not None:
            state_id = secrets.token_hex(8)
            entries.update(self._state_entries(name, state, version, marked, state_id))
        if state is None or state.get("payload") is not payload or stale_reason is not None:
            raw, gz = encode({**payload, **marked})  # else encoded when first asked for (body())
            entries[self.key(name, "body")] = {"version": version, "raw": raw, "gz": gz}
        status = Status.FRESH if stale_reason is None else Status.STALE
        digest = state.get("digest", meta.digest) if state is not None else meta.digest
        meta = Meta(status, version=version, started=started, as_of=as_of, reason=stale_reason, keep=ttl, digest=digest,
                    state_id=state_id)
        entries[self.key(name, "meta")] = meta  # last
        self.cache.set_many(entries, ttl)
        if state is not None:
            kept_states.put(self.key(name, STATE), state_id, entries[self.key(name, STATE)])
        return meta

    def _state_entries(self, name, state, version, marked, state_id):
        """The fetch's state under its version; its `delta` (the changes since the version before)
        encoded once for the common `?since=<previous version>`."""
        history = state.get("history")
        if history and history[-1][0] is None:
            history[-1] = (version, *history[-1][1:])
        delta = state.pop("delta", None)
        entries = {self.key(name, STATE): {**state, "version": version, "state_id": state_id}}
        if delta is not None:
            raw, gz = encode({**delta["payload"], **marked})
            entries[self.key(name, "delta")] = {"from": delta["from"], "version": version, "raw": raw, "gz": gz}
        return entries

    def _failed(self, name, exc, started, keep):
        logger.warning("cxone read failed", extra={"event": "cxone_api", "resource": name, "reason": exc.reason, "detail": exc.detail})
        if exc.reason in REFUSED and self.shared:  # this member may no longer see it; the others may
            if self.on_refused is not None:
                self.on_refused(exc.reason)
            return Fetched(Meta(Status.MISSING, reason=exc.reason))
        if exc.reason in REFUSED:  # the user may no longer see it: dropped, refused for a poll
            self.drop(name)
            if self.on_refused is not None:
                self.on_refused(exc.reason)
            return Fetched(self._refusal(name, exc.reason, started, self.limits.poll_seconds))
        if exc.reason == Reason.API_NOT_FOUND:  # answered (and kept) like data
            return Fetched(self._refusal(name, exc.reason, started, keep))
        if exc.reason in BACKS_OFF:
            self.back_off()
        unreachable = exc.reason == Reason.API_UNAVAILABLE and "ConnectionError" in exc.detail
        return Fetched(self._note_failure(name, exc.reason, started, keep), unreachable)

    def _note_failure(self, name, reason, started, keep):
        """The last data stays, marked stale with the cause (a new version: the mark changed);
        with no data, the cause alone."""
        meta = self.meta(name)
        if not meta.has_data:
            return Meta(Status.MISSING, reason=reason)
        state = self.state(name)
        if meta.reason == reason or state is None:
            meta = replace(meta, status=Status.STALE, started=started, reason=reason, keep=keep)
            self._set_meta(name, meta)
            return meta
        return self.store(name, None, state.get("payload", {}), started, meta, keep=keep, stale_reason=reason)

    def _refusal(self, name, reason, started, ttl):
        """CXone's refusal, kept in place of the data for `ttl` (its next fetch is due an interval on)."""
        meta = Meta(Status.REFUSED, started=started, as_of=started, reason=reason, keep=max(1, int(ttl)))
        self.cache.set(self.key(name, "meta"), meta, max(1, int(ttl)))
        return meta

    def back_off(self):
        metrics.cxone_backoff()
        failures = ratelimit.bump(self.backoff_key() + ":n", 3600, store=self.cache)
        step = BACKOFF_STEPS[min(failures, len(BACKOFF_STEPS)) - 1]
        delay = step * random.uniform(0.8, 1.2)  # jitter: many workers must not retry in step
        self.cache.set(self.backoff_key(), self.clock() + delay, int(delay) + 1)


def renew_lease():
    """Between a fetch's phases: its lease back to full length (False outside a fetch, or lost)."""
    lease = _fetching.get()
    return lease is not None and lease.renew()


class _Always:
    """The board's flight: its own lease is the only one it needs."""

    def __enter__(self):
        return True

    def __exit__(self, *exc):
        return False
