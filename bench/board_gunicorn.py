"""The team board under gunicorn: 100 supervisors, two tabs each, polling every 5 s, on two
workers; the portal's own time per poll served from the cache, measured by gunicorn itself
(the access log's duration), against the simulator with 50 ms per CXone call.

    .venv/bin/python bench/board_gunicorn.py [--supervisors 100] [--tabs 2] [--seconds 60]

A poll that called CXone takes at least the simulated 50 ms; every poll under it was served
from the cache. Prints their median and p90, how many polls there were, and CXone's calls.
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='cxone-board-')}/unused.sqlite3")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402

from simulator.browser import answer_authorize  # noqa: E402
from simulator.provider import SimUser  # noqa: E402
from simulator.server import RunningSimulator  # noqa: E402
from tests import procs  # noqa: E402

PATH = "/api/supervisor/agents/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--supervisors", type=int, default=100)
    parser.add_argument("--tabs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    op = RunningSimulator()
    acme = op.simulator.tenants["11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"]
    acme.users += [SimUser(f"supervisor{n}@acme.example", "Super", f"Visor{n}", "Manager", agent_id=9000 + n)
                   for n in range(args.supervisors)]
    tmp = Path(tempfile.mkdtemp(prefix="cxone-board-"))
    deployment = procs.Deployment(tmp, op)
    portal = deployment.gunicorn(workers=args.workers, threads=args.threads)
    sessions = []
    for n in range(args.supervisors):
        http = requests.Session()
        start = http.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False)
        callback = http.get(answer_authorize(start.headers["Location"], f"supervisor{n}@acme.example", http=http), allow_redirects=False)
        assert callback.status_code == 302, callback.text[:300]
        sessions.append(http.cookies.get_dict())
    op.simulator.latency = args.latency_ms / 1000
    op.simulator.reset_calls()
    log = tmp / "gunicorn-0.log"
    mark = log.stat().st_size
    deadline = time.monotonic() + args.seconds
    errors = []
    lock = threading.Lock()

    def tab(cookies, offset):
        time.sleep(offset)  # browsers open their tabs at different moments, not in lockstep
        while time.monotonic() < deadline:
            began = time.monotonic()
            response = requests.get(portal.url + PATH, cookies=cookies, headers={"X-Requested-With": "XMLHttpRequest"}, timeout=30)
            if response.status_code != 200:
                with lock:
                    errors.append(response.status_code)
            time.sleep(max(0.0, 5.0 - (time.monotonic() - began)))

    with ThreadPoolExecutor(len(sessions) * args.tabs) as pool:
        for cookies in sessions:
            for _ in range(args.tabs):
                pool.submit(tab, cookies, random.uniform(0, 5))
    api_calls = op.simulator.count("api")
    deployment.close()
    op.stop()

    durations = []
    with open(log) as lines:
        lines.seek(mark)
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("path") == PATH and "duration_us" in entry:
                durations.append(entry["duration_us"] / 1000)
    cached = sorted(d for d in durations if d < args.latency_ms)
    minutes = args.seconds / 60
    print(f"gunicorn {args.workers} workers x {args.threads} threads; {args.supervisors} supervisors x {args.tabs} tabs "
          f"polling every 5 s for {args.seconds:g} s; {args.latency_ms:g} ms per CXone call; errors {len(errors)}")
    print(f"polls {len(durations)}, from the cache {len(cached)}; CXone calls {api_calls} "
          f"({api_calls / args.supervisors / minutes:.1f} per supervisor per minute)")
    if cached:
        print(f"portal time per poll served from the cache (gunicorn's own measure): median {statistics.median(cached):.2f} ms, "
              f"p90 {cached[int(len(cached) * 0.9)]:.2f} ms")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
