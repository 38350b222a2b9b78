"""The engine under the board (workspaces/resources.py, lease.py, board.py) on the portal's own
cache (local memory, or Redis on the services run), against the simulator on loopback:
fairness inside a tenant, a refused delta, a lease that covers its fetch and is released only
by its owner, entries kept a few intervals (issue 26: 1, 8, 11). The clock is injected; a
fetch CXone is "slow" on is held at its first step until the test lets it go."""
import itertools
import threading
import time
from dataclasses import replace
from types import SimpleNamespace

import pytest
import requests
from django.core.cache import cache

from core.reasons import Reason
from simulator.server import RunningSimulator
from workspaces import adapter
from workspaces.adapter import Limits, TokenSource, Workspace

from .test_board_adapter import gated  # CXone slow for a workspace: its fetch waits until a gate opens
from workspaces.lease import Priority, backend, lease, tenant_slots
from workspaces.resources import KEEP_INTERVALS, MIN_KEEP, STATE, Status, keep_seconds

SUPERVISOR = "sam.supervisor@acme.example"
MIDNIGHT_05 = 1796083500.0  # 2026-12-01T00:05:00Z
_tenants = itertools.count(7000)


class Clock:
    def __init__(self, now=MIDNIGHT_05):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sim(clock):
    running = RunningSimulator(clock=clock)  # 60 agents, pages of 25
    yield running
    running.stop()


def workspace(op, clock, *, user="u1", tenant_pk=None, base=None, **limits):
    token = op.simulator.issue_tokens(SUPERVISOR)["access_token"]
    tenant = SimpleNamespace(pk=tenant_pk or next(_tenants), api_base_url=base or op.issuer + "/api-na1")
    settings = dict(poll_seconds=5, full_read_seconds=300, timeout=10, first_load_wait=0, tenant_concurrency=2, max_agents=20000,
                    max_bytes=64 * 1024 * 1024, page_size=100)
    settings.update(limits)
    return Workspace(tenant, user, TokenSource(lambda: token, lambda rejected: None), cache=cache, clock=clock,
                     sleep=lambda seconds: None, limits=Limits(**settings), session=requests.Session())


def wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.01)


def seconds_to_live(key):
    """What is left of a cache key's life, on either cache (None: no expiry or no key)."""
    store = backend(cache)
    name = store.make_and_validate_key(key)
    if hasattr(store, "_expire_info"):
        expiry = store._expire_info.get(name)
        return None if expiry is None else expiry - time.time()
    left = store._cache.get_client(name).ttl(name)
    return None if left < 0 else left


def states_calls(op, **match):
    return op.simulator.count("api", path="agents/states", **match)


# --- 1. one supervisor's secondary reads never take another supervisor's board -------------------

def test_ever_new_secondary_reads_with_cxone_slow_leave_another_supervisors_board_a_slot(sim, clock):
    """Before: each of one supervisor's reads (codes, contacts of ever-new ids) took one of the
    tenant's slots, and another supervisor's board answered api_busy."""
    gate, answers = threading.Event(), {}
    tenant_pk = next(_tenants)

    def secondary(n):
        ws = gated(workspace(sim, clock, user="greedy", tenant_pk=tenant_pk), gate)
        answers[n] = ws.contacts(f"{1001 + n}").error
    threads = [threading.Thread(target=secondary, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    wait_for(lambda: len(answers) == 5)  # one read in flight; the other five answered at once
    assert set(answers.values()) == {Reason.API_BUSY} and tenant_slots(tenant_pk, 2).in_use == 1
    other = workspace(sim, clock, user="other", tenant_pk=tenant_pk)
    served = other.board()
    assert served.error is None and states_calls(sim) > 0  # another supervisor's board is read
    gate.set()
    for t in threads:
        t.join(30)
    assert list(answers.values()).count(None) == 1


def test_reads_other_than_the_board_leave_one_slot_free():
    slots = tenant_slots(next(_tenants), 3)
    assert slots.take(Priority.SECONDARY) and slots.take(Priority.SECONDARY)
    assert not slots.take(Priority.SECONDARY)  # the last one is the board's
    assert slots.take(Priority.BOARD) and not slots.take(Priority.BOARD)
    for _ in range(3):
        slots.give()
    alone = tenant_slots(next(_tenants), 1)
    assert alone.take(Priority.SECONDARY)  # one slot: fairness can't hold, but nothing starves


# --- 8. a refused delta read becomes a full read at once ------------------------------------------

def refuse_the_next_delta(ws):
    """A lastPollTime CXone no longer accepts (it answers the delta 400)."""
    key = ws.resources.key("agents", STATE)
    state = cache.get(key)
    cache.set(key, {**state, "last_poll": "2026-13-45T99:99:99Z", "state_id": "tampered"}, 60)
    # the meta names the state it goes with (else this process's own copy of the state is used)
    cache.set(ws.resources.key("agents", "meta"), replace(ws.resources.meta("agents"), state_id="tampered"), 60)


def test_a_refused_delta_falls_back_to_a_full_read_at_once(sim, clock):
    """Before: the board stayed stale with api_bad_request on every poll."""
    ws = workspace(sim, clock)
    assert ws.board().error is None
    refuse_the_next_delta(ws)
    sim.simulator.reset_calls()
    clock.now += 10
    served = ws.board()
    assert served.error is None and ws.resources.meta("agents").status is Status.FRESH
    assert states_calls(sim, updatedSince=True) == 1 and states_calls(sim, updatedSince=False) == 3  # then all 3 pages
    assert cache.get(ws.resources.backoff_key() + ":n") is None  # the full read answered: no back-off
    clock.now += 10
    ws.board()
    assert states_calls(sim, updatedSince=True) == 2  # and deltas again from the new base


def test_a_refused_delta_whose_full_read_fails_too_is_stale_with_the_full_reads_cause(sim, clock):
    ws = workspace(sim, clock)
    ws.board()
    refuse_the_next_delta(ws)
    sim.simulator.api.faults["agents"] = 429  # the directory beside the full read: no matter
    clock.now += 10
    served = ws.board()
    assert served.error is None and ws.resources.meta("agents").status is Status.FRESH
    sim.simulator.api.faults["agents/states"] = 429
    clock.now += 10
    ws.board()
    meta = ws.resources.meta("agents")
    assert meta.status is Status.STALE and meta.reason == Reason.API_THROTTLED
    assert cache.get(ws.resources.backoff_key()) is not None  # a throttled read backs off


# --- 11. a lease that covers its fetch, released only by its owner ------------------------------

def test_the_lease_outlasts_a_token_refresh_waiting_on_another(sim, clock):
    """Before: the lease lasted the read's timeout + 2 s (12 s), shorter than a refresh that waits
    for another request's (2 x timeout + 5 = 25 s), so a second fetch started mid-fetch."""
    gate = threading.Event()
    ws = gated(workspace(sim, clock), gate)
    thread = threading.Thread(target=ws.board)
    thread.start()
    key = ws.resources.key("agents", "lease")
    wait_for(lambda: seconds_to_live(key) is not None)
    refresh_wait = 2 * ws.limits.timeout + 5
    assert seconds_to_live(key) > ws.limits.timeout + refresh_wait
    clock.now += 10  # another tab, the data due: it does not fetch while the first one does
    other = workspace(sim, clock, tenant_pk=ws.tenant.pk)
    assert other.board().error == Reason.API_NOT_LOADED and states_calls(sim) == 0
    gate.set()
    thread.join(30)
    assert states_calls(sim) == 3


def test_only_the_owner_releases_or_renews_a_lease():
    first = lease(cache, "cxone:test:lease", 30)
    assert first.acquire() and not lease(cache, "cxone:test:lease", 30).acquire()
    assert first.renew()
    cache.delete("cxone:test:lease")  # as if it had expired
    second = lease(cache, "cxone:test:lease", 30)
    assert second.acquire()
    first.release()  # not its own any more: left alone
    assert not first.renew() and not lease(cache, "cxone:test:lease", 30).acquire()
    second.release()
    assert lease(cache, "cxone:test:lease", 30).acquire()


def test_rediscovery_runs_after_the_lease_is_released(sim, clock, monkeypatch):
    seen = []
    ws = workspace(sim, clock, base="http://127.0.0.1:9/cxone-sim/api-na1")  # nothing listens there
    monkeypatch.setattr(adapter, "rediscover", lambda tenant, store: seen.append(ws.resources.lease("agents").acquire()))
    assert ws.board().error == Reason.API_UNAVAILABLE
    assert seen == [True]  # the lease was free while discovery ran


# --- what is kept, and for how long ---------------------------------------------------------------

def test_entries_and_refusals_are_kept_a_few_intervals_not_a_day(sim, clock):
    ws = workspace(sim, clock)
    ws.board()
    assert keep_seconds(5) == max(MIN_KEEP, KEEP_INTERVALS * 5) < 3600  # minutes, not a day
    assert 0 < seconds_to_live(ws.resources.key("agents", "meta")) <= keep_seconds(5) + 1
    assert 0 < seconds_to_live(ws.resources.key("agents", STATE)) <= keep_seconds(5) + 1
    sim.simulator.api.faults["contacts/completed"] = 404
    assert ws.contacts("999999").error == Reason.API_NOT_FOUND  # a refusal, answered like data
    assert 0 < seconds_to_live(ws.resources.key("contacts:999999", "meta")) <= keep_seconds(30) + 1
