"""The portal as deployed: two gunicorn instances sharing one database (and, on the
services run, PostgreSQL and Redis). A user signs in through one and is served by the
other; the single-flight refresh holds across both."""
import time

import pytest
import requests

from . import procs
from .live import LiveBrowser

pytestmark = pytest.mark.subprocess


def session_of(browser, portal):
    return browser.http.get(portal + "/api/session/", headers={"X-Requested-With": "XMLHttpRequest"}).json()


def wait_until_refresh_is_due(browser, portal, attempts=3):
    """Until the instant the portal's own rule (`refresh.is_due`: half the lifetime here) makes
    the session's tokens due, read from the session's `expiresAt`: no guessed sleep. Returns
    the session's `refreshCount` then: on a busy machine the sign-in or this read may already
    have refreshed (they come after the tokens are due), so the count is not assumed to be 0.
    A machine so stalled that the tokens expire before the wait ends waits for the next
    window (the next read refreshes them): the burst must meet tokens due but still valid."""
    from datetime import datetime

    from accounts.refresh import margin

    for _ in range(attempts):
        session = session_of(browser, portal)
        expires_at = datetime.fromisoformat(session["expiresAt"]).timestamp()
        due = expires_at - margin(browser.op.simulator.token_ttl) + 0.05
        assert due - time.time() < 5, "the refresh would not be due within 5 s"
        while time.time() < due:
            time.sleep(min(0.05, max(0.0, due - time.time())))
        if time.time() < expires_at:
            return session["refreshCount"]
    raise AssertionError(f"the tokens expired before each of {attempts} bursts could start")


@pytest.fixture
def deployment(tmp_path, op):
    op.simulator.token_ttl, op.simulator.ttl_jitter = 8, 0  # refresh margin: 4 s
    deployed = procs.Deployment(tmp_path, op)
    yield deployed
    deployed.close()


def test_signed_in_on_one_instance_served_by_the_other(deployment):
    a, b = deployment.gunicorn(), deployment.gunicorn()
    browser = LiveBrowser(a.url, deployment.op)
    browser.sign_in(username="sam.supervisor@acme.example")
    page = browser.http.get(b.url + "/account/", allow_redirects=False)
    assert page.status_code == 200
    assert "Samira Okafor" in page.text and 'data-test="portal-role">Supervisor<' in page.text


def test_single_flight_refresh_across_two_processes(deployment):
    a, b = deployment.gunicorn(), deployment.gunicorn()
    sim = deployment.op.simulator
    sim.token_ttl = 3  # refresh margin: 1.5 s
    browser = LiveBrowser(a.url, deployment.op)
    browser.sign_in()
    browser.http.get(a.url + "/account/")  # CSRF cookie for the POSTs
    refreshed_before = wait_until_refresh_is_due(browser, a.url)
    sim.reset_calls()
    sim.latency = 0.3
    sim.token_ttl = 60  # the refreshed tokens are not due again however long the burst takes on a busy machine
    statuses = browser.burst(20, method="post", portals=[a.url, b.url])
    assert statuses == [200] * 20
    assert sim.count("token", grant_type="refresh_token") == 1
    # Both instances see the one refresh of the burst.
    for portal in (a.url, b.url):
        assert session_of(browser, portal)["refreshCount"] == refreshed_before + 1


@pytest.mark.skipif(not procs.using_redis(), reason="needs CACHE_URL=redis://… (local-memory caches are per process by design)")
def test_caches_are_shared_between_instances(deployment):
    a, b = deployment.gunicorn(), deployment.gunicorn()
    sim = deployment.op.simulator
    sim.reset_calls()
    LiveBrowser(a.url, deployment.op).sign_in()
    LiveBrowser(b.url, deployment.op).sign_in(username="sam.supervisor@acme.example")
    LiveBrowser(b.url, deployment.op).sign_in(tenant="globex", username="gus.agent@globex.example")
    assert sim.count("jwks") == 1
    assert sim.count("openid-configuration") == 0
    assert sim.count("token") == 3


def test_simultaneous_first_sign_ins_of_one_person(deployment):
    """Eight browsers of one new user finish sign-in at the same instant, over two instances."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from simulator.browser import answer_authorize

    a, b = deployment.gunicorn(), deployment.gunicorn()
    browsers, callbacks = [], []
    for i in range(8):
        browser = LiveBrowser((a, b)[i % 2].url, deployment.op)
        start = browser.http.get(browser.portal + "/oidc/authenticate/", params={"tenant": "globex"}, allow_redirects=False)
        browsers.append(browser)
        callbacks.append(answer_authorize(start.headers["Location"], "tess.lead@globex.example", http=browser.http))
    barrier = threading.Barrier(len(browsers))

    def finish(i):
        barrier.wait(10)
        return browsers[i].http.get(callbacks[i], allow_redirects=False)

    with ThreadPoolExecutor(len(browsers)) as pool:
        responses = list(pool.map(finish, range(len(browsers))))
    assert [(r.status_code, r.headers.get("Location")) for r in responses] == [(302, "/dashboard/")] * 8
    count = procs.manage(deployment.env, "shell", "--no-imports", "-c", "from accounts.models import CXoneIdentity as I; from django.contrib.auth.models import User as U; print(I.objects.count(), U.objects.count())")
    assert count.stdout.split() == ["1", "1"], count.stderr


@pytest.mark.skipif(not procs.using_redis(), reason="needs CACHE_URL=redis://… (local-memory caches are per process by design)")
def test_one_board_poll_per_interval_across_instances_workers_and_tabs(deployment):
    """Two instances of two workers each, one supervisor with twelve tabs: CXone sees one full
    read of agents/states (its pages) in the interval, whatever served the tabs, besides the
    supervisor's one read of their view."""
    from concurrent.futures import ThreadPoolExecutor

    a, b = deployment.gunicorn(workers=2, threads=4), deployment.gunicorn(workers=2, threads=4)
    sim = deployment.op.simulator
    browser = LiveBrowser(a.url, deployment.op)
    browser.sign_in(username="sam.supervisor@acme.example")
    cookies = browser.http.cookies.get_dict()
    sim.reset_calls()

    def tab(i):
        """As the page does: a first load that finds the read in flight ("not loaded yet", or
        "busy" when this process's few threads for the tenant are taken) asks again shortly."""
        portal = (a, b)[i % 2].url
        deadline = time.monotonic() + 60  # bounds the loop, not the read: a loaded machine is slow
        while True:
            answer = requests.get(portal + "/api/supervisor/agents/", cookies=cookies, timeout=30,
                                  headers={"X-Requested-With": "XMLHttpRequest"})
            if answer.status_code != 503 or answer.json()["reason"] not in ("api_not_loaded", "api_busy"):
                return answer
            if time.monotonic() > deadline:
                return answer
            time.sleep(0.25)  # a page's pace between asks
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(tab, range(12)))
    assert [r.status_code for r in answers] == [200] * 12
    assert all(len(r.json()["agents"]) == 60 for r in answers)
    # the supervisor's own read of what they may see (their proof, docs/shared-reads.md: three
    # pages of CXone's) and the room's first board: made of the proof's pages when the tab that
    # read the proof made it, else read once more by the tab that did (never more)
    assert sim.count("api", path="agents/states", updatedSince=False) in (3, 3 + 3)
