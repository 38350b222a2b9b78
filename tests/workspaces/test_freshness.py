"""What a poll is told about the data's age when the engine could not refresh it, and what the
cache keeps while CXone answers "nothing changed" or keeps failing (workspaces/resources.py).
Found by reading the engine beside issue 24's "no answer is ever older than its age says": a
poll under another user's back-off, or with the tenant's slots busy, was answered from old
data marked fresh; a run of 304s renewed the meta but let the body expire ("not loaded").
The clock is injected; no test sleeps."""
import json
from dataclasses import replace

import pytest
from django.core.cache import cache

from core.reasons import Reason
from workspaces.adapter import Limits
from workspaces.cxone_api import NOT_MODIFIED, APIError
from workspaces.lease import Priority, tenant_slots
from workspaces.resources import STALE_AFTER, STATE, KeptStates, Resources, Status, kept_states

MIDNIGHT_05 = 1796083500.0  # 2026-12-01T00:05:00Z


class Clock:
    def __init__(self, now=MIDNIGHT_05):
        self.now = now

    def __call__(self):
        return self.now


class Touches:
    """The portal's cache, noting which keys had their lifetime renewed."""

    def __init__(self, inner):
        self.inner, self.touched = inner, {}

    def touch(self, key, timeout):
        self.touched[key] = timeout
        return self.inner.touch(key, timeout)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture(autouse=True)
def clean():
    cache.clear()
    yield
    cache.clear()


def resources(clock, tenant, store=cache):
    limits = Limits(poll_seconds=5, first_load_wait=0, tenant_concurrency=2)
    return Resources(store, clock, tenant_pk=tenant, scope=f"{tenant}:u", limits=limits, sleep=lambda s: None)


def read(state, started):
    return {"payload": {"read": started}}, {"read": started}


def never(state, started):
    raise AssertionError("CXone was asked")


def test_data_not_refreshed_under_the_tenants_back_off_says_stale_with_the_cause():
    clock = Clock()
    res = resources(clock, 9101)
    assert res.serve("agents", 5, read, priority=Priority.BOARD).error is None
    cache.set(res.backoff_key(), clock.now + 600, 600)  # another user's 429 backs the tenant off
    clock.now += 5 * STALE_AFTER - 1
    assert json.loads(res.serve("agents", 5, never, priority=Priority.BOARD).body)["stale"] is False  # young enough
    clock.now += 2
    served = res.serve("agents", 5, never, priority=Priority.BOARD)
    body = json.loads(served.body)
    assert body["stale"] is True and body["reason"] == "api_throttled" and body["message"]
    assert served.age == 5 * STALE_AFTER + 1  # its real age, not the age of the mark


def test_data_not_refreshed_for_want_of_a_slot_says_stale():
    clock = Clock()
    res = resources(clock, 9102)
    res.serve("agents", 5, read, priority=Priority.BOARD)
    slots = tenant_slots(9102, 2)
    assert slots.take(Priority.BOARD) and slots.take(Priority.BOARD)
    try:
        clock.now += 60
        served = res.serve("agents", 5, never, priority=Priority.BOARD)
    finally:
        slots.give()
        slots.give()
    body = json.loads(served.body)
    assert body["stale"] is True and body["reason"] == "api_busy" and res.meta("agents").status is Status.STALE


def test_a_run_of_304s_keeps_the_body_and_state_as_long_as_the_meta():
    clock = Clock()
    store = Touches(cache)
    res = resources(clock, 9103, store)
    answers = iter([({"payload": {"a": 1}, "agents": {}}, {"a": 1}), NOT_MODIFIED])
    res.serve("agents", 5, lambda state, started: next(answers), priority=Priority.BOARD)
    clock.now += 5
    res.serve("agents", 5, lambda state, started: next(answers), priority=Priority.BOARD)
    keep = res.meta("agents").keep
    for part in ("body", STATE, "delta"):
        assert store.touched[res.key("agents", part)] == keep


def test_a_repeated_failure_keeps_the_last_data_as_long_as_its_stale_mark():
    clock = Clock()
    store = Touches(cache)
    res = resources(clock, 9104, store)
    res.serve("agents", 5, read, priority=Priority.BOARD)

    def failing(state, started):
        raise APIError(Reason.API_BAD_RESPONSE, "junk", 200)
    for _ in range(2):  # the second failure of the same cause only renews the mark
        clock.now += 5
        res.serve("agents", 5, failing, priority=Priority.BOARD)
    assert store.touched[res.key("agents", "body")] == res.meta("agents").keep
    assert json.loads(res.body("agents").body)["stale"] is True


def test_a_poll_that_saw_a_due_meta_just_before_another_stored_does_not_fetch_again():
    clock = Clock()
    res = resources(clock, 9105)
    fetches = []

    def counted(state, started):
        fetches.append(started)
        return read(state, started)
    res.serve("agents", 5, counted, priority=Priority.BOARD)
    clock.now += 5
    seen = res.meta("agents")  # a poll reads the meta: due
    res.serve("agents", 5, counted, priority=Priority.BOARD)  # another poll fetches, stores, releases
    res._refresh("agents", 5, counted, seen, clock.now, Priority.BOARD)  # the first takes the free lease
    assert len(fetches) == 2


def test_data_while_another_request_holds_a_long_fetch_says_stale_past_three_intervals():
    clock = Clock()
    res = resources(clock, 9106)
    res.serve("agents", 5, read, priority=Priority.BOARD)
    elsewhere = res.lease("agents")
    assert elsewhere.acquire()  # a fetch in flight on another worker, and a slow one
    try:
        clock.now += 5 * STALE_AFTER - 1
        assert json.loads(res.serve("agents", 5, never, priority=Priority.BOARD).body)["stale"] is False
        clock.now += 2
        served = res.serve("agents", 5, never, priority=Priority.BOARD)
    finally:
        elsewhere.release()
    body = json.loads(served.body)
    assert body["stale"] is True and body["reason"] == "api_busy" and served.age == 5 * STALE_AFTER + 1
    clock.now += 1
    fresh = res.serve("agents", 5, read, priority=Priority.BOARD)  # the next fetch clears the mark
    assert json.loads(fresh.body)["stale"] is False


def test_the_whole_body_is_encoded_once_when_first_asked_for():
    clock = Clock()
    res = resources(clock, 9107)

    def board(state, started):
        payload = {"agents": [{"agentId": "1"}], "n": started}
        return {"payload": payload, "agents": {}}, payload
    res.serve("agents", 5, board, priority=Priority.BOARD, with_body=False)
    assert cache.get(res.key("agents", "body")) is None  # a fetch stores the state, not the body
    first = res.serve("agents", 5, never, priority=Priority.BOARD)
    assert json.loads(first.body)["n"] == clock.now and cache.get(res.key("agents", "body"))["version"] == first.version
    clock.now += 5
    res.serve("agents", 5, board, priority=Priority.BOARD, with_body=False)
    second = res.body("agents")  # the stored body is of the version before: this one is encoded now
    assert second.version > first.version and json.loads(second.body)["n"] == clock.now


def test_a_room_with_refresh_threads_answers_at_once_and_refreshes_behind():
    import threading

    from workspaces.refresher import Refresher

    clock = Clock()
    limits = Limits(poll_seconds=5, first_load_wait=0, tenant_concurrency=2)
    refresher = Refresher(1)
    res = Resources(cache, clock, tenant_pk=9108, scope="9108:view:v", limits=limits, sleep=lambda s: None, shared=True,
                    refresher=refresher)
    assert res.serve("agents", 5, read, priority=Priority.BOARD).error is None  # a first load: on the request's thread
    first = res.meta("agents").version
    release, entered = threading.Event(), threading.Event()

    def slow(state, started):
        entered.set()
        assert release.wait(30)  # CXone answers only when the test says (bounded)
        return read(state, started)
    clock.now += 5
    served = res.serve("agents", 5, slow, priority=Priority.BOARD)  # due: handed over, answered at once
    assert served.version == first and served.age == 5
    assert entered.wait(30)
    again = res.serve("agents", 5, never, priority=Priority.BOARD)  # queued already: not handed twice
    assert again.version == first
    release.set()
    refresher.pool.shutdown(wait=True)
    assert res.meta("agents").version > first and res.meta("agents").status is Status.FRESH


# --- the states a process keeps beside the cache (resources.KeptStates) ------------------------------

def test_a_refresh_builds_on_this_process_copy_only_while_the_meta_names_it():
    """A refresh starts from the state this process stored (no unpickling), unless another
    process stored a newer one since: the meta names its state, and that one is read."""
    clock, seen = Clock(), []
    res = resources(clock, 71)

    def counting(state, started):
        seen.append(None if state is None else state.get("n"))
        n = (state or {}).get("n", 0) + 1
        return {"payload": {"n": n}, "n": n}, {"n": n}
    res.serve("agents", 5, counting)
    clock.now += 5
    res.serve("agents", 5, counting)
    assert seen == [None, 1]
    # the cache's copy differs, the meta still names this process's state: its own copy is used
    key = res.key("agents", STATE)
    cache.set(key, {**cache.get(key), "n": 99}, 60)
    clock.now += 5
    res.serve("agents", 5, counting)
    assert seen == [None, 1, 2]
    # another process stores its own state (its own id in the meta): this process's copy is not used
    cache.set(key, {**cache.get(key), "n": 41, "state_id": "theirs"}, 60)
    cache.set(res.key("agents", "meta"), replace(res.meta("agents"), state_id="theirs"), 60)
    clock.now += 5
    res.serve("agents", 5, counting)
    assert seen == [None, 1, 2, 41]
    assert json.loads(res.body("agents").body)["n"] == 42
    # dropped (a refusal): no copy of it is used again
    res.drop("agents")
    assert kept_states.get(key, res.meta("agents").state_id) is None and res.state("agents") is None


def test_the_kept_states_are_bounded_by_count_and_by_rows():
    kept = KeptStates(size=3, rows=902)  # a state weighs 1 + its rows
    for n in range(5):
        kept.put(f"k{n}", str(n), {"agents": {}})
    assert list(kept.states) == ["k2", "k3", "k4"] and kept.get("k0", "0") is None
    kept.put("big", "b", {"agents": {str(i): {} for i in range(900)}})
    assert list(kept.states) == ["k4", "big"] and kept.get("big", "b") is not None
    assert kept.get("big", "another") is None  # only the state its meta names
