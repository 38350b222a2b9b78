"""The simulator's CXone REST APIs: `{issuer}/api-{area}/inContactAPI/services/vNN.0/<path>`.

What the portal reads, with CXone's habits: Bearer access tokens (401 when unknown, expired
or revoked), role checks (403 when an Agent reads the team), paging with `skip`/`top`,
`totalRecords` and `_links.next` (pages smaller than asked for), `updatedSince` and
`lastPollTime` (304 when nothing changed), 204 when nothing matches. The team is big enough
to page and alive: each agent's state changes every few seconds to minutes, deterministically
from the clock, so every worker and every test sees the same world.
"""
import hashlib
import re
import time
from datetime import datetime, timezone
from urllib.parse import urlencode

PAGE_CAP = 25  # CXone does not document its largest `top`: never assume a page is complete
TEAM_SIZE = 60
TEAMS = ["Tier 1", "Tier 2", "Billing", "Escalations"]
SKILLS = [(4101, "Phone Support", "PhoneCall"), (4102, "Chat Support", "Chat"), (4103, "Email", "EMail"), (4104, "Billing Line", "PhoneCall")]
UNAVAILABLE = ["Break", "Lunch", "Meeting", "Training", "Coaching"]
FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gabe", "Hana", "Ivan", "Jade", "Kofi", "Lena", "Mateo", "Nia", "Omar",
         "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen", "Xavi", "Yara", "Zane"]
LAST = ["Adams", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan", "Lopez", "Meyer",
        "Novak", "Okoro", "Petrov", "Quist", "Rossi", "Silva", "Tanaka"]
SUPERVISING = {"Manager", "Administrator"}
ROUTE = re.compile(r"^/api-(?P<area>[a-z0-9]+)/inContactAPI/services/v(?P<version>\d+)\.0/(?P<path>[A-Za-z0-9/_-]+)$")


def _h(*parts):
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def _iso(epoch):
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _epoch(text):
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return None


class Team:
    """One tenant's agents, skills and their day, as functions of the clock."""

    def __init__(self, tenant, size=TEAM_SIZE):
        self.tenant = tenant
        self.agents = []
        for user in tenant.users:
            self.agents.append({"agentId": user.agent_id, "firstName": user.given_name, "lastName": user.family_name,
                                "userName": user.username, "teamName": TEAMS[0], "isSupervisor": user.role in SUPERVISING})
        for n in range(size - len(self.agents)):
            agent_id = user.agent_id + 100 + n if tenant.users else 5000 + n
            seed = _h(tenant.tenant_id, agent_id)
            self.agents.append({"agentId": agent_id, "firstName": FIRST[seed % len(FIRST)], "lastName": LAST[(seed >> 8) % len(LAST)],
                                "userName": f"agent{agent_id}@{tenant.slug}.example", "teamName": TEAMS[(seed >> 16) % len(TEAMS)],
                                "isSupervisor": False})
        for agent in self.agents:
            agent["teamId"] = TEAMS.index(agent["teamName"]) + 1
            agent["emailAddress"] = agent["userName"]
            agent["isActive"] = True
        self.by_id = {a["agentId"]: a for a in self.agents}

    # --- states ------------------------------------------------------------------------------

    def state(self, agent, now):
        seed = _h(self.tenant.tenant_id, agent["agentId"], "period")
        period = 20 + seed % 70  # each agent changes state every 20-90 s
        offset = (seed >> 12) % period
        segment = int((now + offset) // period)
        since = segment * period - offset
        roll = _h(self.tenant.tenant_id, agent["agentId"], segment) % 100
        skill = SKILLS[(roll >> 2) % len(SKILLS)]
        on_contact = None
        if roll < 35:
            name, reason = "Available", ""
        elif roll < 65:
            name, reason, on_contact = "InboundContact", "", skill
        elif roll < 70:
            name, reason, on_contact = "OutboundContact", "", skill
        elif roll < 90:
            name, reason = "Unavailable", UNAVAILABLE[roll % len(UNAVAILABLE)]
        else:
            name, reason = "LoggedOut", ""
        return {
            "agentId": agent["agentId"], "firstName": agent["firstName"], "lastName": agent["lastName"],
            "teamId": agent["teamId"], "teamName": agent["teamName"], "agentStateId": roll % 10,
            "agentStateName": name, "outStateDescription": reason, "startDate": _iso(since), "lastUpdateTime": _iso(since),
            "contactId": _h(agent["agentId"], segment) % 10**9 if on_contact else None,
            "skillId": on_contact[0] if on_contact else None, "skillName": on_contact[1] if on_contact else "",
            "mediaTypeName": on_contact[2] if on_contact else "", "isOutbound": name == "OutboundContact", "isACW": False,
        }

    def states(self, now, updated_since=None):
        rows = [self.state(a, now) for a in self.agents]
        if updated_since is not None:
            rows = [r for r in rows if _epoch(r["lastUpdateTime"]) > updated_since]
        return rows

    # --- completed contacts --------------------------------------------------------------------

    def contacts(self, agent_id, start, end):
        """The agent's completed contacts between start and end: one every 15-45 minutes."""
        rows, t = [], end - 86400 - 3600
        step = 0
        while t < end:
            gap = 900 + _h(self.tenant.tenant_id, agent_id, "gap", step) % 1800
            t += gap
            step += 1
            duration = 120 + _h(agent_id, step, "dur") % 900
            if start <= t and t + duration <= end:
                skill = SKILLS[_h(agent_id, step, "skill") % len(SKILLS)]
                rows.append({
                    "contactId": _h(self.tenant.tenant_id, agent_id, step) % 10**10, "masterContactId": None,
                    "agentId": agent_id, "teamName": self.by_id[agent_id]["teamName"], "skillId": skill[0],
                    "skillName": skill[1], "mediaTypeName": skill[2], "contactStart": _iso(t),
                    "totalDurationSeconds": duration, "agentSeconds": duration - 30, "inQueueSeconds": 30,
                    "holdSeconds": 0, "acwSeconds": 20, "abandoned": False, "isOutbound": False, "endReason": "Contact Hung Up",
                })
        return rows

    # --- skills --------------------------------------------------------------------------------

    def skill_activity(self, now):
        states = self.states(now)
        rows = []
        for skill_id, name, media in SKILLS:
            tick = int(now // 10)
            available = sum(1 for s in states if s["agentStateName"] == "Available" and _h(s["agentId"], skill_id) % 2)
            rows.append({
                "skillId": skill_id, "skillName": name, "mediaTypeName": media,
                "queueCount": _h(skill_id, tick) % 9, "earliestQueueTime": _iso(now - _h(skill_id, tick, "q") % 300),
                "agentsAvailable": available, "agentsLoggedIn": sum(1 for s in states if s["agentStateName"] != "LoggedOut"),
                "agentsUnavailable": sum(1 for s in states if s["agentStateName"] == "Unavailable"),
                "agentsWorking": sum(1 for s in states if s["agentStateName"].endswith("Contact")),
                "agentsACW": 0, "serviceLevel": 60 + _h(skill_id, tick, "sl") % 41, "serviceLevelGoal": 80,
                "serviceLevelThreshold": 30, "contactsActive": _h(skill_id, tick, "active") % 12,
            })
        return rows


class CXoneAPI:
    """Answers the API paths for one simulator (its tenants, its token keys)."""

    def __init__(self, simulator):
        self.sim = simulator
        self.teams = {}
        self.revoked = set()  # subs (every token of a user) or jtis (one token) that answer 401
        self.faults = {}  # path (or "*") -> status (429, 503, 500...) answered instead

    def team(self, tenant):
        if tenant.tenant_id not in self.teams:
            self.teams[tenant.tenant_id] = Team(tenant)
        return self.teams[tenant.tenant_id]

    def handle(self, path_in_sim, environ, respond, params, call):
        match = ROUTE.match(path_in_sim)
        if match is None:
            return respond(404, {"message": "No such API."})
        path = match.group("path").rstrip("/")
        call["endpoint"], call["path"] = "api", path
        call["updatedSince"] = bool(params.get("updatedSince"))
        if self.sim.latency:
            time.sleep(self.sim.latency)
        claims = self._token_claims(environ)
        if claims is None:
            return respond(401, {"error": "invalid_token", "errorDescription": "The access token is expired, revoked or unknown."})
        tenant = self.sim.tenants.get(str(claims.get("tenantId", "")).lower())
        if tenant is None or tenant.area != match.group("area"):
            return respond(401, {"error": "invalid_token", "errorDescription": "The token is not for this API."})
        fault = self.faults.get(path) or self.faults.get("*")
        if fault:
            return respond(fault, {"message": "Too many requests." if fault == 429 else "Service unavailable."})
        team, now = self.team(tenant), time.time()
        role = (claims.get("role") or {}).get("legacyId", "")
        own = int(claims.get("icAgentId") or 0)
        supervising = role in SUPERVISING

        if path == "agents/states":
            if not supervising:
                return self._forbidden(respond, role)
            since = _epoch(params["updatedSince"]) if params.get("updatedSince") else None
            rows = team.states(now, since)
            if since is not None and not rows:
                return respond(304, None)
            return self._page(respond, path_in_sim, params, rows, "agentStates", extra={"lastPollTime": _iso(now)})
        if path == "agents":
            if not supervising:
                return self._forbidden(respond, role)
            return self._page(respond, path_in_sim, params, team.agents, "agents")
        agent_path = re.match(r"^agents/(\d+)(/states)?$", path)
        if agent_path:
            agent_id = int(agent_path.group(1))
            if agent_id != own and not supervising:
                return self._forbidden(respond, role)
            agent = team.by_id.get(agent_id)
            if agent is None:
                return respond(404, {"message": "No such agent."})
            if agent_path.group(2):
                return respond(200, {"lastPollTime": _iso(now), "agentStates": [team.state(agent, now)]})
            return respond(200, {"agents": [agent]})
        if path == "contacts/completed":
            agent_id = int(params["agentId"]) if str(params.get("agentId", "")).isdigit() else None
            if agent_id != own and not supervising:
                return self._forbidden(respond, role)
            start = _epoch(params.get("startDate", "")) or now - 86400
            end = _epoch(params.get("endDate", "")) or now
            ids = [agent_id] if agent_id is not None else list(team.by_id)
            rows = [c for a in ids if a in team.by_id for c in team.contacts(a, start, end)]
            if not rows:
                return respond(204, None)
            rows.sort(key=lambda c: c["contactStart"])
            return self._page(respond, path_in_sim, params, rows, "completedContacts")
        if path == "skills/activity":
            if not supervising:
                return self._forbidden(respond, role)
            return respond(200, {"skillActivity": team.skill_activity(now)})
        return respond(404, {"message": "No such API."})

    def _token_claims(self, environ):
        header = environ.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        claims = self.sim._decode_own(header[7:], verify_exp=True)
        if claims is None or claims.get("sub") in self.revoked or claims.get("jti") in self.revoked:
            return None
        return claims

    @staticmethod
    def _forbidden(respond, role):
        return respond(403, {"error": "Forbidden", "errorDescription": f"The role {role or 'of this user'} lacks the permission."})

    def _page(self, respond, path_in_sim, params, rows, key, extra=None):
        try:
            skip = max(0, int(params.get("skip", 0)))
            top = min(PAGE_CAP, max(1, int(params.get("top", PAGE_CAP))))
        except ValueError:
            return respond(400, {"error": "InvalidParameter", "errorDescription": "skip and top are numbers."})
        page = rows[skip: skip + top]
        body = {**(extra or {}), "totalRecords": len(rows), key: page, "_links": {}}
        if skip + top < len(rows):
            query = {**params, "skip": skip + top, "top": top}
            base = self.sim.issuer + path_in_sim
            body["_links"]["next"] = base + "?" + urlencode(query)
        return respond(200, body)
