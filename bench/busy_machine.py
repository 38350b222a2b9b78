"""Issue 23's robustness proof: `make test` twice in a row while the 3,000-agent demo (with a
supervisor's board polling it) and a second `make test` run beside it.

    .venv/bin/python bench/busy_machine.py [--agents 3000] [--runs 2] [--keep-logs]

From a checkout with its `.venv`: starts `make run` with CXONE_SIMULATOR_AGENTS on a free port
(its database and logs in a scratch VAR_DIR, not var/), signs a supervisor in and polls the
board at the page's pace; clones the checkout's HEAD into /tmp (its `.venv` a symlink to this
one) and runs `make test` there over and over; runs `make test` here `--runs` times in a row.
Prints each run's result, duration and the load average (1 min: before, mean and worst during),
the board polls' statuses, then stops everything it started (process groups, bounded waits).

Every `make` is given `-o .venv/.installed`: a fresh clone's requirement files are newer than
the shared venv's stamp, and make would otherwise rebuild that venv under the other runs.
Committed changes only reach the clone: commit first.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.live import LiveBrowser  # noqa: E402

SUPERVISOR = "sam.supervisor@acme.example"
XHR = {"X-Requested-With": "XMLHttpRequest"}
KEEP_VENV = ["-o", ".venv/.installed"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(args, cwd, log, **env):
    """A process in a group of its own (make, its shell and its children end together)."""
    return subprocess.Popen(args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, **env})


def stop(process, grace=20):
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


class Load:
    """The 1-minute load average, sampled every 5 s."""

    def __init__(self):
        self.samples, self.stopping = [], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.wait(5):
            self.samples.append((time.monotonic(), os.getloadavg()[0]))

    def between(self, started, ended):
        values = [v for t, v in self.samples if started <= t <= ended] or [os.getloadavg()[0]]
        return sum(values) / len(values), max(values)


class BoardPoller(threading.Thread):
    """A supervisor's board tab on the demo: one poll every `pace` seconds, as the page does
    (ETag and 304 included); signs in again when the session ends."""

    def __init__(self, url, pace):
        super().__init__(daemon=True)
        self.url, self.pace = url, pace
        self.statuses, self.stopping, self.rows = Counter(), threading.Event(), 0

    def sign_in(self):
        browser = LiveBrowser(self.url, None)
        browser.sign_in(tenant="acme", username=SUPERVISOR)
        return browser.http

    def run(self):
        http, etag = None, None
        while not self.stopping.wait(0 if http is None else self.pace):
            try:
                http = http or self.sign_in()
                answer = http.get(self.url + "/api/supervisor/agents/", timeout=60,
                                  headers={**XHR, **({"If-None-Match": etag} if etag else {})})
                self.statuses[answer.status_code] += 1
                if answer.status_code == 200:
                    etag, self.rows = answer.headers.get("ETag"), len(answer.json().get("agents", []))
                elif answer.status_code in (401, 403):
                    http, etag = None, None
            except Exception as exc:  # the demo is busy, not gone: note it and poll again
                self.statuses[type(exc).__name__] += 1
                http = None if isinstance(exc, AssertionError) else http
                self.stopping.wait(self.pace)


def summary(log_path):
    """pytest's last line ("N passed, M skipped in 812.3s (0:13:32)") and the failures' ids."""
    text = Path(log_path).read_text(errors="replace")
    lines = [line for line in text.splitlines() if re.search(r"\b(passed|failed|error)\b.* in [0-9.]+s", line)]
    failures = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M)))
    return (lines[-1].strip("= ") if lines else "no pytest summary"), failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pace", type=float, default=5.0, help="seconds between the board's polls")
    parser.add_argument("--run-timeout", type=float, default=3600, help="seconds one make test may take")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="busy-machine-"))
    load = Load()
    print(f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
          f"load before: {' '.join(f'{v:.1f}' for v in os.getloadavg())}; logs in {scratch}", flush=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    demo = beside = poller = beside_thread = None
    results = []
    try:
        # 1. The demo with 3,000 agents, its data in a scratch VAR_DIR.
        port = free_port()
        demo = start(["make", *KEEP_VENV, "run", f"PORT={port}"], ROOT, open(scratch / "demo.log", "w"),
                     CXONE_SIMULATOR_AGENTS=str(args.agents), VAR_DIR=str(scratch / "demo-var"))
        url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 300
        while True:
            try:
                if requests.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if demo.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the demo did not come up (see {scratch / 'demo.log'})")
            time.sleep(1)  # paces the wait for the demo to listen
        poller = BoardPoller(url, args.pace)
        poller.start()
        deadline = time.monotonic() + 300
        while not poller.statuses and time.monotonic() < deadline:
            time.sleep(1)  # paces the wait for the first poll's answer
        print(f"demo: {url}, {args.agents} agents per tenant, {SUPERVISOR}'s board polled every {args.pace:.0f} s; "
              f"first answers {dict(poller.statuses)}, {poller.rows} rows", flush=True)

        # 2. A second checkout (HEAD) running make test over and over.
        clone = scratch / "second-checkout"
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "--detach", head], check=True)
        (clone / ".venv").symlink_to((ROOT / ".venv").resolve())
        beside_runs, beside_stop = [], threading.Event()

        def run_beside():
            nonlocal beside
            n = 0
            while not beside_stop.is_set():
                n += 1
                log = scratch / f"beside-{n}.log"
                began = time.monotonic()
                beside = start(["make", *KEEP_VENV, "test"], clone, open(log, "w"))
                try:
                    rc = beside.wait(args.run_timeout)
                except subprocess.TimeoutExpired:
                    stop(beside)
                    rc = "timeout"
                if beside_stop.is_set() and rc not in (0, "timeout"):
                    rc = "stopped"
                beside_runs.append((n, rc, time.monotonic() - began, *summary(log)))
        beside_thread = threading.Thread(target=run_beside, daemon=True)
        beside_thread.start()
        print(f"second make test: {clone} (HEAD {head[:10]}), over and over", flush=True)

        # 3. make test here, twice in a row.
        for n in range(1, args.runs + 1):
            log = scratch / f"run-{n}.log"
            began = time.monotonic()
            run = start(["make", *KEEP_VENV, "test"], ROOT, open(log, "w"))
            try:
                rc = run.wait(args.run_timeout)
            except subprocess.TimeoutExpired:
                stop(run)
                rc = "timeout"
            ended = time.monotonic()
            mean, worst = load.between(began, ended)
            line, failures = summary(log)
            results.append(rc)
            print(f"run {n}: make test {'passed' if rc == 0 else f'FAILED ({rc})'} in {(ended - began) / 60:.1f} min; "
                  f"load mean {mean:.1f}, worst {worst:.1f}; {line}", flush=True)
            for failure in failures:
                print(f"    {failure}", flush=True)
        beside_stop.set()
    finally:
        if poller is not None:
            poller.stopping.set()
        stop(beside)
        stop(demo)
        load.stopping.set()
    if beside_thread is not None:
        beside_thread.join(60)
        stop(beside)  # one started just before the stop was seen
    for n, rc, seconds, line, failures in beside_runs:
        state = "passed" if rc == 0 else "stopped when the runs here ended" if rc == "stopped" else f"FAILED ({rc})"
        print(f"second checkout, run {n}: {state} after {seconds / 60:.1f} min; {line}")
        for failure in failures:
            print(f"    {failure}")
    if poller is not None:
        print(f"board polls on the demo: {dict(poller.statuses)}, {poller.rows} rows in the last full answer")
    print(f"load after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if not args.keep_logs and all(rc == 0 for rc in results):
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        print(f"logs kept in {scratch}")
    return 0 if results and all(rc == 0 for rc in results) else 1


if __name__ == "__main__":
    sys.exit(main())
