"""Soak: many agents signing in and working against the portal under gunicorn.

Starts the CXone simulator (loopback), a fresh deployment (SQLite, or PostgreSQL/Redis from
DATABASE_URL/CACHE_URL) and one gunicorn instance; then N concurrent sessions each sign in,
click through the dashboard and the JSON session API (GET and POST, XHR), sign out through
CXone's end_session and start again. Tokens are short-lived, so refreshes happen under load.
Prints sign-ins/s, requests/s, latency percentiles, errors and worker memory.

    .venv/bin/python bench/load.py --sessions 50 --duration 300
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import requests  # noqa: E402

from simulator.server import RunningSimulator  # noqa: E402
from tests import procs  # noqa: E402
from simulator.browser import answer_authorize  # noqa: E402

USERS = {
    "acme": ["alex.agent@acme.example", "sam.supervisor@acme.example", "ada.admin@acme.example"],
    "globex": ["gus.agent@globex.example", "tess.lead@globex.example", "olga.admin@globex.example"],
}


def worker_rss(master_pid):
    rss = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(master_pid):
            rss[int(status.parent.name)] = int(fields["VmRSS"].split()[0]) // 1024
    return rss


class Agent(threading.Thread):
    def __init__(self, n, portal, deadline, stats, clicks, think, op_issuer):
        super().__init__(daemon=True)
        self.op_issuer = op_issuer
        self.n, self.portal, self.deadline, self.stats = n, portal, deadline, stats
        self.clicks, self.think = clicks, think

    def call(self, kind, method, url, **kwargs):
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, allow_redirects=False, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.stats.error(kind, type(exc).__name__)
            return None
        self.stats.record(kind, time.perf_counter() - started)
        return response

    def expect(self, kind, response, status):
        if response is not None and response.status_code != status:
            self.stats.error(kind, f"HTTP {response.status_code}")
            return False
        return response is not None

    def run(self):
        tenant = "acme" if self.n % 2 else "globex"
        user = USERS[tenant][self.n % 3]
        while time.monotonic() < self.deadline:
            self.http = requests.Session()
            start = self.call("authenticate", "GET", f"{self.portal}/oidc/authenticate/?tenant={tenant}")
            if not self.expect("authenticate", start, 302):
                continue
            location = answer_authorize(start.headers["Location"], user, http=self.http)
            callback = self.call("callback", "GET", location)
            if not self.expect("callback", callback, 302):
                continue
            self.stats.sign_in()
            for i in range(self.clicks):
                if time.monotonic() >= self.deadline:
                    break
                if i % 3 == 0:
                    self.expect("dashboard", self.call("dashboard", "GET", f"{self.portal}/dashboard/"), 200)
                elif i % 3 == 1:
                    r = self.call("api GET", "GET", f"{self.portal}/api/session/", headers={"X-Requested-With": "XMLHttpRequest"})
                    self.expect("api GET", r, 200)
                else:
                    headers = {"X-Requested-With": "XMLHttpRequest", "X-CSRFToken": self.http.cookies.get("csrftoken", ""), "Referer": self.portal + "/"}
                    self.expect("api POST", self.call("api POST", "POST", f"{self.portal}/api/session/", headers=headers), 200)
                time.sleep(self.think)
            headers = {"X-CSRFToken": self.http.cookies.get("csrftoken", ""), "Referer": self.portal + "/"}
            out = self.call("logout", "POST", f"{self.portal}/oidc/logout/", headers=headers)
            if self.expect("logout", out, 302):
                location = out.headers["Location"]
                if not location.startswith(self.op_issuer):
                    self.stats.error("logout", "no CXone end_session (tokens were gone)")
                    continue
                back = self.http.get(location, allow_redirects=False)  # CXone's end_session
                self.expect("signed-out", self.call("signed-out", "GET", back.headers["Location"]), 200)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = Counter()
        self.sign_ins = 0

    def record(self, kind, seconds):
        with self.lock:
            self.latency[kind].append(seconds * 1000)

    def error(self, kind, what):
        with self.lock:
            self.errors[f"{kind}: {what}"] += 1

    def sign_in(self):
        with self.lock:
            self.sign_ins += 1


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * p / 100)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--token-ttl", type=int, default=20, help="seconds; short, so refreshes happen under load")
    parser.add_argument("--clicks", type=int, default=120, help="requests per session before it signs out")
    parser.add_argument("--think", type=float, default=0.1, help="seconds between a session's requests")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    op = RunningSimulator(token_ttl=args.token_ttl)
    tmp = Path(tempfile.mkdtemp(prefix="cxone-load-"))
    deployment = procs.Deployment(tmp, op)
    portal = deployment.gunicorn(workers=args.workers, threads=args.threads)
    backend = "PostgreSQL" if procs.using_postgres() else "SQLite"
    cache = "Redis" if procs.using_redis() else "local memory"
    print(f"gunicorn {args.workers} workers x {args.threads} threads, {backend}, {cache} cache; "
          f"{args.sessions} sessions for {args.duration:g} s, {args.clicks} requests each then sign-out, "
          f"{args.think:g} s think time; tokens live {args.token_ttl} s", flush=True)

    stats = Stats()
    started = time.monotonic()
    deadline = started + args.duration
    agents = [Agent(n, portal.url, deadline, stats, args.clicks, args.think, op.issuer) for n in range(args.sessions)]
    for agent in agents:
        agent.start()
    samples = []  # worker memory every 30 s: growth shows as a rising series, warm-up as a step
    while time.monotonic() < deadline:
        time.sleep(min(30, max(0.1, deadline - time.monotonic())))
        samples.append((round(time.monotonic() - started), worker_rss(portal.process.pid)))
    for agent in agents:
        agent.join(60)
    elapsed = time.monotonic() - started
    refreshes = op.simulator.count("token", grant_type="refresh_token")
    deployment.close()
    op.stop()

    total = sum(len(v) for v in stats.latency.values())
    every = [x for v in stats.latency.values() for x in v]
    print(f"sign-ins: {stats.sign_ins} ({stats.sign_ins / elapsed:.1f}/s)   requests: {total} ({total / elapsed:.0f}/s)   "
          f"token refreshes: {refreshes}   errors: {sum(stats.errors.values())}")
    print(f"{'request':14} {'count':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind in sorted(stats.latency):
        v = stats.latency[kind]
        print(f"{kind:14} {len(v):7} {statistics.median(v):8.1f} {pct(v, 90):8.1f} {pct(v, 99):8.1f} {max(v):8.1f}")
    print(f"{'all':14} {total:7} {statistics.median(every):8.1f} {pct(every, 90):8.1f} {pct(every, 99):8.1f} {max(every):8.1f}")
    for kind, n in stats.errors.most_common():
        print(f"error  {kind}: {n}")
    pids = sorted({pid for _, rss in samples for pid in rss})
    print("worker RSS MiB every 30 s:")
    for pid in pids:
        print(f"  worker {pid}: " + " ".join(f"{rss.get(pid, '?')}" for _, rss in samples))
    return 1 if stats.errors else 0


if __name__ == "__main__":
    sys.exit(main())
