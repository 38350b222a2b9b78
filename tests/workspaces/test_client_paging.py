"""workspaces/cxone_api.py against a scripted CXone on loopback: what the simulator won't do.

A 401 on a later page refreshes once with the rejected token and retries those pages; pool
threads keep the request id; one deadline covers a whole paged read; hostile answers
(impossible totals, malformed links, surrogates, wrong types) become a reason, never a 500 or
a worker's memory."""
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from core.observability import _request_id
from core.reasons import Reason
from workspaces.cxone_api import NOT_MODIFIED, APIError, CXoneClient, timestamp


class Scripted:
    """A loopback HTTP server whose answers a test writes: `answer(path, query, token) -> (status, body)`."""

    def __init__(self, answer):
        self.calls = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                scripted.calls.append((parts.path, query, token))
                status, body = answer(parts.path, query, token)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    servers = []

    def start(answer):
        servers.append(Scripted(answer))
        return servers[-1]
    yield start
    for server in servers:
        server.stop()


def states_page(skip, top, total, token_ok=True, **extra):
    rows = [{"agentId": n, "firstName": "A", "lastName": str(n), "agentStateName": "Available"} for n in range(skip, min(total, skip + top))]
    return {"agentStates": rows, "totalRecords": total, "lastPollTime": "2026-11-30T00:05:00.000Z", **extra}


def test_a_401_on_later_pages_refreshes_once_with_the_rejected_token_then_retries_them(scripted):
    refreshes = []

    def answer(path, query, token):
        skip = int(query.get("skip", 0))
        if skip > 0 and token == "T1":
            return 401, {"error": "invalid_token"}
        return 200, states_page(skip, 10, 40)
    server = scripted(answer)

    def refresh(rejected):
        refreshes.append((rejected, threading.current_thread().name))
        return "T2"
    client = CXoneClient(server.base, "T1", requests.Session(), refresh_token=refresh, page_size=10, timeout=5)
    listing = client.get_all("agents/states", "agentStates")
    assert len(listing.rows) == 40 and not listing.partial
    assert [r[0] for r in refreshes] == ["T1"]  # once, naming the token CXone refused
    assert refreshes[0][1] == threading.current_thread().name  # on the calling thread, never a pool thread
    later = [token for path, query, token in server.calls if query.get("skip") != "0"]
    assert later.count("T1") == 3 and later.count("T2") == 3  # three pages refused, the same three retried


def test_after_the_first_page_the_rest_are_read_in_parallel_by_skip(scripted):
    lock, asked = threading.Lock(), []
    together = threading.Barrier(3, timeout=10)  # the three later pages meet here: all in flight at once

    def answer(path, query, token):
        with lock:
            asked.append((int(query["skip"]), int(query["top"])))
        if int(query["skip"]):
            together.wait()
        return 200, states_page(int(query["skip"]), 25, 100)
    server = scripted(answer)
    client = CXoneClient(server.base, "T", requests.Session(), page_size=100, timeout=5, parallel=4)
    assert len(client.get_all("agents/states", "agentStates").rows) == 100
    assert asked[0] == (0, 100) and sorted(asked[1:]) == [(25, 25), (50, 25), (75, 25)]  # the step CXone's page had
    assert not together.broken  # the three later pages at once (one at a time would have timed out)


def test_pages_read_in_parallel_keep_the_request_id_in_their_logs(scripted, caplog):
    server = scripted(lambda path, query, token: (200, states_page(int(query["skip"]), 10, 50)))
    client = CXoneClient(server.base, "T", requests.Session(), page_size=10, timeout=5)
    reset = _request_id.set("req-abcdef123456")
    try:
        with caplog.at_level(logging.INFO, logger="workspaces.cxone_api"):
            client.get_all("agents/states", "agentStates")
    finally:
        _request_id.reset(reset)
    ids = {record.request_id for record in caplog.records if getattr(record, "event", "") == "cxone_api"}
    assert len([r for r in caplog.records if getattr(r, "event", "") == "cxone_api"]) == 5
    assert ids == {"req-abcdef123456"}


def test_one_deadline_covers_a_whole_paged_read(scripted):
    now = [0.0]

    def answer(path, query, token):
        now[0] += 0.25  # each page takes 0.25 s of the client's (injected) clock
        return 200, states_page(int(query["skip"]), 1, 100)
    server = scripted(answer)
    client = CXoneClient(server.base, "T", requests.Session(), page_size=1, timeout=1.0, parallel=1, page_seconds=0.5,
                         max_read_seconds=3.0, clock=lambda: now[0])
    assert client.read_seconds(99) == 3.0  # sized to 99 pages left (1 + 99 x 0.5), at most max_read_seconds
    with pytest.raises(APIError) as refused:
        client.get_all("agents/states", "agentStates")
    assert refused.value.reason == Reason.API_TIMEOUT
    assert len(server.calls) == 12  # pages until the one deadline (3 s) passed: not 100 pages x the timeout


def test_a_given_deadline_is_kept_not_sized(scripted):
    now = [0.0]

    def answer(path, query, token):
        now[0] += 0.3
        return 200, states_page(int(query["skip"]), 1, 100)
    server = scripted(answer)
    client = CXoneClient(server.base, "T", requests.Session(), page_size=1, timeout=1.0, parallel=1, clock=lambda: now[0])
    with pytest.raises(APIError) as refused:
        client.get_all("agents/states", "agentStates", deadline=1.0)
    assert refused.value.reason == Reason.API_TIMEOUT and len(server.calls) == 4


def test_the_deadline_is_sized_to_the_team_and_bounded():
    client = CXoneClient("https://api.example", "T", requests.Session(), timeout=10.0)
    assert (client.parallel, client.page_seconds, client.max_read_seconds) == (16, 1.0, 40.0)
    assert client.read_seconds(0) == 10.0  # one page: the timeout, as before
    assert client.read_seconds(2) == 11.0  # 100 agents in pages of 50: one round more
    assert client.read_seconds(59) == 14.0  # 3,000 in pages of 50: 4 rounds of 16
    assert client.read_seconds(399) == 35.0  # 20,000 in pages of 50: 25 rounds
    assert client.read_seconds(799) == 40.0  # 20,000 in CXone's smallest pages (25): bounded
    assert client.read_seconds(39, parallel=1) == 40.0  # paged by links, one at a time
    assert client.beside().read_seconds(399) == 35.0  # the directory's read is sized alike


def test_a_read_keeps_to_its_pages_in_flight_and_the_process_wide_slots(scripted):
    lock, in_flight, most = threading.Lock(), [0], [0]
    release = threading.Event()

    def answer(path, query, token):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        release.wait(0.05)  # overlap: each later page stays in flight a moment
        with lock:
            in_flight[0] -= 1
        return 200, states_page(int(query["skip"]), 10, 200)
    server = scripted(answer)
    client = CXoneClient(server.base, "T", requests.Session(), page_size=10, timeout=5, parallel=8)
    assert len(client.get_all("agents/states", "agentStates").rows) == 200
    assert 1 < most[0] <= 8  # in parallel, never past the read's own pool
    most[0] = 0
    narrow = CXoneClient(server.base, "T", requests.Session(), page_size=10, timeout=5, parallel=8,
                         slots=threading.BoundedSemaphore(3))  # the process's slots, nearly all taken elsewhere
    assert len(narrow.get_all("agents/states", "agentStates").rows) == 200
    assert most[0] <= 3


def test_no_page_slot_before_the_deadline_is_a_timeout(scripted):
    server = scripted(lambda path, query, token: (200, states_page(int(query["skip"]), 10, 100)))
    taken = threading.BoundedSemaphore(1)
    taken.acquire()  # every slot of the process held by other reads
    try:
        client = CXoneClient(server.base, "T", requests.Session(), page_size=10, timeout=5, parallel=2, slots=taken,
                             clock=lambda: 0.0)
        with pytest.raises(APIError) as refused:
            client.get_all("agents/states", "agentStates", deadline=0.2)  # a short deadline, as the read's own
    finally:
        taken.release()
    assert refused.value.reason == Reason.API_TIMEOUT and "no page slot" in refused.value.detail
    assert len(server.calls) == 1  # the first page only: the rest never reached CXone


def test_the_process_pool_holds_every_page_in_flight():
    """core/http.py's connection pool is larger than the process's pages in flight: pages never
    open sockets the pool then discards (urllib3's "connection pool is full")."""
    from core import http
    from workspaces import cxone_api

    adapter = http.session().get_adapter("https://api-na1.niceincontact.com")
    assert adapter._pool_maxsize >= cxone_api.PAGES_IN_FLIGHT + 8
    assert cxone_api.PAGES_IN_FLIGHT >= 2 * cxone_api.PARALLEL_PAGES  # a board's states and directory at once


def test_the_first_failure_stops_the_pages_not_yet_started(scripted):
    def answer(path, query, token):
        if int(query["skip"]) == 10:
            return 503, {"message": "Service unavailable."}
        return 200, states_page(int(query["skip"]), 10, 1000)
    server = scripted(answer)
    client = CXoneClient(server.base, "T", requests.Session(), page_size=10, timeout=5, parallel=2)
    with pytest.raises(APIError) as refused:
        client.get_all("agents/states", "agentStates")
    assert refused.value.reason == Reason.API_THROTTLED
    assert len(server.calls) < 20  # not the 100 pages CXone counted


def test_a_huge_total_costs_neither_memory_nor_a_crash(scripted):
    server = scripted(lambda path, query, token: (200, states_page(int(query["skip"]), 25, 60, totalRecords=3 * 10**7)))
    client = CXoneClient(server.base, "T", requests.Session(), page_size=25, timeout=5, max_rows=200)
    listing = client.get_all("agents/states", "agentStates")
    assert listing.partial and len(listing.rows) <= 200
    assert len(server.calls) <= 9  # bounded by max_rows, not by what CXone claims


def test_an_impossible_total_is_a_bad_answer(scripted):
    server = scripted(lambda path, query, token: (200, states_page(0, 25, 60, totalRecords=10**12)))
    client = CXoneClient(server.base, "T", requests.Session(), page_size=25, timeout=5)
    with pytest.raises(APIError) as refused:
        client.get_all("agents/states", "agentStates")
    assert refused.value.reason == Reason.API_BAD_RESPONSE and len(server.calls) == 1


def test_more_agents_than_the_bound_say_partial(scripted):
    server = scripted(lambda path, query, token: (200, states_page(int(query["skip"]), 50, 3000)))
    client = CXoneClient(server.base, "T", requests.Session(), page_size=100, timeout=5, max_rows=1000)
    listing = client.get_all("agents/states", "agentStates")
    assert len(listing.rows) == 1000 and listing.partial and listing.total == 3000


@pytest.mark.parametrize("hostile", [
    {"_links": {"next": "http://["}},
    {"_links": {"next": "\ud800"}},
    {"totalRecords": "many"},
    {"totalRecords": -5},
    {"agentStates": "not a list"},
])
def test_hostile_answers_are_a_reason(scripted, hostile):
    def answer(path, query, token):
        body = {"agentStates": [{"agentId": 1}], "lastPollTime": "2026-11-30T00:05:00Z"}
        body.update(hostile)
        if "totalRecords" not in hostile:
            body.pop("totalRecords", None)
        return 200, body
    server = scripted(answer)
    client = CXoneClient(server.base, "T", requests.Session(), timeout=5)
    with pytest.raises(APIError) as refused:
        client.get_all("agents/states", "agentStates")
    assert refused.value.reason == Reason.API_BAD_RESPONSE


def test_a_link_to_another_origin_is_not_followed(scripted):
    server = scripted(lambda path, query, token: (200, {"agentStates": [{"agentId": 1}], "_links": {"next": "https://evil.example/steal"}}))
    client = CXoneClient(server.base, "T", requests.Session(), timeout=5)
    assert len(client.get_all("agents/states", "agentStates").rows) == 1
    assert len(server.calls) == 1


def test_a_surrogate_in_last_poll_time_is_never_sent_back(scripted):
    server = scripted(lambda path, query, token: (200, {"agentStates": [], "lastPollTime": "2026-11-30T00:05:00Z\ud800"}))
    client = CXoneClient(server.base, "T", requests.Session(), timeout=5)
    listing, last_poll = client.agent_states()
    assert last_poll is None
    assert timestamp("2026-11-30T00:05:00.000Z") and timestamp("\ud800") is None and timestamp(5) is None


def test_304_and_a_body_too_large(scripted):
    server = scripted(lambda path, query, token: (304, b"") if query.get("updatedSince") else (200, b"[" * 10))
    client = CXoneClient(server.base, "T", requests.Session(), timeout=5)
    assert client.agent_states(updated_since="2026-11-30T00:05:00Z") is NOT_MODIFIED
    with pytest.raises(APIError) as refused:
        client.agent_states()
    assert refused.value.reason == Reason.API_BAD_RESPONSE
    big = scripted(lambda path, query, token: (200, b'{"agentStates": [' + b'{"agentId": 1},' * 100000 + b'{}]}'))
    small = CXoneClient(big.base, "T", requests.Session(), timeout=5, max_bytes=100_000)
    with pytest.raises(APIError) as too_big:
        small.agent_states()
    assert too_big.value.reason == Reason.API_BAD_RESPONSE
