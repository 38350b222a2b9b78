"""Contract tests: CXone answers shaped as NICE's own SDK and OpenAPI spec show them (the JSON
files in `answers/`, their sources in README.md), served over real HTTP on loopback and read by
the same client and mapping code the pages use (`Workspace`, `agent_day.read_day`,
`actions.team_codes`). Apart from the simulator on purpose: they can disagree with it.

What they assert is what a person sees: a queue's longest wait in seconds, start times newest
first, after-contact work counted once, a full reason list, an agent's medium."""
import json
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.cache.backends.locmem import LocMemCache

from workspaces import actions, agent_day
from workspaces.adapter import Limits, TokenSource, Workspace

ANSWERS = Path(__file__).resolve().parent / "answers"
NOW = 1796083500.0  # 2026-12-01T00:05:00Z, the corpus's serverTime
BOARD_THRESHOLD = 60  # the board's default longest-wait alert, seconds
PREFIX = "/inContactAPI/services/"


class Corpus:
    """A small CXone on loopback: `routes` maps an API path (after `vNN.0/`) to a file of
    `answers/`, or to {skip: file} for a paged list; anything else is a 404 in CXone's words."""

    def __init__(self):
        self.routes, self.calls = {}, []
        corpus = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                path = parts.path[len(PREFIX):].split("/", 1)[1] if parts.path.startswith(PREFIX) else ""
                skip = int(parse_qs(parts.query).get("skip", ["0"])[0])
                corpus.calls.append((path, skip))
                answer = corpus.routes.get(path)
                if isinstance(answer, dict):
                    answer = answer.get(skip)
                status, body = (200, (ANSWERS / answer).read_bytes()) if answer else (404, b'{"error": "NotFound", "error_description": "No such resource."}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def corpus():
    running = Corpus()
    yield running
    running.stop()


@pytest.fixture
def ws(corpus, db):
    from tenants.models import Environment, Tenant

    environment = Environment.objects.create(issuer="https://cxone.example", client_id="contract", client_secret="x")
    tenant = Tenant.objects.create(environment=environment, tenant_id=uuid.uuid4(), name="Contract", slug="contract",
                                   cxone_configuration={"api_endpoint": corpus.base})
    limits = Limits(poll_seconds=5, full_read_seconds=300, timeout=10, first_load_wait=0.1, tenant_concurrency=2, max_agents=20000,
                    max_bytes=64 * 1024 * 1024, page_size=100)
    return Workspace(tenant, "supervisor", TokenSource(lambda: "token", lambda rejected: None), cache=LocMemCache(uuid.uuid4().hex, {}),
                     clock=lambda: NOW, limits=limits, session=requests.Session())


def served(answer):
    assert answer.error is None, answer.error
    return json.loads(answer.body)


DAY = {"contacts/completed": "contacts-completed.json", "agents/1001": "agent.json",
       "teams/7/unavailable-codes": "unavailable-codes.spec.json", "agents/1001/performance": "agent-performance.json",
       "teams/7/performance-total": "team-performance-total.json"}


# --- the board: queues -------------------------------------------------------------------------------


def test_every_page_of_skills_is_read_and_each_queue_shows_its_longest_wait_in_seconds(corpus, ws):
    corpus.routes["skills/activity"] = {0: "skills-activity.page1.json", 2: "skills-activity.page2.json"}
    skills = {s["skillName"]: s for s in served(ws.skills())["skills"]}
    assert set(skills) == {"Phone Support", "Chat Support", "Billing Line"}  # the third is on CXone's second page
    assert skills["Chat Support"]["longestWaitSeconds"] == 20  # its row's serverTime minus earliestQueueTime
    assert skills["Billing Line"]["longestWaitSeconds"] == 95 > BOARD_THRESHOLD  # the board raises its alert
    assert skills["Phone Support"]["longestWaitSeconds"] is None and skills["Phone Support"]["queueCount"] == 0
    assert not any("notFromCXone" in s for s in skills.values())
    assert ("server-time", 0) not in corpus.calls


@pytest.mark.parametrize("answer, asks_the_clock", [("skills-activity.top-level-server-time.json", False),
                                                    ("skills-activity.no-server-time.json", True)])
def test_the_top_level_server_time_and_then_get_server_time_stand_in(corpus, ws, answer, asks_the_clock):
    corpus.routes.update({"skills/activity": answer, "server-time": "server-time.json"})
    skill = served(ws.skills())["skills"][0]
    assert skill["longestWaitSeconds"] == 95
    assert (("server-time", 0) in corpus.calls) is asks_the_clock


def test_no_clock_anywhere_says_not_available_from_cxone_and_tells_the_operator_once_an_hour(corpus, ws, caplog):
    from tenants.models import NotUnderstood

    corpus.routes["skills/activity"] = "skills-activity.no-server-time.json"  # and server-time answers 404
    with caplog.at_level(logging.WARNING, logger="workspaces.shapes"):
        skill = served(ws.skills())["skills"][0]
        assert skill["longestWaitSeconds"] is None and skill["notFromCXone"] == ["longestWaitSeconds"]
        ws.drop("skills")  # the next poll reads CXone again, within the same hour
        served(ws.skills())
    record = NotUnderstood.objects.get(tenant=ws.tenant)
    assert (record.endpoint, record.field, record.hours) == ("skills/activity", "serverTime", 1)
    assert "earliestQueueTime" in record.keys and "2026" not in record.keys  # names, never values
    logged = [r for r in caplog.records if getattr(r, "event", "") == "cxone_shape"]
    assert len(logged) == 1 and logged[0].reason == "api_unexpected_shape" and logged[0].field == "serverTime"


# --- the board: agents ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["spec", "sdk"])
def test_after_call_work_is_marked_on_the_board_in_both_spellings(corpus, ws, variant):
    corpus.routes.update({"agents/states": f"agents-states.{variant}.json", "agents": "agents.json"})
    agents = {a["agentId"]: a for a in served(ws.board())["agents"]}
    assert agents["1001"]["acw"] is True and agents["1002"]["acw"] is False
    assert agents["1001"]["teamName"] == "Tier 1"


def test_an_agents_own_state_shows_their_medium(corpus, ws):
    corpus.routes["agents/1001/states"] = "agent-states.one.json"
    state = served(ws.my_state("1001"))["state"]
    assert (state["state"], state["mediaType"], state["skillName"]) == ("InboundContact", "PhoneCall", "Phone Support")


# --- the agent's day --------------------------------------------------------------------------------------


@pytest.mark.parametrize("contacts", ["contacts-completed.json", "contacts-completed.resultset-era.json"])
def test_contacts_show_their_start_times_newest_first(corpus, ws, contacts):
    corpus.routes["contacts/completed"] = contacts
    body = served(ws.contacts("1001"))
    assert [c["contactId"] for c in body["contacts"]] == ["5003", "5002", "5001"]  # by instant, not by string
    assert [c["startDate"] for c in body["contacts"]] == ["2026-11-30T08:44:50.500Z", "2026-11-30T08:44:50Z", "2026-11-30T08:09:30.000Z"]
    assert body["summary"] == {"count": 3, "handleSecondsTotal": 420 + 300 + 120, "handleSecondsAverage": 280}


@pytest.mark.parametrize("history", ["state-history.spec.json", "state-history.sdk.json"])
def test_the_agents_day_counts_after_call_work_once_from_the_teams_codes(corpus, ws, history):
    corpus.routes.update(DAY)
    corpus.routes["agents/1001/state-history"] = history
    body = served(agent_day.read_day(ws, "1001"))
    acw = [row for row in body["timeline"] if row["acw"]]
    assert [(row["reason"], row["seconds"]) for row in acw] == [("ACW", 120), ("ACW", 60)]
    assert body["unavailableByReason"] == [{"reason": "Break", "seconds": 900, "acw": False},
                                           {"reason": "ACW", "seconds": 180, "acw": True}]
    assert body["summary"]["handleSecondsTotal"] == 840  # agent + hold + ACW seconds of the contacts, once
    assert [c["startDate"][:19] for c in body["contacts"]] == ["2026-11-30T08:44:50", "2026-11-30T08:44:50", "2026-11-30T08:09:30"]
    assert body["performance"]["teamName"] == "Tier 1"  # from agents/{agentId}: performance rows carry no teamName
    assert body["performance"]["team"]["handled"] == 41
    assert ("agents/1001", 0) in corpus.calls and corpus.calls.count(("agents/1001", 0)) == 1


# --- the reason list ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("codes", ["unavailable-codes.spec.json", "unavailable-codes.sdk.json"])
def test_the_reason_list_is_full_in_both_casings(corpus, ws, codes):
    corpus.routes["teams/7/unavailable-codes"] = codes
    body = served(actions.team_codes(ws, "7"))
    assert body["codes"] == [{"id": 101, "name": "Break", "isAcw": False}, {"id": 102, "name": "Lunch", "isAcw": False},
                             {"id": 103, "name": "Meeting", "isAcw": False}, {"id": 201, "name": "ACW", "isAcw": True}]
    assert "notFromCXone" not in body
