"""Wall-clock figures the tests used to hold as budgets (a busy machine failed them), printed
here instead: the simulator's 3,000-agent pages; how long the requests that do not fetch wait
while one does (CXone slow) or while the tenant's slots are taken; how long a board read takes
on each hostile CXone answer (tests/test_api_fuzz.py); how long the portal's bounded read takes
to give up a slow drip and a 300 MB body from an OpenID Provider (tests/test_fuzz.py). The slow
tenant's neighbour under gunicorn is bench/slow_tenant.py.

    .venv/bin/python bench/timings.py [--rounds 5] [--latency-ms 400]

Prints each figure's median and worst over the rounds, and the machine it ran on.
"""
import argparse
import os
import platform
import statistics
import threading
import time
import uuid
from types import SimpleNamespace

import common  # noqa: F401  (sets Django up)
import requests
from django.core.cache.backends.locmem import LocMemCache

from simulator.server import RunningSimulator
from workspaces.adapter import Limits, TokenSource, Workspace

SUPERVISOR = "sam.supervisor@acme.example"


def simulator_pages():
    """(first page with the team built, all 60 pages) in ms: 3,000 agents in pages of 50."""
    op = RunningSimulator(team_size=3000, page_cap=50)
    try:
        tenant, _ = op.simulator.find_user(SUPERVISOR)
        http = requests.Session()
        http.headers.update({"Authorization": "Bearer " + op.simulator.issue_tokens(SUPERVISOR)["access_token"], "Accept": "application/json"})
        url = f"{op.issuer}/api-{tenant.area}/inContactAPI/services/v30.0/agents/states"
        started = time.perf_counter()
        http.get(url, params={"top": 100}, timeout=30).raise_for_status()
        first = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        for skip in range(0, 3000, 50):
            http.get(url, params={"skip": skip, "top": 50}, timeout=30).raise_for_status()
        return first, (time.perf_counter() - started) * 1000
    finally:
        op.stop()


def workspace(op, cache, user="u1", tenant_pk=1, **limits):
    token = op.simulator.issue_tokens(SUPERVISOR)["access_token"]
    tenant = SimpleNamespace(pk=tenant_pk, api_base_url=op.issuer + "/api-na1")
    return Workspace(tenant, user, TokenSource(lambda: token, lambda rejected: None), cache=cache,
                     limits=Limits(**limits), session=requests.Session())


def waits_beside_a_fetch(latency):
    """Four tabs at once, CXone slow: the three that do not fetch, their answer times (ms)."""
    op = RunningSimulator()
    op.simulator.latency = latency
    cache, waits, pk = LocMemCache(uuid.uuid4().hex, {}), [], uuid.uuid4().int
    try:
        def poll():
            ws = workspace(op, cache, first_load_wait=0.1, tenant_pk=pk)
            started = time.monotonic()
            ws.board()
            waits.append((time.monotonic() - started) * 1000)
        threads = [threading.Thread(target=poll) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        op.stop()
    return sorted(waits)[:3]


def busy_answer(latency):
    """A second user of a tenant whose one slot a slow fetch holds: ms to its api_busy."""
    op = RunningSimulator()
    op.simulator.latency = latency
    cache, pk = LocMemCache(uuid.uuid4().hex, {}), uuid.uuid4().int
    try:
        slow = threading.Thread(target=workspace(op, cache, tenant_concurrency=1, tenant_pk=pk).board)
        slow.start()
        time.sleep(latency / 2)  # the slow fetch is in flight
        started = time.monotonic()
        workspace(op, cache, user="u2", tenant_concurrency=1, tenant_pk=pk).board()
        answered = (time.monotonic() - started) * 1000
        slow.join()
    finally:
        op.stop()
    return answered


def hostile_api_slowest():
    """The slowest board read (ms) over tests/test_api_fuzz.py's hostile CXone answers (the
    test's own bounds: 300 agents, a 3 s deadline), and which answer it was."""
    from tests.test_api_fuzz import HOSTILE, HostileCXone

    hostile, slowest = HostileCXone(), (0.0, "")
    try:
        for name, answer in HOSTILE.items():
            hostile.answer = answer
            tenant = SimpleNamespace(pk=uuid.uuid4().int, api_base_url=hostile.base)
            ws = Workspace(tenant, "u1", TokenSource(lambda: "token", lambda rejected: None),
                           cache=LocMemCache(uuid.uuid4().hex, {}), limits=Limits(max_agents=300, timeout=3),
                           session=requests.Session())
            started = time.perf_counter()
            try:
                ws.board()
            except Exception:  # a reason: what the view answers; only the time matters here
                pass
            slowest = max(slowest, ((time.perf_counter() - started) * 1000, name))
    finally:
        hostile.stop()
    return slowest


def _drip(seconds):
    yield b'{"access_token": "'
    for _ in range(int(seconds / 0.1)):
        time.sleep(0.1)  # the slow peer waits, not the bench
        yield b"a"
    yield b'"}'


def _huge(megabytes):
    yield b'{"access_token": "'
    for _ in range(megabytes):
        yield b"A" * (1 << 20)
    yield b'"}'


def op_gives_up(hook, deadline=1.0):
    """ms until the portal's bounded read (core/untrusted.py: 256 KiB, `deadline` s) gives up an
    OpenID Provider's answer that `hook` makes hostile (the JWKS here)."""
    from core.untrusted import UntrustedBodyError, read_body

    op = RunningSimulator()
    try:
        jwks_uri = requests.get(op.issuer + "/.well-known/openid-configuration", timeout=10).json()["jwks_uri"]
        op.simulator.body_hooks = {"jwks": hook}
        started = time.perf_counter()
        try:
            with requests.get(jwks_uri, stream=True, timeout=deadline) as response:
                read_body(response, timeout=deadline)
        except (UntrustedBodyError, requests.RequestException):
            pass
        return (time.perf_counter() - started) * 1000
    finally:
        op.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=400)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    pages = [simulator_pages() for _ in range(args.rounds)]
    beside = [max(waits_beside_a_fetch(latency)) for _ in range(args.rounds)]
    busy = [busy_answer(latency) for _ in range(args.rounds)]
    hostile = [hostile_api_slowest() for _ in range(args.rounds)]
    drip = [op_gives_up(lambda body: _drip(60)) for _ in range(args.rounds)]
    huge = [op_gives_up(lambda body: _huge(300)) for _ in range(args.rounds)]
    for label, values in (("simulator, 3,000 agents: first page (team built)", [p[0] for p in pages]),
                          ("simulator, 3,000 agents: all 60 pages of 50", [p[1] for p in pages]),
                          (f"tabs beside a fetch (CXone {args.latency_ms:.0f} ms): slowest of three", beside),
                          ("api_busy while the tenant's slot is held: answer", busy),
                          (f"hostile CXone API: slowest board read of tests/test_api_fuzz.py's answers ({max(hostile)[1]})",
                           [h[0] for h in hostile]),
                          ("OP's 60 s drip given up (deadline 1 s)", drip),
                          ("OP's 300 MB body given up (limit 256 KiB)", huge)):
        print(f"{label}: median {statistics.median(values):.0f} ms, worst {max(values):.0f} ms")


if __name__ == "__main__":
    main()
