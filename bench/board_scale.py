"""The team board at 60, 500 and 3,000 agents, side by side in one run (issue 15).

    .venv/bin/python bench/board_scale.py [--rounds 300] [--latency-ms 50] [--no-browser]

One process hosts the portal (Django's test client, one thread) and the simulator (a thread,
pages of at most 50, 50 ms added to every CXone call). Three tenants of one simulator have
60, 500 and 3,000 agents; one supervisor of each signs in. The portal's clock and CXone's
are one bench clock that moves only when the bench moves it, so "unchanged" and "5 s later"
are exact. Measured:

1. cold first load of `GET /api/supervisor/agents/`: CXone calls (states and the agent
   directory), sequential steps (the longest chain of calls each starting after the previous
   ended) and wall time;
2. per request, every kind interleaved in each round (shuffled): a signed-in
   `GET /api/session/`, an unchanged poll (`?since=<current>` + If-None-Match: 304), a delta
   poll (`?since=<previous>` 5 s of CXone's clock later: the pre-encoded delta), and the old
   cached poll (bench/urls.py: the agents dict from the cache, sorted, `JsonResponse`);
3. bytes per minute per tab: 12 polls at 5 s as the page sends them, against the whole JSON
   and the whole gzip every poll;
4. in Chromium (the dev server as `make run` starts it, `CXONE_SIMULATOR_AGENTS=2000` then
   `3000`): board.js's own `data-update-ms` (script time of one applied answer) after the
   first load and after each delta poll, `data-tick-ms`, CDP `Performance.getMetrics` over
   10 s of an idle board, the bytes of its polls on the wire, and a CPU profile of its
   delta polls (self time per function).
"""
import argparse
import gzip
import json
import os
import pickle
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import common  # noqa: F401  (sets Django up)
import requests
from django.core.cache import cache, caches
from django.core.management import call_command
from django.test import Client

from simulator.api import Team
from simulator.browser import answer_authorize
from simulator.demo import practice_tenant
from simulator.server import RunningSimulator
from workspaces import adapter

SIZES = {60: ("acme", "sam.supervisor@acme.example"), 500: ("globex", "tess.lead@globex.example"),
         3000: ("initech", "pete.lead@initech.example")}
PAGE_CAP = 50
POLL = 5
AGENTS = "/api/supervisor/agents/"


class BenchClock:
    """Wall time at the start, then only what the bench adds."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


# --- CXone calls on the wire ---------------------------------------------------------------------

_calls, _calls_lock = [], threading.Lock()
_send = requests.Session.send


def _recorded_send(self, request, **kwargs):
    started = time.perf_counter()
    response = _send(self, request, **kwargs)
    if "/inContactAPI/" in request.url:
        with _calls_lock:
            _calls.append((started, time.perf_counter(), request.url.split("/inContactAPI/services/", 1)[-1].split("?")[0]))
    return response


requests.Session.send = _recorded_send


def longest_chain(calls):
    """Sequential steps: the longest chain of calls, each starting after the previous ended."""
    ordered = sorted(calls, key=lambda c: c[1])
    depth = []
    for i, (start, end, _) in enumerate(ordered):
        depth.append(1 + max((depth[j] for j in range(i) if ordered[j][1] <= start), default=0))
    return max(depth, default=0)


# --- set-up ---------------------------------------------------------------------------------------

def setup(latency, clock):
    call_command("migrate", "--noinput", verbosity=0)
    op = RunningSimulator(page_cap=PAGE_CAP, clock=clock)
    sim = op.simulator
    sim.add_tenant(practice_tenant())
    by_slug = {t.slug: t for t in sim.tenants.values()}
    sizes = {by_slug[slug].tenant_id: size for size, (slug, _) in SIZES.items()}
    teams, lock = {}, threading.Lock()

    def team(tenant):  # one team size per tenant (the simulator's is one for all)
        with lock:
            if tenant.tenant_id not in teams:
                teams[tenant.tenant_id] = Team(tenant, sizes.get(tenant.tenant_id, 60))
            return teams[tenant.tenant_id]

    sim.api.team = team
    common._register(op.issuer)
    from tenants import discovery
    from tenants.models import Environment, Tenant

    environment = Environment.objects.get(issuer=op.issuer)
    extra = practice_tenant()
    tenant = Tenant.objects.create(environment=environment, tenant_id=extra.tenant_id, name=extra.name, slug=extra.slug)
    discovery.refresh(tenant, keep_stale=False)
    sim.latency = latency
    return op


def sign_in(slug, username):
    client = Client()
    start = client.get("/oidc/authenticate/", {"tenant": slug})
    location = answer_authorize(start["Location"], username)
    path, _, query = location.partition("?")
    path = path.split("://", 1)[-1].split("/", 1)[-1]
    assert client.get("/" + path + "?" + query).status_code == 302
    return client


class Board:
    """One supervisor's tab, as board.js polls."""

    def __init__(self, size):
        from accounts.models import CXoneIdentity

        self.size = size
        slug, username = SIZES[size]
        self.client = sign_in(slug, username)
        self.identity = CXoneIdentity.objects.select_related("tenant").get(login_name=username)
        self.scope_user = self.identity.cxone_user_id or f"i{self.identity.pk}"
        self.headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json",
                        "HTTP_X_PORTAL_IDENTITY": str(self.identity.pk)}
        self.version = None

    def drop(self):
        resources = adapter.Workspace(self.identity.tenant, self.scope_user, None).resources
        resources.drop("agents")
        cache.delete_many([resources.key("agents", "lease"), resources.backoff_key(), resources.backoff_key() + ":n"])

    def poll(self, since=None, gzip_ok=True):
        extra = dict(self.headers)
        if gzip_ok:
            extra["HTTP_ACCEPT_ENCODING"] = "gzip, deflate, br, zstd"
        if since is not None:
            extra["HTTP_IF_NONE_MATCH"] = f'"v{since}"'
            return self.client.get(AGENTS, {"since": since}, **extra)
        return self.client.get(AGENTS, **extra)

    def state(self):
        return adapter.Workspace(self.identity.tenant, self.scope_user, None).resources.state("agents")


def ms(seconds):
    return seconds * 1000


def summary(values):
    return statistics.median(values), common.percentile(values, 90)


def response_bytes(response):
    """What an HTTP/1.1 answer carries: status line, headers, body."""
    head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in response.items()) + "".join(
        f"Set-Cookie: {c.output(header='').strip()}\r\n" for c in response.cookies.values()) + "\r\n"
    return len(head.encode()), len(response.content)


def request_bytes(board, since):
    """The request Chromium sends for one poll (its header set, the session's real cookies)."""
    cookies = "; ".join(f"{k}={v.value}" for k, v in board.client.cookies.items())
    headers = {
        "Host": "portal.example.com", "Connection": "keep-alive",
        "sec-ch-ua-platform": '"Linux"', "X-Portal-Identity": str(board.identity.pk),
        "sec-ch-ua": '"Chromium";v="131", "Not_A Brand";v="24"', "sec-ch-ua-mobile": "?0",
        "X-Requested-With": "XMLHttpRequest",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Accept": "application/json", "If-None-Match": f'"v{since}"', "Sec-Fetch-Site": "same-origin",
        "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Referer": "https://portal.example.com/supervisor/",
        "Accept-Encoding": "gzip, deflate, br, zstd", "Accept-Language": "en-US,en;q=0.9", "Cookie": cookies,
    }
    line = f"GET {AGENTS}?since={since} HTTP/1.1\r\n"
    return len((line + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())


# --- 1. cold first load --------------------------------------------------------------------------------

def cold_loads(boards, repeats):
    results = {size: [] for size in boards}
    for _ in range(repeats):
        for size, board in boards.items():
            board.drop()
            with _calls_lock:
                _calls.clear()
            started = time.perf_counter()
            response = board.poll()
            wall = time.perf_counter() - started
            assert response.status_code == 200, response.content[:300]
            body = json.loads(gzip.decompress(response.content))
            assert body["count"] == size and len(body["agents"]) == size, (size, body["count"])
            with _calls_lock:
                calls = list(_calls)
            results[size].append({"ms": ms(wall), "calls": len(calls), "steps": longest_chain(calls),
                                  "states": sum(1 for c in calls if c[2].endswith("agents/states")),
                                  "directory": sum(1 for c in calls if c[2].endswith("/agents"))})
            board.version = body["version"]
    return results


# --- 2. one poll against /api/session/ ----------------------------------------------------------------

def timed(client, path, data=None, **extra):
    started = time.perf_counter()
    response = client.get(path, data, **extra)
    return time.perf_counter() - started, response


def per_request(boards, clock, rounds, warmup=20):
    # The delta: CXone's clock moves 5 s at a time and every board polls as the page does,
    # until each has seen a change (a small team may not change in 5 s); each board's delta
    # poll is then `?since=<the version before its last change>`: the pre-encoded delta.
    base, delta_rows, steps = {}, {}, 0
    while len(base) < len(boards) and steps < 60:
        clock.advance(POLL)
        steps += 1
        for size, board in boards.items():
            response = board.poll(since=board.version)
            if response.status_code == 304:
                continue
            assert response.status_code == 200, response.status_code
            body = json.loads(gzip.decompress(response.content))
            assert body["full"] is False, "the delta poll answered the whole board"
            base[size] = board.delta_from = board.version
            board.version = body["version"]
            delta_rows[size] = len(body["agents"]) + len(body["removed"])
    for size, board in boards.items():
        # The old cache entry: {"agents": {...}, "lastPollTime"}, as before issue 15.
        state = board.state()
        identity = board.identity
        cache.set(f"bench:old-board:{identity.tenant_id}:{identity.cxone_user_id or identity.pk}",
                  {"agents": state["agents"], "lastPollTime": state["last_poll"]}, 3600)

    kinds = {}
    for size, board in boards.items():
        h = dict(board.headers)
        gz = {**h, "HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}
        kinds[(size, "session")] = (board.client, "/api/session/", None, h, 200)
        kinds[(size, "304")] = (board.client, AGENTS, {"since": board.version}, {**gz, "HTTP_IF_NONE_MATCH": f'"v{board.version}"'}, 304)
        kinds[(size, "delta")] = (board.client, AGENTS, {"since": base[size]}, {**gz, "HTTP_IF_NONE_MATCH": f'"v{base[size]}"'}, 200)
        kinds[(size, "old")] = (board.client, "/bench/old-board/", None, h, 200)
    times = {key: [] for key in kinds}
    order = list(kinds)
    rng = random.Random(15)
    for n in range(warmup + rounds):
        rng.shuffle(order)
        for key in order:
            client, path, data, extra, status = kinds[key]
            elapsed, response = timed(client, path, data, **extra)
            assert response.status_code == status, (key, response.status_code, response.content[:200])
            if n >= warmup:
                times[key].append(ms(elapsed))
    return times, delta_rows, steps


def cache_bytes_read(boards):
    """Pickled bytes each kind of poll reads from the cache (what Redis would send)."""
    read = []
    backend = type(caches["default"])
    real_get = backend.get

    def counting_get(self, key, default=None, version=None):
        value = real_get(self, key, default, version)
        read.append(len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) if value is not None else 0)
        return value

    out = {}
    backend.get = counting_get
    try:
        for size, board in boards.items():
            for kind, since in (("304", board.version), ("delta", board.delta_from)):
                read.clear()
                board.poll(since=since)
                out[(size, kind)] = (len(read), sum(read))
    finally:
        backend.get = real_get
    return out


# --- 3. bytes per minute per tab -----------------------------------------------------------------------

def bytes_per_minute(boards, clock):
    out = {}
    for size, board in boards.items():
        full = board.poll()  # the whole board now, as it was sent on every poll before
        full_gz = len(full.content)
        full_raw = len(gzip.decompress(full.content))
        out[size] = {"full_raw": 12 * full_raw, "full_gz": 12 * full_gz, "polls": []}
    for _ in range(12):
        clock.advance(POLL)
        for size, board in boards.items():
            sent = request_bytes(board, board.version)
            response = board.poll(since=board.version)
            head, body = response_bytes(response)
            rows = None
            if response.status_code == 200:
                payload = json.loads(gzip.decompress(response.content))
                rows = len(payload["agents"]) + len(payload["removed"])
                board.version = payload["version"]
            out[size]["polls"].append((response.status_code, sent, head, body, rows))
    return out


# --- 4. Chromium ----------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

OBSERVE = """() => {
  const root = document.querySelector('[data-workspace=supervisor]');
  window.__updates = [];
  new MutationObserver(() => window.__updates.push([root.getAttribute('data-update-ms'), root.getAttribute('data-update-rows'), performance.now()]))
    .observe(root, {attributes: true, attributeFilter: ['data-update-ms']});
}"""


class SizedDemoServer:
    """tests/procs.py's DemoServer (`make run` in a box) with CXONE_SIMULATOR_AGENTS set."""

    def __init__(self, tmp_path, agents):
        from tests import procs

        self.port = procs.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = procs.inherited_env()
        for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "CACHE_URL"):
            self.env.pop(name, None)
        self.env.update({"DJANGO_SETTINGS_MODULE": "cxone_portal.settings", "DEBUG": "1", "CXONE_SIMULATOR": "1",
                         "CXONE_ALLOW_HTTP_ISSUERS": "1", "CXONE_SIMULATOR_ISSUER": f"{self.url}/cxone-sim",
                         "CXONE_SIMULATOR_AGENTS": str(agents), "VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING",
                         "DEMO_ADMIN_PASSWORD": "demo-admin-password-for-bench"})
        for step in (["migrate", "--noinput"], ["setup_demo"]):
            done = procs.manage(self.env, *step)
            assert done.returncode == 0, done.stderr
        self.log = open(tmp_path / "runserver.log", "w")
        self.process = subprocess.Popen([procs.PYTHON, os.path.join(procs.ROOT, "manage.py"), "runserver", "--noreload",
                                         f"127.0.0.1:{self.port}"], env=self.env, cwd=procs.ROOT, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        procs.wait_for(self.url + "/healthz")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        self.log.close()


def profile_self_times(profile, top=8):
    """Self time per function (ms) from a CDP CPU profile, board.js and common.js first."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    self_us = {}
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"]):
        self_us[node_id] = self_us.get(node_id, 0) + delta
    inclusive = {}

    def total(node_id):
        if node_id not in inclusive:
            node = nodes[node_id]
            inclusive[node_id] = self_us.get(node_id, 0) + sum(total(c) for c in node.get("children", []))
        return inclusive[node_id]

    sys.setrecursionlimit(10000)
    by_fn_self, by_fn_incl = {}, {}
    for node_id, node in nodes.items():
        frame = node["callFrame"]
        name = frame["functionName"] or "(anonymous)"
        where = frame["url"].rsplit("/", 1)[-1]
        key = f"{name} ({where}:{frame['lineNumber'] + 1})" if where else name
        by_fn_self[key] = by_fn_self.get(key, 0) + self_us.get(node_id, 0)
        if where.startswith("board.js"):
            by_fn_incl[key] = by_fn_incl.get(key, 0) + total(node_id)
    skip = {"(idle)", "(program)", "(root)"}
    selfs = sorted(((v / 1000, k) for k, v in by_fn_self.items() if k not in skip), reverse=True)[:top]
    incls = sorted(((v / 1000, k) for k, v in by_fn_incl.items()), reverse=True)[:top]
    return selfs, incls


def browser_run(agents_list, observe_seconds):
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for agents in agents_list:
            tmp = Path(tempfile.mkdtemp(prefix=f"cxone-board-{agents}-"))
            server = SizedDemoServer(tmp, agents)
            try:
                results[agents] = browser_one(browser, server, agents, observe_seconds)
            finally:
                server.stop()
                shutil.rmtree(tmp, ignore_errors=True)
        browser.close()
    return results


def browser_one(browser, server, agents, observe_seconds):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90000)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Performance.enable")
    wire, requests_by_id = [], {}

    def sent(event):
        if AGENTS in event["request"]["url"]:
            requests_by_id[event["requestId"]] = {"url": event["request"]["url"]}

    def sent_extra(event):
        entry = requests_by_id.get(event["requestId"])
        if entry is not None:
            headers = event.get("headers", {})
            entry["request_bytes"] = len("GET  HTTP/1.1\r\n") + len(entry["url"].split("//", 1)[-1].split("/", 1)[-1]) + 1 + sum(
                len(k) + len(str(v)) + 4 for k, v in headers.items()) + 2

    def received(event):
        entry = requests_by_id.get(event["requestId"])
        if entry is not None:
            entry["status"] = event["response"]["status"]

    def finished(event):
        entry = requests_by_id.get(event["requestId"])
        if entry is not None:
            entry["received_bytes"] = event["encodedDataLength"]
            wire.append(entry)

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.requestWillBeSentExtraInfo", sent_extra)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)

    page.goto(server.url + "/")
    page.get_by_role("link", name="Acme Support Sign in to Acme Support").click()
    page.wait_for_url("**/cxone-sim/auth/authorize?**")
    started = time.perf_counter()
    page.get_by_role("button", name="Samira Okafor").click()
    page.wait_for_url(server.url + "/supervisor/")
    root = page.locator("[data-workspace=supervisor]")
    page.wait_for_function("() => document.querySelector('[data-workspace=supervisor]').hasAttribute('data-update-ms')")
    first_load_s = time.perf_counter() - started
    first = {"ms": float(root.get_attribute("data-update-ms")), "rows": int(root.get_attribute("data-update-rows"))}
    shown = page.locator('[data-test="agents"] tbody tr[data-agent-id]').count()
    page.evaluate(OBSERVE)
    wire.clear()
    # 10 s of an idle board: CDP's script and layout time (polls and ticks included).
    # Sampled every 250 ms: a sample whose interval holds an applied poll charges its layout to
    # the poll, any other to the 1 s tick.
    def metrics():
        return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}

    before = metrics()
    previous, seen, poll_layout, tick_layout = before, 0, [], []
    until = time.monotonic() + 10
    while time.monotonic() < until:
        page.wait_for_timeout(250)
        now_metrics, count = metrics(), page.evaluate("() => window.__updates.length")
        step = (now_metrics["LayoutDuration"] - previous["LayoutDuration"]) * 1000
        (poll_layout if count > seen else tick_layout).append(step)
        previous, seen = now_metrics, count
    after = previous
    idle = {k: (after[k] - before[k]) * 1000 for k in ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration")}
    # Then a CPU profile across more delta polls.
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 100})
    cdp.send("Profiler.start")
    page.wait_for_timeout(observe_seconds * 1000)
    profile = cdp.send("Profiler.stop")["profile"]
    updates = page.evaluate("() => window.__updates")
    last = {"ms": root.get_attribute("data-update-ms"), "rows": root.get_attribute("data-update-rows"),
            "tick": root.get_attribute("data-tick-ms")}
    ticks = []
    for _ in range(5):
        page.wait_for_timeout(1000)
        ticks.append(float(root.get_attribute("data-tick-ms")))
    wire_seconds = 10 + observe_seconds
    context.close()
    selfs, incls = profile_self_times(profile)
    return {"poll_layout": [v for v in poll_layout], "tick_layout": [v for v in tick_layout if v > 0.05],
            "first": first, "shown": shown, "first_load_s": first_load_s, "idle": idle, "updates": updates, "last": last,
            "ticks": ticks, "wire": list(wire), "wire_seconds": wire_seconds, "self": selfs, "inclusive": incls,
            "profile_seconds": observe_seconds}


# --- the report ---------------------------------------------------------------------------------------------

def machine():
    load = os.getloadavg()
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, "
            f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--cold-repeats", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--observe-seconds", type=int, default=21, help="Chromium: profile window after the 10 s idle window")
    parser.add_argument("--browser-agents", default="2000,3000")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    print(machine(), flush=True)
    clock = BenchClock()
    adapter.wall_clock = clock  # the adapter's "now" (Workspace takes wall_clock unless given one)
    op = setup(args.latency_ms / 1000, clock)
    boards = {size: Board(size) for size in SIZES}

    cold = cold_loads(boards, args.cold_repeats)
    times, delta_rows, delta_steps = per_request(boards, clock, args.rounds)
    cache_reads = cache_bytes_read(boards)
    minute = bytes_per_minute(boards, clock)
    op.stop()

    sizes = list(SIZES)
    print(f"\nThe board at {', '.join(map(str, sizes))} agents: pages of {PAGE_CAP}, {args.latency_ms:g} ms per CXone call, "
          f"Django test client, {args.rounds} interleaved rounds")
    line = "{:44}" + "{:>22}" * len(sizes)
    print(line.format("", *[f"{s} agents" for s in sizes]))

    def row(label, cells):
        print(line.format(label, *cells))

    row("1. cold load: CXone calls (states + directory)", [
        f"{c[0]['calls']} ({c[0]['states']}+{c[0]['directory']})" for c in (cold[s] for s in sizes)])
    row("   sequential steps", [str(cold[s][0]["steps"]) for s in sizes])
    row("   wall time to the first JSON, median", [f"{statistics.median(r['ms'] for r in cold[s]):.0f} ms" for s in sizes])
    for kind, label in (("session", "2. GET /api/session/ median / p90"), ("304", "   unchanged poll (304)"),
                        ("delta", "   delta poll (?since=previous)"), ("old", "   old cached poll (sort + JsonResponse)")):
        row(label, ["{:.2f} / {:.2f} ms".format(*summary(times[(s, kind)])) for s in sizes])
    for kind, label in (("304", "   304 / session (median ratio)"), ("delta", "   delta / session"), ("old", "   old / session")):
        row(label, [f"{statistics.median(times[(s, kind)]) / statistics.median(times[(s, 'session')]):.2f}x" for s in sizes])
    row("   rows in that delta (its last 5 s step)", [str(delta_rows[s]) for s in sizes])
    print(f"   (CXone's clock moved {delta_steps} x {POLL} s until every board had changed)")
    row("   cache reads per 304 poll (entries, KB)", [f"{cache_reads[(s, '304')][0]}, {cache_reads[(s, '304')][1] / 1024:.1f}" for s in sizes])
    row("   cache reads per delta poll (entries, KB)", [f"{cache_reads[(s, 'delta')][0]}, {cache_reads[(s, 'delta')][1] / 1024:.1f}" for s in sizes])
    row("3. KB/min/tab: whole JSON every poll", [f"{minute[s]['full_raw'] / 1024:.0f}" for s in sizes])
    row("   whole gzip every poll", [f"{minute[s]['full_gz'] / 1024:.1f}" for s in sizes])
    row("   polls that changed (of 12), rows/delta", [
        "{} , {}".format(sum(1 for p in minute[s]["polls"] if p[0] == 200),
                         statistics.median([p[4] for p in minute[s]["polls"] if p[4] is not None] or [0])) for s in sizes])
    row("   page now: bodies received", [f"{sum(p[3] for p in minute[s]['polls']) / 1024:.1f}" for s in sizes])
    row("   page now: + headers both ways", [f"{sum(p[1] + p[2] + p[3] for p in minute[s]['polls']) / 1024:.1f}" for s in sizes])
    results = {"cold": cold, "times": {f"{k[0]}:{k[1]}": v for k, v in times.items()}, "minute": minute}

    if not args.no_browser:
        if not os.path.exists(CHROMIUM):
            print(f"\n4. Chromium: not found at {CHROMIUM}, skipped")
        else:
            agents_list = [int(a) for a in args.browser_agents.split(",")]
            print(f"\n4. Chromium ({CHROMIUM}), dev server with CXONE_SIMULATOR_AGENTS={'/'.join(map(str, agents_list))}, "
                  f"real clock, polls every {POLL} s", flush=True)
            browser = browser_run(agents_list, args.observe_seconds)
            results["browser"] = browser
            for agents, b in browser.items():
                deltas = [(float(u[0]), int(u[1])) for u in b["updates"] if u[0] is not None]
                print(f"  {agents} agents ({b['shown']} rows shown; sign-in click to first board {b['first_load_s']:.1f} s)")
                print(f"    first full load: data-update-ms {b['first']['ms']:.1f} ms for {b['first']['rows']} rows")
                if deltas:
                    print(f"    delta polls: {len(deltas)} applied, data-update-ms median {statistics.median(d[0] for d in deltas):.1f} ms, "
                          f"max {max(d[0] for d in deltas):.1f} ms; rows per delta median {statistics.median(d[1] for d in deltas):g}; "
                          f"each: {', '.join(f'{d[0]:.1f} ms/{d[1]} rows' for d in deltas)}")
                print(f"    1 s tick: data-tick-ms {', '.join(f'{t:.1f}' for t in b['ticks'])}")
                idle = b["idle"]
                print(f"    idle 10 s (CDP getMetrics): script {idle['ScriptDuration']:.0f} ms, layout {idle['LayoutDuration']:.0f} ms, "
                      f"style {idle['RecalcStyleDuration']:.0f} ms, tasks {idle['TaskDuration']:.0f} ms")
                print(f"    layout in the 250 ms after an applied poll: {', '.join(f'{v:.1f}' for v in b['poll_layout'])} ms; "
                      f"other layouts (ticks): {len(b['tick_layout'])}, median "
                      f"{statistics.median(b['tick_layout']) if b['tick_layout'] else 0:.1f} ms, max {max(b['tick_layout'], default=0):.1f} ms")
                polls = b["wire"]
                if polls:
                    per_min = 60 / b["wire_seconds"]
                    print(f"    on the wire over {b['wire_seconds']} s: {len(polls)} polls ({sum(1 for p in polls if p.get('status') == 304)} x 304), "
                          f"sent {sum(p.get('request_bytes', 0) for p in polls) * per_min / 1024:.1f} KB/min, "
                          f"received {sum(p.get('received_bytes', 0) for p in polls) * per_min / 1024:.1f} KB/min")
                print(f"    CPU profile over {b['profile_seconds']} s, self time: " + "; ".join(f"{k} {v:.0f} ms" for v, k in b["self"]))
                print("    inclusive (board.js): " + "; ".join(f"{k} {v:.0f} ms" for v, k in b["inclusive"]))
    print("load average at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    os.makedirs(os.path.join(common.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(common.ROOT, "bench", "results", "board_scale.json"), "w") as out:
        json.dump(results, out, default=str)


if __name__ == "__main__":
    main()
