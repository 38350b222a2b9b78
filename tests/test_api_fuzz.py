"""A hostile or broken CXone API, through the portal's JSON views: every answer is bounded,
parsed as data, and becomes a reason or a cut list; never a 500, never a worker's memory."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from core.reasons import Reason
from workspaces.cxone_api import MAX_PAGES

from .conftest import SUPERVISOR, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def states(n=3, **extra):
    rows = [{"agentId": 5000 + i, "firstName": "A", "lastName": str(i), "agentStateName": "Available",
             "startDate": "2026-11-30T00:05:00Z"} for i in range(n)]
    return {"agentStates": rows, "skillActivity": [{"skillId": 1, "skillName": "S", "queueCount": 1,
                                                    "earliestQueueTime": "2026-11-30T00:04:00Z"}],
            "serverTime": "2026-11-30T00:05:00Z", "completedContacts": [], "lastPollTime": "2026-11-30T00:05:00Z", **extra}


HOSTILE = {
    "total 10**12": lambda: states(totalRecords=10**12),
    "total 3*10**7": lambda: states(totalRecords=3 * 10**7),
    "total negative": lambda: states(totalRecords=-1),
    "total a string": lambda: states(totalRecords="3000"),
    "total a float": lambda: states(totalRecords=1e300),
    "next not a URL": lambda: states(_links={"next": "http://["}),
    "next elsewhere": lambda: states(_links={"next": "https://evil.example/"}),
    "next a surrogate": lambda: states(_links={"next": "/x\ud800"}),
    "next to itself": lambda: states(totalRecords=None, _links={"next": "?skip=0"}),
    "lastPollTime a surrogate": lambda: states(lastPollTime="2026\ud800"),
    "lastPollTime an object": lambda: states(lastPollTime={"a": 1}),
    "rows not a list": lambda: {"agentStates": {"a": 1}, "skillActivity": "x", "completedContacts": 5},
    "rows of junk": lambda: {"agentStates": [1, "x", None, [], {"agentId": {"deep": 1}}, {"agentId": "\ud800\u0000"}],
                             "skillActivity": [{"queueCount": "many", "earliestQueueTime": "\ud800", "serviceLevel": float("inf") if False else 1e308}]},
    "names with controls": lambda: {"agentStates": [{"agentId": 1, "firstName": "\u0000\u202e\ud800" * 100, "lastName": "x" * 100000}]},
    "numbers huge": lambda: {"skillActivity": [{"skillId": 10**400 if False else 10**30, "queueCount": 10**30, "serviceLevel": -10**30}]},
    "not an object": lambda: [1, 2, 3],
    "not JSON": lambda: b"<html>nope</html>",
    "NaN": lambda: b'{"agentStates": [{"agentId": NaN}]}',
    "deep": lambda: b'{"agentStates": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    "empty": lambda: b"",
    "huge": lambda: b'{"agentStates": [' + b'{"agentId": 1},' * 400000 + b'{}]}',
}


class HostileCXone:
    def __init__(self):
        self.answer = None
        self.calls = 0  # requests the portal sent
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                hostile.calls += 1
                body = hostile.answer()
                data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8", "surrogatepass")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}/api-na1"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile():
    server = HostileCXone()
    yield server
    server.stop()


@pytest.mark.django_db
def test_hostile_api_answers_never_500(cxone, hostile, settings):
    from django.core.cache import cache

    settings.CXONE_BOARD_MAX_AGENTS = 300
    settings.CXONE_HTTP_TIMEOUT = 3
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    tenant = cxone.tenant("acme")
    tenant.cxone_configuration = {**tenant.cxone_configuration, "api_endpoint": hostile.base}
    tenant.save()
    statuses, most = {}, 0
    for name, answer in HOSTILE.items():
        hostile.answer = answer
        for path in ("/api/supervisor/agents/", "/api/supervisor/skills/"):
            cache.clear()  # each answer is a first read
            hostile.calls = 0
            response = browser.client.get(path, **XHR)
            # Bounded whatever CXone says of its totals and links: a view reads at most two paged
            # lists (states and the agent directory), each at most MAX_PAGES pages (1,100 calls
            # for "next to itself": 100 pages of states to the 300-agent cap, 1,000 of a
            # directory page that has no rows). The time it takes is bench/timings.py's figure.
            assert hostile.calls <= 2 * MAX_PAGES, (name, path, hostile.calls)
            most = max(most, hostile.calls)
            assert response.status_code != 500, (name, path)
            if response.status_code == 200:
                json.loads(response.content)  # what the portal sends is JSON, whatever CXone sent
            else:
                assert set(response.json()) == {"reason", "message"}, (name, path)
            statuses[(name, path)] = response.status_code
    print(f"\nhostile CXone API: {len(HOSTILE)} answers x 2 views, statuses {sorted(set(statuses.values()))}, at most {most} calls")
    assert statuses[("not JSON", "/api/supervisor/agents/")] == 502


# --- hostile bodies from a signed-in supervisor: every one a 400 `bad_input`, never a 500 ------------

HOSTILE_BODIES = {
    "state a list": {"state": ["Available"]},
    "state an object": {"state": {"$ne": None}},
    "state a number": {"state": 1},
    "reasonId a float": {"state": "Unavailable", "reasonId": 101.5},
    "reasonId huge": {"state": "Unavailable", "reasonId": 10**40},
    "targetType a list": {"targetType": ["Agent", "Everyone"], "subject": "s", "message": "m"},
    "targetType an object": {"targetType": {"Agent": 1}, "subject": "s", "message": "m"},
    "targetId a list": {"targetType": "Team", "targetId": [1], "subject": "s", "message": "m"},
    "subject an object": {"targetType": "Everyone", "subject": {"a": 1}, "message": "m"},
    "message with controls": {"targetType": "Everyone", "subject": "s", "message": "\u0000\u001b[2J"},
    "deeper than the recursion limit": b'{"state": ' + b"[" * 200000 + b"]" * 200000 + b"}",
    "deep objects": b'{"targetType": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
    "huge": b'{"subject": "' + b"x" * 2_000_000 + b'"}',
    "past Django's upload limit": b'{"subject": "' + b"x" * 3_000_000 + b'"}',
    "NaN": b'{"state": NaN, "reasonId": Infinity}',
    "not UTF-8": b'{"state": "\xc3\x28"}',
    "a lone surrogate": b'{"subject": "\\ud800", "targetType": "Everyone", "message": "m"}',
    "not an object": b'"Available"',
    "truncated": b'{"state": "Avail',
}


@pytest.mark.django_db
def test_hostile_bodies_are_400_bad_input_never_500(cxone):
    browser = Browser(Client(enforce_csrf_checks=True), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    page = browser.client.get("/supervisor/").content.decode()
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    agent = browser.client.get("/api/supervisor/agents/", **XHR).json()["agents"][0]["agentId"]
    paths = [f"/api/supervisor/agents/{agent}/state/", "/api/supervisor/messages/"]
    for name, body in HOSTILE_BODIES.items():
        raw = body if isinstance(body, bytes) else json.dumps(body)
        for path in paths:
            response = browser.client.post(path, raw, content_type="application/json", HTTP_X_CSRFTOKEN=token, **XHR)
            if response.status_code != 400:  # a body can be fine for one view and not the other: never a 500
                assert response.status_code in (200, 404, 429, 502), (name, path, response.status_code)
                continue
            assert response.json() == {"reason": "bad_input", "message": str(Reason.BAD_INPUT.words)}, (name, path)
