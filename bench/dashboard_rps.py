"""Requests per second on /dashboard/ for a signed-in CXone user, with the refresh
middleware and without it (the same view, the same session), in one process.

    .venv/bin/python bench/dashboard_rps.py [--requests 3000]
"""
import argparse
import time
from urllib.parse import urlsplit

import common  # noqa: F401  (sets Django up)
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from simulator.browser import answer_authorize

MIDDLEWARE_PATH = "accounts.middleware.TokenRefreshMiddleware"


def signed_in_cookies(sim):
    client = Client()
    location = answer_authorize(client.get("/oidc/authenticate/", {"tenant": "acme"})["Location"])
    callback = urlsplit(location)
    assert client.get(callback.path + "?" + callback.query).status_code == 302
    return client.cookies


def client_with(middleware, cookies):
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        client.cookies = cookies
        assert client.get("/dashboard/").status_code == 200  # builds its handler now
    return client


def timed(client, n):
    started = time.perf_counter()
    for _ in range(n):
        response = client.get("/dashboard/")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and b"Alex Rivera" in response.content
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    op = common.prepare(latency=0.05)
    cookies = signed_in_cookies(op.simulator)
    with_mw = client_with(list(settings.MIDDLEWARE), cookies)
    without_mw = client_with([m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH], cookies)
    op.simulator.reset_calls()
    totals = {"with refresh middleware": 0.0, "without it": 0.0}
    done = 0
    timed(with_mw, 100), timed(without_mw, 100)  # warm-up
    while done < args.requests:  # alternate batches so both see the same machine state
        totals["with refresh middleware"] += timed(with_mw, args.batch)
        totals["without it"] += timed(without_mw, args.batch)
        done += args.batch
    calls = len(op.simulator.calls)
    op.stop()
    print(f"/dashboard/ for a signed-in CXone user, {done} requests each, in-process (Django test client), one thread")
    print(f"{'variant':26} {'req/s':>8} {'mean µs':>9}")
    for name, total in totals.items():
        print(f"{name:26} {done / total:8.0f} {total / done * 1e6:9.0f}")
    overhead = (totals["with refresh middleware"] - totals["without it"]) / done * 1e6
    print(f"middleware cost per request with a fresh token: {overhead:+.0f} µs; outbound calls during the run: {calls}")


if __name__ == "__main__":
    main()
