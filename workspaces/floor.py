"""A floor of supervisors: CXone read once per (tenant, view), never once per supervisor.

CXone decides what a supervisor may see (their role, security profile, teams, "Views"). The
portal makes that explicit, per supervisor, in a *proof*: what their own token returned.

- **The proof.** A supervisor's own full read of `agents/states` (and of `skills/activity`)
  names the agents (and skills) CXone lets them see; the *view* is a digest of the teams among
  those agents. Supervisors whose views are equal share one cache room, `<tenant>:view:<view>`,
  read with the token of whichever member's poll finds it due.
- **Serving.** A member gets the shared answer only when their proof covers every row of its
  version (every agent id, every skill id): a digest of the version's ids is checked against
  the proof once and remembered. A version their proof does not cover (an agent joined the
  team since, or their view differs inside equal teams) sends them to reads of their own, as
  before this room existed; a few new ids are checked one by one with their own token first.
- **Re-checks.** About once a minute (`CXONE_PROOF_RECHECK_SECONDS`, each user at their own
  75-100 % of it), and at once when their
  access token changed (every refresh), their own token reads `agents/states?top=1`: CXone's
  count must match the proof's, else the proof is read again. Every `CXONE_PROOF_SECONDS` (and
  spread per user) the proof is read again in full.
- **Refusals.** A 401 (after one refresh) or 403 to their own token, in a re-check or in a
  shared read they make, drops their proof and their own data at once: their next answers are
  that refusal. The shared data stays for the other members.

Every "now" is the Workspace's injected clock.
"""
import hashlib
import logging
import zlib
from dataclasses import dataclass, field, replace

from core.reasons import Reason

from .cxone_api import APIError, count
from .lease import lease as make_lease
from .rows import text

logger = logging.getLogger(__name__)

PENDING = "pending"  # a proof another request is reading now
COVERED_KEPT = 32  # digests remembered per proof (ids change when agents join or leave)
REST_SECONDS = 30  # after a proof read CXone failed (not refused), the next try waits this long
FEW = 5  # new ids checked one by one with the member's own token; more: the proof is read again
OUTAGE_GRACE = 300  # seconds a proof whose re-check could not reach CXone is still honoured
REFUSED = {Reason.API_FORBIDDEN, Reason.API_UNAUTHORIZED}


def digest(ids):
    """A short digest of a set of ids (order does not matter)."""
    return hashlib.sha256("\n".join(sorted(str(i) for i in ids)).encode()).hexdigest()[:24]


def fingerprint(token):
    """Which access token a proof was checked with (never the token itself)."""
    return hashlib.sha256((token or "").encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Proof:
    """What one supervisor's own token returned, and when it was last confirmed."""

    view: str
    agents: str  # digest of the agent ids: the set itself is kept once per distinct set (Floor.agent_ids)
    skills: frozenset
    count: int | None  # CXone's totalRecords for their agents/states
    token: str  # fingerprint of the access token last checked
    read_at: float
    checked_at: float
    covered: frozenset = field(default_factory=frozenset)  # digests of shared versions' ids they may see
    uncovered: frozenset = field(default_factory=frozenset)  # digests they may not: own reads


class Floor:
    """One supervisor's proof, kept in the shared cache, read and re-checked with their token."""

    def __init__(self, ws):
        self.ws = ws
        self.key = f"cxone:ws:proof:{ws.scope}"
        self._agent_ids = {}  # digest -> the set, read once per request
        self._memo = None  # the proof this request was served on

    # --- agent id sets: one entry per distinct set, however many supervisors have it ----------------

    def _ids_key(self, ids_digest):
        return f"cxone:ws:ids:{self.ws.tenant.pk}:{ids_digest}"

    def keep_ids(self, ids):
        """Keep a set of agent ids under its digest (members of one view mostly share one)."""
        ids = frozenset(ids)
        ids_digest = digest(ids)
        ttl = int(self.ws.limits.proof_seconds + OUTAGE_GRACE)
        if not self.ws.cache.touch(self._ids_key(ids_digest), ttl):
            self.ws.cache.set(self._ids_key(ids_digest), ids, ttl)
        self._agent_ids[ids_digest] = ids
        return ids_digest

    def agent_ids(self, proof):
        """The agent ids of `proof` (None when the cache lost them: the proof is read again)."""
        if proof.agents not in self._agent_ids:
            ids = self.ws.cache.get(self._ids_key(proof.agents))
            if not isinstance(ids, frozenset):
                return None
            self._agent_ids[proof.agents] = ids
        return self._agent_ids[proof.agents]

    # --- the proof ---------------------------------------------------------------------------------

    def stored(self):
        proof = self.ws.cache.get(self.key)
        return proof if isinstance(proof, Proof) else None

    def store(self, proof):
        self.ws.cache.set(self.key, proof, int(self.ws.limits.proof_seconds + OUTAGE_GRACE))
        self._memo = proof if self._memo is not None else None

    def drop(self):
        self.ws.cache.delete(self.key)
        self._memo = None

    def proof(self):
        """The proof to serve this request with, read or re-checked now if due; PENDING while
        another request reads the first one; None when CXone failed it: own reads. Raises
        APIError when CXone refuses their own token (their data is then dropped)."""
        if self._memo is not None:  # asked again in this request (the skills and today's figures)
            return self._memo
        self._memo = self._proof()
        return self._memo

    def _proof(self):
        proof, now = self.stored(), self.ws.clock()
        if self._resting(now):  # CXone failed the last read or re-check lately: no new try yet
            return proof if proof is not None and self._grace(proof, now) else None
        token = fingerprint(self.ws.tokens.current())
        if self._due(proof, now, token) is None:
            return proof
        got = self._under_lease(lambda: self._make_due(now, token))
        if isinstance(got, Proof):
            return got
        if proof is not None:  # another tab is at it, or CXone failed it: the last proof, in its grace
            return self._grace(proof, now)
        return got  # PENDING (another tab reads it: "not loaded yet"), or None (own reads)

    def _due(self, proof, now, token):
        """"read", "recheck", or None when `proof` serves as it is."""
        if proof is None or now >= proof.read_at + self._spread(self.ws.limits.proof_seconds):
            return "read"
        # each user's re-check at their own point of 75-100 % of the interval: supervisors who
        # opened their boards together (a shift's start) do not re-check together every minute
        if proof.token != token or now >= proof.checked_at + self._spread(self.ws.limits.proof_recheck_seconds):
            return "recheck"
        return None

    def _make_due(self, now, token):
        """Under the lease: the read or re-check the stored proof needs now (read again: another
        tab of this user may have made it while this one waited for the lease), or that proof."""
        proof = self.stored()
        due = self._due(proof, now, token)
        if due == "read":
            return self._read(now, token)
        if due == "recheck":
            return self._recheck(proof, now, token)
        return proof

    def _spread(self, seconds):
        """Each user's full re-read falls at their own point of the period (never all at once)."""
        return seconds * (0.75 + (zlib.crc32(self.key.encode()) % 1000) / 4000)

    def _grace(self, proof, now):
        """A proof whose re-check another tab is making, or which CXone could not answer,
        serves a little longer; never past OUTAGE_GRACE."""
        return proof if now < proof.checked_at + OUTAGE_GRACE else None

    def _under_lease(self, work):
        with make_lease(self.ws.cache, self.key + ":lease", self.ws.resources.lease_seconds()).holding() as held:
            if not held:
                return PENDING
            try:
                return work()
            except APIError as exc:
                return self._failed(exc)

    def _failed(self, exc):
        if exc.reason in REFUSED:
            self.refused(exc.reason)
            raise exc
        logger.info("proof not read", extra={"event": "cxone_api", "reason": exc.reason, "detail": exc.detail})
        # The reads of their own that serve them meanwhile meet the same failure, and the engine
        # answers it as for any read (back-off, re-discovery, the stale mark).
        self.ws.cache.set(self.key + ":rest", self.ws.clock() + REST_SECONDS, REST_SECONDS + 1)
        return None

    def _resting(self, now):
        """After a failed proof read or re-check (not a refusal), the next waits REST_SECONDS;
        meanwhile the member is served from reads of their own (or their proof, in its grace)."""
        until = self.ws.cache.get(self.key + ":rest")
        backoff_until = self.ws.cache.get(self.ws.resources.backoff_key())
        return (until is not None and now < until) or (backoff_until is not None and now < backoff_until)

    def refused(self, reason):
        """CXone refused this user's own token: their proof and their own data go at once."""
        logger.warning("view access refused", extra={"event": "cxone_api", "reason": reason})
        self.drop()
        for name in ("agents", "skills"):
            self.ws.resources.drop(name)
        if self.ws.on_refused is not None:
            self.ws.on_refused(reason)

    def _read(self, now, token):
        """Their own full read: the agents and skills CXone lets them see, and their view."""
        client = self.ws.client()
        answer = client.agent_states()  # its deadline sized to the team (CXoneClient.read_seconds)
        listing = answer[0]
        self.ws.fresh_states = answer  # a cold room's first full read in this request starts from it
        agents, teams = set(), set()
        for row in listing.rows:
            if isinstance(row, dict) and text(row.get("agentId"), 32):
                agents.add(text(row.get("agentId"), 32))
                teams.add(text(row.get("teamId") if row.get("teamId") is not None else row.get("teamNo"), 32))
        rows, _ = client.skill_activity()
        skills = {text(r.get("skillId"), 32) for r in rows if isinstance(r, dict) and r.get("skillId") is not None}
        total = listing.total if not listing.partial else None
        proof = Proof(view=digest(teams)[:16], agents=self.keep_ids(agents), skills=frozenset(skills), count=total,
                      token=fingerprint(client.token), read_at=now, checked_at=now)
        self.store(proof)
        return proof

    def _recheck(self, proof, now, token):
        """One call with their own token: still allowed, and CXone still counts as many agents."""
        client = self.ws.client()
        body = client.call(client.url("agents/states"), {"top": 1}, path="agents/states")
        total = count(body.get("totalRecords"), 10**7) if isinstance(body, dict) else None
        if proof.count is not None and total is not None and total != proof.count:
            return self._read(now, token)  # their view changed: read it again, now
        proof = replace(proof, token=fingerprint(client.token), checked_at=now)
        self.store(proof)
        return proof

    # --- what a shared version may be served to them -----------------------------------------------

    def covers(self, proof, room, name, ids_digest):
        """Whether every row of `name`'s current version in the shared `room` is one their own
        token returned (checked once per version's ids, `ids_digest`, then remembered)."""
        if not ids_digest or ids_digest in proof.uncovered:
            return False
        if ids_digest in proof.covered:
            return True
        state = room.state(name, room.meta(name))
        if (state or {}).get("digest") != ids_digest:  # a newer version was stored since: not this digest's ids
            return False
        ids, agents = row_ids(state), name == "agents" or (state or {}).get("kind") == "agents"
        theirs = self.agent_ids(proof) if agents else proof.skills
        if ids is None or theirs is None:
            if theirs is None:
                self.drop()  # its agent ids are gone from the cache: read again at the next poll
            return False
        missing = set(ids) - theirs
        if missing and agents and len(missing) <= FEW:
            missing = self._confirm(missing, proof)
        seen = replace(proof, covered=_with(proof.covered, ids_digest)) if not missing else \
            replace(proof, uncovered=_with(proof.uncovered, ids_digest))
        if not missing and agents and not theirs.issuperset(ids):
            seen = replace(seen, agents=self.keep_ids(theirs | frozenset(ids)))
        self.store(seen)
        return not missing

    def _confirm(self, missing, proof):
        """Ask CXone, with their own token, for each of a few agents new to them: those it
        answers are theirs to see (the rest stay missing)."""
        client = self.ws.client()
        left = set()
        for agent_id in sorted(missing):
            try:
                body = client.call(client.url("agents/{agentId}", agentId=agent_id), path="agents/{agentId}")
            except APIError as exc:
                if exc.reason == Reason.API_UNAUTHORIZED:  # their token, not this agent
                    self.refused(exc.reason)
                    raise
                left.add(agent_id)
                continue
            if not _lists_agent(body, agent_id):
                left.add(agent_id)
        return left


def _with(digests, ids_digest):
    """The remembered digests and this one (a long shift's many versions never pile up)."""
    return frozenset({ids_digest}) if len(digests) >= COVERED_KEPT else digests | {ids_digest}


def _lists_agent(body, agent_id):
    rows = body.get("agents") if isinstance(body, dict) else None
    return isinstance(rows, list) and any(isinstance(r, dict) and text(r.get("agentId"), 32) == agent_id for r in rows)


def row_ids(state):
    """The ids a stored version holds: the board's agents, or a list the fetch named (skill
    ids; agent ids when its `kind` says "agents")."""
    if not isinstance(state, dict):
        return None
    if "agents" in state and isinstance(state["agents"], dict):
        return list(state["agents"])
    ids = state.get("ids")
    return list(ids) if isinstance(ids, list) else None
