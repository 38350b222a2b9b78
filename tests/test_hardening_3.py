"""Issue 26, the third red-team round (its web items), and issue 23's one path from failure to
answer. Every test here fails on the code before its fix; CXone is the simulator on loopback;
time is the injected portal clock (`portal_clock`), pinned to the start of a rate window, never
slept. Runs on the embedded defaults and on PostgreSQL + Redis alike."""
import inspect
import json
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve

from core.reasons import Reason, ReasonError
from workspaces.models import SupervisorAction

from .conftest import ADMIN, AGENT, SUPERVISOR, Browser

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def signed_in(cxone, username=SUPERVISOR, *, csrf_checks=True, **client):
    browser = Browser(Client(enforce_csrf_checks=csrf_checks, **client), cxone)
    assert browser.sign_in(username=username).status_code == 302
    return browser


def csrf(browser):
    page = browser.client.get("/supervisor/")
    return page.content.decode().split('data-csrf="', 1)[1].split('"', 1)[0]


def post(browser, path, body, **extra):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return browser.client.post(path, raw, content_type="application/json", HTTP_X_CSRFTOKEN=csrf(browser), **XHR, **extra)


def api_calls(browser, method=None, path=""):
    return [c for c in browser.cxone.sim.calls if c["endpoint"] == "api" and (method is None or c.get("method", "GET") == method)
            and path in c.get("path", "")]


def board(browser):
    body = browser.client.get("/api/supervisor/agents/", **XHR).json()
    return {a["agentId"]: a for a in body["agents"]}


def one_shape(response, reason, status):
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert body["reason"] == reason and body["message"] == str(Reason(reason).words), body
    return body


@pytest.fixture
def clock(portal_clock):
    """The portal's clock at the start of an hour (every rate window starts there)."""
    portal_clock.at(3600 * (int(time.time()) // 3600) + 1)
    return portal_clock


@pytest.fixture
def supervisor(cxone, clock):
    browser = signed_in(cxone)
    browser.agents = board(browser)
    return browser


def logged_in_agent(browser, team=None):
    """An agent CXone can act on (logged in; the simulator's fixed world has them in every team)."""
    candidates = [a for a in browser.agents.values() if a["state"] not in ("LoggedOut", "") and a["agentId"] != "1002"
                  and (team is None or a["teamId"] == team)]
    assert candidates, "the simulator's world has logged-in agents in every team"
    return candidates[0]


# --- 1. a per-user rate on the reads that may call CXone -----------------------------------------

@pytest.mark.django_db
def test_one_users_reads_are_limited_per_user_in_the_one_shape(cxone, clock, settings):
    settings.CXONE_READ_RATE_LIMIT = "5/m"
    greedy, other = signed_in(cxone), signed_in(cxone, ADMIN)
    statuses = [greedy.client.get("/api/supervisor/agents/", **XHR).status_code for _ in range(5)]
    assert set(statuses) <= {200, 304}
    one_shape(greedy.client.get("/api/supervisor/teams/1/unavailable-codes/", **XHR), "too_many_reads", 429)
    assert other.client.get("/api/supervisor/agents/", **XHR).status_code == 200  # the tenant's other supervisor
    clock.later(60)
    assert greedy.client.get("/api/supervisor/agents/", **XHR).status_code in (200, 304)


# --- 2. codes only for teams on the caller's board; entries kept for a few intervals ---------------

def redis():
    """Django's Redis cache's own client, or None on the local-memory cache."""
    real = caches["default"]
    return real._cache.get_client() if type(real).__name__ == "RedisCache" else None


def remaining_ttl(key):
    """Seconds the shared cache keeps `key` (Redis: its TTL; local memory: its expiry)."""
    if redis() is not None:
        return redis().ttl(cache.make_key(key))
    return caches["default"]._expire_info[cache.make_key(key)] - time.time()


@pytest.mark.django_db
def test_codes_only_for_teams_on_the_board_and_new_ids_cost_cxone_nothing(supervisor):
    before = len(api_calls(supervisor))
    for team in range(100, 250):
        one_shape(supervisor.client.get(f"/api/supervisor/teams/{team}/unavailable-codes/", **XHR), "not_on_board", 404)
    assert len(api_calls(supervisor)) == before
    assert not [k for k in cache_keys() if ":codes:" in k]
    assert supervisor.client.get("/api/supervisor/teams/1/unavailable-codes/", **XHR).status_code == 200


def cache_keys():
    """The keys in the cache, as the portal named them."""
    raw = redis().keys(cache.make_key("*")) if redis() is not None else list(caches["default"]._cache)
    return [(k.decode() if isinstance(k, bytes) else k).split(":", 2)[-1] for k in raw]


@pytest.mark.django_db
def test_codes_before_any_board_read_the_board_first(cxone, clock):
    fresh = signed_in(cxone)
    cache.clear()
    assert fresh.client.get("/api/supervisor/teams/1/unavailable-codes/", **XHR).status_code == 200
    assert api_calls(fresh, "GET", "agents/states")


@pytest.mark.django_db
def test_cached_answers_and_refusals_are_kept_a_few_intervals_not_a_day(supervisor):
    sim = supervisor.cxone.sim
    sim.api.faults["teams/{teamId}/unavailable-codes"] = (404, {"message": "No such team."})
    one_shape(supervisor.client.get("/api/supervisor/teams/2/unavailable-codes/", **XHR), "api_not_found", 404)
    codes = [k for k in cache_keys() if ":codes:2:" in k and k.endswith(":meta")]
    boards = [k for k in cache_keys() if ":agents:" in k and k.endswith(":meta")]
    assert codes and boards
    assert 0 < remaining_ttl(codes[0]) <= 12 * 300  # a refusal: twelve of its 5-minute intervals, not 24 hours
    assert 0 < remaining_ttl(boards[0]) <= 300  # the board (5 s): the 5-minute floor


# --- 3, 10. the audit keeps the whole message, CXone's ids and its real status ----------------------

PHISHING = "Your password expires today. Confirm it at https://evil.example/login within the hour."


@pytest.mark.django_db
def test_the_audit_keeps_the_whole_message_cxones_ids_and_status_and_the_admin_finds_the_body(supervisor):
    agent = logged_in_agent(supervisor)
    response = post(supervisor, "/api/supervisor/messages/",
                    {"targetType": "Agent", "targetId": agent["agentId"], "subject": "Team update", "message": PHISHING})
    assert response.status_code == 200
    row = SupervisorAction.objects.get()
    assert (row.subject, row.body, row.cxone_status, row.outcome) == ("Team update", PHISHING, 200, "done")
    inbox = supervisor.cxone.sim.api.team(supervisor.cxone.tenant("acme")).messages
    assert row.cxone_message_ids and row.cxone_message_ids == inbox[-1]["id"]
    get_user_model().objects.create_superuser("root", password="right-password-123")
    staff = Client()
    staff.force_login(get_user_model().objects.get(username="root"))
    found = staff.get("/admin/workspaces/supervisoraction/", {"q": "evil.example"}).content.decode()
    assert "Team update" in found and "0 supervisor actions" not in found
    detail = staff.get(f"/admin/workspaces/supervisoraction/{row.pk}/change/").content.decode()
    assert "https://evil.example/login" in detail


@pytest.mark.django_db
def test_the_audit_records_cxones_202_not_200(supervisor):
    agent = logged_in_agent(supervisor)
    assert post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/state/", {"state": "Available"}).status_code == 200
    assert SupervisorAction.objects.get().cxone_status == 202


# --- 4. malformed bodies: 400 bad_input, never a 500 --------------------------------------------------

MALFORMED = {
    "state a list": {"state": ["Available"]},
    "state an object": {"state": {"Available": 1}},
    "reasonId a string": {"state": "Unavailable", "reasonId": "101"},
    "reasonId a bool": {"state": "Unavailable", "reasonId": True},
    "nested past the recursion limit": b'{"state": ' + b"[" * 100000 + b"]" * 100000 + b"}",
    "nested within it": b'{"state": "Available", "x": ' + b"[" * 50 + b"]" * 50 + b"}",
    "huge": b'{"state": "Available", "x": "' + b"a" * 300000 + b'"}',
    "NaN": b'{"state": NaN}',
    "not UTF-8": b'{"state": "\xff\xfe"}',
    "a list": b"[1, 2]",
}
MESSAGE_MALFORMED = {
    "targetType a list": {"targetType": ["Everyone"], "subject": "a", "message": "b"},
    "targetType an object": {"targetType": {"x": "Agent"}, "subject": "a", "message": "b"},
    "targetId an object": {"targetType": "Agent", "targetId": {"id": 1}, "subject": "a", "message": "b"},
    "subject a number": {"targetType": "Everyone", "subject": 5, "message": "b"},
    "message a list": {"targetType": "Everyone", "subject": "a", "message": ["b"]},
}


@pytest.mark.django_db
def test_malformed_bodies_are_400_bad_input_and_cost_cxone_nothing(supervisor):
    agent = logged_in_agent(supervisor)
    before = len(api_calls(supervisor))
    for name, body in MALFORMED.items():
        response = post(supervisor, f"/api/supervisor/agents/{agent['agentId']}/state/", body)
        assert response.status_code == 400 and response.json()["reason"] == "bad_input", name
    for name, body in MESSAGE_MALFORMED.items():
        response = post(supervisor, "/api/supervisor/messages/", body)
        assert response.status_code == 400 and response.json()["reason"] == "bad_input", name
    assert len(api_calls(supervisor)) == before


# --- 5. message limits ------------------------------------------------------------------------------

def message(browser, n, target="Everyone", **extra):
    return post(browser, "/api/supervisor/messages/", {"targetType": target, "subject": f"Update {n}", "message": f"Text {n}", **extra})


@pytest.mark.django_db
def test_everyone_at_most_a_few_an_hour_and_the_refusal_recorded(supervisor, settings, clock):
    settings.CXONE_EVERYONE_MESSAGE_RATE_LIMIT = "3/h"
    assert [message(supervisor, n).status_code for n in range(3)] == [200] * 3
    one_shape(message(supervisor, 3), "too_many_messages", 429)
    assert len(api_calls(supervisor, "POST")) == 3
    refused = SupervisorAction.objects.get(outcome="too_many_messages")
    assert refused.cxone_status is None and refused.body == "Text 3"
    clock.later(3600)
    assert message(supervisor, 4).status_code == 200


@pytest.mark.django_db
def test_messages_are_limited_per_supervisor_and_per_tenant(cxone, settings, clock):
    settings.CXONE_MESSAGE_RATE_LIMIT, settings.CXONE_TENANT_MESSAGE_RATE_LIMIT = "2/h", "3/h"
    sam, ada = signed_in(cxone), signed_in(cxone, ADMIN)
    team = next(iter(board(sam).values()))["teamId"]
    assert [message(sam, n, "Team", targetId=team).status_code for n in range(3)] == [200, 200, 429]
    assert message(ada, 10, "Team", targetId=team).status_code == 200  # another supervisor: the tenant's third
    one_shape(message(ada, 11, "Team", targetId=team), "too_many_messages", 429)  # the tenant's limit


@pytest.mark.django_db
def test_the_same_message_twice_within_a_minute_is_refused(supervisor, clock):
    assert message(supervisor, 1).status_code == 200
    one_shape(message(supervisor, 1), "message_repeated", 429)
    clock.later(61)
    assert message(supervisor, 1).status_code == 200


# --- 6. a 304 where none makes sense --------------------------------------------------------------

@pytest.mark.django_db
def test_a_304_to_the_message_post_is_a_bad_response_and_audited(supervisor):
    supervisor.cxone.sim.api.faults["agents/messages"] = (304, {})
    one_shape(message(supervisor, 1), "api_bad_response", 502)
    row = SupervisorAction.objects.get()
    assert (row.cxone_status, row.outcome, row.body) == (304, "api_bad_response", "Text 1")


def test_a_304_only_answers_a_conditional_read(op):
    import requests

    from workspaces.cxone_api import NOT_MODIFIED, APIError, CXoneClient

    op.simulator.api.faults["agents/states"] = (304, {})
    op.simulator.api.faults["skills/activity"] = (304, {})
    token = op.simulator.issue_tokens(SUPERVISOR)["access_token"]
    client = CXoneClient(op.issuer + "/api-na1", token, requests.Session(), timeout=5)
    assert client.agent_states(updated_since="2026-12-07T10:00:00.000Z") is NOT_MODIFIED
    with pytest.raises(APIError) as caught:
        client.skill_activity()
    assert caught.value.reason == Reason.API_BAD_RESPONSE and caught.value.status == 304


# --- 7. the sibling domain only for links -------------------------------------------------------------

def test_the_sibling_domain_is_for_links_only():
    from tenants import wellknown
    from tenants.wellknown import DiscoveryError

    issuer = "https://cxone.niceincontact.com"
    for name in ("token_endpoint", "jwks_uri", "api_endpoint"):
        with pytest.raises(DiscoveryError) as caught:
            wellknown.check_endpoint(issuer, "https://na1.nice-incontact.com/x", name)
        assert caught.value.reason == Reason.DISCOVERY_FOREIGN_ENDPOINT
    wellknown.check_endpoint(issuer, "https://na1.nice-incontact.com", "ui_endpoint", link=True)
    wellknown.check_endpoint(issuer, "https://api-na1.niceincontact.com", "api_endpoint")


# --- 9. acting with or without a cached board; the portal's refusals in its own words --------------

@pytest.mark.django_db
def test_acting_before_any_board_was_read_reads_the_board_first(cxone, clock):
    reader = signed_in(cxone)
    agent = logged_in_agent(type("B", (), {"agents": board(reader)}))
    cache.clear()  # a script with the documented JSON, or a browser after the cache was cleared
    script = signed_in(cxone)
    before = len(api_calls(script, "GET", "agents/states"))
    response = post(script, f"/api/supervisor/agents/{agent['agentId']}/state/", {"state": "Available"})
    assert response.status_code == 200, response.content
    assert len(api_calls(script, "GET", "agents/states")) > before  # the board, read once for the action


@pytest.mark.django_db
def test_invented_agent_ids_cost_one_board_read_not_one_cxone_call_each(cxone, clock):
    cache.clear()
    script = signed_in(cxone)
    token = csrf(script)
    before = len(api_calls(script))
    for i in range(30):
        response = script.client.post(f"/api/supervisor/agents/9{i:05d}/logout/", b"{}", content_type="application/json",
                                      HTTP_X_CSRFTOKEN=token, **XHR)
        one_shape(response, "not_on_board", 404)
    asked = {c.get("path") for c in api_calls(script)[before:]}
    # the board's one read (its pages) and the supervisor's own read of their view (floor.py): never an invented id
    assert asked == {"agents/states", "agents", "skills/activity"}, asked


@pytest.mark.django_db
def test_a_message_without_a_target_id_is_bad_input_and_costs_cxone_nothing(supervisor):
    for target in ("Agent", "Team"):
        before = len(api_calls(supervisor))
        one_shape(post(supervisor, "/api/supervisor/messages/", {"targetType": target, "subject": "s", "message": "m"}), "bad_input", 400)
        assert len(api_calls(supervisor)) == before


@pytest.mark.django_db
def test_a_message_cxone_refused_may_be_sent_again_at_once(supervisor, clock):
    supervisor.cxone.sim.api.faults["agents/messages"] = 503
    refused = message(supervisor, 7)
    supervisor.cxone.sim.api.faults.pop("agents/messages")
    assert refused.status_code == 503 and refused.json()["reason"] == "api_throttled"  # CXone's 503: busy, try again
    again = message(supervisor, 7)
    assert again.status_code == 200, again.content


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", [("get", "/api/supervisor/agents/1001/state/"), ("get", "/api/supervisor/agents/1001/logout/"),
                                          ("post", "/api/supervisor/agents/")])
def test_another_method_is_405_in_the_one_shape(supervisor, method, path):
    call = getattr(supervisor.client, method)
    response = call(path, **XHR) if method == "get" else call(path, "{}", content_type="application/json",
                                                              HTTP_X_CSRFTOKEN=csrf(supervisor), **XHR)
    body = one_shape(response, "bad_input", 405)
    assert response["Allow"] in ("GET", "POST") and body


@pytest.mark.django_db
def test_an_agent_not_on_the_board_is_the_portals_refusal_recorded_without_a_cxone_status(supervisor):
    before = len(api_calls(supervisor))
    one_shape(post(supervisor, "/api/supervisor/agents/424242/logout/", {}), "not_on_board", 404)
    one_shape(post(supervisor, "/api/supervisor/messages/", {"targetType": "Team", "targetId": "99", "subject": "a", "message": "b"}),
              "not_on_board", 404)
    assert len(api_calls(supervisor)) == before
    rows = list(SupervisorAction.objects.order_by("created_at"))
    assert [(r.kind, r.outcome, r.cxone_status) for r in rows] == [("logout", "not_on_board", None), ("message", "not_on_board", None)]


# --- an exception after CXone was asked still leaves a row ------------------------------------------

@pytest.mark.django_db
def test_an_exception_after_cxone_was_asked_still_leaves_a_row(cxone, clock, monkeypatch):
    from workspaces import actions

    browser = signed_in(cxone, raise_request_exception=False)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug reading CXone's answer")
    monkeypatch.setattr(actions, "text", broken)
    assert message(browser, 1).status_code == 500
    row = SupervisorAction.objects.get()
    assert (row.outcome, row.cxone_status, row.subject) == ("error", 200, "Update 1")
    assert api_calls(browser, "POST", "agents/messages")


# --- 12. anonymous /api/ requests -------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/supervisor/agents/", "/api/agent/day/", "/api/session/", "/api/nothing-here/",
                                  "/api/supervisor/agents/1001/state/"])
def test_anonymous_api_requests_get_401_json_not_a_login_page(client, path):
    for response in (client.get(path), client.post(path, "{}", content_type="application/json")):
        body = one_shape(response, "not_signed_in", 401)
        assert body["login_url"] == "/login/"


# --- issue 23: one path from failure to answer ---------------------------------------------------------

def test_a_reason_error_from_any_view_is_json_for_scripts_and_a_page_for_browsers():
    from accounts.middleware import FailureMiddleware

    middleware = FailureMiddleware(lambda request: None)
    page = RequestFactory().get("/agent/", HTTP_ACCEPT="text/html")
    page.user = get_user_model()()
    answer = middleware.process_exception(page, ReasonError(Reason.API_TIMEOUT, "x"))
    assert answer.status_code == 504 and str(Reason.API_TIMEOUT.words) in answer.content.decode()
    for request in (RequestFactory().get("/api/agent/state/"), RequestFactory().get("/agent/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")):
        assert json.loads(middleware.process_exception(request, ReasonError(Reason.API_TIMEOUT)).content) == {
            "reason": "api_timeout", "message": str(Reason.API_TIMEOUT.words)}
    assert middleware.process_exception(page, ValueError("not ours")) is None


def test_the_view_framework_is_one_module_and_the_dead_helper_is_gone():
    import core.web
    from workspaces import actions, agent_day, views

    assert not hasattr(core.web, "failure")
    for module in (actions, agent_day):
        assert "from .views" not in inspect.getsource(module) and "json_view" not in inspect.getsource(module)
    assert "def api_view" not in inspect.getsource(views)
    patterns = {resolve(p).route for p in ("/api/supervisor/agents/1001/contacts/", "/api/supervisor/agents/1001/state/",
                                             "/api/supervisor/agents/1001/logout/")}
    assert all("<cxone_id:agent_id>" in route for route in patterns)
    for path in ("/api/supervisor/agents/a_b/contacts/", "/api/supervisor/agents/a_b/state/", "/api/supervisor/agents/a.b/logout/"):
        with pytest.raises(Resolver404):
            resolve(path)


@pytest.mark.django_db
def test_the_session_json_is_camel_case(cxone):
    body = signed_in(cxone, AGENT).client.get("/api/session/", **XHR).json()
    assert {"portalRole", "cxoneRole", "expiresAt", "refreshedAt", "refreshCount"} <= set(body)
    assert not [k for k in body if "_" in k]


@pytest.mark.django_db
def test_the_script_catalogue_is_cached_per_language(client):
    french = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 200 and french["Last-Modified"]
    again = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="fr", HTTP_IF_MODIFIED_SINCE=french["Last-Modified"])
    assert again.status_code == 304
    spanish = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 200 and spanish.content != french.content


@pytest.mark.django_db
def test_choosing_an_organization_is_said_in_the_browsers_language(cxone):
    from tenants.models import Environment

    Environment.objects.create(name="Second", issuer="https://cxone.example.com", client_id="x", client_secret="y")
    browser = Client()
    response = browser.get("/oidc/authenticate/", HTTP_ACCEPT_LANGUAGE="fr", follow=True)
    assert "Choisissez votre organisation pour vous connecter." in response.content.decode()
