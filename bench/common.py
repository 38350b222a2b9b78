"""Shared set-up for the in-process benchmarks: Django on a scratch database, the
simulator on loopback with a round trip's worth of latency on every server-to-server call."""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='cxone-bench-')}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET  # noqa: E402
from simulator.server import RunningSimulator  # noqa: E402

SERVER_TO_SERVER = ("openid-configuration", "cxone-configuration", "token", "jwks", "userinfo")


class SeparateSimulator:
    """The simulator in a process of its own: an independent OP, no shared interpreter lock."""

    def __init__(self, latency, extra_args=()):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "simulator.server", "--port", str(port), "--latency-ms", str(latency * 1000), "--userinfo-email", *extra_args],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the simulator did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def prepare(latency=0.05, separate_process=False, simulator_args=()):
    call_command("migrate", "--noinput", verbosity=0)
    if separate_process:
        op = SeparateSimulator(latency, simulator_args)
    else:
        op = RunningSimulator()
        op.simulator.userinfo_email = True  # only the stock baseline reads it
        op.simulator.latency = latency
    _register(op.issuer)
    return op


def _register(issuer):
    from simulator.demo import demo_tenants
    from tenants import discovery
    from tenants.models import Environment, Tenant

    Environment.objects.filter(client_id=DEMO_CLIENT_ID).delete() if not Tenant.objects.exists() else None
    environment = Environment.objects.create(
        name="Simulator", issuer=issuer, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET
    )
    discovery.refresh(environment, keep_stale=False)
    for t in demo_tenants():
        tenant = Tenant.objects.create(environment=environment, tenant_id=t.tenant_id, name=t.name, slug=t.slug)
        discovery.refresh(tenant, keep_stale=False)
    endpoints = environment.openid_configuration
    for name, url in (
        ("OIDC_OP_AUTHORIZATION_ENDPOINT", endpoints["authorization_endpoint"]),
        ("OIDC_OP_TOKEN_ENDPOINT", endpoints["token_endpoint"]),
        ("OIDC_OP_USER_ENDPOINT", endpoints["userinfo_endpoint"]),
        ("OIDC_OP_JWKS_ENDPOINT", endpoints["jwks_uri"]),
        ("OIDC_RP_CLIENT_ID", DEMO_CLIENT_ID),
        ("OIDC_RP_CLIENT_SECRET", DEMO_CLIENT_SECRET),
    ):
        setattr(settings, name, url)


def s2s_calls(sim, since):
    return [c["endpoint"] for c in sim.calls[since:] if c["endpoint"] in SERVER_TO_SERVER]


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values):
    return {"median": statistics.median(values), "p90": percentile(values, 90), "n": len(values)}
