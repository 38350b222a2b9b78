"""The board's data path without a request: workspaces/adapter.py with an injected clock and
cache, against the simulator's APIs on loopback at the size of a large contact centre."""
import json
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
import requests
from django.core.cache.backends.locmem import LocMemCache

from core.reasons import Reason
from simulator.server import RunningSimulator
from workspaces.adapter import Limits, TokenSource, Workspace

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"
SUPERVISOR = "sam.supervisor@acme.example"
MIDNIGHT_05 = 1796083500.0  # 2026-12-01T00:05:00Z: the tests run at five past midnight UTC


class Clock:
    def __init__(self, now=MIDNIGHT_05):
        self.now = now

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def big(clock):
    running = RunningSimulator(team_size=3000, page_cap=50, clock=clock)
    yield running
    running.stop()


def workspace(op, clock, *, cache=None, user="u1", tenant_pk=1, refreshed=None, **limits):
    token = op.simulator.issue_tokens(SUPERVISOR)["access_token"]
    seen = refreshed if refreshed is not None else []
    tokens = TokenSource(lambda: token, lambda rejected: seen.append(rejected))
    tenant = SimpleNamespace(pk=tenant_pk, api_base_url=op.issuer + "/api-na1")
    settings = dict(poll_seconds=5, full_read_seconds=300, timeout=10, first_load_wait=2, tenant_concurrency=2, max_agents=20000,
                    max_bytes=64 * 1024 * 1024, page_size=100)
    settings.update(limits)
    return Workspace(tenant, user, tokens, cache=cache or LocMemCache(uuid.uuid4().hex, {}), clock=clock, sleep=clock.sleep,
                     limits=Limits(**settings), session=requests.Session())


def board(served):
    assert served.error is None, served.error
    return json.loads(served.body)


def state_calls(op):
    return op.simulator.count("api", path="agents/states")


def test_3000_agents_in_pages_of_50_are_all_on_the_first_load(big, clock):
    ws = workspace(big, clock)
    body = board(ws.board())
    assert body["full"] is True and body["count"] == body["total"] == 3000 and len(body["agents"]) == 3000
    assert body["partial"] is False and len({a["agentId"] for a in body["agents"]}) == 3000
    assert state_calls(big) == 60  # 3000 / 50: the first page, then the rest in parallel


def test_a_bound_says_showing_n_of_m(big, clock):
    body = board(workspace(big, clock, max_agents=1000).board())
    assert body["partial"] is True and body["count"] == 1000 and body["total"] == 3000


def test_within_the_interval_no_cxone_call_and_the_version_the_browser_has_is_a_304(big, clock):
    ws = workspace(big, clock)
    first = ws.board()
    calls = state_calls(big)
    clock.now += 4
    again = ws.board(if_none_match=first.etag)
    assert again.not_modified and again.version == first.version and state_calls(big) == calls
    assert ws.board().body == first.body  # the same stored bytes, not re-encoded


def test_after_the_interval_only_changes_are_asked_for_and_served(big, clock):
    ws = workspace(big, clock)
    first = ws.board()
    clock.now += 30
    second = ws.board()
    assert second.version > first.version
    sent = [c for c in big.simulator.calls if c.get("path") == "agents/states"][-1]
    assert sent["updatedSince"] is True
    delta = json.loads(ws.board_since(first.version).body)
    assert delta["full"] is False and 0 < len(delta["agents"]) < 3000 and delta["version"] == second.version


def test_an_agent_cxone_stops_listing_leaves_within_the_full_read_interval(big, clock):
    ws = workspace(big, clock)
    first = board(ws.board())
    gone = first["agents"][7]["agentId"]
    big.simulator.api.remove_agent(ACME, int(gone))
    clock.now += 10  # a delta: CXone does not report removals in deltas
    ws.board()
    clock.now += 300  # the full re-read
    last = ws.board()
    body = board(last)
    assert gone not in {a["agentId"] for a in body["agents"]} and body["count"] == 2999
    delta = json.loads(ws.board_since(first["version"]).body)
    assert gone in delta["removed"]


def test_a_supervisor_cxone_starts_refusing_gets_the_reason_not_the_cached_board(big, clock):
    refused = []
    ws = workspace(big, clock)
    ws.on_refused = refused.append
    board(ws.board())
    big.simulator.api.faults["agents/states"] = 403
    clock.now += 5
    served = ws.board()
    assert served.error == Reason.API_FORBIDDEN and served.body is None and refused == [Reason.API_FORBIDDEN]
    clock.now += 1
    assert ws.board().error == Reason.API_FORBIDDEN  # never the old data
    assert ws.board_ids() == set()


def test_a_401_that_survives_the_refresh_drops_the_data(big, clock):
    refreshed = []
    ws = workspace(big, clock, refreshed=refreshed)
    board(ws.board())
    big.simulator.api.faults["agents/states"] = 401
    clock.now += 5
    assert ws.board().error == Reason.API_UNAUTHORIZED and len(refreshed) == 1


def test_throttling_serves_the_last_data_marked_stale_and_backs_off_per_tenant(big, clock):
    ws = workspace(big, clock)
    first = board(ws.board())
    big.simulator.api.faults["agents/states"] = 429
    clock.now += 5
    stale = board(ws.board())
    assert stale["stale"] is True and stale["reason"] == "api_throttled" and stale["count"] == first["count"]
    calls = state_calls(big)
    clock.now += 1
    other = workspace(big, clock, cache=ws.cache, user="u2")  # the same tenant: backing off too
    assert other.board().error == Reason.API_THROTTLED and state_calls(big) == calls
    del big.simulator.api.faults["agents/states"]
    clock.now += 120
    fresh = board(ws.board())
    assert fresh["stale"] is False and ws.cache.get(ws.resources.backoff_key()) is None  # reset once CXone answered


def test_an_older_fetch_never_overwrites_newer_data(big, clock):
    ws = workspace(big, clock)
    ws.board()
    clock.now += 10
    newer = ws.board()
    older = ws.resources._fetch("agents", 60, lambda state, started: ({"agents": {}, "payload": {}, "history": []}, {"agents": []}),
                                clock.now - 8, ws.resources.lease("agents"))
    assert older.meta.version == newer.version and json.loads(ws.board().body)["count"] == 3000


@pytest.fixture
def small(clock):
    running = RunningSimulator(clock=clock)  # 60 agents, pages of 25: 3 pages
    yield running
    running.stop()


def wait_for(condition, seconds=20):
    """Until `condition()` holds, at most `seconds` (a deadline, not a guessed sleep)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.01)


def gated(ws, gate):
    """The workspace's fetch waits at its first step (the token) until the test opens `gate`."""
    current = ws.tokens.current

    def held():
        assert gate.wait(30)
        return current()
    ws.tokens = TokenSource(held, ws.tokens.refresh)
    return ws


def test_one_fetch_in_flight_and_nobody_waits_for_it(small, clock):
    """While one request fetches (held at its first step), the others answer: "not loaded yet"
    after the short first-load wait, or "busy" when the tenant's slots are taken."""
    cache, gate = LocMemCache(uuid.uuid4().hex, {}), threading.Event()
    answers = {}

    def poll(n):
        ws = gated(workspace(small, clock, cache=cache, first_load_wait=0.1, page_size=100), gate)
        answers[n] = ws.board().error
    threads = [threading.Thread(target=poll, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    wait_for(lambda: len(answers) == 3)  # three answered while the fourth is still fetching
    assert not gate.is_set() and set(answers.values()) <= {Reason.API_NOT_LOADED, Reason.API_BUSY}
    gate.set()
    for t in threads:
        t.join(30)
    assert list(answers.values()).count(None) == 1 and state_calls(small) == 3  # one read of the 3 pages, not four


def test_one_slow_tenant_takes_at_most_its_share_of_threads(small, clock):
    from workspaces.lease import tenant_slots

    cache, gate = LocMemCache(uuid.uuid4().hex, {}), threading.Event()
    result = {}

    def slow():
        result["slow"] = gated(workspace(small, clock, cache=cache, tenant_concurrency=1, tenant_pk=991), gate).board().error
    thread = threading.Thread(target=slow)
    thread.start()
    wait_for(lambda: tenant_slots(991, 1).in_use == 1)  # the slow fetch holds the tenant's one slot
    other_user = workspace(small, clock, cache=cache, user="u2", tenant_concurrency=1, tenant_pk=991)
    assert other_user.board().error == Reason.API_BUSY  # at once: nobody waits for a slot
    gate.set()
    thread.join(30)
    assert result["slow"] is None
