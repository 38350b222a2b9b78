"""CPU of one board refresh with a 40-row change, at 3,000 and 20,000 agents: what the request
that holds the lease spends after CXone answered (the state read from the cache, the merge, the
delta and the store), on the local-memory cache and on Redis (pickled), no network to CXone.

    .venv/bin/python bench/board_fetch_cpu.py [--agents 3000 20000] [--changed 40] [--rounds 20] [--redis redis://127.0.0.1:6379/9]

Prints per size: CPU ms per refresh (median, p90), and the bytes the room keeps in the cache.
"""
import argparse
import os
import pickle
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402,F401  (sets Django up)

from django.core.cache.backends.locmem import LocMemCache  # noqa: E402

from workspaces import board  # noqa: E402
from workspaces.adapter import Limits, with_digest  # noqa: E402
from workspaces.cxone_api import Listing  # noqa: E402
from workspaces import resources as resources_module  # noqa: E402
from workspaces.resources import Resources  # noqa: E402

STATES = ("Available", "Unavailable", "InboundContact", "OutboundContact", "LoggedOut")


def row(i, n):
    return {"agentId": str(100000 + i), "firstName": f"First{i % 97}", "lastName": f"Last{i % 389}", "userName": f"agent{i}@acme.example",
            "teamId": str(1 + i % 20), "teamName": f"Team {1 + i % 20}", "state": STATES[(i + n) % 5], "stateReason": "",
            "stateSince": f"2026-12-07T10:{n % 60:02d}:00Z", "skillId": "4101", "skillName": "Phone Support", "mediaType": "PhoneCall",
            "contactId": str(900000 + i + n), "isACW": False, "acw": False}


def fetcher(agents, changed, rnd):
    state_n = [0]

    def fetch(state, started):
        state_n[0] += 1
        n = state_n[0]
        full = state is None
        rows = [row(i, n) for i in (range(agents) if full else rnd.sample(range(agents), changed))]
        listing = Listing(rows=rows, total=agents if full else None)
        plan = board.Plan(full=True) if full else board.Plan(full=False, updated_since="2026-12-07T10:00:00Z")
        logins = state["logins"] if state else {r["agentId"]: r["userName"] for r in rows}
        return with_digest(state, board.merge(state, plan, listing, rows, "2026-12-07T10:00:00Z", logins, started))
    return fetch


def kept_bytes(cache, res):
    total = 0
    for part in getattr(resources_module, "PARTS", ("meta", "body", "state", "delta")):
        value = cache.get(res.key("agents", part))
        total += len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) if value is not None else 0
    return total


def measure(cache, agents, changed, rounds):
    clock = [1796126400.0]
    res = Resources(cache, lambda: clock[0], tenant_pk=1, scope=f"bench:{agents}", limits=Limits(), sleep=time.sleep)
    fetch = fetcher(agents, changed, random.Random(agents))
    res.serve("agents", 5, fetch)  # the first, full read
    times = []
    for _ in range(rounds):
        clock[0] += 5
        started = time.process_time()
        res.serve("agents", 5, fetch, with_body=False)
        times.append((time.process_time() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], kept_bytes(cache, res)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, nargs="+", default=[3000, 20000])
    parser.add_argument("--changed", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    caches = [("local memory", LocMemCache("bench", {"TIMEOUT": 600}))]
    try:
        from core.cache import RedisCache  # the deployment's (settings.py)

        redis = RedisCache(args.redis, {"TIMEOUT": 600})
        redis.clear()
        caches.append(("redis", redis))
    except Exception as exc:  # noqa: BLE001  (a machine without Redis still gets the local figures)
        print(f"(no Redis: {exc})")
    print(f"one board refresh, {args.changed} rows changed: CPU ms (median / p90), bytes kept in the cache")
    for agents in args.agents:
        for label, cache in caches:
            median, p90, kept = measure(cache, agents, args.changed, args.rounds)
            print(f"  {agents:>6} agents  {label:<13} {median:7.1f} / {p90:7.1f} ms   {kept / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
