"""One tenant's CXone takes 8 s a call (tests/test_slow_tenant.py's setting): how long another
tenant's board poll and /healthz take meanwhile, under gunicorn. The test holds the order
(they answer before the slow tenant's one read does); the times are this script's.

    .venv/bin/python bench/slow_tenant.py [--rounds 3] [--polls 20]

On the embedded defaults one worker (local-memory caches are per process); with CACHE_URL and
DATABASE_URL of PostgreSQL and Redis, two workers x four threads, as the test. Prints the other
tenant's poll (median, p95, worst), /healthz (median, worst) and the slow tenant's answers.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='cxone-slow-')}/unused.sqlite3")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402

from simulator.server import RunningSimulator  # noqa: E402
from tests import procs  # noqa: E402
from tests.live import LiveBrowser  # noqa: E402

XHR = {"X-Requested-With": "XMLHttpRequest"}
SLOW = 8.0


def one_round(polls):
    op = RunningSimulator()
    deployment = procs.Deployment(Path(tempfile.mkdtemp(prefix="cxone-slow-")), op, CXONE_READ_RATE_LIMIT="100000/m")
    try:
        portal = deployment.gunicorn(workers=2, threads=4) if procs.using_redis() else deployment.gunicorn(workers=1, threads=8)
        acme = LiveBrowser(portal.url, op)
        acme.sign_in(tenant="acme", username="sam.supervisor@acme.example")
        globex = LiveBrowser(portal.url, op)
        globex.sign_in(tenant="globex", username="tess.lead@globex.example")
        globex.http.get(portal.url + "/api/supervisor/agents/", headers=XHR, timeout=30)  # warm
        tenant = next(t for t in op.simulator.tenants.values() if t.slug == "acme")
        op.simulator.api.delays[tenant.tenant_id] = SLOW
        cookies, acme_answers = acme.http.cookies.get_dict(), []

        def acme_tab():
            started = time.monotonic()
            status = requests.get(portal.url + "/api/supervisor/agents/", headers=XHR, cookies=cookies, timeout=30).status_code
            acme_answers.append((status, time.monotonic() - started))
        tabs = [threading.Thread(target=acme_tab) for _ in range(8)]
        for tab in tabs:
            tab.start()
        other, health = [], []
        for _ in range(polls):
            started = time.monotonic()
            globex.http.get(portal.url + "/api/supervisor/agents/", headers=XHR, timeout=30)
            other.append((time.monotonic() - started) * 1000)
            started = time.monotonic()
            requests.get(portal.url + "/healthz", timeout=30)
            health.append((time.monotonic() - started) * 1000)
            tabs[0].join(0.1)  # a poll's pace
        for tab in tabs:
            tab.join(60)
        return other, health, acme_answers
    finally:
        deployment.close()
        op.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--polls", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"{'PostgreSQL + Redis, 2 workers x 4 threads' if procs.using_redis() else 'SQLite + local memory, 1 worker x 8 threads'}")
    other, health, acme = [], [], []
    for _ in range(args.rounds):
        o, h, a = one_round(args.polls)
        other, health, acme = other + o, health + h, acme + a
    ordered = sorted(other)
    print(f"another tenant's board while acme's CXone takes {SLOW:.0f} s a call: median {statistics.median(other):.0f} ms, "
          f"p95 {ordered[int(len(ordered) * 0.95) - 1]:.0f} ms, worst {max(other):.0f} ms over {len(other)} polls")
    print(f"/healthz meanwhile: median {statistics.median(health):.0f} ms, worst {max(health):.0f} ms")
    print(f"acme's tabs: {sorted(s for s, _ in acme)}; the slowest answered after {max(t for _, t in acme):.1f} s "
          f"(its one read's deadline, CXONE_HTTP_TIMEOUT, is {os.environ.get('CXONE_HTTP_TIMEOUT', '10')} s)")


if __name__ == "__main__":
    main()
