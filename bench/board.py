"""The team board against CXone: the portal's cached, single-flight, delta-polling adapter
against a naive client (sequential pages, no cache, a full re-read every poll), in one run,
against the simulator as an independent OP with 50 ms added to every call.

    .venv/bin/python bench/board.py [--supervisors 100] [--tabs 2] [--seconds 30] [--latency-ms 50]

Prints: the cold first load (round trips, wall time), CXone calls and bytes per supervisor per
minute while every supervisor's tabs poll every 5 s, and the portal's own time per poll
served from the cache.
"""
import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import common  # noqa: F401  (sets Django up)
import requests
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from simulator.browser import answer_authorize
from workspaces.cxone_api import CXoneClient

POLL_EVERY = 5.0  # the board's script polls every 5 s
_wire = threading.local()
_stats = {"calls": 0, "bytes": 0}
_lock = threading.Lock()
_send = requests.Session.send


def _counted_send(self, request, **kwargs):
    response = _send(self, request, **kwargs)
    if "/inContactAPI/" in request.url:
        size = int(response.headers.get("Content-Length") or 0)  # the body is the client's to stream
        with _lock:
            _stats["calls"] += 1
            _stats["bytes"] += size
        _wire.calls = getattr(_wire, "calls", 0) + 1
    return response


requests.Session.send = _counted_send


def sign_in(username):
    client = Client()
    start = client.get("/oidc/authenticate/", {"tenant": "acme"})
    location = answer_authorize(start["Location"], username)
    path, _, query = location.partition("?")
    path = path.split("://", 1)[-1].split("/", 1)[-1]
    assert client.get("/" + path + "?" + query).status_code == 302
    return client


def naive_poll(base, token):
    """What a first attempt does: every page, one after another, every time."""
    client = CXoneClient(base, token, requests.Session(), timeout=10, page_size=100, parallel=1)
    url, rows = client.url("agents/states"), []
    page = client.call(url, {"top": 100}, path="agents/states")
    while isinstance(page, dict):
        rows += page.get("agentStates", [])
        next_url = client._next_url(page, url, "agents/states")
        page = client.call(next_url, path="agents/states") if next_url else None
    return rows


def run(label, polls, seconds, tabs):
    """Every supervisor's tabs poll every POLL_EVERY seconds for `seconds`; returns stats."""
    with _lock:
        _stats.update(calls=0, bytes=0)
    own, cached_own, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def tab(poll):
        while time.monotonic() < deadline:
            _wire.calls = 0
            started = time.perf_counter()
            poll()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                own.append(elapsed)
                if _wire.calls == 0:
                    cached_own.append(elapsed)
            time.sleep(max(0.0, POLL_EVERY - elapsed / 1000))

    with ThreadPoolExecutor(len(polls) * tabs) as pool:
        for poll in polls:
            for _ in range(tabs):
                pool.submit(tab, poll)
    minutes = seconds / 60
    return {
        "label": label,
        "calls_per_sup_min": _stats["calls"] / len(polls) / minutes,
        "kb_per_sup_min": _stats["bytes"] / 1024 / len(polls) / minutes,
        "polls": len(own),
        "cached_median_ms": statistics.median(cached_own) if cached_own else None,
        "poll_median_ms": statistics.median(own),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--supervisors", type=int, default=100)
    parser.add_argument("--tabs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    op = common.prepare(latency=args.latency_ms / 1000, separate_process=True, simulator_args=["--supervisors", str(args.supervisors)])
    settings.CXONE_MIN_TOKEN_LIFETIME = 1
    usernames = [f"supervisor{n}@acme.example" for n in range(args.supervisors)]
    clients = [sign_in(u) for u in usernames]
    xhr = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}

    # Cold first load of one board: round trips and wall time, portal vs naive.
    cache.clear()
    _stats["calls"] = 0
    started = time.perf_counter()
    first = clients[0].get("/api/supervisor/agents/", **xhr)
    assert first.status_code == 200, first.content[:300]
    cold_ms, cold_calls = (time.perf_counter() - started) * 1000, _stats["calls"]
    from accounts.models import TokenSession
    row = TokenSession.objects.select_related("tenant").first()
    base, token = row.tenant.api_base_url, row.access_token
    _stats["calls"] = 0
    started = time.perf_counter()
    naive_rows = naive_poll(base, token)
    naive_ms, naive_calls = (time.perf_counter() - started) * 1000, _stats["calls"]

    cache.clear()
    portal = run("portal (cache, single flight, deltas)",
                 [lambda c=c: c.get("/api/supervisor/agents/", **xhr) for c in clients], args.seconds, args.tabs)
    # One cached poll at a time (no other request in the process): the portal's own cost.
    quiet = []
    for _ in range(200):
        _wire.calls = 0
        started = time.perf_counter()
        clients[0].get("/api/supervisor/agents/", **xhr)
        if _wire.calls == 0:
            quiet.append((time.perf_counter() - started) * 1000)
    sample = clients[: max(1, args.supervisors // 10)]
    naive = run("naive (no cache, sequential pages, full re-read)",
                [lambda: naive_poll(base, token) for _ in sample], args.seconds, args.tabs)
    op.stop()

    print(f"Team board, {args.supervisors} supervisors x {args.tabs} tabs polling every {POLL_EVERY:g} s for {args.seconds:g} s, "
          f"{args.latency_ms:g} ms per CXone call, {len(naive_rows)} agents")
    print(f"cold first load: portal {cold_ms:.0f} ms, {cold_calls} calls (states and the agent directory side by side, later pages in parallel); "
          f"naive {naive_ms:.0f} ms, {naive_calls} calls one after another ({naive_calls} round trips)")
    print(f"{'variant':50} {'CXone calls/sup/min':>20} {'KB read/sup/min':>16} {'polls':>7} {'cached poll ms':>15}")
    for r in (portal, naive):
        cached = f"{r['cached_median_ms']:.2f}" if r["cached_median_ms"] is not None else "—"
        print(f"{r['label']:50} {r['calls_per_sup_min']:20.1f} {r['kb_per_sup_min']:16.1f} {r['polls']:7d} {cached:>15}")
    print("(naive measured on a tenth of the supervisors; its rates are per supervisor)")
    print(f"a cached poll alone (200 in a row, one thread): median {statistics.median(quiet):.2f} ms, "
          f"p90 {sorted(quiet)[int(len(quiet) * 0.9)]:.2f} ms")


if __name__ == "__main__":
    main()
