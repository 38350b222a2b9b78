"""A floor of supervisors (issue 24): N supervisors of one tenant, each with the team board open,
on gunicorn (2 workers; threads as gunicorn.conf.py and deploy/ set them: 4) + PostgreSQL +
Redis, against the simulator at 50 ms per CXone call and pages of 50.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h24bench .venv/bin/python bench/floor.py --supervisors 50,100 [--json]
    DATABASE_URL=... .venv/bin/python bench/floor.py --agents 20000 --supervisors 1 --window 360
    .venv/bin/python bench/floor.py --supervisors 400 --baseline var/bench/floor-….json   (a saved run's columns beside)

Each configuration (one per value of --supervisors) runs on its own: the PostgreSQL database of
DATABASE_URL dropped and created again (it is the bench's own: never point it at a database you
keep), a redis-server of its own on a free port (exact INFO memory; or --cache-url), the
simulator in a process of its own (its interpreter lock apart from the pollers'), gunicorn.

The tenant has --agents agents in --teams teams, and --views distinct views among the
supervisors: supervisor n is limited (SimUser.teams, as a CXone security profile's "Views") to
view n % views: the whole tenant, each team alone, then neighbouring pairs of teams (20 views of
10 teams: 1 of 3,000 agents, 10 of ~300, 9 of ~600). --views 1: every supervisor sees the whole
tenant (the 4 demo teams), as issue 24's first measure. The supervisors are CXone users but no
agents of the tenant (the tenant has exactly --agents agents).

Each supervisor signs in (simulator/browser.py), opens /supervisor/ (arrivals spread over
--arrive s) and polls as static/js/board.js and common.js do: the board `GET
/api/supervisor/agents/` (`?since=<version>` and If-None-Match `"v<version>"` once it has a
version), the skills `GET /api/supervisor/skills/` and the skill assignments every 60 s, both
with If-None-Match the last ETag (--no-etag: without, as board.js asked before); each poll chained
(the next starts the interval after the answer), backing off as common.js's Poller does
(429/503/stale: doubling up to 60 s; api_not_loaded/api_busy: 1 s). After --warmup s it
measures --window s:

- CXone calls per minute from the simulator's own record, per family; "full reads" (states
  without updatedSince, the agent directory, agents/skills) happen once per board per
  CXONE_BOARD_FULL_READ_SECONDS (300 s): a window shorter than that misses the re-reads, so the
  table adds an estimate with them spread over 5 minutes (the first loads' calls per board);
- data age: stated (X-Data-Age of every 200/304 board answer) and true (the answer's time
  minus the newest `stateSince` on the supervisor's board as the poller holds it: how old the
  newest change it shows is; the simulator's clock is this machine's);
- poll time p50/p99 client-side (send to answer) and server-side (gunicorn's access log,
  core/accesslog.py `duration_us`);
- gunicorn CPU (master and workers, /proc) per answered request; the simulator's and this
  process's CPU (to see whether they, not the portal, were the limit);
- Redis used_memory over its value before the sign-ins, and keys; PostgreSQL transactions
  (pg_stat_database xact_commit + xact_rollback of the bench database) per answered request;
- the cold load (first board poll to a full board: `full`, count == total, not partial).

The simulator's whole-tenant summary is memoized per minute in its process (skills/summary
costs it ~3 s of CPU at 3,000 agents: 400 supervisors would make the simulator, not the portal,
the bottleneck; agents/skills the simulator keeps per team and view itself, `Team.assigned`);
CXone's latency is still added to every call.
"""
import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
ORIGINAL_ENV = dict(os.environ)

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"
BOARD, SKILLS, ASSIGNMENTS = "/api/supervisor/agents/", "/api/supervisor/skills/", "/api/supervisor/skill-agents/"
KINDS = {"board": BOARD, "skills": SKILLS, "assignments": ASSIGNMENTS}
FULL_FAMILIES = ("states full", "agents", "agents/skills")
FAMILIES = ("states Δ", "states re-check", "states full", "agents", "skills/activity", "skills/summary", "agents/skills", "other API", "auth")
FULL_READ_SECONDS = 300  # CXONE_BOARD_FULL_READ_SECONDS' default
STALE_AFTER = 15  # s: three poll intervals
PORTAL_SETTINGS = {"CXONE_REFRESH_THREADS": "4", "CXONE_SHARED_READS": "1"}  # the deployment's defaults


def portal_setting(setting):
    return ORIGINAL_ENV.get(setting, PORTAL_SETTINGS[setting])


# --- the simulator, in a process of its own ------------------------------------------------------

def views_of(count, teams):
    """`count` distinct team subsets: the whole tenant (()), each team alone, then neighbouring
    pairs, triples…"""
    out, size = [()], 1
    while len(out) < count and size <= teams:
        for k in range(1, teams + 1):
            subset = tuple(sorted({(k - 1 + j) % teams + 1 for j in range(size)}))
            if subset not in out:
                out.append(subset)
            if len(out) == count:
                break
        size += 1
    return out


def family(call):
    if call["endpoint"] != "api":
        return "auth"
    route = call.get("route")
    if route == "agents/states":
        if call.get("recheck"):  # a supervisor's own cheap re-check of their view (top=1, no skip)
            return "states re-check"
        return "states Δ" if call.get("updatedSince") else "states full"
    return route if route in ("agents", "skills/activity", "skills/summary", "agents/skills") else "other API"


def _memoized(method, key_of):
    """A Team method answered once per key (per minute), the first caller computing it."""
    memo, locks, guard = {}, {}, threading.Lock()

    def wrapper(team, *args, **kwargs):
        key = (id(team),) + key_of(*args, **kwargs)
        with guard:
            lock = locks.setdefault(key, threading.Lock())
        with lock:
            if key not in memo:
                memo[key] = method(team, *args, **{k: v for k, v in kwargs.items() if k != "skills"})
            return memo[key]
    return wrapper


def serve_simulator(conn, config):
    """The simulator's process: builds the world, answers commands on `conn` until "stop"."""
    sys.path.insert(0, ROOT)
    from simulator import api as sim_api
    from simulator.provider import SimUser
    from simulator.server import RunningSimulator

    summary = _memoized(sim_api.Team.skill_summary, lambda a, b, now, skills=None, outbound=None: (a, b // 60, now // 60, outbound))

    def skill_summary(team, a, b, now, skills=sim_api.SKILLS, outbound=None):
        wanted = {s.id for s in skills}
        return [row for row in summary(team, a, b, now, outbound=outbound) if row["skillId"] in wanted]

    sim_api.Team.skill_summary = skill_summary
    op = RunningSimulator(team_size=config["agents"], page_cap=config["page_cap"], keep_alive=True)  # as CXone keeps connections
    api = op.simulator.api
    handle = api.handle

    def handle_marking(path, environ, respond, params, call, body=b""):
        call["recheck"] = str(params.get("top")) == "1" and not params.get("skip")
        return handle(path, environ, respond, params, call, body=body)

    api.handle = handle_marking
    if config["views"] > 1:
        api.team_count = config["teams"]
    acme = op.simulator.tenants[ACME]
    team = api.team(acme)  # built before the supervisors join: they are users, not agents
    now = sim_api._ms(time.time())
    team.states(now)
    team.assigned()
    views = [tuple(v) for v in config["view_list"]]
    acme.users += [SimUser(f"supervisor{n}@acme.example", "Super", f"Visor{n}", "Manager", agent_id=90000 + n,
                           teams=views[n % len(views)]) for n in range(config["supervisors"])]
    conn.send({"issuer": op.issuer, "pid": os.getpid(),
               "tenants": [(t.tenant_id, t.name, t.slug) for t in op.simulator.tenants.values()],
               "view_sizes": [sum(1 for a in team.listed() if not v or a.team_id in v) for v in views],
               # pages of one full read of each view: agents/states, agents, agents/skills
               "view_full_pages": [sum(-(-n // config["page_cap"]) for n in (
                   sum(1 for a in team.listed() if not v or a.team_id in v),
                   sum(1 for a in team.listed() if not v or a.team_id in v),
                   sum(len(a.skills) for a in team.listed() if not v or a.team_id in v))) for v in views]})
    while True:
        command, *args = conn.recv()
        if command == "latency":
            op.simulator.latency = args[0]
            conn.send(True)
        elif command == "calls":  # the calls recorded since index args[0]: (time, family)
            with op.simulator._lock:
                calls = op.simulator.calls[args[0]:]
                conn.send([(c["time"], family(c)) for c in calls])
        elif command == "stop":
            op.stop()
            conn.send(True)
            return


# --- measuring -----------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def waited_seconds(pids):
    """Seconds the processes' threads spent runnable, waiting for a CPU (schedstat): the machine's
    other work taking the cores from them."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                    total += int(stat.read().split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return total / 1e9


def tree(pid):
    """The process and its children (gunicorn's master and workers)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def pct(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def epoch(text):
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return None


# --- one supervisor's page -------------------------------------------------------------------------

class Page:
    """One supervisor's /supervisor/ tab: its three pollers, chained as common.js's Poller."""

    INTERVALS = {"board": 5.0, "skills": 5.0, "assignments": 60.0}

    def __init__(self, url, cookies, identity, skills_etag):
        self.url, self.cookies, self.identity, self.skills_etag = url, cookies, identity, skills_etag
        self.version = None
        self.newest = None  # the newest stateSince on the board as this tab holds it
        self.since = {}  # agentId -> stateSince (epoch)
        self.etags = {}
        self.records = []  # (kind, sent, answered, status, stated age, true age, stale, reason, wire bytes)
        self.first_sent = None
        self.full_at = None  # when the first full board arrived
        self.delays = {}  # kind -> the Poller's current delay
        self.stale = False  # the board says "stale" (board.js keeps it through 304s)
        self.inflight = {}  # kind -> when its unanswered request was sent
        self.network = []  # what the network errors said

    def run(self, kind, start, stop):
        import requests

        from requests.adapters import HTTPAdapter
        from urllib3.util import Retry

        http = requests.Session()
        # A browser sends a request again, once, when a kept-alive connection closed under it;
        # it gives a fetch minutes (no timeout of its own): 300 s, past any run's end.
        http.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0, redirect=0)))
        http.cookies.update(self.cookies)
        at = start
        while not stop.wait(max(0.0, at - time.time())):
            delay = self.poll(http, kind)
            at = time.time() + delay

    def poll(self, http, kind):
        headers = {"Accept": "application/json", "X-Requested-With": "XMLHttpRequest", "X-Portal-Identity": self.identity}
        url = self.url + KINDS[kind]
        if kind == "board" and self.version is not None:
            url += f"?since={self.version}"
            headers["If-None-Match"] = f'"v{self.version}"'
        elif kind in ("skills", "assignments") and self.skills_etag and self.etags.get(kind):
            headers["If-None-Match"] = self.etags[kind]
        sent = time.time()
        if kind == "board" and self.first_sent is None:
            self.first_sent = sent
        try:
            self.inflight[kind] = sent
            response = http.get(url, headers=headers, timeout=(10, 300))
        except Exception as exc:  # noqa: BLE001  (the page's status 0)
            self.inflight.pop(kind, None)
            self.records.append((kind, sent, time.time(), 0, None, None, self.stale, type(exc).__name__, 0))
            self.network.append(f"{type(exc).__name__}: {str(exc)[:160]}")
            return self._delay(kind, "backoff")
        answered = time.time()
        self.inflight.pop(kind, None)
        status, body = response.status_code, None
        if status == 200:
            try:
                body = response.json()
            except ValueError:
                body = {}
        elif status != 304:
            try:
                body = response.json()
            except ValueError:
                body = {}
        age = response.headers.get("X-Data-Age")
        stated = int(age) if status in (200, 304) and age is not None and age.isdigit() else None
        if response.headers.get("ETag"):
            self.etags[kind] = response.headers["ETag"]
        stale = bool(body and body.get("stale"))
        if kind == "board" and status == 200:
            self.stale = stale  # what the page says until the next 200 (a 304 keeps it)
        true_age = None
        if kind == "board" and status == 200 and isinstance(body.get("agents"), list):
            self._apply(body, answered)
        if kind == "board" and status in (200, 304) and self.newest is not None:
            true_age = answered - self.newest
        reason = (body or {}).get("reason") if status not in (200, 304) else None
        wire = int(response.headers.get("Content-Length") or 0)
        self.records.append((kind, sent, answered, status, stated, true_age, self.stale if kind == "board" else stale, reason, wire))
        if reason in ("api_not_loaded", "api_busy"):
            outcome = "soon"
        elif reason in ("cache_unavailable", "database_unavailable"):
            outcome = "ok"
        elif status in (0, 429, 503) or stale:
            outcome = "backoff"
        else:
            outcome = "ok"
        return self._delay(kind, outcome)

    def _apply(self, body, answered):
        if body.get("full"):
            self.since = {}
        for agent_id in body.get("removed") or ():
            self.since.pop(agent_id, None)
        for row in body["agents"]:
            self.since[row.get("agentId")] = epoch(row.get("stateSince") or "")
        self.version = body.get("version", self.version)
        known = [t for t in self.since.values() if t is not None]
        self.newest = max(known) if known else None
        if self.full_at is None and body.get("full") and not body.get("partial") and body.get("agents") \
                and body.get("count") == body.get("total"):
            self.full_at = answered

    def _delay(self, kind, outcome):
        interval = self.INTERVALS[kind]
        current = self.delays.get(kind, interval)
        if outcome == "backoff":  # common.js doubles the last delay (the interval, or 1 s after "soon")
            current = min(60.0, current * 2)
        elif outcome == "soon":
            current = min(interval, 1.0)
        else:
            current = interval
        self.delays[kind] = current
        return current


# --- one configuration -------------------------------------------------------------------------------

def run(args, supervisors):
    import multiprocessing

    import psycopg
    import redis
    import requests

    from simulator.browser import answer_authorize
    from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
    from tests import deployment, procs

    load_before = os.getloadavg()
    # Under var/, not /tmp: other test runs on a shared machine sweep /tmp/cxone-* under a live run.
    (Path(ROOT) / "var" / "tmp").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="cxone-floor-", dir=Path(ROOT) / "var" / "tmp"))
    view_list = views_of(args.views, args.teams)
    parent, child = multiprocessing.get_context("spawn").Pipe()
    simulator = multiprocessing.get_context("spawn").Process(
        target=serve_simulator, args=(child, {"agents": args.agents, "page_cap": args.page_cap, "views": args.views,
                                              "teams": args.teams, "view_list": view_list, "supervisors": supervisors}),
        daemon=True)
    simulator.start()
    if not parent.poll(300):
        raise RuntimeError("the simulator's process did not start")
    sim = parent.recv()

    def ask(*command):
        parent.send(command)
        return parent.recv()

    # The bench's own database, created afresh; a redis-server of its own.
    from urllib.parse import urlsplit, urlunsplit

    database_url = args.database_url
    name = urlsplit(database_url).path.lstrip("/")
    admin = urlunsplit(urlsplit(database_url)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    own_redis = None
    if args.cache_url:
        cache_url = args.cache_url
    else:
        own_redis = deployment.Redis(tmp)
        cache_url = own_redis.url
    cache = redis.Redis.from_url(cache_url)
    cache.flushdb()
    env = procs.portal_env(database_url, STATIC_ROOT=tmp / "static", CACHE_URL=cache_url, CACHE_KEY_PREFIX="floor")
    if "CXONE_HTTP_TIMEOUT" not in ORIGINAL_ENV:  # tests/settings.py's 5 s is not the deployment's default
        env.pop("CXONE_HTTP_TIMEOUT", None)
    # tests/settings.py sets CXONE_REFRESH_THREADS=0 (refreshes on the request thread, for tests):
    # gunicorn runs with the deployment's defaults unless the bench's own environment says otherwise.
    for setting in PORTAL_SETTINGS:
        env[setting] = portal_setting(setting)
    for step in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = procs.manage(env, *step)
        assert done.returncode == 0, done.stderr
    for tenant_id, tenant_name, slug in sim["tenants"]:
        done = procs.manage(env, "register_tenant", "--issuer", sim["issuer"], "--client-id", DEMO_CLIENT_ID,
                            "--client-secret", DEMO_CLIENT_SECRET, "--tenant-id", tenant_id, "--name", tenant_name, "--slug", slug)
        assert done.returncode == 0, done.stderr
    portal = procs.Gunicorn(env, tmp / "gunicorn.log", workers=args.workers, threads=args.threads)
    redis_empty = int(cache.info("memory")["used_memory"])
    pages = []
    try:
        def sign_in(n):
            http = requests.Session()
            start = http.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False)
            callback = http.get(answer_authorize(start.headers["Location"], f"supervisor{n}@acme.example", http=http),
                                allow_redirects=False)
            assert callback.status_code == 302, callback.text[:300]
            page = http.get(portal.url + "/supervisor/")
            assert page.status_code == 200, page.text[:300]
            identity = page.text.split('data-identity="', 1)[1].split('"', 1)[0]
            return Page(portal.url, http.cookies.get_dict(), identity, not args.no_etag)

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(sign_in, range(supervisors)))
        redis_signed_in = int(cache.info("memory")["used_memory"])
        print(f"  {supervisors} signed in; polling", file=sys.stderr, flush=True)
        ask("latency", args.latency_ms / 1000)
        calls_mark = len(ask("calls", 0))
        threading.stack_size(512 * 1024)
        stop = threading.Event()
        began = time.time()
        threads = []
        for page in pages:
            arrival = began + random.uniform(0, args.arrive)
            for kind in KINDS:
                thread = threading.Thread(target=page.run, args=(kind, arrival, stop), daemon=True)
                thread.start()
                threads.append(thread)

        def snapshot():
            with psycopg.connect(database_url, autocommit=True) as conn:
                xacts = conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                                     (name,)).fetchone()[0]
            return {"t": time.time(), "log": (tmp / "gunicorn.log").stat().st_size,
                    "gunicorn_cpu": sum(cpu_seconds(p) for p in tree(portal.process.pid)),
                    "gunicorn_waited": waited_seconds(tree(portal.process.pid)),
                    "simulator_cpu": cpu_seconds(sim["pid"]), "client_cpu": sum(os.times()[:2]), "xacts": xacts}

        time.sleep(max(0.0, began + args.warmup - time.time()))
        start = snapshot()
        samples = []  # (seconds into the window, redis used_memory)
        while time.time() < start["t"] + args.window:
            time.sleep(min(10.0, max(0.0, start["t"] + args.window - time.time())))
            samples.append((time.time() - start["t"], int(cache.info("memory")["used_memory"])))
        end = snapshot()
        stop.set()
        deadline = time.time() + 20
        for thread in threads:
            thread.join(max(0.1, deadline - time.time()))
        redis_end = int(cache.info("memory")["used_memory"])
        keys = cache.dbsize()
        unanswered = [(kind, sent) for page in pages for kind, sent in list(page.inflight.items())]
        calls = ask("calls", calls_mark)
    finally:
        portal.stop()
        log_bytes = (tmp / "gunicorn.log").read_bytes()
        try:
            ask("stop")
        except (EOFError, OSError):
            pass
        simulator.join(10)
        if own_redis is not None:
            own_redis.stop()
        import shutil

        for _ in range(10):  # gunicorn's workers may still be leaving their metrics files
            shutil.rmtree(tmp, ignore_errors=True)
            if not tmp.exists():
                break
            time.sleep(0.5)
    load_after = os.getloadavg()

    # --- the figures ---
    t0, t1 = start["t"], end["t"]
    minutes = (t1 - t0) / 60
    durations = defaultdict(list)
    answered = 0
    import calendar

    position = start["log"]
    for line in log_bytes[start["log"]:].decode("utf-8", "replace").splitlines(keepends=True):
        position += len(line.encode())
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if "duration_us" not in entry:
            continue
        if position <= end["log"]:
            answered += 1  # the requests the window's CPU and transactions served
        try:
            done = calendar.timegm(time.strptime(entry["ts"], "%Y-%m-%dT%H:%M:%SZ")) + 0.5
        except (KeyError, ValueError):
            continue
        began_at = done - entry["duration_us"] / 1e6
        if not t0 <= began_at < t1:
            continue  # as the client side: the polls sent in the window
        for kind, path in KINDS.items():
            if entry.get("path") == path:
                durations[kind].append(entry["duration_us"] / 1000)
    records = [r + (i,) for i, page in enumerate(pages) for r in page.records]
    window = [r for r in records if t0 <= r[1] < t1]
    by_kind = {kind: [r for r in window if r[0] == kind] for kind in KINDS}
    board_ok = [r for r in by_kind["board"] if r[3] in (200, 304)]
    stated = [r[4] for r in board_ok if r[4] is not None]
    true = [r[5] for r in board_ok if r[5] is not None]
    skills_stated = [r[4] for r in by_kind["skills"] if r[3] in (200, 304) and r[4] is not None]
    in_window = Counter(f for t, f in calls if t0 <= t < t1)
    # Steady state: the window's calls but the full reads', plus one full read of each board
    # (its view's pages) every FULL_READ_SECONDS.
    full_pages = [sim["view_full_pages"][n % len(view_list)] for n in range(supervisors)]
    steady = sum(v for f, v in in_window.items() if f not in FULL_FAMILIES) / minutes + sum(full_pages) / (FULL_READ_SECONDS / 60)
    if portal_setting("CXONE_SHARED_READS") not in ("0", "false", "False", "no", "off"):
        # Shared reads (docs/shared-reads.md): one full re-read per view in use every 5 min, and per
        # supervisor their own proof (a full agents/states of their view + skills/activity) every
        # ~0.875 × CXONE_PROOF_SECONDS (5,400 s).
        in_use = sorted({n % len(view_list) for n in range(supervisors)})
        proofs = sum(-(-sim["view_sizes"][n % len(view_list)] // args.page_cap) + 1 for n in range(supervisors))
        steady = sum(v for f, v in in_window.items() if f not in FULL_FAMILIES) / minutes \
            + sum(sim["view_full_pages"][v] for v in in_use) / (FULL_READ_SECONDS / 60) + proofs / (0.875 * 5400 / 60)
    colds = [p.full_at - p.first_sent for p in pages if p.full_at is not None and p.first_sent is not None]
    statuses = Counter((r[3], r[7]) for r in window if r[3] not in (200, 304))
    per_bucket = defaultdict(int)
    for r in records:
        if r[0] == "board" and r[4] is not None and r[1] >= began:
            bucket = int((r[1] - began) // 30) * 30
            per_bucket[bucket] = max(per_bucket[bucket], r[4])
    result = {
        "supervisors": supervisors, "agents": args.agents, "views": len(view_list),
        "view_sizes": sorted(set(sim["view_sizes"])),
        "mean_board": round(statistics.mean(sim["view_sizes"][n % len(view_list)] for n in range(supervisors))), "workers": args.workers, "threads": args.threads,
        "portal_settings": {setting: portal_setting(setting) for setting in PORTAL_SETTINGS},
        "latency_ms": args.latency_ms, "page_cap": args.page_cap, "warmup": args.warmup, "window": round(t1 - t0, 1),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
        "polls": {kind: len(rs) for kind, rs in by_kind.items()}, "answered": answered,
        "errors": {f"{status} {reason or ''}".strip(): n for (status, reason), n in statuses.most_common()},
        "network_errors": Counter(m for page in pages for m in page.network).most_common(3),
        "unanswered": {kind: sum(1 for k, sent in unanswered if k == kind and t0 <= sent < t1) for kind in KINDS},
        "unanswered_oldest_s": round(max(0.0, time.time() - min((sent for _, sent in unanswered), default=time.time())), 1),
        "cxone_per_minute": round(sum(in_window.values()) / minutes, 1),
        "cxone_per_minute_by_family": {f: round(in_window[f] / minutes, 1) for f in FAMILIES},
        "cxone_full_read_pages_per_board": round(statistics.mean(full_pages), 1),
        "cxone_per_minute_with_full_reads": round(steady, 1),
        "stated_age": [pct(stated, 50), pct(stated, 90), max(stated, default=None)],
        "true_age": [round(x, 1) if x is not None else None for x in (pct(true, 50), pct(true, 90), max(true, default=None))],
        "over_15s_share": round(sum(1 for a in stated if a > STALE_AFTER) / len(stated), 3) if stated else None,
        "over_15s_unflagged": sum(1 for r in board_ok if r[4] is not None and r[4] > STALE_AFTER and not r[6]),
        "flagged_stale": sum(1 for r in board_ok if r[6]),
        "skills_stated_age": [pct(skills_stated, 50), pct(skills_stated, 90), max(skills_stated, default=None)],
        "client_ms": {kind: [round(1000 * x, 1) if x is not None else None for x in
                             (pct([r[2] - r[1] for r in rs], 50), pct([r[2] - r[1] for r in rs], 99))]
                      for kind, rs in by_kind.items()},
        "server_ms": {kind: [round(x, 1) if x is not None else None for x in (pct(ds, 50), pct(ds, 99))]
                      for kind, ds in durations.items()},
        "gunicorn_cpu_ms_per_request": round(1000 * (end["gunicorn_cpu"] - start["gunicorn_cpu"]) / max(1, answered), 2),
        "gunicorn_cores": round((end["gunicorn_cpu"] - start["gunicorn_cpu"]) / (t1 - t0), 2),
        "gunicorn_waiting": round((end["gunicorn_waited"] - start["gunicorn_waited"]) / (t1 - t0), 2),
        "simulator_cores": round((end["simulator_cpu"] - start["simulator_cpu"]) / (t1 - t0), 2),
        "client_cores": round((end["client_cpu"] - start["client_cpu"]) / (t1 - t0), 2),
        "redis_bytes_signed_in": redis_signed_in - redis_empty,
        "redis_bytes": redis_end - redis_empty, "redis_bytes_in_window": [[round(s), b - redis_empty] for s, b in samples],
        "redis_keys": keys,
        "pg_xacts_per_request": round((end["xacts"] - start["xacts"] - 2) / max(1, answered), 2),
        "wire_kb_per_supervisor_minute": {kind: round(sum(r[8] for r in rs) / 1024 / max(1, supervisors) / minutes, 1)
                                          for kind, rs in by_kind.items()},
        "cold_load_s": [round(x, 2) if x is not None else None for x in (pct(colds, 50), max(colds, default=None))],
        "cold_loaded": len(colds),
        "stated_age_max_per_30s": [[k, v] for k, v in sorted(per_bucket.items())],
    }
    return result


# --- the table -------------------------------------------------------------------------------------------

def triple(values, unit=""):
    return " / ".join("—" if v is None else f"{v:g}" for v in values) + unit


def rows_of(r):
    mb = 1024 * 1024
    fam = r["cxone_per_minute_by_family"]
    sizes = r["view_sizes"]
    yield "agents · views (agents) · mean board", f"{r['agents']:,} · {r['views']} ({sizes[0]:,}-{sizes[-1]:,}) · {r['mean_board']:,}"
    settings = r.get("portal_settings") or {}
    yield "gunicorn ran with", " ".join(f"{k.replace('CXONE_', '')}={v}" for k, v in settings.items()) or "—"
    yield "load average before → after", f"{r['load_before'][0]:.2f} → {r['load_after'][0]:.2f}"
    yield "window s · polls board/skills/assign.", f"{r['window']:g} · {r['polls']['board']}/{r['polls']['skills']}/{r['polls']['assignments']}"
    unanswered = r.get("unanswered", {})
    yield "unanswered at the end b/s · oldest", f"{unanswered.get('board', '—')}/{unanswered.get('skills', '—')} · " \
                                                f"{r.get('unanswered_oldest_s', 0):g} s"
    yield "errors in window", ", ".join(f"{k}: {v}" for k, v in list(r["errors"].items())[:3]) or "none"
    yield "CXone calls / min (in window)", f"{r['cxone_per_minute']:,.0f} ({r['cxone_per_minute'] / r['supervisors']:.1f}/sup.)"
    for f in FAMILIES:
        if fam.get(f):
            yield f"  {f}", f"{fam[f]:,.1f}"
    yield "CXone calls of one full read / board", f"{r['cxone_full_read_pages_per_board']:g}"
    yield "CXone / min, full reads every 5 min (est.)", f"{r['cxone_per_minute_with_full_reads']:,.0f} " \
                                                  f"({r['cxone_per_minute_with_full_reads'] / r['supervisors']:.1f}/sup.)"
    yield "board age stated p50/p90/max s", triple(r["stated_age"])
    yield "board age true p50/p90/max s", triple(r["true_age"])
    yield "stated > 15 s: share · not marked stale", f"{100 * (r['over_15s_share'] or 0):.1f}% · {r['over_15s_unflagged']}"
    yield "skills age stated p50/p90/max s", triple(r["skills_stated_age"])
    for kind in ("board", "skills"):
        yield f"{kind} poll client p50/p99 ms", triple(r["client_ms"].get(kind, [None, None]))
        yield f"{kind} poll gunicorn p50/p99 ms", triple(r["server_ms"].get(kind, [None, None]))
    yield "gunicorn CPU ms / request · cores", f"{r['gunicorn_cpu_ms_per_request']:g} · {r['gunicorn_cores']:g}"
    yield "gunicorn threads waiting for a CPU", f"{r.get('gunicorn_waiting', float('nan')):g}"
    yield "simulator · bench client cores", f"{r['simulator_cores']:g} · {r['client_cores']:g}"
    yield "Redis used_memory MB (sessions) · keys", f"{r['redis_bytes'] / mb:.1f} ({r['redis_bytes_signed_in'] / mb:.1f}) · {r['redis_keys']:,}"
    yield "Redis per supervisor MB", f"{(r['redis_bytes'] - r['redis_bytes_signed_in']) / mb / r['supervisors']:.2f}"
    yield "PostgreSQL transactions / request", f"{r['pg_xacts_per_request']:g}"
    yield "KB on the wire / sup. / min b/s", f"{r['wire_kb_per_supervisor_minute']['board']:g} / {r['wire_kb_per_supervisor_minute']['skills']:g}"
    yield "cold load p50 / max s (boards)", triple(r["cold_load_s"]) + f" ({r['cold_loaded']})"


def table(results, labels):
    rows = [dict(rows_of(r)) for r in results]
    names = list(dict.fromkeys(name for row in rows for name in row))
    width = max(len(n) for n in names)
    cols = [max(len(label), *(len(row.get(n, "")) for n in names)) for label, row in zip(labels, rows)]
    lines = [" " * width + " | " + " | ".join(label.rjust(c) for label, c in zip(labels, cols))]
    lines.append("-" * len(lines[0]))
    for n in names:
        lines.append(n.ljust(width) + " | " + " | ".join(row.get(n, "").rjust(c) for row, c in zip(rows, cols)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--supervisors", default="50", help="one configuration per value: 50,100,200,400")
    parser.add_argument("--agents", type=int, default=3000)
    parser.add_argument("--views", type=int, default=20)
    parser.add_argument("--teams", type=int, default=10, help="teams of the tenant when --views > 1")
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--window", type=float, default=90)
    parser.add_argument("--arrive", type=float, default=10, help="supervisors open their boards over this many seconds")
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--page-cap", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=int(ORIGINAL_ENV.get("GUNICORN_THREADS", 4)))
    parser.add_argument("--database-url", default=ORIGINAL_ENV.get("DATABASE_URL", ""),
                        help="PostgreSQL; the bench drops and creates this database (default: $DATABASE_URL)")
    parser.add_argument("--cache-url", default="", help="a Redis db to use (and empty!) instead of a redis-server of the bench's own")
    parser.add_argument("--no-etag", action="store_true", help="the skills and assignments polls send no If-None-Match (board.js before)")
    parser.add_argument("--json", nargs="?", const="", default=None, metavar="PATH",
                        help="also write the figures as JSON (default path var/bench/floor-<time>.json)")
    parser.add_argument("--baseline", action="append", default=[], metavar="JSON", help="a saved run's columns beside these")
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args()
    from urllib.parse import urlsplit

    if not args.database_url.startswith(("postgres://", "postgresql://")) or \
            urlsplit(args.database_url).path.lstrip("/") in ("", "postgres", "template0", "template1"):
        parser.error("a PostgreSQL DATABASE_URL (or --database-url) naming a database of the bench's own is needed")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    random.seed(args.seed)
    counts = [int(n) for n in args.supervisors.split(",") if n.strip()]
    results = []
    for n in counts:
        print(f"running {n} supervisors …", file=sys.stderr, flush=True)
        results.append(run(args, n))
    labels = [f"{r['supervisors']} sup." for r in results]
    for path in args.baseline:
        for r in json.loads(Path(path).read_text())["results"]:
            results.append(r)
            labels.append(f"{r['supervisors']} ({Path(path).stem[-8:]})")
    print(f"gunicorn {args.workers} workers × {args.threads} threads, PostgreSQL + Redis; simulator at {args.latency_ms:g} ms a call, "
          f"pages of {args.page_cap}; warm-up {args.warmup:g} s, window {args.window:g} s; {os.cpu_count()} cores")
    print(table(results, labels))
    if any(r["supervisors"] <= 5 for r in results[:len(counts)]):
        for r in results[:len(counts)]:
            print(f"{r['supervisors']} sup.: stated age max per 30 s from the first poll: "
                  + " ".join(f"{k}s:{v}" for k, v in r["stated_age_max_per_30s"]))
    if args.json is not None:
        path = Path(args.json or os.path.join(ROOT, "var", "bench", f"floor-{time.strftime('%Y%m%d-%H%M%S')}.json"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"args": vars(args), "results": results[:len(counts)]}, indent=1))
        print(f"figures: {path}")


if __name__ == "__main__":
    main()
