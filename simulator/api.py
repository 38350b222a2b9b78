"""The simulator's CXone REST APIs: `{issuer}/api-{area}/inContactAPI/services/vNN.0/<path>`.

What the portal reads and does, with CXone's habits: Bearer access tokens (401 when unknown,
expired or revoked), role checks (403 when an Agent reads the team or acts, or a view-only
supervisor acts), paging with `skip`/`top`, `totalRecords` and `_links.next` (pages smaller
than asked for), `updatedSince` and `lastPollTime` (304 when nothing changed), 204 when
nothing matches, durations as ISO-8601 strings where CXone's reporting APIs send strings.

It answers in the shapes NICE documents, not in ours (docs/simulator.md names the source of
each): by default as NICE's current OpenAPI spec does (`shapes = "spec"`): `serverTime` in each
`skills/activity` row, `contactStartDate`, no ACW flag in the state history (after-contact work
is an `Unavailable` state with one of the team's `isAcw` codes), `mediaName`/`mediaType` in
`agents/{agentId}/states`, no `teamName` in `teams/{teamId}/performance-total`, unavailable
codes as `outstateId`/`outstateName`. `shapes = "sdk"` answers the other documented variant
(NICE's agent SDK and older answers): `outStateId`/`outStateName`, `isAcw` in agent states,
`teamNo` in the state history. `dropped` names fields no answer carries (a test of the portal's
reader). Both from the environment: `CXONE_SIMULATOR_SHAPES`, `CXONE_SIMULATOR_DROP`.

The world is a function of the clock (`CXoneAPI.clock`), so every worker and every test sees
the same one. Each agent works a daily shift (a `LoggedIn` at its start, `LoggedOut` after its
end), cut into blocks: idle time (`Available`), then a contact (`InboundContact` or
`OutboundContact`) and its after-contact work (`Unavailable` with the team's ACW code), or
time away (`Unavailable` with a reason); scheduled breaks and a lunch. About one
agent in ten works in long blocks (20-60 minutes: long calls, long ACW, long meetings), so a
supervisor's thresholds show on the board. Completed contacts, skill summaries, state history
and performance are all read off that one timeline; a supervisor's actions (state, logout) are
spliced into it and hold for a few minutes, until the agent's next natural change.
"""
import hashlib
import json
import math
import os
import re
import threading
import time
import uuid
from collections import namedtuple
from datetime import datetime, timezone
from urllib.parse import urlencode

PAGE_CAP = 25  # CXone does not document its largest `top`: never assume a page is complete
TEAM_SIZE = 60
ASSIGNED_MEMOS = 64  # per team: the assignment rows of this many (skills, view) pairs (`Team.assigned`)
DAY = 86400
HOLD = 300  # a supervisor's change of state holds at least this long, then the agent's day resumes
MESSAGE_SUBJECT_MAX, MESSAGE_BODY_MAX = 100, 1024

SUPERVISING = {"Manager", "Administrator"}  # CXone's built-in supervising roles: they read and act
VIEW_ONLY_ROLE = "Supervisor View Only"  # a custom role of the demo tenants: reads the team, may not act
VIEW_ONLY = {VIEW_ONLY_ROLE}
READING = SUPERVISING | VIEW_ONLY

TEAMS = ["Tier 1", "Tier 2", "Billing", "Escalations"]

Skill = namedtuple("Skill", "id name media_id media goal threshold abandon_pct queue_min queue_span")
SKILLS = [
    Skill(4101, "Phone Support", 4, "PhoneCall", 80, 30, 5, 3, 27),
    Skill(4102, "Chat Support", 3, "Chat", 85, 60, 3, 5, 50),
    Skill(4103, "Email", 1, "EMail", 90, 3600, 0, 120, 3000),
    Skill(4104, "Billing Line", 4, "PhoneCall", 80, 20, 7, 3, 17),
]
SKILL_BY_ID = {s.id: s for s in SKILLS}
TEAM_SKILLS = {1: (SKILLS[0], SKILLS[1]), 2: (SKILLS[0], SKILLS[1], SKILLS[2]), 3: (SKILLS[3], SKILLS[2]),
               4: (SKILLS[0], SKILLS[3], SKILLS[2])}

# Unavailable codes ("outstates"): one list per team, a little different each, one ACW code each.
Code = namedtuple("Code", "id name is_acw is_active timeout")
BREAK, LUNCH = Code(101, "Break", False, True, "15"), Code(102, "Lunch", False, True, "60")
_COMMON = [BREAK, LUNCH, Code(103, "Meeting", False, True, "90"), Code(104, "Training", False, True, "120"),
           Code(105, "Personal", False, True, "10")]
_PROJECT = Code(110, "Project Time", False, False, "60")  # inactive: `activeOnly=true` leaves it out
TEAM_CODES = {
    1: _COMMON + [Code(106, "Coaching", False, True, "30"), Code(201, "ACW", True, True, "3")],
    2: _COMMON + [Code(107, "Research", False, True, "30"), Code(201, "ACW", True, True, "3"), _PROJECT],
    3: _COMMON + [Code(108, "Payment Follow-up", False, True, "20"), Code(202, "Billing Wrap-up", True, True, "5")],
    4: _COMMON + [Code(109, "Case Review", False, True, "45"), Code(203, "Escalation Notes", True, True, "10"), _PROJECT],
}

TEAM_ACW = {team: next(c for c in codes if c.is_acw) for team, codes in TEAM_CODES.items()}
TEAM_AWAY = {team: [c for c in codes if c.is_active and not c.is_acw and c not in (BREAK, LUNCH)]
             for team, codes in TEAM_CODES.items()}


def team_name(team_id):
    """The demo's four names, then "Team 5", "Team 6", … for a tenant of more teams (`team_count`)."""
    return TEAMS[team_id - 1] if team_id <= len(TEAMS) else f"Team {team_id}"


def like(team_id):
    """The demo team whose skills and codes a team past the fourth borrows (5 -> 1, 6 -> 2, …)."""
    return (team_id - 1) % len(TEAMS) + 1

# NICE's agent SDK enum (agent-state/enum/agent-states-id): the ids CXone gives each state.
STATE_IDS = {"LoggedOut": 0, "Available": 1, "Unavailable": 2, "InboundContact": 3, "OutboundContact": 4, "InboundConsult": 5,
             "OutboundConsult": 6, "Dialer": 7, "LoggedIn": 8}
SHAPES = ("spec", "sdk")
# What the SDK variant spells otherwise, per route: (list key, {spec name: sdk name}).
SDK_SPELLING = {
    "agents/states": ("agentStates", {"isACW": "isAcw"}),
    "agents/{agentId}/states": ("agentStates", {"isACW": "isAcw"}),
    "agents/{agentId}/state-history": ("agentStateHistory", {"teamId": "teamNo"}),
    "teams/{teamId}/unavailable-codes": ("unavailableCodes", {"outstateId": "outStateId", "outstateName": "outStateName"}),
}
CONTACT_STATES = ("InboundContact", "OutboundContact")

FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gabe", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mateo", "Nia", "Omar",
         "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen", "Xavi", "Yara", "Zane"]
LAST = ["Adams", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan", "Lopez", "Meyer",
        "Novak", "Okoro", "Petrov", "Quist", "Rossi", "Silva", "Tanaka"]

PREFIX = re.compile(r"^/api-(?P<area>[a-z0-9]+)/inContactAPI/services/v(?P<version>\d+)\.0/(?P<path>[A-Za-z0-9/_.-]+)$")
_M64 = (1 << 64) - 1


def _h(*parts):
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _mix(x):
    """splitmix64: cheap, well-spread and the same in every process (unlike hash())."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _ms(epoch):
    """Whole milliseconds, as CXone writes times: an instant sent out and parsed back compares equal."""
    return math.floor(epoch * 1000 + 1e-6) / 1000


def _iso(epoch):
    whole = math.floor(epoch)
    micros = round((epoch - whole) * 1e6)  # as datetime rounds, then truncated to milliseconds
    if micros >= 1000000:
        whole, micros = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros // 1000:03d}Z"


def _epoch(text):
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    if moment.tzinfo is None:  # CXone reads a time without an offset as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _num(seconds):
    return int(seconds) if seconds == int(seconds) else round(seconds, 3)


def _duration(seconds):
    """An ISO-8601 duration, as CXone's reporting APIs write them: `PT1H2M3.5S`, `PT0S`."""
    seconds = max(0.0, round(float(seconds), 3))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{int(hours)}H" if hours else "") + (f"{int(minutes)}M" if minutes else "")
    if secs or text == "PT":
        text += f"{secs:.3f}".rstrip("0").rstrip(".") + "S"
    return text


def assignment_stamp(now):
    """An assignment's `lastUpdateTime`: made a month before `now` (the one field of
    `agents/skills` that follows the clock)."""
    return _iso(now - 30 * DAY)


def _flag(text):
    return None if text in (None, "") else str(text).lower() in ("true", "1")


class Seg:
    """One state of one agent, [start, end); zero-length for the `LoggedIn` at a login."""

    __slots__ = ("start", "end", "name", "code", "contact", "stamp", "cut")

    def __init__(self, start, end, name, code=None, contact=None):
        self.start, self.end, self.name, self.code, self.contact = start, end, name, code, contact
        self.stamp = start  # lastUpdateTime
        self.cut = False  # ended early by a supervisor's action

    def copy(self, start, end):
        seg = Seg(start, end, self.name, self.code, self.contact)
        seg.stamp, seg.cut = max(start, self.stamp), True
        return seg

    @property
    def is_acw(self):
        return self.code is not None and self.code.is_acw


# A contact an agent handled: queue and hold in seconds (hold as a percentage of the agent's
# time), and the shadows it casts: a caller who gave up in the same queue, a refused offer.
Contact = namedtuple("Contact", "id skill outbound queue hold_pct abandon_wait refused")


class Override:
    """A supervisor's action: the agent is in `seg`'s state from `start` until `until`."""

    __slots__ = ("start", "until", "seg", "logout")

    def __init__(self, start, until, seg, logout):
        self.start, self.until, self.seg, self.logout = start, until, seg, logout


class Agent:
    __slots__ = ("id", "index", "seed", "info", "team_id", "skills", "persona", "long", "offset", "block", "blocks",
                 "breaks", "away_codes", "acw_code", "overrides", "cached", "valid_from", "valid_until", "touched")

    @property
    def team_name(self):
        return team_name(self.team_id)


class Team:
    """One tenant's agents, skills and their days, as functions of the clock."""

    def __init__(self, tenant, size=TEAM_SIZE, team_count=None):
        self.tenant, self.size = tenant, size
        # The demo's four teams; more (benchmarks: many distinct views) only when asked for.
        self.team_count = team_count or len(TEAMS)
        self.lock = threading.RLock()
        self.agents, self.by_id = [], {}
        self.removed = set()
        self.messages = []
        self.last_poll = 0.0  # the latest lastPollTime answered
        self.last_touch = 0.0  # the latest lastUpdateTime stamped by an action
        self._listed = None
        # Who is listed and in which team, as a number: every change of it (`_add`, `remove`,
        # `restore`, or `changed()` for whoever edits an agent's team or skills) moves it, and
        # with it every memo built on the composition (`assigned`).
        self.composition = 0
        self._assigned, self._assigned_at = {}, 0  # (skill ids, view) -> rows, of that composition
        self._assigned_lock = threading.Lock()
        users = list(tenant.users)
        for user in users:
            self._add(user.agent_id, user.given_name, user.family_name, user.username, 1, user.role, persona=True)
        next_id = (min(u.agent_id for u in users) // 1000) * 1000 + 100 if users else 5000
        for n in range(size - len(users)):
            while next_id in self.by_id:
                next_id += 1
            seed = _h(tenant.tenant_id, next_id)
            self._add(next_id, FIRST[seed % len(FIRST)], LAST[(seed >> 8) % len(LAST)], f"agent{next_id}@{tenant.slug}.example",
                      (seed >> 16) % self.team_count + 1, "Agent", persona=False, seed=seed, generated=n)

    def _add(self, agent_id, first, last, username, team_id, role, persona, seed=None, generated=0):
        agent = Agent()
        agent.id, agent.index = agent_id, len(self.agents)
        agent.seed = seed if seed is not None else _h(self.tenant.tenant_id, agent_id)
        agent.team_id, agent.persona = team_id, persona
        agent.info = {"agentId": agent_id, "firstName": first, "lastName": last, "userName": username, "emailAddress": username,
                      "teamId": team_id, "teamName": team_name(team_id), "isSupervisor": role in READING, "profileName": role,
                      "isActive": True, "timeZone": "UTC"}
        agent.skills = TEAM_SKILLS[like(team_id)]
        agent.acw_code, agent.away_codes = TEAM_ACW[like(team_id)], TEAM_AWAY[like(team_id)]
        r = _mix(agent.seed)
        agent.long = not persona and r % 100 < 10
        if persona:  # the demo's own users work long days, so signing in as them shows a live day most hours
            agent.block, agent.offset, length = 300 + (r >> 8) % 121, 6 * 3600, 20 * 3600
        else:  # shift starts spread evenly over the day, 8-12 hours each
            agent.block = 1200 + (r >> 8) % 2401 if agent.long else 240 + (r >> 8) % 241
            agent.offset = int((generated * 0.6180339887498949) % 1 * 96) * 900 + (r >> 20) % 900
            length = 8 * 3600 + (r >> 32) % (4 * 3600 + 1)
        agent.blocks = max(2, round(length / agent.block))
        agent.breaks = None  # built on first use: most of a big team is off shift at any moment
        agent.overrides, agent.cached = [], None
        agent.valid_from = agent.valid_until = -1.0
        agent.touched = 0.0
        self.agents.append(agent)
        self.by_id[agent_id] = agent
        self.changed()

    def has_team(self, team_id):
        return isinstance(team_id, int) and 1 <= team_id <= self.team_count

    def skills_of(self, team_id):
        return TEAM_SKILLS[like(team_id)] if self.has_team(team_id) else ()

    # --- who is listed ---------------------------------------------------------------------------

    def listed(self):
        with self.lock:
            if self._listed is None:
                self._listed = [a for a in self.agents if a.id not in self.removed]
            return self._listed

    def get(self, agent_id):
        agent = self.by_id.get(agent_id)
        return None if agent is None or agent_id in self.removed else agent

    def changed(self):
        """Who is listed, or an agent's team or skills, changed: the listing and every memo
        built on the composition are worked out again at their next use."""
        with self.lock:
            self._listed = None
            self.composition += 1

    def remove(self, agent_id):
        with self.lock:
            self.removed.add(agent_id)
            self.changed()

    def restore(self, agent_id, now):
        with self.lock:
            self.removed.discard(agent_id)
            self.changed()
            agent = self.by_id.get(agent_id)
            if agent is not None:  # listed again: a change that the next delta carries
                agent.touched = self._stamp(now)
                agent.valid_until = -1.0

    def _stamp(self, now):
        """An action's lastUpdateTime: never at or before a lastPollTime already answered, so
        a poll with that lastPollTime sees it even when the clock stands still (tests)."""
        stamp = max(now, round(self.last_poll + 0.001, 3))
        self.last_touch = max(self.last_touch, stamp)
        return stamp

    # --- the natural day: shifts, blocks, breaks ------------------------------------------------

    @staticmethod
    def _break(agent, k):
        """(first block, end block, code) of the break block k is in, or None: a break every
        2.5 hours, the second one a lunch (long-block agents take the lunch only)."""
        if agent.breaks is None:
            breaks = []
            for j in (2,) if agent.long else range(1, 10):
                first_block = round(j * 9000 / agent.block)
                count = max(1, round((2700 if j == 2 else 900) / agent.block))
                if first_block + count >= agent.blocks - 1:
                    break
                breaks.append((first_block, first_block + count, LUNCH if j == 2 else BREAK))
            agent.breaks = breaks
        for brk in agent.breaks:
            if brk[0] <= k < brk[1]:
                return brk
        return None

    @staticmethod
    def shift(agent, t):
        """(start, end) of the agent's shift in progress at t, or of the last one before t."""
        start = math.floor((t - agent.offset) / DAY) * DAY + agent.offset
        return start, start + agent.blocks * agent.block

    def _block(self, agent, day, k, t0):
        r = _mix(agent.seed ^ _mix(day * 4096 + k))
        size, roll = agent.block, r % 100
        if agent.long:
            if roll < 45:
                idle, wrap, away = 30 + (r >> 8) % 90, 200 + (r >> 16) % 280, False
            elif roll < 75:
                idle, away = 30 + (r >> 8) % 90, True
            else:
                wrap = 20 + (r >> 24) % 40
                idle, away = size - (120 + (r >> 16) % 300) - wrap, False
        elif roll < 15:
            idle, away = size * (20 + (r >> 8) % 31) // 100, True
        else:
            idle = 10 + (r >> 8) % (size // 4) if roll < 85 else size * (55 + (r >> 8) % 26) // 100
            idle = min(idle, size - 60)
            wrap = 8 + (r >> 16) % 50 if (r >> 24) % 100 >= 5 else 190 + (r >> 32) % 180
            wrap, away = max(5, min(wrap, size - idle - 45)), False
        available = Seg(t0, t0 + idle, "Available")
        if away:
            return available, Seg(t0 + idle, t0 + size, "Unavailable", agent.away_codes[(r >> 40) % len(agent.away_codes)])
        contact = self._contact(agent, day, k, t0, _mix(r))
        talk_end = t0 + size - wrap
        return (available, Seg(t0 + idle, talk_end, "OutboundContact" if contact.outbound else "InboundContact", None, contact),
                Seg(talk_end, t0 + size, "Unavailable", agent.acw_code, contact))

    @staticmethod
    def _contact(agent, day, k, t0, r):
        skill = agent.skills[r % len(agent.skills)]
        outbound = skill.media == "PhoneCall" and (r >> 8) % 100 < 12
        queue = 0
        if not outbound:
            queue = skill.queue_min + (r >> 16) % skill.queue_span  # within the service level...
            if (r >> 24) % 100 < 3 + _mix(skill.id * 131 + int(t0 // 3600)) % 18:
                queue += skill.threshold  # ...but for a share of the contacts that varies by the hour
        hold_pct = 10 + (r >> 40) % 20 if skill.media == "PhoneCall" and (r >> 32) % 100 < 25 else 0
        abandon_wait = 5 + (r >> 48) % 150 if not outbound and (r >> 56) % 100 < skill.abandon_pct else 0
        refused = not outbound and _mix(r) % 100 < 3
        return Contact(day * 10**9 + agent.index * 10**4 + k, skill, outbound, queue, hold_pct, abandon_wait, refused)

    def _natural_at(self, agent, t):
        start, end = self.shift(agent, t)
        if t >= end:
            return Seg(end, start + DAY, "LoggedOut")
        size = agent.block
        k = int((t - start) // size)
        brk = self._break(agent, k)
        if brk:
            return Seg(start + brk[0] * size, start + brk[1] * size, "Unavailable", brk[2])
        for seg in self._block(agent, int((start - agent.offset) // DAY), k, start + k * size):
            if t < seg.end:
                return seg
        return seg  # pragma: no cover (t is inside the block)

    def _natural(self, agent, a, b):
        """The natural segments overlapping [a, b), a zero-length LoggedIn at each login."""
        size = agent.block
        start = self.shift(agent, a)[0]
        while start < b:
            end = start + agent.blocks * size
            day = int((start - agent.offset) // DAY)
            if start >= a:
                yield Seg(start, start, "LoggedIn")
            k = max(0, int((a - start) // size))
            while k < agent.blocks and start + k * size < b:
                brk = self._break(agent, k)
                if brk:
                    yield Seg(start + brk[0] * size, start + brk[1] * size, "Unavailable", brk[2])
                    k = brk[1]
                    continue
                for seg in self._block(agent, day, k, start + k * size):
                    if seg.end > a and seg.start < b:
                        yield seg
                k += 1
            if end < b and start + DAY > a:
                yield Seg(end, start + DAY, "LoggedOut")
            start += DAY

    # --- the day with a supervisor's actions spliced in -------------------------------------------

    def segment_at(self, agent, t):
        """(segment, valid until): the agent's state at t."""
        upcoming = math.inf
        for o in agent.overrides:
            if o.start <= t < o.until:
                return o.seg, o.until
            if o.start > t:
                upcoming = min(upcoming, o.start)
        seg = self._natural_at(agent, t)
        return seg, min(seg.end, upcoming)

    def timeline(self, agent, a, b):
        """The segments overlapping [a, b), the supervisor's actions spliced in: a state they
        interrupt ends early (`cut`), a logout is followed by a LoggedIn when the day resumes."""
        segs = list(self._natural(agent, a, b))
        for o in agent.overrides:
            if o.until <= a or not segs or o.start >= max(seg.end for seg in segs):
                continue
            kept = []
            for seg in segs:
                if seg.end <= o.start or seg.start >= o.until:
                    kept.append(seg)
                    continue
                if seg.start < o.start:
                    kept.append(seg.copy(seg.start, o.start))
                if seg.end > o.until:
                    kept.append(seg.copy(o.until, seg.end))
            kept.append(o.seg)
            if o.logout and o.until < b and not any(s.start == o.until and s.name == "LoggedIn" for s in kept):
                kept.append(Seg(o.until, o.until, "LoggedIn"))
            segs = sorted(kept, key=lambda s: (s.start, s.end))
        return segs

    def _until(self, agent, start, seg, logout):
        """Where an action's state gives way to the agent's day again: the first natural change
        at least HOLD later that is not into ACW nor into the same state (the shift's end for a
        state, the next login for a logout)."""
        shift_end = self.shift(agent, start)[1]
        target = start + HOLD
        if not logout and target >= shift_end:
            return shift_end
        natural = self._natural_at(agent, target)
        until = target if natural.start == target else natural.end
        while True:
            natural = self._natural_at(agent, until)
            if natural.is_acw or (natural.name == seg.name and natural.code == seg.code):
                until = natural.end
                continue
            break
        return until if logout else min(until, shift_end)

    def _override(self, agent, override, now):
        """Publish an action. Overrides are never changed in place (a shortened one is a new
        one), so reports read them without the lock."""
        override.seg.stamp = max(override.start, self._stamp(now))
        kept = []
        for o in agent.overrides:
            if o.start >= override.start:
                continue  # superseded before it began
            if o.until > override.start:
                seg = Seg(o.seg.start, override.start, o.seg.name, o.seg.code, o.seg.contact)
                seg.stamp = o.seg.stamp
                o = Override(o.start, override.start, seg, o.logout)
            kept.append(o)
        agent.overrides = kept + [override]
        agent.valid_until = -1.0

    def set_state(self, agent, now, name, code):
        """A supervisor sets the agent's state: (status, message). On a contact, the state
        follows the contact (instead of its ACW): CXone's next state."""
        with self.lock:
            seg, _ = self.segment_at(agent, now)
            if seg.name == "LoggedOut":
                return 409, "The agent is not logged in."
            on_contact = seg.name in CONTACT_STATES
            if code is not None and code.is_acw and not on_contact:
                return 409, "An ACW code needs an active contact."
            if not on_contact and seg.name == name and seg.code == code:
                return 202, ""
            start = seg.end if on_contact else now
            new = Seg(start, None, name, code, seg.contact if on_contact and code is not None and code.is_acw else None)
            new.end = self._until(agent, start, new, logout=False)
            self._override(agent, Override(start, new.end, new, logout=False), now)
            return 202, ""

    def logout(self, agent, now):
        """A supervisor logs the agent out: an active contact ends now."""
        with self.lock:
            seg, _ = self.segment_at(agent, now)
            if seg.name == "LoggedOut":
                return 409, "The agent is not logged in."
            new = Seg(now, None, "LoggedOut")
            new.end = self._until(agent, now, new, logout=True)
            self._override(agent, Override(now, new.end, new, logout=True), now)
            return 202, ""

    # --- agents/states -----------------------------------------------------------------------------

    def _state_row(self, agent, seg):
        contact, code = seg.contact, seg.code
        stamp = max(seg.stamp, agent.touched)
        info, started = agent.info, _iso(seg.start)
        return {
            "agentId": agent.id, "firstName": info["firstName"], "lastName": info["lastName"],
            "teamId": agent.team_id, "teamName": info["teamName"], "agentStateId": STATE_IDS[seg.name],
            "agentStateName": seg.name, "outStateId": code.id if code else None, "outStateDescription": code.name if code else "",
            "startDate": started, "lastUpdateTime": started if stamp == seg.start else _iso(stamp),
            "contactId": contact.id if contact else None, "skillId": contact.skill.id if contact else None,
            "skillName": contact.skill.name if contact else "", "mediaTypeId": contact.skill.media_id if contact else None,
            "mediaTypeName": contact.skill.media if contact else "", "isOutbound": bool(contact and contact.outbound),
            "isACW": seg.is_acw,
        }, stamp
    def current(self, agent, now):
        """(row, lastUpdateTime) of the agent's state now, recomputed only when it changed."""
        if not agent.valid_from <= now < agent.valid_until:
            seg, until = self.segment_at(agent, now)
            agent.cached = self._state_row(agent, seg)
            agent.valid_from, agent.valid_until = min(seg.start, now), until
        return agent.cached

    def states(self, now, updated_since=None):
        """(rows, lastPollTime): every listed agent's state, or only those changed since."""
        with self.lock:
            rows = []
            for agent in self.listed():
                row, stamp = self.current(agent, now)
                if updated_since is None or stamp > updated_since:
                    rows.append(row)
            return rows, self.polled(now)

    def state(self, agent, now):
        """One agent's state row now: a page of a full read works out its own agents only (a
        20,000-agent team read in 400 pages would otherwise work out every state 400 times)."""
        with self.lock:
            return self.current(agent, now)[0]

    def polled(self, now):
        """The lastPollTime of a read at `now`, noted as the latest answered."""
        with self.lock:
            poll = max(now, self.last_touch)
            self.last_poll = max(self.last_poll, poll)
            return poll

    # --- completed contacts ------------------------------------------------------------------------

    def _records(self, agent, a, b, now, abandoned=False):
        """The agent's completed contacts whose contactStart is in [a, b): (contactStart, done,
        Contact, agent seconds, hold, acw, cut), plus the abandoned ones they cast if asked."""
        queue_max = max(s.queue_min + s.queue_span + s.threshold for s in agent.skills)
        segs = self.timeline(agent, a, min(now, b + queue_max + agent.block))
        out = []
        for i, seg in enumerate(segs):
            contact = seg.contact
            if contact is None or seg.name not in CONTACT_STATES:
                continue
            start = seg.start - contact.queue
            if abandoned and contact.abandon_wait:
                gone = start - 20 - contact.id % 90
                if a <= gone < b and gone + contact.abandon_wait <= now:
                    out.append((gone, gone + contact.abandon_wait, contact, None, 0, 0, False))
            if not a <= start < b:
                continue
            after = segs[i + 1] if i + 1 < len(segs) else None
            wrap = 0
            if after is not None and after.start == seg.end and after.is_acw and after.contact is not None \
                    and after.contact.id == contact.id:
                wrap = after.end - after.start
            done = seg.end + wrap
            if done > now:
                continue
            talk = seg.end - seg.start
            out.append((start, done, contact, talk, _num(math.floor(talk * contact.hold_pct / 100)), wrap, seg.cut))
        return out

    def contact_row(self, agent, record):
        start, done, contact, talk, hold, wrap, cut = record
        skill = contact.skill
        row = {
            "contactId": contact.id + (5000 if talk is None else 0), "agentId": agent.id if talk is not None else None,
            "teamId": agent.team_id if talk is not None else None, "teamName": agent.team_name if talk is not None else "",
            "skillId": skill.id, "skillName": skill.name, "mediaTypeId": skill.media_id, "mediaTypeName": skill.media,
            "contactStartDate": _iso(start), "lastUpdateTime": _iso(done), "isOutbound": contact.outbound,
            "fromAddress": self._address(contact, agent, inbound=True), "toAddress": self._address(contact, agent, inbound=False),
        }
        row["masterContactId"] = row["contactId"]
        if talk is None:  # the caller gave up in the queue
            row.update({"totalDurationSeconds": _num(done - start), "agentSeconds": 0, "inQueueSeconds": _num(done - start),
                        "holdSeconds": 0, "acwSeconds": 0, "abandoned": True, "abandonSeconds": _num(done - start),
                        "serviceLevelFlag": 0, "endReason": "Contact Hung Up", "isRefused": False})
            return row
        row.update({"totalDurationSeconds": _num(contact.queue + talk + wrap), "agentSeconds": _num(talk - hold),
                    "inQueueSeconds": contact.queue, "holdSeconds": hold, "acwSeconds": _num(wrap), "abandoned": False,
                    "abandonSeconds": 0, "serviceLevelFlag": 1 if contact.queue <= skill.threshold else 0,
                    "endReason": "Agent Logged Out" if cut else ("Agent Hung Up" if contact.outbound else "Contact Hung Up"),
                    "isRefused": False})
        return row

    @staticmethod
    def _address(contact, agent, inbound):
        customer = {"EMail": f"customer{contact.id % 99991}@example.net", "Chat": f"chat-visitor-{contact.id % 99991}"}.get(
            contact.skill.media, f"+1555{contact.id % 10**7:07d}")
        queue = {"EMail": f"support@{agent.info['userName'].split('@')[1]}", "Chat": contact.skill.name}.get(
            contact.skill.media, f"+1800555{contact.skill.id % 10000:04d}")
        if contact.outbound:
            customer, queue = queue, customer
        return customer if inbound else queue

    def contacts(self, agents, a, b, now, abandoned=False):
        rows = []
        for agent in agents:
            rows.extend(self.contact_row(agent, r) for r in self._records(agent, a, b, now, abandoned))
        rows.sort(key=lambda c: (c["contactStartDate"], c["contactId"]))
        return rows

    # --- state history and performance --------------------------------------------------------------

    def state_history(self, agent, a, b, now):
        rows = []
        for seg in self.timeline(agent, a, min(b, now)):
            if not a <= seg.start < min(b, now):
                continue
            contact, code = seg.contact, seg.code
            rows.append({
                "startDate": _iso(seg.start), "agentId": agent.id, "agentStateId": STATE_IDS[seg.name],
                "agentStateName": seg.name, "outStateId": code.id if code else None,
                "outStateDescription": code.name if code else "", "duration": _num(min(seg.end, now) - seg.start),
                "contactId": contact.id if contact else None,
                "skillId": contact.skill.id if contact else None, "skillName": contact.skill.name if contact else "",
                "mediaTypeId": contact.skill.media_id if contact else None,
                "mediaTypeName": contact.skill.media if contact else "", "isOutbound": bool(contact and contact.outbound),
                "teamId": agent.team_id,
            })
        return rows

    def performance(self, agents, a, b, now):
        """CXone's performance figures over [a, b): handled counts and talk/handle times from the
        contacts that started in the window (as contacts/completed lists them), time per state
        from the state history clipped to the window."""
        end = min(b, now)
        t = dict.fromkeys(("in_n", "in_time", "in_talk", "out_n", "out_time", "out_talk", "wrap", "refused",
                           "available", "unavailable", "acw", "working", "login"), 0)
        for agent in agents:
            for seg in self.timeline(agent, a, end):
                span = min(seg.end, end) - max(seg.start, a)
                if span <= 0 or seg.name == "LoggedOut":
                    continue
                t["login"] += span
                key = ("acw" if seg.is_acw else "unavailable") if seg.name == "Unavailable" else (
                    "working" if seg.name in CONTACT_STATES else "available")
                t[key] += span
            for start, done, contact, talk, hold, wrap, cut in self._records(agent, a, b, now):
                side = "out" if contact.outbound else "in"
                t[side + "_n"] += 1
                t[side + "_time"] += talk
                t[side + "_talk"] += talk - hold
                t["wrap"] += wrap
                t["refused"] += contact.refused
        handled = t["in_n"] + t["out_n"]
        offered = t["in_n"] + t["refused"]
        busy = t["working"] + t["acw"]

        def avg(total, n):
            return _duration(total / n if n else 0)

        return {
            "agentOffered": offered, "inboundHandled": t["in_n"], "inboundTime": _duration(t["in_time"]),
            "inboundTalkTime": _duration(t["in_talk"]), "inboundAvgTalkTime": avg(t["in_talk"], t["in_n"]),
            "outboundHandled": t["out_n"], "outboundTime": _duration(t["out_time"]),
            "outboundTalkTime": _duration(t["out_talk"]), "outboundAvgTalkTime": avg(t["out_talk"], t["out_n"]),
            "totalHandled": handled, "totalTalkTime": _duration(t["in_talk"] + t["out_talk"]),
            "totalAvgTalkTime": avg(t["in_talk"] + t["out_talk"], handled),
            "totalAvgHandleTime": avg(t["in_time"] + t["out_time"] + t["wrap"], handled), "consultTime": "PT0S",
            "availableTime": _duration(t["available"]), "unavailableTime": _duration(t["unavailable"]),
            "acwTime": _duration(t["acw"]), "loginTime": _duration(t["login"]), "refused": t["refused"],
            "percentRefused": round(100 * t["refused"] / offered, 2) if offered else 0,
            "workingRate": round(100 * busy / t["login"], 2) if t["login"] else 0,
            "occupancy": round(100 * busy / (busy + t["available"]), 2) if busy + t["available"] else 0,
        }

    # --- skills -------------------------------------------------------------------------------------

    def skill_activity(self, now, skills=SKILLS):
        """Live counts per skill, from the agents' states now: LoggedIn = Available + Working +
        Unavailable + ACW among the agents who have the skill."""
        counts = {s.id: dict.fromkeys(("in", "available", "working", "unavailable", "acw", "active"), 0) for s in SKILLS}
        with self.lock:
            for agent in self.listed():
                row, _ = self.current(agent, now)
                name = row["agentStateName"]
                if name == "LoggedOut":
                    continue
                kind = "available" if name == "Available" else "working" if name in CONTACT_STATES else (
                    "acw" if row["isACW"] else "unavailable")
                for skill in agent.skills:
                    c = counts[skill.id]
                    c["in"] += 1
                    c[kind] += 1
                if name in CONTACT_STATES:
                    counts[row["skillId"]]["active"] += 1
        rows = []
        tick = int(now // 15)
        server_time = _iso(now)
        for skill in skills:
            c = counts[skill.id]
            r = _mix(skill.id * 7919 + tick)
            if c["available"] == 0:
                queue = 1 + r % 5 if c["in"] else r % 3
            else:
                queue = 1 if r % 100 < 15 else 0
            if skill.media == "EMail":
                queue += (r >> 8) % 4
            oldest = tick * 15 - 5 - (r >> 16) % (900 if skill.media == "EMail" else 150)
            rows.append({
                "skillId": skill.id, "skillName": skill.name, "mediaTypeId": skill.media_id, "mediaTypeName": skill.media,
                "isOutbound": False, "queueCount": queue, "earliestQueueTime": _iso(oldest) if queue else None,
                "agentsAvailable": c["available"], "agentsLoggedIn": c["in"], "agentsUnavailable": c["unavailable"],
                "agentsWorking": c["working"], "agentsACW": c["acw"], "agentsIdle": c["available"],
                "contactsActive": c["active"] + queue, "serviceLevel": 70 + _mix(skill.id + int(now // 60)) % 31,
                "serviceLevelGoal": skill.goal, "serviceLevelThreshold": skill.threshold, "serverTime": server_time,
            })
        return rows

    def skill_summary(self, a, b, now, skills=SKILLS, outbound=None):
        """Per skill over the contacts that started in [a, b) (handled and abandoned):
        offered = handled + abandoned; service level = answered within the threshold over
        inbound offered (abandoned contacts count against it)."""
        keys = ("handled", "abandoned", "within", "inbound", "queue_in", "queue_all", "queue_max", "talk", "hold", "wrap",
                "total")
        acc = {s.id: dict.fromkeys(keys, 0) for s in SKILLS}
        for agent in self.listed():
            for start, done, contact, talk, hold, wrap, cut in self._records(agent, a, b, now, abandoned=outbound is not True):
                if outbound is not None and contact.outbound != outbound:
                    continue
                s = acc[contact.skill.id]
                if talk is None:
                    s["abandoned"] += 1
                    s["queue_all"] += done - start
                    s["queue_max"] = max(s["queue_max"], done - start)
                    s["total"] += done - start
                    continue
                s["handled"] += 1
                s["talk"] += talk - hold
                s["hold"] += hold
                s["wrap"] += wrap
                s["total"] += contact.queue + talk + wrap
                if not contact.outbound:
                    s["inbound"] += 1
                    s["queue_in"] += contact.queue
                    s["queue_all"] += contact.queue
                    s["queue_max"] = max(s["queue_max"], contact.queue)
                    s["within"] += contact.queue <= contact.skill.threshold
        rows = []
        for skill in skills:
            s = acc[skill.id]
            offered = s["handled"] + s["abandoned"]
            queued = s["inbound"] + s["abandoned"]
            handled = s["handled"]

            def avg(total, n):
                return _duration(total / n if n else 0)

            rows.append({
                "businessUnitId": self.tenant.bu_id, "skillId": skill.id, "skillName": skill.name,
                "mediaTypeId": skill.media_id, "mediaTypeName": skill.media, "isOutbound": bool(outbound),
                "contactsOffered": offered, "contactsHandled": handled, "contactsQueued": queued,
                "abandonCount": s["abandoned"], "abandonRate": round(100 * s["abandoned"] / offered, 2) if offered else 0,
                "averageSpeedToAnswer": avg(s["queue_in"], s["inbound"]), "averageInqueueTime": avg(s["queue_all"], queued),
                "averageHandleTime": avg(s["talk"] + s["hold"] + s["wrap"], handled), "averageTalkTime": avg(s["talk"], handled),
                "averageWrapTime": avg(s["wrap"], handled), "holdTime": _duration(s["hold"]),
                "longestQueueDur": _duration(s["queue_max"]), "totalContactTime": _duration(s["total"]),
                "contactsWithinSLA": s["within"], "contactsOutOfSLA": queued - s["within"],
                "serviceLevel": round(100 * s["within"] / queued) if queued else 0,
                "serviceLevelGoal": skill.goal, "serviceLevelThreshold": skill.threshold,
            })
        return rows

    def assignments(self, now, skills=SKILLS):
        """Who has which skill, as `agents/skills` lists them: every listed agent with each skill
        of their team. `skill_activity` counts the same agents, so a skill's logged-in agents
        among these are its `agentsLoggedIn`."""
        stamp = assignment_stamp(now)
        return [{**row, "lastUpdateTime": stamp} for row in self.assigned(skills)]

    def assigned(self, skills=SKILLS, view=None):
        """The assignment rows of `assignments` without their `lastUpdateTime` (the one field
        that follows the clock: `assignment_stamp`), in the same order, only those a caller's
        `view` (a `_Call`: its teams and hidden agents) sees. Worked out once per composition,
        skills and view, not once per page: a 20,000-agent tenant's ~50,000 rows cost a page of 50
        what a page costs. The rows are shared: render a copy (`{**row, ...}`), never change one."""
        teams = None if view is None or view.teams is None else frozenset(view.teams)
        hidden = frozenset(view.hidden) if view is not None else frozenset()
        wanted = tuple(sorted({s.id for s in skills}))
        with self.lock:  # the composition and the agents it names, taken together
            composition, listed = self.composition, self.listed()
        key, whole = (wanted, teams, hidden), (wanted, None, frozenset())
        with self._assigned_lock:  # one thread works a memo out; the others wait for it
            if composition != self._assigned_at:
                if composition < self._assigned_at:  # asked before a change, answered after it
                    memo = {}
                else:  # the team changed: every memo of the old one goes
                    self._assigned, self._assigned_at = {}, composition
                    memo = self._assigned
            else:
                memo = self._assigned
            rows = memo.get(key)
            if rows is None:
                rows = memo.get(whole)
                if rows is None:
                    ids = set(wanted)
                    rows = [{"agentId": agent.id, "firstName": agent.info["firstName"], "lastName": agent.info["lastName"],
                             "skillId": skill.id, "skillName": skill.name, "mediaTypeId": skill.media_id,
                             "mediaTypeName": skill.media, "teamId": agent.team_id, "teamName": agent.team_name,
                             "isActive": True, "isSkillActive": True, "isOutbound": False,
                             "agentProficiencyValue": 1 + (agent.seed >> 4) % 20, "agentProficiencyName": ""}
                            for agent in listed for skill in agent.skills if skill.id in ids]
                    self._keep(memo, whole, rows)
                if key != whole:
                    rows = [r for r in rows if (teams is None or r["teamId"] in teams) and r["agentId"] not in hidden]
                    self._keep(memo, key, rows)
            return rows

    @staticmethod
    def _keep(memo, key, rows):
        """Keep one of `assigned`'s memos: the newest ASSIGNED_MEMOS (a benchmark's many views)."""
        while len(memo) >= ASSIGNED_MEMOS:
            memo.pop(next(iter(memo)))
        memo[key] = rows

    # --- messages -----------------------------------------------------------------------------------

    def inbox(self, agent, now):
        with self.lock:
            return [m["row"] for m in self.messages if m["start"] <= now < m["until"] and (
                m["type"] == "everyone" or (m["type"] == "agent" and m["target"] == agent.id)
                or (m["type"] == "team" and m["target"] == agent.team_id))]


class _Call:
    """One API request, as the handlers see it."""

    __slots__ = ("team", "now", "role", "own", "params", "body", "path_in_sim", "args", "teams", "hidden")

    def sees(self, team_id, agent_id=None):
        """Whether this caller's view holds the team (a team-limited supervisor's does not all),
        and the agent (a view may leave some out)."""
        return (self.teams is None or team_id in self.teams) and agent_id not in self.hidden

    def skills(self, skills):
        """The skills of the teams this caller sees (all of them for an unlimited view)."""
        if self.teams is None:
            return skills
        seen = {s.id for t in self.teams for s in self.team.skills_of(t)}
        return [s for s in skills if s.id in seen]


# (method, path template, handler, who may call it). Access: "anyone" with a valid token;
# "team": supervisors, view-only ones included; "self": the agent named in the path (or in
# `agentId`), or a supervisor; "own-team": the agent's own team, or a supervisor; "act": the
# supervising roles only (Manager, Administrator).
ROUTES = [
    ("GET", "server-time", "server_time", "anyone"),
    ("GET", "agents", "agents", "team"),
    ("GET", "agents/states", "agent_states", "team"),
    ("GET", "agents/skills", "agent_skills", "team"),
    ("POST", "agents/messages", "post_messages", "act"),
    ("DELETE", "agents/messages/{messageId}", "delete_message", "act"),
    ("GET", "agents/{agentId}", "agent", "self"),
    ("GET", "agents/{agentId}/states", "agent_state", "self"),
    ("GET", "agents/{agentId}/state-history", "state_history", "self"),
    ("GET", "agents/{agentId}/performance", "agent_performance", "self"),
    ("GET", "agents/{agentId}/messages", "agent_messages", "self"),
    ("POST", "agents/{agentId}/state", "set_state", "act"),
    ("POST", "agents/{agentId}/logout", "logout", "act"),
    ("GET", "contacts/completed", "completed_contacts", "self"),
    ("GET", "skills/activity", "skill_activity", "team"),
    ("GET", "skills/summary", "skill_summary", "team"),
    ("GET", "skills/{skillId}/summary", "skill_summary", "team"),
    ("GET", "skills/{skillId}/agents", "skill_agents", "team"),
    ("GET", "teams/{teamId}/unavailable-codes", "unavailable_codes", "own-team"),
    ("GET", "teams/{teamId}/performance-total", "team_performance", "own-team"),
]


def _without(value, names):
    """`value` with every key in `names` removed, at any depth."""
    if isinstance(value, dict):
        return {k: _without(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without(v, names) for v in value]
    return value


def _pattern(template):
    """`agents/{agentId}/state` -> a regex: ids are digits, a message id a GUID."""
    def group(found):
        name = found.group(1)
        return f"(?P<{name}>{'[A-Za-z0-9-]+' if name == 'messageId' else '[0-9]+'})"

    return re.compile("^" + re.sub(r"\{(\w+)\}", group, template) + "$")


_COMPILED = [(method, template, _pattern(template), handler, access) for method, template, handler, access in ROUTES]


class CXoneAPI:
    """Answers the API paths for one simulator (its tenants, its token keys). Tests steer it
    through plain attributes: `clock`, `team_size`, `team_count`, `page_cap`, `faults`, `gates`, `revoked`, `shapes`,
    `dropped`."""

    def __init__(self, simulator, *, team_size=TEAM_SIZE, page_cap=PAGE_CAP, clock=time.time):
        self.sim = simulator
        self.team_size = team_size  # agents per tenant (the tenant's users among them)
        self.team_count = None  # teams per tenant: the demo's four, or more (benchmarks' views)
        self.page_cap = page_cap  # the largest `top` honoured
        self.clock = clock  # () -> epoch seconds: the world is a function of it
        self.teams = {}
        self.revoked = set()  # subs (every token of a user) or jtis (one token) that answer 401
        self.delays = {}  # tenantId -> seconds added to each of that tenant's API calls
        # path, route template or "*" (optionally as (key, role)) -> status or (status, body)
        self.faults = {}
        self.gates = {}  # path -> threading.Event: its calls wait (at most 30 s) until a test opens it
        shapes = os.getenv("CXONE_SIMULATOR_SHAPES", "spec").strip().lower() or "spec"
        if shapes not in SHAPES:
            raise ValueError(f"CXONE_SIMULATOR_SHAPES is one of {', '.join(SHAPES)}, not {shapes!r}")
        self.shapes = shapes  # "spec" (NICE's OpenAPI spec) or "sdk" (NICE's agent SDK, older answers)
        self.dropped = {f.strip() for f in os.getenv("CXONE_SIMULATOR_DROP", "").split(",") if f.strip()}
        self._lock = threading.Lock()

    # --- for tests and the demo ----------------------------------------------------------------------

    def team(self, tenant):
        with self._lock:
            team = self.teams.get(tenant.tenant_id)
            if team is None or team.size != self.team_size or team.team_count != (self.team_count or len(TEAMS)):
                team = self.teams[tenant.tenant_id] = Team(tenant, self.team_size, self.team_count)
            return team

    def team_of(self, tenant_id):
        return self.team(self.sim.tenants[tenant_id.lower()])

    def remove_agent(self, tenant_id, agent_id):
        """CXone stops listing the agent (agents, agents/states, counts, reports): 404 for it."""
        self.team_of(tenant_id).remove(agent_id)

    def restore_agent(self, tenant_id, agent_id):
        """Listed again; the next `updatedSince` delta carries it."""
        self.team_of(tenant_id).restore(agent_id, _ms(self.clock()))

    def inbox(self, tenant_id, agent_id):
        """The agent's messages valid now (what `GET agents/{agentId}/messages` answers)."""
        team = self.team_of(tenant_id)
        return team.inbox(team.by_id[agent_id], _ms(self.clock()))

    # --- HTTP ------------------------------------------------------------------------------------------

    def handle(self, path_in_sim, environ, respond, params, call, body=b""):
        match = PREFIX.match(path_in_sim)
        if match is None:
            return respond(404, {"message": "No such API."})
        path = match.group("path").rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        route, args, other_method = None, {}, False
        for m, template, pattern, handler, access in _COMPILED:
            found = pattern.match(path)
            if found:
                if m == method:
                    route, args = (template, handler, access), found.groupdict()
                    break
                other_method = True
        call.update(endpoint="api", path=path, route=route[0] if route else None, version=f"v{match.group('version')}.0",
                    updatedSince=bool(params.get("updatedSince")))
        if self.sim.latency:
            time.sleep(self.sim.latency)
        if path in self.gates:
            self.gates[path].wait(30)
        claims = self._token_claims(environ)
        if claims is None:
            return respond(401, {"error": "invalid_token",
                                 "errorDescription": "The access token is expired, revoked or unknown."})
        tenant = self.sim.tenants.get(str(claims.get("tenantId", "")).lower())
        if tenant is None or tenant.area != match.group("area"):
            return respond(401, {"error": "invalid_token", "errorDescription": "The token is not for this API."})
        if self.delays.get(tenant.tenant_id):  # one tenant's CXone having a slow day
            time.sleep(self.delays[tenant.tenant_id])
        role = (claims.get("role") or {}).get("legacyId", "")
        fault = self._fault(path, route[0] if route else None, role)
        if fault:
            return respond(*fault)
        if route is None:
            return respond(405, {"message": "Method not allowed."}) if other_method else respond(404, {"message": "No such API."})
        ctx = _Call()
        ctx.team, ctx.now, ctx.role = self.team(tenant), _ms(self.clock()), role
        ctx.own = int(claims.get("icAgentId") or 0) if str(claims.get("icAgentId") or "0").isdigit() else 0
        ctx.params, ctx.body, ctx.path_in_sim, ctx.args = params, body, path_in_sim, args
        user = next((u for u in tenant.users if u.sub == claims.get("sub")), None)
        ctx.teams = set(user.teams) if user is not None and user.teams else None
        ctx.hidden = set(user.hidden) if user is not None else set()
        refusal = self._refusal(ctx, route[2])
        if refusal:
            return respond(*refusal)
        status, answer = getattr(self, "_" + route[1])(ctx)
        return respond(status, self.speak(route[0], answer))

    def speak(self, route, body):
        """The answer in this simulator's variant (`shapes`), without the `dropped` fields."""
        spelling = SDK_SPELLING.get(route) if self.shapes == "sdk" else None
        if spelling and isinstance(body, dict) and isinstance(body.get(spelling[0]), list):
            names = spelling[1]
            body = {**body, spelling[0]: [{names.get(k, k): v for k, v in row.items()} for row in body[spelling[0]]]}
        return _without(body, self.dropped) if self.dropped else body

    def _token_claims(self, environ):
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        claims = self.sim._decode_own(header[7:], verify_exp=True)
        if claims is None or claims.get("sub") in self.revoked or claims.get("jti") in self.revoked:
            return None
        return claims

    def _fault(self, path, template, role):
        for key in ((template, role), (path, role), ("*", role), template, path, "*"):
            fault = self.faults.get(key) if key is not None else None
            if fault:
                if isinstance(fault, tuple):
                    return fault
                return fault, {401: {"error": "invalid_token", "errorDescription": "The access token is expired or revoked."},
                               403: {"error": "Forbidden", "errorDescription": "The role lacks the permission."},
                               429: {"message": "Too many requests."}}.get(fault, {"message": "Service unavailable."})
        return None

    @staticmethod
    def _forbidden(role):
        return 403, {"error": "Forbidden", "errorDescription": f"The role {role or 'of this user'} lacks the permission."}

    def _refusal(self, ctx, access):
        if access == "anyone" or ctx.role in SUPERVISING:
            return None
        if access == "act" or (access == "team" and ctx.role not in READING):
            return self._forbidden(ctx.role)
        if ctx.role in READING:
            return None
        if access == "self":
            named = ctx.args.get("agentId") or ctx.params.get("agentId", "")
            if not str(named).isdigit() or int(named) != ctx.own:
                return self._forbidden(ctx.role)
        if access == "own-team":
            me = ctx.team.get(ctx.own)
            if me is None or str(me.team_id) != ctx.args.get("teamId"):
                return self._forbidden(ctx.role)
        return None

    @staticmethod
    def _bad(description):
        return 400, {"error": "InvalidParameter", "errorDescription": description}

    def _page(self, ctx, rows, key, extra=None, render=None):
        try:
            skip = max(0, int(ctx.params.get("skip", 0)))
            top = min(self.page_cap, max(1, int(ctx.params.get("top", self.page_cap))))
        except ValueError:
            return self._bad("skip and top are numbers.")
        page = rows[skip: skip + top]
        if render is not None:
            page = [render(row) for row in page]
        body = {**(extra or {}), "totalRecords": len(rows), key: page, "_links": {}}
        if skip + top < len(rows):
            query = {**ctx.params, "skip": skip + top, "top": top}
            body["_links"]["next"] = self.sim.issuer + ctx.path_in_sim + "?" + urlencode(query)
        return 200, body

    def _window(self, ctx, required, default_days=1):
        """(start, end) from startDate/endDate, or an answer for a bad request."""
        start, end = ctx.params.get("startDate"), ctx.params.get("endDate")
        if required and not (start and end):
            return None, self._bad("startDate and endDate are required.")
        a = _epoch(start) if start else ctx.now - default_days * DAY
        b = _epoch(end) if end else ctx.now
        if a is None or b is None:
            return None, self._bad("startDate and endDate are ISO-8601 dates.")
        if b < a:
            return None, self._bad("endDate is before startDate.")
        return (a, b), None

    def _agent_of(self, ctx):
        """The agent named in the path, if listed and in the caller's view (else None: 404)."""
        agent = ctx.team.get(int(ctx.args["agentId"]))
        return agent if agent is not None and (ctx.sees(agent.team_id, agent.id) or agent.id == ctx.own) else None

    # --- handlers ------------------------------------------------------------------------------------

    def _server_time(self, ctx):
        return 200, {"ServerTime": _iso(ctx.now)}

    def _agents(self, ctx):
        agents = ctx.team.listed() if ctx.teams is None and not ctx.hidden else [a for a in ctx.team.listed() if ctx.sees(a.team_id, a.id)]
        search = (ctx.params.get("searchString") or "").lower()
        if search:
            agents = [a for a in agents if search in f"{a.info['firstName']} {a.info['lastName']} {a.info['userName']}".lower()]
        if _flag(ctx.params.get("isActive")) is False:
            agents = []

        def render(agent):
            return {**agent.info, "lastLogin": _iso(ctx.team.shift(agent, ctx.now)[0])}

        return self._page(ctx, agents, "agents", render=render)

    def _agent_states(self, ctx):
        since = None
        if ctx.params.get("updatedSince"):
            since = _epoch(ctx.params["updatedSince"])
            if since is None:
                return self._bad("updatedSince is an ISO-8601 date.")
        if since is None:  # everyone in the view, in the same order: only this page's states are worked out
            agents = ctx.team.listed() if ctx.teams is None and not ctx.hidden else \
                [a for a in ctx.team.listed() if ctx.sees(a.team_id, a.id)]
            return self._page(ctx, agents, "agentStates", extra={"lastPollTime": _iso(ctx.team.polled(ctx.now))},
                              render=lambda agent: ctx.team.state(agent, ctx.now))
        rows, poll = ctx.team.states(ctx.now, since)
        if ctx.teams is not None or ctx.hidden:
            rows = [r for r in rows if ctx.sees(r["teamId"], r["agentId"])]
        if since is not None and not rows:
            return 304, None
        return self._page(ctx, rows, "agentStates", extra={"lastPollTime": _iso(poll)})

    def _agent(self, ctx):
        agent = self._agent_of(ctx)
        if agent is None:
            return 404, {"message": "No such agent."}
        return 200, {"agents": [{**agent.info, "lastLogin": _iso(ctx.team.shift(agent, ctx.now)[0])}]}

    def _agent_state(self, ctx):
        agent = self._agent_of(ctx)
        if agent is None:
            return 404, {"message": "No such agent."}
        with ctx.team.lock:
            row, _ = ctx.team.current(agent, ctx.now)
        row = {("mediaName" if k == "mediaTypeName" else "mediaType" if k == "mediaTypeId" else k): v for k, v in row.items()}
        return 200, {"lastPollTime": _iso(ctx.now), "agentStates": [row]}

    def _state_history(self, ctx):
        agent = self._agent_of(ctx)
        if agent is None:
            return 404, {"message": "No such agent."}
        window, bad = self._window(ctx, required=False)
        if bad:
            return bad
        rows = ctx.team.state_history(agent, *window, ctx.now)
        if not rows:
            return 204, None
        return self._page(ctx, rows, "agentStateHistory",
                          extra={"businessUnitId": ctx.team.tenant.bu_id, "lastPollTime": _iso(ctx.now)})

    def _agent_performance(self, ctx):
        agent = self._agent_of(ctx)
        if agent is None:
            return 404, {"message": "No such agent."}
        window, bad = self._window(ctx, required=True)
        if bad:
            return bad
        row = ctx.team.performance([agent], *window, ctx.now)
        return 200, {"businessUnitId": ctx.team.tenant.bu_id, "lastPollTime": _iso(ctx.now),
                     "agentPerformance": [{"agentId": agent.id, "teamId": agent.team_id, **row}]}

    def _team_performance(self, ctx):
        team_id = int(ctx.args["teamId"])
        if not ctx.team.has_team(team_id):
            return 404, {"message": "No such team."}
        window, bad = self._window(ctx, required=True)
        if bad:
            return bad
        row = ctx.team.performance([a for a in ctx.team.listed() if a.team_id == team_id], *window, ctx.now)
        return 200, {"teamPerformanceTotal": [{"teamId": team_id, **row}]}

    def _completed_contacts(self, ctx):
        window, bad = self._window(ctx, required=False)
        if bad:
            return bad
        params = ctx.params
        agents = [a for a in ctx.team.listed() if ctx.sees(a.team_id, a.id) or a.id == ctx.own]
        if str(params.get("agentId", "")).isdigit():
            agents = [a for a in agents if a.id == int(params["agentId"])]
        if str(params.get("teamId", "")).isdigit():
            agents = [a for a in agents if a.team_id == int(params["teamId"])]
        whole_team = not (params.get("agentId") or params.get("teamId"))
        rows = ctx.team.contacts(agents, *window, ctx.now, abandoned=whole_team)
        if str(params.get("skillId", "")).isdigit():
            rows = [r for r in rows if r["skillId"] == int(params["skillId"])]
        if str(params.get("mediaTypeId", "")).isdigit():
            rows = [r for r in rows if r["mediaTypeId"] == int(params["mediaTypeId"])]
        if params.get("updatedSince"):
            since = _epoch(params["updatedSince"])
            if since is None:
                return self._bad("updatedSince is an ISO-8601 date.")
            rows = [r for r in rows if _epoch(r["lastUpdateTime"]) > since]
        if not rows:
            return 204, None
        return self._page(ctx, rows, "completedContacts", extra={"businessUnitId": ctx.team.tenant.bu_id,
                                                                   "lastPollTime": _iso(ctx.now)})

    def _skills_asked(self, ctx):
        skills = ctx.skills(SKILLS)
        if ctx.args.get("skillId"):
            skills = [s for s in SKILLS if s.id == int(ctx.args["skillId"])]
        if str(ctx.params.get("mediaTypeId", "")).isdigit():
            skills = [s for s in skills if s.media_id == int(ctx.params["mediaTypeId"])]
        return skills

    def _skill_activity(self, ctx):
        rows = ctx.team.skill_activity(ctx.now, self._skills_asked(ctx))
        if _flag(ctx.params.get("isOutbound")):
            rows = []
        return self._page(ctx, rows, "skillActivity", extra={"businessUnitId": ctx.team.tenant.bu_id, "lastPollTime": _iso(ctx.now)})

    def _skill_summary(self, ctx):
        if ctx.args.get("skillId") and int(ctx.args["skillId"]) not in SKILL_BY_ID:
            return 404, {"message": "No such skill."}
        window, bad = self._window(ctx, required=True)
        if bad:
            return bad
        rows = ctx.team.skill_summary(*window, ctx.now, self._skills_asked(ctx), _flag(ctx.params.get("isOutbound")))
        return 200, {"skillSummaries": rows}

    def _assignments_page(self, ctx, skills):
        """A page of the assignments the caller sees: the memo's rows (`Team.assigned`), only this
        page's stamped with `lastUpdateTime`, so a page costs the same at 60 agents or 20,000."""
        rows = ctx.team.assigned(skills, view=ctx)
        if not rows:
            return 204, None
        stamp = assignment_stamp(ctx.now)
        return self._page(ctx, rows, "agentSkillAssignments", extra={"businessUnitId": ctx.team.tenant.bu_id,
                                                                     "lastPollTime": _iso(ctx.now)},
                          render=lambda row: {**row, "lastUpdateTime": stamp})

    def _agent_skills(self, ctx):
        return self._assignments_page(ctx, SKILLS)

    def _skill_agents(self, ctx):
        if int(ctx.args["skillId"]) not in SKILL_BY_ID:
            return 404, {"message": "No such skill."}
        return self._assignments_page(ctx, self._skills_asked(ctx))

    def _unavailable_codes(self, ctx):
        team_id = int(ctx.args["teamId"])
        if not ctx.team.has_team(team_id):
            return 404, {"message": "No such team."}
        codes = TEAM_CODES[like(team_id)]
        if _flag(ctx.params.get("activeOnly")):
            codes = [c for c in codes if c.is_active]
        return 200, {"teamId": team_id, "teamName": team_name(team_id), "unavailableCodes": [
            {"outstateId": c.id, "outstateName": c.name, "isActive": c.is_active, "isAcw": c.is_acw,
             "agentTimeoutMins": c.timeout} for c in codes]}

    def _set_state(self, ctx):
        agent = self._agent_of(ctx)
        if agent is None:
            return 404, {"message": "No such agent."}
        state = ctx.params.get("state", "")
        if state not in ("Available", "Unavailable"):
            return self._bad("state is Available or Unavailable.")
        code = None
        if state == "Unavailable" and ctx.params.get("outStateId"):
            wanted = ctx.params["outStateId"]
            code = next((c for c in TEAM_CODES[like(agent.team_id)] if c.is_active and str(c.id) == wanted), None)
            if code is None:
                return self._bad(f"outStateId {wanted} is not an active unavailable code of the agent's team.")
        status, problem = ctx.team.set_state(agent, ctx.now, state, code)
        return (status, {}) if status < 400 else (status, {"error": "Conflict", "errorDescription": problem})

    def _logout(self, ctx):
        agent = self._agent_of(ctx)
        if agent is None:
            return 404, {"message": "No such agent."}
        status, problem = ctx.team.logout(agent, ctx.now)
        return (status, {}) if status < 400 else (status, {"error": "Conflict", "errorDescription": problem})

    def _post_messages(self, ctx):
        try:
            payload = json.loads(ctx.body or b"null")
        except ValueError:
            return self._bad("The body is not JSON.")
        messages = payload.get("agentMessages") if isinstance(payload, dict) else None
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            return self._bad("agentMessages is a list of messages.")
        for m in messages:
            subject, text = m.get("subject"), m.get("message")
            if not isinstance(subject, str) or not subject.strip() or len(subject) > MESSAGE_SUBJECT_MAX:
                return self._bad(f"subject is 1 to {MESSAGE_SUBJECT_MAX} characters.")
            if not isinstance(text, str) or not text.strip() or len(text) > MESSAGE_BODY_MAX:
                return self._bad(f"message is 1 to {MESSAGE_BODY_MAX} characters.")
        results, errors = [], 0
        team = ctx.team
        for m in messages:
            error = None
            kind = str(m.get("targetType", "")).lower()
            target = m.get("targetId")  # a number in NICE's spec; a string is refused
            target = target if isinstance(target, int) and not isinstance(target, bool) else None
            start = _epoch(m["startDate"]) if m.get("startDate") else ctx.now
            minutes = m.get("expireMinutes", 60)
            if kind not in ("agent", "team", "everyone"):
                error = "targetType is Agent, Team or Everyone."
            elif kind == "agent" and (target is None or team.get(target) is None or not ctx.sees(team.get(target).team_id, target)):
                error = "targetId is not an agent of this business unit."
            elif kind == "team" and (not team.has_team(target) or not ctx.sees(target)):
                error = "targetId is not a team of this business unit."
            elif start is None:
                error = "startDate is an ISO-8601 date."
            elif isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
                error = "expireMinutes is a whole number of minutes, at least 1."
            if error:
                errors += 1
                results.append({"agentMessageId": None, "success": False, "error": error})
                continue
            message_id = str(uuid.uuid4())
            until = start + minutes * 60
            with team.lock:
                team.messages.append({"id": message_id, "type": kind, "target": target, "start": start, "until": until, "row": {
                    "messageId": message_id, "subject": m["subject"], "messageText": m["message"],
                    "startDate": _iso(start), "validUntil": _iso(until)}})
            results.append({"agentMessageId": message_id, "success": True, "error": None})
        return 200, {"errorCount": errors, "agentMessageResults": results}

    def _delete_message(self, ctx):
        team = ctx.team
        with team.lock:
            kept = [m for m in team.messages if m["id"] != ctx.args["messageId"]]
            if len(kept) == len(team.messages):
                return 404, {"message": "No such message."}
            team.messages = kept
        return 204, None

    def _agent_messages(self, ctx):
        agent = self._agent_of(ctx)
        if agent is None:
            return 404, {"message": "No such agent."}
        rows = ctx.team.inbox(agent, ctx.now)
        if not rows:
            return 204, None
        return 200, {"messages": rows}
