"""A board of 20,000 agents read whole: the simulator on loopback with 20,000 agents, pages of
at most 50 and 50 ms added to every call (400 pages of states and 400 of the directory).

The read's deadline is sized to the team once the first page says how many are left, so it
completes (every agent, not partial, the directory's logins too) where one 10 s deadline for
the whole read did not. The seconds it takes are bench/big_board.py's to print, not a test's."""
import json
import threading

import pytest

from core import http
from simulator.server import RunningSimulator
from workspaces import board
from workspaces.adapter import directory_logins
from workspaces.cxone_api import CXoneClient
from workspaces.resources import encode
from workspaces.rows import board_row

AGENTS, PAGE_CAP, LATENCY = 20000, 50, 0.05


@pytest.fixture(scope="module")
def big():
    running = RunningSimulator(team_size=AGENTS, page_cap=PAGE_CAP)
    running.simulator.latency = LATENCY
    yield running
    running.stop()


def test_a_20000_agent_board_is_read_whole_within_its_sized_deadline(big, monkeypatch):
    sized, lock = [], threading.Lock()
    read_seconds = CXoneClient.read_seconds

    def noted(client, pages, parallel=None):
        seconds = read_seconds(client, pages, parallel)
        with lock:
            sized.append((pages, seconds))
        return seconds
    monkeypatch.setattr(CXoneClient, "read_seconds", noted)
    token = big.simulator.issue_tokens("sam.supervisor@acme.example")["access_token"]
    client = CXoneClient(big.issuer + "/api-na1", token, http.api_session(), timeout=10.0, page_size=100)  # the portal's pool
    before = len(big.simulator.calls)

    state, payload = board.read(client, None, 0.0, full_read_seconds=300, shape=lambda rows: [board_row(r) for r in rows],
                                directory_rows=directory_logins)

    assert payload["count"] == payload["total"] == AGENTS and not payload["partial"] and not state["needs_full"]
    agents = json.loads(encode(payload)[0])["agents"]  # the body as the page receives it
    assert len({a["agentId"] for a in agents}) == AGENTS
    assert len(state["logins"]) == AGENTS  # the directory read beside it, whole, in time
    assert all(a["userName"] for a in agents)
    # Both reads sized alike: 399 pages after the first, 16 at once: 10 s + 25 rounds x 1 s.
    assert sized == [(399, 35.0), (399, 35.0)]
    calls = [c for c in big.simulator.calls[before:] if c["endpoint"] == "api"]
    assert sum(c["path"] == "agents/states" for c in calls) == AGENTS // PAGE_CAP
    assert sum(c["path"] == "agents" for c in calls) == AGENTS // PAGE_CAP
