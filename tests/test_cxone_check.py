"""`manage.py cxone_check`: against the simulator on loopback, in both of NICE's documented
variants, and with a field the portal needs dropped from every answer."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import SignInEvent, TokenSession

from .conftest import AGENT, SUPERVISOR, Browser


@pytest.fixture
def signed_in(cxone):
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    return browser


def check(*args):
    out = StringIO()
    try:
        call_command("cxone_check", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("shapes", ["spec", "sdk"])
def test_the_simulator_passes_in_both_variants(signed_in, cxone, shapes):
    cxone.sim.api.shapes = shapes
    tokens = list(TokenSession.objects.values_list("access_token", "refresh_token"))
    events = SignInEvent.objects.count()
    code, out = check("acme", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True, out
    endpoints = {r["endpoint"]: r for r in report["endpoints"]}
    assert {"agents/states", "skills/activity", "contacts/completed", "agents/{agentId}/state-history",
            "teams/{teamId}/unavailable-codes", "teams/{teamId}/performance-total"} <= set(endpoints)
    assert endpoints["agents/states"]["status"] == 200 and endpoints["agents/states"]["rows"] <= 5
    assert endpoints["agents/skills"]["status"] == 200 and endpoints["agents/skills"]["verdict"] == "ok"
    assert endpoints["agents/skills"]["unexpected"] == [] and "skillName" in endpoints["agents/skills"]["present"]
    codes = endpoints["teams/{teamId}/unavailable-codes"]["present"]
    assert codes == (["outstateId", "outstateName"] if shapes == "spec" else ["outStateId", "outStateName"])
    assert not any(r["verdict"] == "missing" for r in report["endpoints"])
    # Names only: no agent's name, no token, no id in what it prints.
    for secret in [t for pair in tokens for t in pair if t] + ["Sam", "Alex", "1150", "Tier 1"]:
        assert secret not in out
    assert list(TokenSession.objects.values_list("access_token", "refresh_token")) == tokens  # nothing written
    assert SignInEvent.objects.count() == events


@pytest.mark.django_db
def test_a_dropped_field_fails_naming_it(signed_in, cxone):
    cxone.sim.api.dropped = {"earliestQueueTime"}
    code, out = check("acme")
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("skills/activity"))
    assert "MISSING: earliestQueueTime" in line and "missing" in line
    assert out.strip().endswith("First day on a real tenant)")


@pytest.mark.django_db
def test_it_needs_a_signed_in_supervisor(cxone):
    with pytest.raises(CommandError, match="sign in to the portal as a supervisor"):
        call_command("cxone_check", "acme")
    with pytest.raises(CommandError, match="no tenant"):
        call_command("cxone_check", "nowhere")
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=AGENT).status_code == 302
    with pytest.raises(CommandError, match="supervisor"):
        call_command("cxone_check", "acme")
    code, out = check("acme", "--user", AGENT)  # an agent's token: CXone refuses the team's reads
    assert "refused" in out and "403" in out
