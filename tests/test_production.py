"""The production configuration, as gunicorn serves it: deploy checks, headers, cookies,
structured logs without secrets, health endpoints, and recovery from a database restart."""
import json
import os
import re
import subprocess

import pytest
import requests

from simulator.browser import answer_authorize
from simulator.demo import DEMO_CLIENT_SECRET

from . import procs
from .conftest import AGENT, query_of
from .live import LiveBrowser

pytestmark = pytest.mark.subprocess


@pytest.fixture
def deployment(tmp_path, op):
    deployed = procs.Deployment(tmp_path, op)
    yield deployed
    deployed.close()


def test_check_deploy_reports_nothing(tmp_path):
    env = procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", ALLOWED_HOSTS="portal.example.com", CLIENT_IP_HEADER="X-Real-IP",
                           GUNICORN_WORKERS="1")
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "CXONE_ALLOW_HTTP_ISSUERS"):
        env.pop(name)
    result = procs.manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_secrets(tmp_path):
    env = procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    for missing in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
        result = procs.manage({k: v for k, v in env.items() if k != missing}, "check")
        assert result.returncode != 0 and f"{missing} must be set when DEBUG is off" in result.stderr


def test_headers_cookies_and_static_files(tmp_path, op):
    deployed = procs.Deployment(tmp_path, op, SESSION_COOKIE_SECURE="1", CSRF_COOKIE_SECURE="1", SECURE_SSL_REDIRECT="1")
    try:
        portal = deployed.gunicorn()
        https = {"X-Forwarded-Proto": "https"}
        page = requests.get(portal.url + "/login/", headers=https)
        assert page.status_code == 200
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert page.headers["X-Frame-Options"] == "DENY"
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and "style=" not in page.text  # no inline code
        start = requests.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, headers=https, allow_redirects=False)
        cookie = start.headers["Set-Cookie"]
        # Starting a sign-in makes no session: the flow rides in its own encrypted cookie.
        assert "sessionid=" not in cookie
        assert "cxone_signin=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        callback_url = answer_authorize(start.headers["Location"], AGENT).replace("https://", "http://", 1)
        flow_cookie = f"cxone_signin={start.cookies['cxone_signin']}"
        callback = requests.get(callback_url, headers={**https, "Cookie": flow_cookie}, allow_redirects=False)
        assert callback.status_code == 302 and callback.headers["Location"] == "/dashboard/", callback.text[:300]
        session_cookie = callback.raw.headers.getlist("Set-Cookie")
        session_cookie = next(c for c in session_cookie if c.startswith("sessionid="))
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
        plain = requests.get(portal.url + "/login/", allow_redirects=False)
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        # whitenoise serves hashed, compressed static files with far-future caching.
        css = [line for line in page.text.split('"') if line.startswith("/static/css/portal.")][0]
        asset = requests.get(portal.url + css, headers={**https, "Accept-Encoding": "gzip"})
        assert asset.status_code == 200 and "max-age=315360000" in asset.headers["Cache-Control"]
    finally:
        deployed.close()


def test_health_and_readiness(deployment):
    portal = deployment.gunicorn()
    assert requests.get(portal.url + "/healthz").json() == {"status": "ok"}
    ready = requests.get(portal.url + "/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_structured_logs_with_reason_codes_and_no_secrets(deployment):
    portal = deployment.gunicorn()
    browser = LiveBrowser(portal.url, deployment.op)
    browser.sign_in()
    code_seen = []
    # A failed sign-in too: cancelled at CXone.
    start = browser.http.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False)
    cancelled = answer_authorize(start.headers["Location"], action="cancel", http=browser.http)
    assert browser.http.get(cancelled).status_code == 400
    # And one whose code we know, to look for it in the logs.
    start = browser.http.get(portal.url + "/oidc/authenticate/", params={"tenant": "acme"}, allow_redirects=False)
    location = answer_authorize(start.headers["Location"], AGENT, http=browser.http)
    code_seen.append(query_of(location)["code"])
    browser.http.get(location, allow_redirects=False)
    session = browser.http.cookies.get("sessionid")
    logs = deployment.close()[0]
    events = []
    for line in logs.splitlines():
        if line.strip():
            events.append(json.loads(line))  # every line is JSON
    sign_ins = [e for e in events if e.get("event") == "sign_in"]
    assert {"success", "failed", "started"} <= {e["outcome"] for e in sign_ins}
    failed = [e for e in sign_ins if e["outcome"] == "failed"]
    assert failed[0]["reason"] == "sign_in_cancelled" and len(failed[0]["request_id"]) == 32
    access = [e for e in events if "path" in e]
    assert any(e["path"].startswith("/oidc/callback/") for e in access)
    for secret in [DEMO_CLIENT_SECRET, session, *code_seen]:
        assert secret not in logs
    assert "code=" not in logs and "eyJ" not in logs  # no query strings, no JWTs


@pytest.mark.services
@pytest.mark.skipif(not procs.using_postgres(), reason="needs DATABASE_URL=postgres://… (runs in the PostgreSQL + Redis pass)")
def test_database_restart_between_requests(deployment):
    cluster = subprocess.run(["bash", "-c", "ls /etc/postgresql"], capture_output=True, text=True).stdout.split()
    if not cluster or not os.path.exists("/usr/bin/pg_ctlcluster"):
        procs.missing("pg_ctlcluster is not available to restart PostgreSQL")
    portal = deployment.gunicorn()
    browser = LiveBrowser(portal.url, deployment.op)
    browser.sign_in()
    assert browser.http.get(portal.url + "/account/").status_code == 200
    restart = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster[-1], "main", "restart"], capture_output=True, text=True, timeout=120
    )
    assert restart.returncode == 0, restart.stderr
    procs.wait_for(portal.url + "/healthz")
    from django.db import connections

    connections.close_all()  # this test process's own connection died with the server too
    response = browser.http.get(portal.url + "/account/", allow_redirects=False)
    assert response.status_code == 200 and "Alex Rivera" in response.text
    assert requests.get(portal.url + "/readyz").status_code == 200


def test_error_log_lines_never_carry_the_query_string():
    """Django's own error loggers attach the request; its repr holds the callback's code."""
    import logging

    from django.test import RequestFactory

    from core.observability import JsonFormatter, TextFormatter

    request = RequestFactory().get("/oidc/callback/", {"code": "SECRET-CODE", "state": "s"})
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", (request.path,), None)
    record.request = request
    record.status_code = 500
    for formatter in (JsonFormatter(), TextFormatter("%(message)s%(fields)s")):
        line = formatter.format(record)
        assert "SECRET-CODE" not in line and "GET /oidc/callback/" in line


def test_text_logs_escape_line_breaks_from_requests():
    import logging

    from core.observability import TextFormatter

    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad Request: %s", ("/x\nINFO forged",), None)
    record.detail = "a\r\nb"
    line = TextFormatter("%(message)s%(fields)s").format(record)
    assert "\n" not in line and "\r" not in line
    assert "Bad Request: /x\\nINFO forged" in line and "detail=a\\r\\nb" in line


def test_each_gunicorn_instance_has_its_own_control_socket_or_none(tmp_path, op):
    """Two instances started by one user must not share gunicorn's per-user control socket."""
    home = tmp_path / "home"
    home.mkdir()
    deployed = procs.Deployment(tmp_path, op, HOME=str(home), XDG_RUNTIME_DIR="")
    try:
        deployed.gunicorn()
        deployed.gunicorn()
        assert not (home / ".gunicorn").exists()  # off by default
        own = tmp_path / "portal-a.ctl"
        deployed.env["GUNICORN_CONTROL_SOCKET"] = str(own)
        deployed.gunicorn()
        # gunicorn opens it just after the first workers, which (preloaded) may answer first.
        from .deployment import wait_until

        wait_until(own.exists, 10)
    finally:
        deployed.close()
