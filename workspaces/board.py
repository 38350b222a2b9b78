"""The team board: which read to make, how a read merges into the last one, and what changed.

The board (`agents/states`) merges `updatedSince` deltas into the last full read and re-reads
everything every `full_read_seconds` (or when CXone's count disagrees), so agents CXone stops
listing leave; a delta CXone refuses (400: a `lastPollTime` it no longer takes) becomes a full
read at once. It keeps a short history of versions, so `?since=<version>` answers only the rows
that changed.

The plan, merge and diff are pure functions of plain data (the state is a dict the cache keeps:
`agents`, `last_poll`, `full_at`, `logins`, `needs_full`, `payload`, `history`); `read` is the
one function that talks to CXone, through the client it is given.
"""
import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass

from core.reasons import Reason, ReasonError

from .cxone_api import NOT_MODIFIED, APIError

logger = logging.getLogger(__name__)

HISTORY = 36  # versions kept for `?since=` (3 minutes at 5 s)


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


def order(agents):
    return sorted(agents.values(), key=lambda a: (a["lastName"].lower(), a["firstName"].lower(), a["agentId"]))


def diff(previous, agents):
    """(changed ids, removed ids) between two boards keyed by agent id."""
    changed = [i for i, row in agents.items() if previous.get(i) != row]
    removed = [i for i in previous if i not in agents]
    return changed, removed


def apply_rows(base, rows, logins):
    """`base` with `rows` (already shaped) laid over it; a login from the directory fills a row
    that has none."""
    agents = dict(base)
    for row in rows:
        if row["agentId"]:
            agents[row["agentId"]] = {**row, "userName": row["userName"] or logins.get(row["agentId"], "")}
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
    previous = state["agents"] if state else {}
    agents = apply_rows({} if read_plan.full else previous, rows, logins)
    changed, removed = diff(previous, agents)
    total, partial, needs_full = counts(state, listing, read_plan.full, len(agents))
    payload = {"full": True, "agents": order(agents), "removed": [], "count": len(agents),
               "total": total if total is not None else len(agents), "partial": partial}
    history = list((state or {}).get("history", []))[-(HISTORY - 1):]
    history.append((None, changed, removed))  # the engine names the version when it stores it
    new_state = {"agents": agents, "last_poll": last_poll, "full_at": started if read_plan.full else state["full_at"],
                 "logins": logins, "needs_full": needs_full, "payload": payload, "history": history}
    if (state or {}).get("version") is not None:
        new_state["delta"] = {"from": state["version"], "payload": delta_payload(agents, changed, removed, payload)}
    return new_state, payload


def delta_payload(agents, changed, removed, payload):
    return {"full": False, "agents": [agents[i] for i in sorted(changed) if i in agents], "removed": sorted(removed),
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

def read(client, state, started, *, full_read_seconds, shape, directory_rows, renew=None):
    """One read of the board with `client`: (new state, payload), or NOT_MODIFIED. `shape(rows)`
    turns CXone's rows into the board's (and may note what they lack). A delta CXone
    refuses as a bad request falls back to a full read at once (its failure is the read's)."""
    read_plan = plan(state, started, full_read_seconds)
    try:
        return _read(client, state, started, read_plan, shape, directory_rows)
    except APIError as exc:
        if read_plan.full or exc.reason != Reason.API_BAD_REQUEST:
            raise
        logger.warning("delta refused, reading everything", extra={"event": "cxone_api", "detail": exc.detail})
    if renew is not None:
        renew()
    return _read(client, state, started, Plan(full=True), shape, directory_rows)


def _read(client, state, started, read_plan, shape, directory_rows):
    """The states and, for a full read, the agent directory beside them: each paged in parallel
    after its first page, each with a deadline sized to the team (`CXoneClient.read_seconds`)."""
    begun = client.clock()
    directory = read_directory(client, directory_rows) if read_plan.full else None
    answer = client.agent_states(updated_since=read_plan.updated_since)
    logins = (state or {}).get("logins", {})
    if directory is not None:  # at most until the directory's own deadline (the read's own monotonic clock)
        logins = _directory_or(logins, directory, max(0.0, begun + client.max_read_seconds - client.clock()))
    if answer is NOT_MODIFIED:
        return NOT_MODIFIED if state else empty(started)
    listing, last_poll = answer
    return merge(state, read_plan, listing, shape(listing.rows), last_poll, logins, started)


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
