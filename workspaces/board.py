"""The team board: which read to make, how a read merges into the last one, and what changed.

The board (`agents/states`) merges `updatedSince` deltas into the last full read and re-reads
everything every `full_read_seconds` (or when CXone's count disagrees), so agents CXone stops
listing leave; a delta CXone refuses (400: a `lastPollTime` it no longer takes) becomes a full
read at once. It keeps a short history of versions, so `?since=<version>` answers only the rows
that changed.

The plan, merge and diff are pure functions of plain data (the state is a dict the cache keeps:
`agents` (`Rows`: each row with its JSON), `order` (the agent ids by name), `last_poll`,
`full_at`, `logins`, `logins_pending` (a first board's directory still being read), `needs_full`,
`payload`, `history`); `read` is the one function that talks to CXone, through the client it is
given.
"""
import contextvars
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass

from core.reasons import Reason, ReasonError

from .cxone_api import NOT_MODIFIED, APIError, Listing
from .resources import Fragments

logger = logging.getLogger(__name__)

HISTORY = 36  # versions kept for `?since=` (3 minutes at 5 s)
QUICK_ROUNDS = 2  # a first board of more rounds of pages than this does not wait for its directory: the logins follow


@dataclass(frozen=True)
class Plan:
    """One read of the board: everything (`full`), or what changed since `updated_since`."""

    full: bool
    updated_since: str | None = None


def plan(state, started, full_read_seconds):
    """A full read when there is no base to merge into, when the last one asked for it, or when
    the scheduled re-read is due; otherwise a delta from CXone's last `lastPollTime`."""
    if state is None or not state.get("last_poll") or state.get("needs_full"):
        return Plan(full=True)
    if started >= state.get("full_at", 0) + full_read_seconds:
        return Plan(full=True)
    return Plan(full=False, updated_since=state["last_poll"])


def fragment(row):
    """One row as the body's JSON holds it."""
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode()


class Rows(dict):
    """The board's {agent id: row}, each row's JSON encoded once for as long as the row lasts
    (`fragment`): a refresh that changed 40 rows encodes 40, the whole body and its deltas are
    these pieces joined, and the state pickles as the pieces in one string (a twentieth of the
    CPU of pickling 3,000 dicts), unpickled by one JSON parse of them all (`rows_from_pieces`).
    Rows are never changed in place: a changed row is a new dict, its piece dropped."""

    def __init__(self, rows=(), frags=None):
        super().__init__(rows)
        self.frags = frags if frags is not None else {}

    def fragment(self, agent_id):
        piece = self.frags.get(agent_id)
        if piece is None:
            piece = self.frags[agent_id] = fragment(self[agent_id])
        return piece

    def complete(self):
        """Every row's piece (the missing ones encoded now): {agent id: bytes}."""
        if len(self.frags) != len(self):  # the pieces are only ever of rows it holds
            for agent_id in self:
                if agent_id not in self.frags:
                    self.fragment(agent_id)
        return self.frags

    def fragments(self, agent_ids):
        return Fragments(map(self.complete().__getitem__, agent_ids))

    def __reduce__(self):
        frags = self.complete()  # JSON never holds a raw line break: one per piece
        return rows_from_pieces, (list(frags), b"\n".join(frags.values()))


def rows_from_pieces(ids, joined):
    if not ids:
        return Rows()
    rows = json.loads(b"[" + joined.replace(b"\n", b",") + b"]")
    return Rows(zip(ids, rows), frags=dict(zip(ids, joined.split(b"\n"))))


class Ordered(Fragments):
    """The whole board's rows in `ids`' order, as pieces of JSON (what `encode` splices into
    the body); pickled as its Rows and ids, which the state holds anyway (no second copy)."""

    def __init__(self, rows, ids):
        super().__init__(map(rows.complete().__getitem__, ids))
        self.rows, self.ids = rows, ids

    def __reduce__(self):
        return Ordered, (self.rows, self.ids)


def as_rows(agents):
    """`agents` as Rows (a state pickled before Rows existed holds a plain dict)."""
    return agents if isinstance(agents, Rows) else Rows(agents)


def _name_key(row):
    return row["lastName"].lower(), row["firstName"].lower(), row["agentId"]


def order(agents):
    return sorted(agents.values(), key=_name_key)


def ordered_ids(previous_order, previous, agents, changed, removed):
    """The board's agent ids by name: the last order when the change moved no one (no agent came,
    went or was renamed: a delta of states), else sorted again."""
    if previous_order is not None and not removed and all(
            i in previous and _name_key(previous[i]) == _name_key(agents[i]) for i in changed):
        return previous_order
    return [row["agentId"] for row in order(agents)]


def diff(previous, agents, touched=None):
    """(changed ids, removed ids) between two boards keyed by agent id; `touched`: the only ids
    that may differ (a delta's rows laid over the last board: nothing was removed)."""
    if touched is not None:
        return sorted({i for i in touched if i in agents and previous.get(i) != agents[i]}), []
    changed = [i for i, row in agents.items() if previous.get(i) != row]
    removed = [i for i in previous if i not in agents]
    return changed, removed


def apply_rows(base, rows, logins):
    """`base` with `rows` (already shaped) laid over it; a login from the directory fills a row
    that has none."""
    base = as_rows(base)
    agents = Rows(base, frags=dict(base.frags))
    for row in rows:
        if row["agentId"]:
            agents[row["agentId"]] = {**row, "userName": row["userName"] or logins.get(row["agentId"], "")}
            agents.frags.pop(row["agentId"], None)
    return agents


def counts(state, listing, full, held):
    """(total, partial, needs_full): CXone's count from a full read, kept through deltas; a read
    that holds fewer agents than CXone counts asks for a full one next time."""
    previous = (state or {}).get("payload", {})
    total = listing.total if full else previous.get("total")
    partial = listing.partial if full else previous.get("partial", False)
    needs_full = bool(listing.partial) or (full and total is not None and held < total and not partial)
    return total, bool(partial), needs_full


def merge(state, read_plan, listing, rows, last_poll, logins, started):
    """The new state and the whole board's payload after one read."""
    previous = as_rows(state["agents"]) if state else Rows()
    agents = apply_rows({} if read_plan.full else previous, rows, logins)
    changed, removed = diff(previous, agents, None if read_plan.full else [row["agentId"] for row in rows])
    if read_plan.full:  # an unchanged row keeps its piece of JSON
        kept = set(agents) - set(changed)
        agents.frags.update((i, previous.frags[i]) for i in kept if i in previous.frags)
    total, partial, needs_full = counts(state, listing, read_plan.full, len(agents))
    ids = ordered_ids((state or {}).get("order"), previous, agents, changed, removed)
    payload = {"full": True, "agents": Ordered(agents, ids), "removed": [], "count": len(agents),
               "total": total if total is not None else len(agents), "partial": partial}
    history = list((state or {}).get("history", []))[-(HISTORY - 1):]
    history.append((None, changed, removed))  # the engine names the version when it stores it
    new_state = {"agents": agents, "last_poll": last_poll, "full_at": started if read_plan.full else state["full_at"],
                 "logins": logins, "needs_full": needs_full, "payload": payload, "history": history, "order": ids}
    if (state or {}).get("version") is not None:
        new_state["delta"] = {"from": state["version"], "payload": delta_payload(agents, changed, removed, payload)}
    return new_state, payload


def delta_payload(agents, changed, removed, payload):
    return {"full": False, "agents": as_rows(agents).fragments(i for i in sorted(changed) if i in agents), "removed": sorted(removed),
            "count": len(agents), "total": payload["total"], "partial": payload["partial"]}


def empty(started):
    """The board of a user CXone lists no agents for (a 304 to a first read)."""
    payload = {"full": True, "agents": [], "removed": [], "count": 0, "total": 0, "partial": False}
    return {"agents": {}, "last_poll": None, "full_at": started, "needs_full": True, "payload": payload, "history": []}, payload


def changes_since(state, since, version):
    """(changed, removed) ids over the versions after `since`, or None when `since` is not one
    this history can answer for (unknown, too old, or newer than `version`)."""
    history = [entry for entry in (state or {}).get("history", []) if entry[0] is not None]
    if state is None or not history or since < history[0][0] or since > version:
        return None
    changed, removed = set(), set()
    for entry_version, entry_changed, entry_removed in history:
        if entry_version > since:
            changed |= set(entry_changed)
            removed |= set(entry_removed)
    return changed - removed, removed


# --- reading CXone --------------------------------------------------------------------------

def read(client, state, started, *, full_read_seconds, shape, directory_rows, renew=None, states=None, parked=None):
    """One read of the board with `client`: (new state, payload), or NOT_MODIFIED. `shape(rows)`
    turns CXone's rows into the board's (and may note what they lack). A delta CXone
    refuses as a bad request falls back to a full read at once (its failure is the read's).
    `states`: a full `agent_states()` answer the same client read moments ago (a supervisor's
    proof, floor.py), taken for a full read's states instead of reading them again; a first
    board made of them of more than QUICK_ROUNDS rounds of pages does not wait for the directory,
    which is left to `parked` (`park(future) -> key`, `collect(key) -> logins or None`) for the
    next read."""
    read_plan = plan(state, started, full_read_seconds)
    try:
        return _read(client, state, started, read_plan, shape, directory_rows, states if read_plan.full else None, parked)
    except APIError as exc:
        if read_plan.full or exc.reason != Reason.API_BAD_REQUEST:
            raise
        logger.warning("delta refused, reading everything", extra={"event": "cxone_api", "detail": exc.detail})
    if renew is not None:
        renew()
    return _read(client, state, started, Plan(full=True), shape, directory_rows)


def _read(client, state, started, read_plan, shape, directory_rows, states=None, parked=None):
    """The states and, for a full read, the agent directory beside them: each paged in parallel
    after its first page, each with a deadline sized to the team (`CXoneClient.read_seconds`)."""
    begun = client.clock()
    directory = read_directory(client, directory_rows) if read_plan.full else None
    answer = states or client.agent_states(updated_since=read_plan.updated_since)
    logins = (state or {}).get("logins", {})
    pending, filled = None, []
    if directory is not None:  # at most until the directory's own deadline (the read's own monotonic clock)
        remaining = max(0.0, begun + client.max_read_seconds - client.clock())
        big = states is not None and len(states[0].rows) > QUICK_ROUNDS * client.parallel * client.page_size
        if state is None and big and parked is not None:  # a big first board: shown at once, its logins follow
            if directory.done():
                logins = _directory_or(logins, directory, 0.0)
            else:
                pending = (parked.park(directory), started + remaining)  # the engine's clock: any process reads it
        else:
            logins = _directory_or(logins, directory, remaining)
    elif state and state.get("logins_pending") and parked is not None:
        pending, logins, filled = _parked_logins(started, state, parked, logins)
    resolved = bool(state and state.get("logins_pending")) and pending is None  # arrived, failed or given up
    if answer is NOT_MODIFIED:
        if not resolved:
            return NOT_MODIFIED if state else empty(started)
        answer = Listing(), state["last_poll"]  # nothing changed but the logins (or their end)
    listing, last_poll = answer
    # the rows the logins fill first: this read's own rows (newer states) are laid over them
    new_state, payload = merge(state, read_plan, listing, filled + shape(listing.rows), last_poll, logins, started)
    if pending is not None:
        new_state["logins_pending"] = pending
    return new_state, payload


def _parked_logins(started, state, parked, logins):
    """(still pending, logins, rows they fill) for a board whose directory was still being read
    when it was first stored (given up past that read's deadline: the next full read has them)."""
    key, until = state["logins_pending"]
    arrived = parked.collect(key)
    if arrived is None:
        return (state["logins_pending"] if started < until else None), logins, []
    logins = arrived or logins
    filled = [{**row, "userName": logins[i]} for i, row in state["agents"].items() if not row["userName"] and logins.get(i)]
    return None, logins, filled


def _directory_or(logins, directory, timeout):
    try:  # never past the directory read's own deadline
        return directory.result(timeout=timeout) or logins  # a failed read keeps the last logins
    except FuturesTimeout:
        logger.info("agent directory too slow", extra={"event": "cxone_api"})
        return logins


def read_directory(client, directory_rows):
    """CXone's agent list (`agents`: logins, which `agents/states` lacks), read beside the full
    read of states, on a thread of its own (one slow tenant's directory never queues another's)
    with this request's context, its pages in parallel like the states'. A failure only costs
    this read's logins (None: the last ones stay): the board stands on the states.
    `directory_rows(rows)` -> {agentId: login}."""
    side = client.beside()

    def directory():
        try:
            rows = side.get_all("agents", "agents").rows
        except ReasonError as exc:
            logger.info("agent directory not read", extra={"event": "cxone_api", "reason": exc.reason})
            return None
        return directory_rows(rows)
    pool = ThreadPoolExecutor(1, thread_name_prefix="cxone-directory")
    try:
        return pool.submit(contextvars.copy_context().run, directory)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its read, bounded by its own deadline
