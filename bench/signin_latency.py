"""Callback latency, SQL queries and server-to-server calls per sign-in: the portal against
stock mozilla-django-oidc, in one process, against the same simulator (an independent OP in
a process of its own) with 50 ms added to every server-to-server call (a round trip to a
CXone region).

The portal's own time is the callback's wall time less the time spent waiting on
server-to-server calls (measured around `requests.Session.send`, which every outbound call
of both variants goes through).

    .venv/bin/python bench/signin_latency.py [--rounds 40] [--latency-ms 50]
"""
import argparse
import contextlib
import time
from collections import Counter
from urllib.parse import urlsplit

import common  # noqa: F401  (sets Django up)
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from simulator.browser import answer_authorize

USERS = ["alex.agent@acme.example", "sam.supervisor@acme.example", "ada.admin@acme.example"]
_outbound = {"seconds": 0.0, "calls": []}
_send = requests.Session.send


def _timed_send(self, request, **kwargs):
    started = time.perf_counter()
    try:
        # Headers received; a small body is in the socket buffer by then (the portal streams it).
        return _send(self, request, **kwargs)
    finally:
        _outbound["seconds"] += time.perf_counter() - started
        _outbound["calls"].append(urlsplit(request.url).path.rsplit("/", 1)[-1])


requests.Session.send = _timed_send


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def one_sign_in(start_path, params, username, count_queries=False):
    client = Client()
    start = client.get(start_path, params)
    assert start.status_code == 302, start.content[:300]
    callback = urlsplit(answer_authorize(start["Location"], username))
    _outbound["seconds"], _outbound["calls"] = 0.0, []
    # Counting queries wraps every cursor in Django's debug wrapper: a round of its own.
    with CaptureQueriesContext(connection) if count_queries else contextlib.nullcontext() as queries:
        started = time.perf_counter()
        response = client.get(callback.path + "?" + callback.query)
        elapsed = time.perf_counter() - started
    assert response.status_code == 302 and response["Location"] == "/dashboard/", (response.status_code, response.get("Location"))
    statements = [q["sql"] for q in queries.captured_queries] if count_queries else []
    data = [sql for sql in statements if not sql.startswith(TRANSACTION_CONTROL)]
    return elapsed, _outbound["seconds"], (len(data), len(statements)), list(_outbound["calls"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    op = common.prepare(latency=args.latency_ms / 1000, separate_process=True)
    variants = {
        "portal (CXoneOIDCBackend)": ("/oidc/authenticate/", {"tenant": "acme"}),
        "stock mozilla-django-oidc": ("/stock/authenticate/", {}),
    }
    results = {name: {"times": [], "s2s": [], "own": [], "calls": Counter(), "sign_ins": 0} for name in variants}
    cold = one_sign_in(*variants["portal (CXoneOIDCBackend)"], USERS[0], count_queries=True)
    for name, (path, params) in variants.items():  # warm-up, not measured; then one round counting queries
        for user in USERS:
            one_sign_in(path, params, user)
        results[name]["queries"] = one_sign_in(path, params, USERS[0], count_queries=True)[2]
    for i in range(args.rounds):
        for name, (path, params) in variants.items():  # interleaved: same conditions for both
            elapsed, s2s, _, calls = one_sign_in(path, params, USERS[i % len(USERS)])
            r = results[name]
            r["times"].append(elapsed * 1000)
            r["s2s"].append(s2s * 1000)
            r["own"].append((elapsed - s2s) * 1000)
            r["calls"].update(calls)
            r["sign_ins"] += 1
    op.stop()
    print(f"Callback, {args.rounds} sign-ins each, {args.latency_ms:g} ms added per server-to-server call (medians)")
    print("queries: SQL statements in the callback, without (and with) BEGIN/COMMIT/SAVEPOINT")
    print(f"{'variant':28} {'callback ms':>11} {'s2s ms':>7} {'own ms':>7} {'queries':>8} {'calls':>6}  breakdown")
    print(f"{'':28} {'':>11} {'':>7} {'':>7} {'(+txn)':>8}")
    for name, r in results.items():
        per = sum(r["calls"].values()) / r["sign_ins"]
        breakdown = ", ".join(f"{k} {v / r['sign_ins']:g}" for k, v in sorted(r["calls"].items()))
        med = {k: common.summary(r[k])["median"] for k in ("times", "s2s", "own")}
        data, total = r["queries"]
        print(f"{name:28} {med['times']:11.1f} {med['s2s']:7.1f} {med['own']:7.2f} {f'{data} ({total})':>8} {per:6.2f}  {breakdown}")
    names = list(variants)
    portal, stock = (common.summary(results[n]["times"])["median"] for n in names)
    print(f"portal / stock callback time: {portal / stock:.2f}x")
    print(f"portal / stock own time: {common.summary(results[names[0]]['own'])['median'] / common.summary(results[names[1]]['own'])['median']:.2f}x")
    print(f"(portal, first sign-in with a cold JWKS cache: {cold[0] * 1000:.1f} ms, {cold[2][0]} queries, calls {cold[3]})")


if __name__ == "__main__":
    main()
