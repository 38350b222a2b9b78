"""PostgreSQL transactions per poll, before (main's code) and after (this checkout).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> CACHE_URL=redis://127.0.0.1:6379/<n> \\
        .venv/bin/python bench/poll_transactions.py [--supervisors 10] [--rounds 20] [--before main]

For each code (`--before`, a git ref exported with `git archive` into a temporary directory, and
this checkout): a database of its own, migrated and registered by that code; gunicorn from that
code (2 workers x 4 threads) on it and Redis; supervisors of one tenant signed in through the
simulator, their first polls made. Then, per kind of poll, every supervisor polls `--rounds`
times (a round: all at once), and PostgreSQL's own count of the database's transactions
(pg_stat_database: xact_commit + xact_rollback) is read before and after, each time once the
backends have flushed their counts (an idle backend flushes within 10 s). Kinds:

- board 304, skills 304: the ETag the page has (CXONE_BOARD_POLL_SECONDS=3600: nothing fetched);
- session: `/api/session/`;
- board, fetching: CXONE_BOARD_POLL_SECONDS=1 and a round every 1.2 s: each poll fetches the
  delta from CXone (the token row read), answered 200 when something changed, else 304.

Also prints gunicorn's own time per poll (the access log's duration), median.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
import requests  # noqa: E402

from simulator.browser import answer_authorize  # noqa: E402
from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET  # noqa: E402
from simulator.provider import SimUser  # noqa: E402
from simulator.server import RunningSimulator  # noqa: E402
from tests import procs  # noqa: E402

XHR = {"X-Requested-With": "XMLHttpRequest"}
BOARD, SKILLS, SESSION = "/api/supervisor/agents/", "/api/supervisor/skills/", "/api/session/"
FLUSH_WAIT = 11  # PostgreSQL 15: an idle backend's counts reach pg_stat_database within 10 s
ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"


def admin_url():
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(scheme="postgresql", path="/postgres"))


class Code:
    """One version of the portal: a directory of its code, a database of its own."""

    def __init__(self, label, root, op, tmp):
        self.label, self.root, self.op, self.tmp = label, Path(root), op, tmp
        self.name = f"cxone_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + self.name))
        self.env = procs.portal_env(url, STATIC_ROOT=tmp / "static", CACHE_URL=os.environ["CACHE_URL"],
                                    CACHE_KEY_PREFIX=f"bench-{uuid.uuid4().hex[:8]}", LOG_LEVEL="WARNING")
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")
        for tenant in op.simulator.tenants.values():
            self.manage("register_tenant", "--issuer", op.issuer, "--client-id", DEMO_CLIENT_ID, "--client-secret",
                        DEMO_CLIENT_SECRET, "--tenant-id", tenant.tenant_id, "--name", tenant.name, "--slug", tenant.slug)
        self.process = None

    def manage(self, *args):
        done = subprocess.run([procs.PYTHON, str(self.root / "manage.py"), *args], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]

    def start(self, poll_seconds):
        self.port = procs.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.tmp / f"gunicorn-{self.port}.log"
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4",
               "CXONE_BOARD_POLL_SECONDS": str(poll_seconds), "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / f"metrics-{self.port}")}
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([procs.PYTHON, "-m", "gunicorn", "-c", str(self.root / "gunicorn.conf.py"),
                                             "cxone_portal.wsgi:application"], env=env, cwd=self.root, stdout=log,
                                            stderr=subprocess.STDOUT)
        procs.wait_for(self.url + "/healthz")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def drop(self):
        self.stop()
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def transactions(self):
        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            return conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                                [self.name]).fetchone()[0]

    def durations(self, path, offset):
        found = []
        with open(self.log) as lines:
            lines.seek(offset)
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("path") == path and "duration_us" in entry:
                    found.append(entry["duration_us"] / 1000)
        return found


def sign_in(url, username):
    http = requests.Session()
    start = http.get(url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False)
    callback = http.get(answer_authorize(start.headers["Location"], username, http=http), allow_redirects=False)
    assert callback.status_code == 302, callback.text[:300]
    return http.cookies.get_dict()


def get(url, path, cookies, etag=None):
    headers = {**XHR, **({"If-None-Match": etag} if etag else {})}
    return requests.get(url + path, cookies=cookies, headers=headers, timeout=30)


def loaded(url, path, cookies, attempts=20):
    """The ETag of a first load (a poll may answer "not loaded yet" while another fetches)."""
    for _ in range(attempts):
        response = get(url, path, cookies)
        if response.status_code == 200 and "ETag" in response.headers:
            return response.headers["ETag"]
        time.sleep(0.5)
    raise RuntimeError(f"{path} never loaded: {response.status_code} {response.text[:300]}")


def phase(code, pool, label, path, sessions, rounds, etags=None, spacing=0.0):
    """`rounds` rounds of one poll per supervisor, all at once; (transactions per poll, statuses, median ms)."""
    time.sleep(FLUSH_WAIT)
    before = code.transactions()
    offset = code.log.stat().st_size
    statuses = []
    for _ in range(rounds):
        began = time.monotonic()
        answers = list(pool.map(lambda i: get(code.url, path, sessions[i], etags[i] if etags else None), range(len(sessions))))
        statuses += [a.status_code for a in answers]
        if etags is not None:
            etags[:] = [a.headers.get("ETag", e) for a, e in zip(answers, etags)]
        time.sleep(max(0.0, spacing - (time.monotonic() - began)))
    time.sleep(FLUSH_WAIT)
    spent = code.transactions() - before
    durations = code.durations(path, offset)
    counts = {status: statuses.count(status) for status in sorted(set(statuses))}
    result = (spent / len(statuses), counts, statistics.median(durations) if durations else float("nan"))
    print(f"  {label:<16} {result[0]:5.2f} transactions/poll  ({spent} for {len(statuses)} polls: {counts}); "
          f"median {result[2]:.2f} ms", flush=True)
    return result


def measure(code, supervisors, rounds):
    print(f"{code.label}:", flush=True)
    results = {}
    with ThreadPoolExecutor(len(supervisors)) as pool:
        code.start(poll_seconds=3600)
        sessions = [sign_in(code.url, username) for username in supervisors]
        board_etags = [loaded(code.url, BOARD, s) for s in sessions]
        skills_etags = [loaded(code.url, SKILLS, s) for s in sessions]
        for _ in range(3):  # every thread's connection opened
            list(pool.map(lambda i: get(code.url, BOARD, sessions[i], board_etags[i]), range(len(sessions))))
        results["board 304"] = phase(code, pool, "board 304", BOARD, sessions, rounds, list(board_etags))
        results["skills 304"] = phase(code, pool, "skills 304", SKILLS, sessions, rounds, list(skills_etags))
        results["session"] = phase(code, pool, "session", SESSION, sessions, rounds)
        code.stop()
        code.start(poll_seconds=1)
        for _ in range(3):
            list(pool.map(lambda i: get(code.url, BOARD, sessions[i], board_etags[i]), range(len(sessions))))
        results["board, fetching"] = phase(code, pool, "board, fetching", BOARD, sessions, rounds, list(board_etags), spacing=1.2)
        code.stop()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--supervisors", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--before", default="main", help="the git ref measured as 'before' (empty: skip)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")) or \
            not os.environ.get("CACHE_URL", "").startswith("redis://"):
        sys.exit("Set DATABASE_URL=postgres://… and CACHE_URL=redis://… (PostgreSQL counts the transactions).")

    op = RunningSimulator()
    acme = op.simulator.tenants[ACME]
    acme.users += [SimUser(f"bench{n}@acme.example", "Bench", f"Visor{n}", "Manager", agent_id=9500 + n)
                   for n in range(args.supervisors)]
    supervisors = [f"bench{n}@acme.example" for n in range(args.supervisors)]
    tmp = Path(tempfile.mkdtemp(prefix="cxone-poll-tx-"))
    print(f"{args.supervisors} supervisors x {args.rounds} polls per kind; gunicorn 2 workers x 4 threads; "
          f"PostgreSQL + Redis; load average {os.getloadavg()[0]:.1f}", flush=True)
    codes = []
    try:
        if args.before:
            commit = subprocess.run(["git", "rev-parse", "--short", args.before], cwd=ROOT, capture_output=True, text=True,
                                    check=True).stdout.strip()
            export = tmp / "before"
            export.mkdir()
            archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(export)], input=archive, check=True)
            (tmp / "before-run").mkdir()
            codes.append(Code(f"before ({args.before} {commit})", export, op, tmp / "before-run"))
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        (tmp / "after-run").mkdir()
        codes.append(Code(f"after (this checkout, {head}{' + changes' if dirty else ''})", ROOT, op, tmp / "after-run"))
        for code in codes:
            measure(code, supervisors, args.rounds)
    finally:
        for code in codes:
            code.drop()
        op.stop()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
