"""Sign-in flows in progress, one per `state`, kept in the browser's Django session.

Several tabs may sign in at once, so the session holds a small dict of flows keyed by
state. Each remembers the environment and tenant its request went to (the mix-up
defence: the answer is accepted only from there), the nonce, the PKCE verifier and where
to go afterwards. A flow is used once: the callback pops it before anything else.
"""
import time
from dataclasses import dataclass

from tenants.models import Environment, Tenant

SESSION_KEY = "cxone_flows"
MAX_FLOWS = 20
FLOW_TTL = 15 * 60


@dataclass
class Flow:
    state: str
    nonce: str
    code_verifier: str
    environment: Environment
    tenant: Tenant | None
    next_url: str
    redirect_uri: str
    started_at: float
    code: str = ""


def remember(session, request, environment, tenant, next_url, redirect_uri):
    flows = session.get(SESSION_KEY)
    flows = dict(flows) if isinstance(flows, dict) else {}
    now = time.time()
    flows = {s: f for s, f in flows.items() if now - f.get("at", 0) < FLOW_TTL}
    while len(flows) >= MAX_FLOWS:
        flows.pop(min(flows, key=lambda s: flows[s]["at"]))
    flows[request.state] = {
        "nonce": request.nonce,
        "verifier": request.code_verifier,
        "env": environment.pk,
        "tenant": tenant.pk if tenant else None,
        "next": next_url,
        "redirect_uri": redirect_uri,
        "at": now,
    }
    session[SESSION_KEY] = flows


def pop(session, state):
    """Take the flow for `state` out of the session. None if unknown, reused or expired."""
    flows = session.get(SESSION_KEY)
    if not isinstance(flows, dict) or not isinstance(state, str) or state not in flows:
        return None, "state_unknown"
    flows = dict(flows)
    data = flows.pop(state)
    session[SESSION_KEY] = flows
    if time.time() - data.get("at", 0) >= FLOW_TTL:
        return None, "state_expired"
    environment = Environment.objects.filter(pk=data["env"], is_active=True).first()
    tenant = Tenant.objects.filter(pk=data["tenant"]).first() if data["tenant"] else None
    if environment is None or (data["tenant"] and tenant is None):
        return None, "environment_gone"
    return (
        Flow(
            state=state,
            nonce=data["nonce"],
            code_verifier=data["verifier"],
            environment=environment,
            tenant=tenant,
            next_url=data["next"],
            redirect_uri=data["redirect_uri"],
            started_at=data["at"],
        ),
        None,
    )
