"""Shared reads per (tenant, view) (workspaces/floor.py, docs/shared-reads.md), through the
portal's JSON against the simulator over real HTTP, on an injected clock: supervisors of one
view cost CXone one board, a team-limited supervisor never receives an agent their own token
would not return, and a supervisor whose access CXone revokes stops receiving data."""
import threading
import time

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import TokenSession
from simulator import api as sim_api
from simulator.provider import SimUser
from workspaces.adapter import Workspace

from .conftest import ADMIN, SUPERVISOR, Browser
from .test_workspaces import NOON, XHR, api_calls

LEAD = "tara.lead@acme.example"  # Manager; her view: Billing (3) and Escalations (4)


@pytest.fixture
def floor(cxone, portal_clock):
    portal_clock.at(NOON)
    return cxone


def signed_in(cxone, username):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=username).status_code == 302
    browser.identity = TokenSession.objects.filter(user__cxone_identity__login_name=username).first().user.cxone_identity
    return browser


def board(browser, **headers):
    return browser.client.get("/api/supervisor/agents/", **XHR, **headers)


def agents_of(browser):
    answer = board(browser)
    assert answer.status_code == 200, answer.content[:300]
    return {a["agentId"]: a for a in answer.json()["agents"]}


def teams_of(cxone):
    """{agent id: team id} as CXone has them (the simulator's world)."""
    team = cxone.sim.api.team_of(cxone.tenant().tenant_id)
    return {str(a.id): a.team_id for a in team.listed()}


def add_user(cxone, username, **fields):
    tenant = cxone.sim.tenants[cxone.tenant().tenant_id.lower()]
    tenant.users.append(SimUser(username, "Uma", "Berg", "Manager", agent_id=1009, **fields))
    return username


def proof_of(browser):
    ws = Workspace(browser.identity.tenant, browser.identity.cxone_user_id, None, cache=cache)
    return ws.floor.stored()


def full_reads(cxone):
    return api_calls(cxone.sim, "agents/states", updatedSince=False)


@pytest.mark.django_db
def test_supervisors_of_one_view_cost_cxone_one_board(floor, portal_clock):
    sam = signed_in(floor, SUPERVISOR)
    ada = signed_in(floor, ADMIN)
    floor.sim.reset_calls()
    first = agents_of(sam)
    one_supervisor = floor.sim.count("api")
    assert agents_of(ada) == first and proof_of(sam).view == proof_of(ada).view
    # Ada's own read of her view (3 pages of states, 1 of skills) and nothing else: the board is Sam's read
    assert floor.sim.count("api") - one_supervisor == 3 + 1
    for _ in range(4):
        portal_clock.later(5)
        floor.sim.reset_calls()
        assert board(sam).status_code == 200 and board(ada).status_code == 200
        assert api_calls(floor.sim, "agents/states", updatedSince=True) == 1  # one delta for both
    assert floor.sim.count("api", path="agents/states", updatedSince=False) == 0


@pytest.mark.django_db
def test_a_team_limited_supervisor_sees_only_their_view_beside_a_supervisor_of_all(floor, portal_clock):
    teams = teams_of(floor)
    sam, tara = signed_in(floor, SUPERVISOR), signed_in(floor, LEAD)
    everyone = agents_of(sam)
    theirs = agents_of(tara)
    assert len(everyone) == len(teams) and {teams[i] for i in theirs} == {3, 4}
    assert set(theirs) == {i for i, t in teams.items() if t in (3, 4)}
    assert proof_of(sam).view != proof_of(tara).view
    skills = tara.client.get("/api/supervisor/skills/", **XHR).json()["skills"]
    assert {s["skillId"] for s in skills} == {"4102", "4103", "4104", "4101"} - {"4102"}  # Billing's and Escalations' skills
    outside = next(i for i, t in teams.items() if t == 1 and i != "1005")
    refused = tara.client.get(f"/api/supervisor/agents/{outside}/contacts/", **XHR)
    assert refused.status_code == 404 and refused.json()["reason"] == "not_on_board"
    for _ in range(3):
        portal_clock.later(5)
        delta = tara.client.get(f"/api/supervisor/agents/?since={board(tara).json()['version'] - 1}", **XHR).json()
        assert all(teams[a["agentId"]] in (3, 4) for a in delta["agents"])


@pytest.mark.django_db
def test_a_member_whose_view_leaves_an_agent_out_never_receives_them_from_the_shared_read(floor, portal_clock):
    teams = teams_of(floor)
    hidden = next(i for i, t in teams.items() if t == 3)
    uma = add_user(floor, "uma.lead@acme.example", teams=(3, 4), hidden=(int(hidden),))
    tara, uma = signed_in(floor, LEAD), signed_in(floor, uma)
    assert hidden in agents_of(tara)  # the view's room now holds the agent Uma may not see
    seen = agents_of(uma)
    assert proof_of(tara).view == proof_of(uma).view  # the same teams: the same room
    assert hidden not in seen and {teams[i] for i in seen} == {3, 4}
    assert floor.sim.count("api", path=f"agents/{hidden}") >= 1  # asked with her own token: 404
    for _ in range(3):
        portal_clock.later(5)
        assert hidden not in agents_of(uma) and hidden in agents_of(tara)
        version = board(uma).json()["version"]
        delta = uma.client.get(f"/api/supervisor/agents/?since={version - 1}", **XHR).json()
        assert hidden not in {a["agentId"] for a in delta["agents"]}
    refused = uma.client.get(f"/api/supervisor/agents/{hidden}/contacts/", **XHR)
    assert refused.status_code == 404 and refused.json()["reason"] == "not_on_board"


@pytest.mark.django_db
def test_a_new_agent_in_the_view_is_confirmed_with_the_members_own_token(floor, portal_clock):
    teams = teams_of(floor)
    newcomer = next(i for i, t in teams.items() if t == 4)
    floor.sim.api.remove_agent(floor.tenant().tenant_id, int(newcomer))
    tara = signed_in(floor, LEAD)
    sam = signed_in(floor, SUPERVISOR)
    uma = signed_in(floor, add_user(floor, "uma.lead@acme.example", teams=(3, 4)))
    assert newcomer not in agents_of(tara) and newcomer not in agents_of(uma) and agents_of(sam)
    floor.sim.api.restore_agent(floor.tenant().tenant_id, int(newcomer))
    portal_clock.later(5)
    assert newcomer in agents_of(tara)  # Tara's poll read the delta: the room has a new id
    floor.sim.reset_calls()
    assert newcomer in agents_of(uma)  # not in Uma's proof: CXone asked once, with her token
    assert floor.sim.count("api", path=f"agents/{newcomer}") == 1 and full_reads(floor) == 0
    ws = Workspace(uma.identity.tenant, uma.identity.cxone_user_id, None, cache=cache)
    assert newcomer in ws.floor.agent_ids(proof_of(uma))


@pytest.mark.django_db
def test_revoked_access_stops_the_data_within_a_minute(floor, portal_clock):
    tara = signed_in(floor, LEAD)
    other = signed_in(floor, add_user(floor, "uma.lead@acme.example", teams=(3, 4)))
    assert agents_of(tara) and agents_of(other)
    sub = next(u for t in floor.sim.tenants.values() for u in t.users if u.username == LEAD).sub
    floor.sim.api.revoked.add(sub)  # CXone refuses every token of hers from now on
    answers = []
    for _ in range(13):  # 65 s of polls: the other member keeps the room fresh, so only a re-check can tell
        portal_clock.later(5)
        assert board(other).status_code == 200
        answers.append(board(tara))
    assert answers[-1].status_code in (401, 403) and "agents" not in answers[-1].json()
    assert proof_of(tara) is None
    assert agents_of(other)  # the room stays for the member CXone still answers


@pytest.mark.django_db
def test_a_refusal_to_the_members_own_token_in_a_shared_read_stops_them_at_once(floor, portal_clock):
    tara = signed_in(floor, LEAD)
    other = signed_in(floor, add_user(floor, "uma.lead@acme.example", teams=(3, 4)))
    assert agents_of(tara) and agents_of(other)
    portal_clock.later(5)  # the room's board is due: Tara's next poll reads it with her token
    floor.sim.api.faults[("agents/states", "Manager")] = 403
    refused = board(tara)
    assert refused.status_code == 403 and refused.json()["reason"] == "api_forbidden"
    assert proof_of(tara) is None
    del floor.sim.api.faults[("agents/states", "Manager")]
    assert agents_of(other)  # served from the room at once: one member's refusal is not the room's


@pytest.mark.django_db
def test_a_token_refresh_rechecks_the_view(floor, portal_clock):
    tara = signed_in(floor, LEAD)
    assert agents_of(tara)
    checked = proof_of(tara).checked_at
    session = TokenSession.objects.get(user=tara.identity.user)
    session.access_token = session.access_token + "x"  # as a refresh would: another access token
    session.save()
    floor.sim.reset_calls()
    board(tara)
    assert floor.sim.count("api", path="agents/states") >= 1 and proof_of(tara) != checked


@pytest.mark.django_db
def test_members_with_the_same_agents_keep_one_copy_of_their_ids(floor):
    tara = signed_in(floor, LEAD)
    tom = signed_in(floor, add_user(floor, "tom.lead@acme.example", teams=(3, 4)))
    assert agents_of(tara) == agents_of(tom)
    assert proof_of(tara).agents == proof_of(tom).agents  # one digest, one entry in the cache
    ws = Workspace(tara.identity.tenant, tara.identity.cxone_user_id, None, cache=cache)
    assert set(agents_of(tara)) == ws.floor.agent_ids(proof_of(tara))
    cache.delete(ws.floor._ids_key(proof_of(tara).agents))  # evicted: the proof is read again, never trusted blind
    assert set(agents_of(tara)) <= set(agents_of(sam_of(floor)))
    assert ws.floor.agent_ids(proof_of(tara)) is not None


def sam_of(cxone):
    return signed_in(cxone, SUPERVISOR)


@pytest.mark.django_db
def test_shared_reads_off_reads_per_supervisor(floor, settings):
    settings.CXONE_SHARED_READS = False
    sam, ada = signed_in(floor, SUPERVISOR), signed_in(floor, ADMIN)
    floor.sim.reset_calls()
    assert agents_of(sam) == agents_of(ada)
    assert full_reads(floor) == 3 + 3  # each their own board, no proof
    assert proof_of(sam) is None


@pytest.mark.django_db
def test_a_first_poll_while_another_tab_reads_the_view_says_not_loaded_and_reads_nothing(floor):
    from workspaces.lease import lease

    tara = signed_in(floor, LEAD)
    ws = Workspace(tara.identity.tenant, tara.identity.cxone_user_id, None, cache=cache)
    elsewhere = lease(cache, ws.floor.key + ":lease", 60)
    assert elsewhere.acquire()  # another tab is reading her view
    floor.sim.reset_calls()
    try:
        answer = board(tara)
    finally:
        elsewhere.release()
    assert answer.status_code == 503 and answer.json()["reason"] == "api_not_loaded"
    assert floor.sim.count("api") == 0  # neither a read of her own board nor of the room
    assert agents_of(tara)  # the next poll reads her view, then the room


@pytest.mark.django_db
def test_who_has_which_skill_is_read_once_per_view_and_never_names_an_agent_outside_it(floor):
    teams = teams_of(floor)
    hidden = next(i for i, t in teams.items() if t == 4)
    tara = signed_in(floor, LEAD)
    tom = signed_in(floor, add_user(floor, "tom.lead@acme.example", teams=(3, 4)))
    uma = signed_in(floor, add_user(floor, "uma.lead@acme.example", teams=(3, 4), hidden=(int(hidden),)))
    answers, reads = {}, {}
    for name, browser in (("tara", tara), ("tom", tom), ("uma", uma)):
        agents_of(browser)
        answer = browser.client.get("/api/supervisor/skill-agents/", **XHR)
        assert answer.status_code == 200
        answers[name] = {a for entry in answer.json()["skills"].values() for a in entry["agentIds"]}
        reads[name] = api_calls(floor.sim, "agents/skills")
    assert answers["tara"] == answers["tom"] and {teams[a] for a in answers["tara"]} == {3, 4}
    assert hidden in answers["tara"] and hidden not in answers["uma"]
    assert reads["tara"] > 0 and reads["tom"] == reads["tara"]  # Tom is served Tara's read of their view
    assert reads["uma"] > reads["tom"]  # the room names an agent Uma may not see: a read of her own


@pytest.mark.django_db
def test_a_big_first_board_comes_before_a_slow_directory_and_its_logins_follow(floor, portal_clock, monkeypatch):
    """A big first board (more than board.QUICK_ROUNDS rounds of pages: every board here) is
    made of the supervisor's own read of their view (their proof) and does not wait for the
    agent directory (logins); the logins reach every row at a later poll, as a delta, once the
    directory has been read, and never take an agent back to an older state than the same
    poll's read brought."""
    from workspaces import board as board_read

    monkeypatch.setattr(board_read, "QUICK_ROUNDS", 0)
    gate = threading.Event()
    floor.sim.api.gates["agents"] = gate
    try:
        sam = signed_in(floor, SUPERVISOR)
        first = board(sam)
        assert first.status_code == 200
        body = first.json()
        assert body["count"] == len(body["agents"]) > 0 and not any(a["userName"] for a in body["agents"])
    finally:
        gate.set()
    room = Workspace(sam.identity.tenant, sam.identity.cxone_user_id, None, cache=cache).shared_room(proof_of(sam).view)
    key = room.state("agents")["logins_pending"][0]
    for _ in range(400):  # the directory's read ends on its own thread, in real time (bounded)
        if cache.get(key) is not None:
            break
        time.sleep(0.025)
    assert cache.get(key), "the directory's logins never reached the cache"
    directory_reads = floor.sim.count("api", path="agents")
    portal_clock.later(90)  # the next poll, a while on (its delta holds changed states), and the logins
    delta = board(sam, QUERY_STRING=f"since={body['version']}", HTTP_IF_NONE_MATCH=f'"v{body["version"]}"')
    assert delta.status_code == 200 and delta.json()["full"] is False
    assert {a["agentId"] for a in delta.json()["agents"]} == {a["agentId"] for a in body["agents"]}
    shown = agents_of(sam)
    assert all(a["userName"] for a in shown.values())
    assert floor.sim.count("api", path="agents") == directory_reads  # the first board's directory filled them
    # every row as CXone has it now (the filled rows never brought back the first board's states)
    team = floor.sim.api.team_of(floor.tenant().tenant_id)
    now_rows, _ = team.states(sim_api._ms(portal_clock.now))
    assert {a: row["state"] for a, row in shown.items()} == {str(r["agentId"]): r["agentStateName"] for r in now_rows}


@pytest.mark.django_db
def test_a_tab_that_found_the_proof_due_while_another_rechecked_it_does_not_recheck_again(floor, portal_clock, monkeypatch):
    """Two tabs of one supervisor (the board's poll and the skills' come together) find the proof
    due at once; the second to take the lease reads the proof again and finds it re-checked."""
    from workspaces.floor import Floor

    sam = signed_in(floor, SUPERVISOR)
    assert board(sam).status_code == 200
    before = proof_of(sam)
    portal_clock.later(61)
    floor.sim.reset_calls()
    assert board(sam).status_code == 200  # the re-check
    stored, handed = Floor.stored, []

    def read_before_the_store(self):  # this tab read the proof before the other stored its re-check
        if not handed:
            handed.append(True)
            return before
        return stored(self)
    monkeypatch.setattr(Floor, "stored", read_before_the_store)
    assert board(sam).status_code == 200
    rechecks = [c for c in floor.sim.calls if c.get("path") == "agents/states" and not c.get("updatedSince")]
    assert handed and len(rechecks) == 1
