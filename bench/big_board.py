"""A 20,000-agent board: the cold load and the full re-reads, before and after (issue 24).

    .venv/bin/python bench/big_board.py                              # this tree
    .venv/bin/python bench/big_board.py --compare /tmp/base          # this tree beside another checkout
    .venv/bin/python bench/big_board.py --root /tmp/base --json      # one variant, figures as JSON
    .venv/bin/python bench/big_board.py --skill-agents               # the cold load, then who has which skill

The simulator runs as an independent CXone in a process of its own (`--agents 20000
--page-cap 50 --latency-ms 50`: every call 50 ms, pages of at most 50, so 400 pages of
`agents/states` and 400 of `agents` for a full read). One supervisor signs in through it; the
portal answers through Django's test client in this process (the cache is the bench
settings': local memory unless CACHE_URL says Redis). The portal's clock is a bench clock that
moves only when the bench moves it; CXone's is the real one.

1. **Cold load**: from the first `GET /api/supervisor/agents/` on an empty cache to the first
   answer holding every agent, the page's way: a poll, and another 0.1 s after any answer that
   is not the whole board (`not loaded yet`, a failure), for at most `--give-up` seconds.
2. **Full re-reads**: the bench clock moves past `CXONE_BOARD_FULL_READ_SECONDS`, and the
   board is polled again the same way until its version moves. Timed: the board's read of
   CXone itself (`workspaces.board.read`, wrapped: its duration and its outcome, or the reason
   it failed) and the poll-to-new-version time.
3. **Who has which skill** (`--skill-agents`, instead of the re-reads): after the cold load,
   from the first `GET /api/supervisor/skill-agents/` (on a cache that holds the board but not
   the assignments) to the first complete answer (every agent in some skill, not `partial`),
   polled as in 1; a failed answer moves the bench clock by one second (past a back-off).
   Timed with CXone's calls (`agents/skills` pages apart) and the CPU of both processes.

CXone calls are counted on the wire (`requests.Session.send`), with the most in flight at once.
`--compare DIR` runs this script once per tree (DIR first, as "before"), each in a process of
its own, and prints their figures side by side.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.dirname(HERE), help="the checkout to measure (its workspaces/, simulator/)")
    parser.add_argument("--compare", metavar="DIR", help="measure DIR (before) and --root (after), print both")
    parser.add_argument("--simulator-root", default=os.path.dirname(HERE),
                        help="the checkout whose simulator serves CXone (this one's by default, for both variants)")
    parser.add_argument("--agents", type=int, default=20000)
    parser.add_argument("--page-cap", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--rereads", type=int, default=3)
    parser.add_argument("--give-up", type=float, default=90.0, help="seconds a cold load or a re-read may take here")
    parser.add_argument("--skill-agents", action="store_true",
                        help="after the cold load, time the cold read of who has which skill (no re-reads)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (what --compare reads)")
    return parser.parse_args()


# --- one variant ------------------------------------------------------------------------------------

class Wire:
    """CXone API calls as the portal sends them: how many, and the most in flight at once."""

    def __init__(self, requests):
        self.lock, self.calls, self.in_flight, self.most = threading.Lock(), 0, 0, 0
        self.assignment_pages = 0  # agents/skills calls among them
        send = requests.Session.send
        wire = self

        def counted(session, request, **kwargs):
            api = "/inContactAPI/" in request.url
            if api:
                with wire.lock:
                    wire.calls += 1
                    wire.assignment_pages += "/agents/skills" in request.url
                    wire.in_flight += 1
                    wire.most = max(wire.most, wire.in_flight)
            try:
                return send(session, request, **kwargs)
            finally:
                if api:
                    with wire.lock:
                        wire.in_flight -= 1

        requests.Session.send = counted

    def take(self):
        with self.lock:
            out = {"calls": self.calls, "most_in_flight": self.most, "assignment_pages": self.assignment_pages}
            self.calls = self.most = self.assignment_pages = 0
            return out


def cpu_seconds(pid=None):
    """CPU seconds (user + system) of this process, or of process `pid` (Linux /proc)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BenchClock:
    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


def measure(args):
    root = os.path.abspath(args.root)
    sys.path.insert(0, root)
    os.chdir(root)
    # The portal's own settings (bench/settings.py mounts stock mozilla-django-oidc's callback),
    # with what bench/settings.py sets for a run on loopback.
    os.environ["DJANGO_SETTINGS_MODULE"] = "cxone_portal.settings"
    for name, value in (("DEBUG", "0"), ("SECRET_KEY", "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFG"),
                        ("FIELD_ENCRYPTION_KEY", "5yJf3H6mYlq2Lw8cS1kq0rHq7Zb4y6vU8n0tQ2pXw9E="), ("CXONE_ALLOW_HTTP_ISSUERS", "1"),
                        ("SECURE_SSL_REDIRECT", "0"), ("SESSION_COOKIE_SECURE", "0"), ("CSRF_COOKIE_SECURE", "0"),
                        ("ALLOWED_HOSTS", "testserver,127.0.0.1"), ("LOG_LEVEL", "WARNING")):
        os.environ.setdefault(name, value)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='cxone-big-board-')}/bench.sqlite3")
    sys.path.insert(0, os.path.join(root, "bench"))
    import common  # the measured tree's bench/common.py: Django set up on a scratch database

    import requests
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from simulator.browser import answer_authorize
    from workspaces import adapter, board

    wire = Wire(requests)
    reads, reads_lock = [], threading.Lock()
    real_read = board.read

    def timed_read(*a, **kw):  # the board's read of CXone, whichever thread runs it
        started = time.perf_counter()
        outcome = "ok"
        try:
            return real_read(*a, **kw)
        except Exception as exc:
            outcome = getattr(getattr(exc, "reason", None), "value", type(exc).__name__)
            raise
        finally:
            with reads_lock:
                reads.append({"seconds": time.perf_counter() - started, "outcome": outcome})

    board.read = timed_read
    common.ROOT = os.path.abspath(args.simulator_root)  # where `python -m simulator.server` runs
    op = common.prepare(latency=args.latency_ms / 1000, separate_process=True,
                        simulator_args=["--agents", str(args.agents), "--page-cap", str(args.page_cap), "--keep-alive"])
    try:
        clock = BenchClock()
        adapter.wall_clock = clock
        client = Client()
        start = client.get("/oidc/authenticate/", {"tenant": "acme"})
        location = answer_authorize(start["Location"], "sam.supervisor@acme.example")
        path, _, query = location.partition("?")
        assert client.get("/" + path.split("://", 1)[-1].split("/", 1)[-1] + "?" + query).status_code == 302
        headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}

        def until_board(after_version=None):
            """Poll as the page does until the whole board (newer than `after_version`) arrives."""
            cpu = cpu_seconds(), cpu_seconds(op.process.pid)
            try:
                found = polled(after_version)
            finally:
                found["cpu_portal"], found["cpu_cxone"] = cpu_seconds() - cpu[0], cpu_seconds(op.process.pid) - cpu[1]
            return found

        def polled(after_version):
            started, polls, answers = time.perf_counter(), 0, {}
            while time.perf_counter() - started < args.give_up:
                polls += 1
                response = client.get("/api/supervisor/agents/", **headers)
                key = str(response.status_code)
                if response.status_code == 200:
                    body = json.loads(response.content)
                    if body.get("stale"):
                        key = f"200 stale ({body.get('reason')})"
                    elif body["count"] >= args.agents and (after_version is None or body["version"] != after_version):
                        return {"seconds": time.perf_counter() - started, "polls": polls, "answers": answers,
                                "version": body["version"], "count": body["count"], "partial": body["partial"],
                                "logins": sum(1 for a in body["agents"] if a.get("userName"))}
                else:
                    key += " " + str(json.loads(response.content).get("reason", ""))
                answers[key] = answers.get(key, 0) + 1
                time.sleep(0.1)
            return {"seconds": None, "polls": polls, "answers": answers, "version": after_version}

        def logins_follow(cold):
            """A first board may come before its logins (the directory read after the proof's states:
            board.QUICK_ROUNDS): poll as the page does, its interval on the bench clock each
            time, until every row has its login; the real seconds after the cold load's answer."""
            started, polls = time.perf_counter(), 0
            if cold["seconds"] is None or cold.get("logins", 0) >= cold.get("count", 0):
                return {"seconds": 0.0 if cold["seconds"] is not None else None, "polls": 0}
            while time.perf_counter() - started < args.give_up:
                clock.now += settings.CXONE_BOARD_POLL_SECONDS
                polls += 1
                response = client.get("/api/supervisor/agents/", **headers)
                if response.status_code == 200:
                    body = json.loads(response.content)
                    if sum(1 for a in body["agents"] if a.get("userName")) >= args.agents:
                        return {"seconds": time.perf_counter() - started, "polls": polls, "version": body["version"]}
                time.sleep(0.25)
            return {"seconds": None, "polls": polls}

        def until_skills():
            """Poll who has which skill as the page does until a complete answer: every agent on
            the board in some skill, not `partial`. A failure moves the bench clock a second."""
            started, polls, answers, tries = time.perf_counter(), 0, {}, []
            while time.perf_counter() - started < args.give_up:
                polls += 1
                asked = time.perf_counter()
                response = client.get("/api/supervisor/skill-agents/", **headers)
                key = str(response.status_code)
                body = json.loads(response.content)
                tries.append(round(time.perf_counter() - asked, 2))
                if response.status_code == 200:
                    agents = {a for entry in body["skills"].values() for a in entry["agentIds"]}
                    if len(agents) >= args.agents and not body.get("partial"):
                        return {"seconds": time.perf_counter() - started, "polls": polls, "answers": answers, "tries": tries,
                                "skills": len(body["skills"]), "agents": len(agents), "partial": body["partial"],
                                "assignments": sum(len(e["agentIds"]) for e in body["skills"].values())}
                    key += f" partial={body.get('partial')} agents={len(agents)}"
                else:
                    key += " " + str(body.get("reason", ""))
                answers[key] = answers.get(key, 0) + 1
                clock.now += 1
                time.sleep(0.1)
            return {"seconds": None, "polls": polls, "answers": answers, "tries": tries}

        out = {"root": root, "simulator_root": common.ROOT, "agents": args.agents, "page_cap": args.page_cap,
               "latency_ms": args.latency_ms, "timeout": settings.CXONE_HTTP_TIMEOUT, "load_before": os.getloadavg()}
        cache.clear()
        wire.take()
        with reads_lock:
            reads.clear()
        cold = until_board()
        with reads_lock:
            cold["reads"], reads[:] = list(reads), []
        cold.update(wire.take())
        out["cold"] = cold
        out["logins"] = logins_follow(cold)
        if args.skill_agents:
            wire.take()
            cpu = cpu_seconds(), cpu_seconds(op.process.pid)
            skills = until_skills()
            skills["cpu_portal"], skills["cpu_cxone"] = cpu_seconds() - cpu[0], cpu_seconds(op.process.pid) - cpu[1]
            skills.update(wire.take())
            out["skill_agents"] = skills
        rereads, version = [], out["logins"].get("version") or cold["version"]
        for _ in range(0 if args.skill_agents else args.rereads):
            clock.now += settings.CXONE_BOARD_FULL_READ_SECONDS + 1
            again = until_board(after_version=version)
            with reads_lock:
                again["reads"], reads[:] = list(reads), []
            again.update(wire.take())
            rereads.append(again)
            version = again["version"] or version
        out["rereads"] = rereads
        out["load_after"] = os.getloadavg()
        return out
    finally:
        op.stop()


# --- reporting --------------------------------------------------------------------------------------

def fmt_seconds(value):
    return "never" if value is None else f"{value:.2f} s"


def rows_of(result):
    cold = result["cold"]
    cold_reads = cold.get("reads", [])
    failed = [r for r in cold_reads if r["outcome"] != "ok"]
    rows = {
        "cold load: first poll to the whole board": fmt_seconds(cold["seconds"]),
        "cold load: polls, CXone calls, most in flight": f"{cold['polls']}, {cold['calls']}, {cold['most_in_flight']}",
        "cold load: reads of CXone (failed)": f"{len(cold_reads)} ({', '.join(r['outcome'] for r in failed) or 'none'})",
        "cold load: the successful read": fmt_seconds(next((r["seconds"] for r in cold_reads if r["outcome"] == "ok"), None)),
        "cold load: agents, with their login (directory)": f"{cold.get('count', 0)}, {cold.get('logins', 0)}",
        "cold load: CPU of the portal, of the simulator": f"{cold['cpu_portal']:.2f} s, {cold['cpu_cxone']:.2f} s",
        "cold load: every login, after the board (polls)": (f"{fmt_seconds(result['logins']['seconds'])} ({result['logins']['polls']})"
                                                           if "logins" in result else "not measured"),
    }
    for n, again in enumerate(result["rereads"], 1):
        ok = [r for r in again.get("reads", []) if r["outcome"] == "ok"]
        failed = [r for r in again.get("reads", []) if r["outcome"] != "ok"]
        rows[f"re-read {n}: poll to the new board"] = fmt_seconds(again["seconds"])
        rows[f"re-read {n}: the read (failed reads)"] = (
            f"{fmt_seconds(ok[0]['seconds']) if ok else 'none ok'} "
            f"({', '.join('%s %.1f s' % (r['outcome'], r['seconds']) for r in failed) or 'none'})")
        rows[f"re-read {n}: CXone calls, most in flight"] = f"{again['calls']}, {again['most_in_flight']}"
        rows[f"re-read {n}: CPU of the portal, of the simulator"] = f"{again['cpu_portal']:.2f} s, {again['cpu_cxone']:.2f} s"
        rows[f"re-read {n}: agents, with their login"] = f"{again.get('count', 0)}, {again.get('logins', 0)}"
    skills = result.get("skill_agents")
    if skills:
        rows["skill agents: first poll to a complete answer"] = fmt_seconds(skills["seconds"])
        rows["skill agents: polls (each poll's seconds)"] = f"{skills['polls']} ({', '.join(map(str, skills['tries'][:6]))})"
        rows["skill agents: failed answers"] = ", ".join(f"{k} x{n}" for k, n in skills["answers"].items()) or "none"
        rows["skill agents: CXone calls, agents/skills pages"] = f"{skills['calls']}, {skills['assignment_pages']}"
        rows["skill agents: most in flight"] = str(skills["most_in_flight"])
        rows["skill agents: skills, agents, assignments"] = (
            f"{skills.get('skills', 0)}, {skills.get('agents', 0)}, {skills.get('assignments', 0)}")
        rows["skill agents: CPU of the portal, of the simulator"] = f"{skills['cpu_portal']:.2f} s, {skills['cpu_cxone']:.2f} s"
    rows["load average before / after"] = " / ".join(f"{a[0]:.2f}" for a in (result["load_before"], result["load_after"]))
    return rows


def print_side_by_side(results):
    labels = [label for label, _ in results]
    tables = [rows_of(result) for _, result in results]
    first = results[0][1]
    print(f"{first['agents']} agents, pages of {first['page_cap']}, {first['latency_ms']:.0f} ms per CXone call, "
          f"CXONE_HTTP_TIMEOUT {first['timeout']} s")
    width = max(len(k) for k in tables[0])
    print(f"{'':{width}}  " + "  ".join(f"{label:>34}" for label in labels))
    for key in tables[0]:
        print(f"{key:{width}}  " + "  ".join(f"{t.get(key, ''):>34}" for t in tables))


def main():
    args = parse()
    if args.compare:
        results = []
        for label, root in (("before", args.compare), ("after", args.root)):
            command = [sys.executable, os.path.abspath(__file__), "--root", root, "--json", "--agents", str(args.agents),
                       "--page-cap", str(args.page_cap), "--latency-ms", str(args.latency_ms), "--rereads", str(args.rereads),
                       "--give-up", str(args.give_up), "--simulator-root", args.simulator_root]
            command += ["--skill-agents"] if args.skill_agents else []
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.give_up * (args.rereads + 1) * 3 + 120)
            if done.returncode != 0:
                sys.exit(f"{label} ({root}) failed:\n{done.stderr[-3000:]}")
            name = os.path.basename(os.path.abspath(root))
            results.append((f"{label} ({name})", json.loads(done.stdout.strip().splitlines()[-1])))
        print_side_by_side(results)
        return
    result = measure(args)
    if args.json:
        print(json.dumps(result))
    else:
        print_side_by_side([(os.path.basename(result["root"]), result)])


if __name__ == "__main__":
    main()
