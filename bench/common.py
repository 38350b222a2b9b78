"""Shared set-up for the in-process benchmarks: Django on a scratch database, the
simulator on loopback with a round trip's worth of latency on every server-to-server call."""
import os
import statistics
import sys
import tempfile

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


def prepare(latency=0.05):
    call_command("migrate", "--noinput", verbosity=0)
    op = RunningSimulator()
    op.simulator.userinfo_email = True  # only the stock baseline reads it
    from tenants import discovery
    from tenants.models import Environment, Tenant

    Environment.objects.filter(client_id=DEMO_CLIENT_ID).delete() if not Tenant.objects.exists() else None
    environment = Environment.objects.create(
        name="Simulator", issuer=op.issuer, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET
    )
    discovery.refresh(environment, keep_stale=False)
    for t in op.simulator.tenants.values():
        tenant = Tenant.objects.create(environment=environment, tenant_id=t.tenant_id, name=t.name, slug=t.slug)
        discovery.refresh(tenant, keep_stale=False)
    for name, url in (
        ("OIDC_OP_AUTHORIZATION_ENDPOINT", op.simulator.endpoint_url("authorization")),
        ("OIDC_OP_TOKEN_ENDPOINT", op.simulator.endpoint_url("token")),
        ("OIDC_OP_USER_ENDPOINT", op.simulator.endpoint_url("userinfo")),
        ("OIDC_OP_JWKS_ENDPOINT", op.simulator.endpoint_url("jwks")),
        ("OIDC_RP_CLIENT_ID", DEMO_CLIENT_ID),
        ("OIDC_RP_CLIENT_SECRET", DEMO_CLIENT_SECRET),
    ):
        setattr(settings, name, url)
    op.simulator.latency = latency
    return op


def s2s_calls(sim, since):
    return [c["endpoint"] for c in sim.calls[since:] if c["endpoint"] in SERVER_TO_SERVER]


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values):
    return {"median": statistics.median(values), "p90": percentile(values, 90), "n": len(values)}
