"""The team board in Chromium at 3,000 and 20,000 agents: what a supervisor feels (issue 25).

    .venv/bin/python bench/board_browser.py [--agents 3000,20000] [--rounds 5] [--root DIR]

Starts the demo as `make run` does (runserver, the simulator mounted, `CXONE_SIMULATOR_AGENTS`
set, at most 3,000: larger teams are the demo's answer cloned under new ids as
it reaches the page) from `--root` (this checkout by default; pass an extracted older commit, e.g.
`git archive main | tar -x -C /tmp/board-before`, to measure the board before a change the same
way on the same machine). Signs in as Acme's supervisor, waits for the whole team, then, in the
page, times from the input (the search field's input event, a sort button's click, the state
filter's change) to the frame painted after the list changed: the list's count line is waited
for when it must change (a debounce included), then one requestAnimationFrame and a message
posted from it (the browser paints between the two), so style, layout and paint are in the
figure, not only script. Median of `--rounds` for each action; also the number of row elements
in the page's agent table. Not a test: figures to read, on a machine to name.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import procs  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the start"

MEASURE = """async ([kind, value]) => {
  const root = document.querySelector('[data-workspace=supervisor]');
  const count = root.querySelector('[data-test=shown]');
  const before = count.textContent;
  const painted = () => new Promise(done => requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => done();
    channel.port2.postMessage(0);
  }));
  const changed = (deadline) => new Promise((done, fail) => {
    const look = () => {
      if (count.textContent !== before) { done(); }
      else if (performance.now() > deadline) { fail(new Error('the list did not change: ' + kind)); }
      else { requestAnimationFrame(look); }
    };
    look();
  });
  const started = performance.now();
  if (kind === 'search') {
    const input = root.querySelector('[data-filter=search]');
    input.value = value;
    input.dispatchEvent(new Event('input', {bubbles: true}));
  } else if (kind === 'filter') {
    const select = root.querySelector('[data-filter=state]');
    select.value = value;
    select.dispatchEvent(new Event('change', {bubbles: true}));
  } else if (kind === 'sort') {
    root.querySelector('button.sort[data-sort=' + value + ']').click();
  }
  if (kind !== 'sort') { await changed(started + 60000); }
  await painted();
  return performance.now() - started;
}"""

ROW_ELEMENTS = "() => document.querySelectorAll('[data-test=agents] tbody tr').length"
SHOWN = "() => document.querySelector('[data-test=shown]').textContent"


class Demo:
    """`make run` in a box, from `root`, with `agents` agents per team."""

    def __init__(self, root, tmp_path, agents):
        self.port = procs.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = procs.inherited_env()
        for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "CACHE_URL"):
            env.pop(name, None)
        env.update({"DJANGO_SETTINGS_MODULE": "cxone_portal.settings", "DEBUG": "1", "CXONE_SIMULATOR": "1",
                    "CXONE_ALLOW_HTTP_ISSUERS": "1", "CXONE_SIMULATOR_ISSUER": f"{self.url}/cxone-sim",
                    "CXONE_SIMULATOR_AGENTS": str(agents), "VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING",
                    "DEMO_ADMIN_PASSWORD": "demo-admin-password-for-bench"})
        python = procs.PYTHON
        for step in (["-m", "core.i18n", "compile"], ["manage.py", "migrate", "--noinput"], ["manage.py", "setup_demo"]):
            done = subprocess.run([python, *step], env=env, cwd=root, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-2000:]
        self.log = open(tmp_path / "runserver.log", "w")
        self.process = subprocess.Popen([python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
                                        env=env, cwd=root, stdout=self.log, stderr=subprocess.STDOUT)
        procs.wait_for(self.url + "/healthz", timeout=60)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        self.log.close()


def widen(page, agents):
    """Serve the page `agents` rows: the demo's first full answer, cloned under new ids (the
    demo's simulator does not serve 20,000 agents in time on a small machine; the page is what
    is measured here). Later answers (304s, deltas of the real agents) pass through."""

    def answer(route):
        response = route.fetch()
        if response.status != 200:
            return route.fulfill(response=response)
        body = response.json()
        if body.get("full") and body.get("agents"):
            real = body["agents"]
            clones = []
            for i in range(agents - len(real)):
                row = dict(real[i % len(real)])
                row["agentId"] = f"{row['agentId']}-{i // len(real) + 1}"
                row["userName"] = f"c{i // len(real) + 1}.{row.get('userName') or ''}"
                clones.append(row)
            body["agents"] = real + clones
            body["total"] = len(body["agents"])
        return route.fulfill(response=response, json=body)

    page.route("**/api/supervisor/agents/**", answer)


def measure(browser, demo, agents, rounds, served):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(300000)
    if agents > served:
        widen(page, agents)
    page.goto(demo.url + "/")
    page.get_by_role("link", name="Acme Support Sign in to Acme Support").click()
    page.wait_for_url("**/cxone-sim/auth/authorize?**")
    page.get_by_role("button", name="Samira Okafor").click()
    page.wait_for_url(demo.url + "/supervisor/")
    page.wait_for_function("() => document.querySelector('[data-workspace=supervisor]').hasAttribute('data-update-ms')")
    figures = {"rows_in_dom": page.evaluate(ROW_ELEMENTS), "shown": page.evaluate(SHOWN)}
    # A query that narrows the team to a tenth or so (agent IDs and logins carry digits).
    steps = {"search: key to repaint": ("search", "7"), "clear the search": ("search", ""),
             "sort by time in state": ("sort", "time"), "filter: Unavailable": ("filter", "unavailable"),
             "filter back to all": ("filter", "")}
    times = {label: [] for label in steps}
    page.evaluate(MEASURE, ["sort", "name"])  # warm up once
    for _ in range(rounds):
        for label, (kind, value) in steps.items():
            times[label].append(page.evaluate(MEASURE, [kind, value]))
    figures["times"] = times
    figures["rows_in_dom_after"] = page.evaluate(ROW_ELEMENTS)
    context.close()
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", default="3000,20000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose board is measured")
    parser.add_argument("--label", default="")
    parser.add_argument("--serve-at-most", type=int, default=3000,
                        help="agents the demo serves; more are clones of its answer, made in the browser")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(machine(), flush=True)
    print(f"board from {args.root} {args.label}".rstrip(), flush=True)
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for agents in [int(a) for a in args.agents.split(",")]:
            tmp = Path(tempfile.mkdtemp(prefix=f"cxone-board-browser-{agents}-"))
            served = min(agents, args.serve_at_most)
            demo = Demo(args.root, tmp, served)
            started = time.perf_counter()
            try:
                figures = measure(browser, demo, agents, args.rounds, served)
            finally:
                demo.stop()
                shutil.rmtree(tmp, ignore_errors=True)
            results[agents] = figures
            print(f"\n{agents} agents ({figures['shown']}; {figures['rows_in_dom']} row elements in the table, "
                  f"{figures['rows_in_dom_after']} after the runs; {time.perf_counter() - started:.0f} s in all)")
            for label, values in figures["times"].items():
                print(f"  {label:28} median {statistics.median(values):8.1f} ms   "
                      f"({', '.join(f'{v:.0f}' for v in values)})", flush=True)
        browser.close()
    print("load average at the end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = "board_browser" + (f"-{args.label}" if args.label else "") + ".json"
    (out / name).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
