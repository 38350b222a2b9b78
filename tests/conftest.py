"""Fixtures: a real CXone simulator on loopback, registered in the portal's registry."""
import os
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.cache import cache

from simulator.browser import answer_authorize
from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from simulator.server import RunningSimulator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Every Reason is produced by at least one test (checked when the whole suite runs).
pytest_plugins = ["tests.reasons_seen"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def op():
    """A CXone simulator serving on 127.0.0.1:<free port> for this test."""
    running = RunningSimulator()
    yield running
    running.stop()


@dataclass
class Registered:
    op: RunningSimulator
    environment: object
    tenants: dict

    @property
    def sim(self):
        return self.op.simulator

    def tenant(self, slug="acme"):
        return self.tenants[slug]


def register(op, auth_method="client_secret_basic", **env_fields):
    from tenants import discovery
    from tenants.models import Environment, Tenant

    environment = Environment.objects.create(
        name="Simulator",
        issuer=op.issuer,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        token_auth_method=auth_method,
        **env_fields,
    )
    discovery.refresh(environment, keep_stale=False)
    tenants = {}
    for sim_tenant in op.simulator.tenants.values():
        tenant = Tenant.objects.create(
            environment=environment, tenant_id=sim_tenant.tenant_id, name=sim_tenant.name, slug=sim_tenant.slug
        )
        discovery.refresh(tenant, keep_stale=False)
        tenants[tenant.slug] = tenant
    op.simulator.reset_calls()
    return Registered(op, environment, tenants)


@pytest.fixture
def cxone(op, db):
    """The simulator plus its environment and both demo tenants in the registry."""
    return register(op)


class Browser:
    """A browser-like client: the Django test client for the portal, real HTTP for CXone."""

    def __init__(self, client, registered):
        self.client = client
        self.cxone = registered
        self.http = requests.Session()

    def start(self, **params):
        response = self.client.get("/oidc/authenticate/", params)
        assert response.status_code == 302, response.content[:500]
        return response["Location"]

    def login_at_cxone(self, authorize_url, username, action="sign_in"):
        """Open CXone's login page, then submit it as `username`; returns the redirect."""
        return answer_authorize(authorize_url, username, action=action, http=self.http, check_page=True)

    def callback(self, location):
        parts = urlsplit(location)
        return self.client.get(parts.path + "?" + parts.query)

    def sign_in(self, tenant="acme", username="alex.agent@acme.example", **params):
        if tenant:
            params["tenant"] = tenant
        location = self.login_at_cxone(self.start(**params), username)
        return self.callback(location)


@pytest.fixture
def browser(client, cxone):
    return Browser(client, cxone)


AGENT = "alex.agent@acme.example"
SUPERVISOR = "sam.supervisor@acme.example"
ADMIN = "ada.admin@acme.example"
GLOBEX_AGENT = "gus.agent@globex.example"


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def pytest_report_header(config):
    from django.conf import settings

    return (
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"REQUIRE_SERVICES={os.environ.get('REQUIRE_SERVICES', '0')}"
    )


# --- real Chromium against `make run`'s demo ------------------------------------------------------
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


# How long a browser test waits for a condition (an element, a navigation, an assertion; the
# pages' set_default_timeout and expect's default): a deadline that only bounds the wait, generous
# for a loaded machine (two suites and the 3,000-agent demo on two cores); a pass returns at once.
BROWSER_WAIT_MS = 60_000


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium through playwright, per module: its event loop must not outlive the
    browser tests (Django refuses database calls while one runs)."""
    import shutil

    from . import procs

    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        procs.missing(f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package to run the browser tests")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        procs.missing("playwright is not installed (pip install -r requirements.txt)")
    expect.set_options(timeout=BROWSER_WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """`make run` in a box, one for every browser test of the run."""
    from . import procs

    server = procs.DemoServer(tmp_path_factory.mktemp("demo"))
    yield server
    server.stop()


class PortalClock:
    """The portal's clock (`workspaces.adapter.wall_clock`) and the simulated CXone's world,
    moved by hand: `at(epoch)`, `later(seconds)`."""

    def __init__(self, now):
        self.now = now

    def at(self, epoch):
        self.now = epoch

    def later(self, seconds):
        self.now += seconds


@pytest.fixture
def portal_clock(monkeypatch, cxone):
    import time

    from workspaces import adapter

    clock = PortalClock(time.time())
    monkeypatch.setattr(adapter, "wall_clock", lambda: clock.now)
    cxone.sim.api.clock = lambda: clock.now
    return clock


@pytest.fixture(params=["spec", "sdk"])
def both_shapes(request, cxone):
    """The simulator in each of NICE's documented variants (docs/simulator.md): a test that
    uses this runs against both."""
    cxone.sim.api.shapes = request.param
    return request.param
