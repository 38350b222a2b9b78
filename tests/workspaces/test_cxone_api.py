"""workspaces/cxone_api.py on its own: the client against the simulator's APIs over real HTTP,
no database. Paging, deltas, 304/204, 401 with one refresh, 403, 429/503, timeouts."""
import time

import jwt
import pytest
import requests

from core.reasons import Reason
from simulator.api import PAGE_CAP, TEAM_SIZE
from workspaces.cxone_api import NOT_MODIFIED, APIError, CXoneClient

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"


def token_for(op, username):
    return op.simulator.issue_tokens(username)["access_token"]


@pytest.fixture
def supervisor(op):
    return CXoneClient(op.issuer + "/api-na1", token_for(op, "sam.supervisor@acme.example"), requests.Session(), timeout=5)


def api_calls(op, path=None):
    return [c for c in op.simulator.calls if c["endpoint"] == "api" and (path is None or c.get("path") == path)]


def test_paging_reads_every_agent_first_page_then_the_rest_by_skip(op, supervisor):
    listing, last_poll = supervisor.agent_states()
    rows = listing.rows
    assert len(rows) == TEAM_SIZE and len({r["agentId"] for r in rows}) == TEAM_SIZE and not listing.partial
    assert last_poll and listing.total == TEAM_SIZE
    # CXone caps pages below what was asked (100): 25 + 25 + 10; the step is what the first page held.
    assert len(api_calls(op, "agents/states")) == -(-TEAM_SIZE // PAGE_CAP) == 3  # (parallelism: test_client_paging)


def test_updated_since_gives_only_changes_or_304(op, supervisor):
    # The simulated world on a pinned clock: on the real one, a busy machine's seconds between
    # the last two reads let an agent change state, and "nothing changed since" was a 200.
    now = [1796126400.0]  # 2026-12-01T12:00:00Z, a weekday at noon
    op.simulator.api.clock = lambda: now[0]
    listing, last_poll = supervisor.agent_states()
    now[0] += 60  # a minute on: some agents changed state
    changes, _ = supervisor.agent_states(updated_since=last_poll)
    assert 0 < len(changes.rows) < len(listing.rows)
    assert api_calls(op)[-1]["updatedSince"] is True
    _, later_poll = supervisor.agent_states()
    assert supervisor.agent_states(updated_since=later_poll) is NOT_MODIFIED  # nothing changed since


def test_204_is_an_empty_list(op):
    agent = CXoneClient(op.issuer + "/api-na1", token_for(op, "alex.agent@acme.example"), requests.Session(), timeout=5)
    assert agent.completed_contacts(1001, "2020-01-01T00:00:00Z", "2020-01-01T00:01:00Z") == []


def test_an_agent_reads_their_own_day_and_gets_403_for_the_team(op):
    agent = CXoneClient(op.issuer + "/api-na1", token_for(op, "alex.agent@acme.example"), requests.Session(), timeout=5)
    from datetime import datetime, timezone

    def iso(t):
        return datetime.fromtimestamp(t, tz=timezone.utc).isoformat()
    contacts = agent.completed_contacts(1001, iso(time.time() - 86400), iso(time.time()))
    assert len(contacts) > PAGE_CAP  # a day of contacts spans several pages
    assert agent.agent_state(1001)["agentId"] == 1001
    with pytest.raises(APIError) as caught:
        agent.agent_states()
    assert caught.value.reason == Reason.API_FORBIDDEN and caught.value.status == 403


def test_401_refreshes_once_and_retries_once(op):
    good = token_for(op, "sam.supervisor@acme.example")
    expired = jwt.encode({"exp": 1}, "x" * 32)
    refreshed = []
    client = CXoneClient(op.issuer + "/api-na1", expired, requests.Session(), timeout=5,
                         refresh_token=lambda rejected: refreshed.append(rejected) or good)
    assert len(client.skill_activity()[0]) == 4 and refreshed == [expired] and client.token == good
    stuck = CXoneClient(op.issuer + "/api-na1", expired, requests.Session(), timeout=5,
                        refresh_token=lambda rejected: refreshed.append(rejected) or expired)
    op.simulator.reset_calls()
    with pytest.raises(APIError) as caught:
        stuck.skill_activity()
    assert caught.value.reason == Reason.API_UNAUTHORIZED and len(api_calls(op)) == 2  # never a loop


@pytest.mark.parametrize("status, reason", [(429, Reason.API_THROTTLED), (503, Reason.API_THROTTLED), (500, Reason.API_UNAVAILABLE)])
def test_throttling_and_outages_are_reasons(op, supervisor, status, reason):
    op.simulator.api.faults["*"] = status
    with pytest.raises(APIError) as caught:
        supervisor.skill_activity()
    assert caught.value.reason == reason


def test_a_slow_api_is_a_timeout(op):
    op.simulator.latency = 1.0
    client = CXoneClient(op.issuer + "/api-na1", token_for(op, "sam.supervisor@acme.example"), requests.Session(), timeout=0.3)
    with pytest.raises(APIError) as caught:
        client.skill_activity()
    assert caught.value.reason == Reason.API_TIMEOUT


def test_links_next_never_leaves_the_apis_origin():
    client = CXoneClient("https://api-na1.niceincontact.com", "t", requests.Session())
    url = client.url("agents")
    assert client._next_url({"_links": {"next": "?skip=25&top=25"}}, url, "agents").startswith("https://api-na1.niceincontact.com/")
    assert client._next_url({"_links": {"next": "https://evil.example/steal?skip=25"}}, url, "agents") is None
    assert client._next_url({"_links": {"next": 42}}, url, "agents") is None
