"""Callback latency and server-to-server calls per sign-in: the portal against stock
mozilla-django-oidc, in one process, against the same simulator with 50 ms added to every
server-to-server call (a round trip to a CXone region).

    .venv/bin/python bench/signin_latency.py [--rounds 40] [--latency-ms 50]
"""
import argparse
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import common  # noqa: F401  (sets Django up)
import requests
from django.test import Client

USERS = ["alex.agent@acme.example", "sam.supervisor@acme.example", "ada.admin@acme.example"]


def one_sign_in(sim, start_path, params, username):
    client = Client()
    start = client.get(start_path, params)
    assert start.status_code == 302, start.content[:300]
    authorize = start["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    answer = requests.post(authorize.split("?")[0], data={**query, "pick": username}, allow_redirects=False)
    callback = urlsplit(answer.headers["Location"])
    mark = len(sim.calls)
    started = time.perf_counter()
    response = client.get(callback.path + "?" + callback.query)
    elapsed = time.perf_counter() - started
    assert response.status_code == 302 and response["Location"] == "/dashboard/", (response.status_code, response.get("Location"))
    return elapsed, common.s2s_calls(sim, mark)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    op = common.prepare(latency=args.latency_ms / 1000)
    sim = op.simulator
    variants = {
        "portal (CXoneOIDCBackend)": ("/oidc/authenticate/", {"tenant": "acme"}),
        "stock mozilla-django-oidc": ("/stock/authenticate/", {}),
    }
    results = {name: {"times": [], "calls": Counter(), "sign_ins": 0} for name in variants}
    cold, cold_calls = one_sign_in(sim, *variants["portal (CXoneOIDCBackend)"], USERS[0])
    for name, (path, params) in variants.items():  # warm-up, not measured
        for user in USERS:
            one_sign_in(sim, path, params, user)
    for i in range(args.rounds):
        for name, (path, params) in variants.items():  # interleaved: same conditions for both
            elapsed, calls = one_sign_in(sim, path, params, USERS[i % len(USERS)])
            results[name]["times"].append(elapsed * 1000)
            results[name]["calls"].update(calls)
            results[name]["sign_ins"] += 1
    op.stop()
    print(f"Callback latency, {args.rounds} sign-ins each, {args.latency_ms:g} ms added per server-to-server call")
    print(f"{'variant':32} {'median ms':>10} {'p90 ms':>8} {'calls/sign-in':>14}  breakdown")
    for name, r in results.items():
        s = common.summary(r["times"])
        per = sum(r["calls"].values()) / r["sign_ins"]
        breakdown = ", ".join(f"{k} {v / r['sign_ins']:g}" for k, v in sorted(r["calls"].items()))
        print(f"{name:32} {s['median']:10.1f} {s['p90']:8.1f} {per:14.2f}  {breakdown}")
    print(f"(portal, first sign-in with a cold JWKS cache: {cold * 1000:.1f} ms, calls {cold_calls})")


if __name__ == "__main__":
    main()
