"""Operations on the embedded pass: the nginx file loads, the access log stays JSON, /metrics
counts CXone calls by tenant and is not public, `check --deploy` warns about http issuers, the
requirements are split and hashed, and the image only calls tested build steps."""
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client

from core import metrics

from . import procs
from .conftest import SUPERVISOR, Browser
from .deployment import Nginx

ROOT = Path(__file__).resolve().parent.parent
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def test_the_repositorys_nginx_file_loads_in_debians_nginx(tmp_path):
    Nginx(tmp_path, ["127.0.0.1:8001", "127.0.0.1:8002"], start=False)  # `nginx -t` passes


def access_line(path, headers=None, remote="127.0.0.1", trusted=("127.0.0.1",)):
    from gunicorn.config import Config

    from core.accesslog import JsonAccessLogger

    config = Config()
    config.set("accesslog", "-")
    config.set("forwarded_allow_ips", ",".join(trusted))
    logger = JsonAccessLogger(config)
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger.access_log.handlers = [Keep()]

    class Response:
        status, sent, headers = "404 Not Found", 12, [("X-Request-ID", "a" * 32)]

    environ = {"REMOTE_ADDR": remote, "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "code=SECRET",
               **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()}}
    logger.access(Response(), environ, environ, timedelta(milliseconds=3))
    assert len(lines) == 1
    return json.loads(lines[0])


def test_an_access_log_line_is_valid_json_whatever_the_path(settings):
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    line = access_line('/x\n{"forged": 1}"\\/', headers={"X-Real-IP": "203.0.113.9"})
    assert line["path"] == '/x\n{"forged": 1}"\\/' and line["status"] == 404 and line["request_id"] == "a" * 32
    assert line["client"] == "203.0.113.9" and line["remote"] == "127.0.0.1"
    assert "SECRET" not in json.dumps(line)  # never the query string
    # A header from a peer that is not a trusted proxy is the peer's own word: not believed.
    assert access_line("/", headers={"X-Real-IP": "203.0.113.9"}, remote="198.51.100.7")["client"] == "198.51.100.7"


@pytest.mark.django_db
def test_metrics_count_cxone_calls_by_tenant_and_are_not_public(settings, cxone):
    from prometheus_client.parser import text_string_to_metric_families

    settings.METRICS_TOKEN = "a-token-for-prometheus"
    browser = Browser(Client(), cxone)
    assert browser.sign_in(username=SUPERVISOR).status_code == 302
    assert browser.client.get("/api/supervisor/agents/", **XHR).status_code == 200
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    scrape = Client(HTTP_HOST="10.0.3.7:8000").get("/metrics", HTTP_AUTHORIZATION="Bearer a-token-for-prometheus")
    assert scrape.status_code == 200
    samples = [s for family in text_string_to_metric_families(scrape.content.decode()) for s in family.samples]
    assert any(s.name == "portal_cxone_calls_total" and s.labels["tenant"] == "acme" and s.labels["endpoint"] == "agents/states"
               and s.value >= 1 for s in samples)
    assert any(s.name == "portal_board_polls_total" for s in samples)
    assert any(s.name == "portal_session_events_total" and s.labels["kind"] == "sign_in" for s in samples)
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_ADDRESSES = "", ["127.0.0.1"]
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.1", HTTP_X_REAL_IP="127.0.0.1").get("/metrics").status_code == 404


def test_board_poll_outcomes():
    from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
    from django.test import RequestFactory

    poll, delta = RequestFactory().get("/api/supervisor/agents/"), RequestFactory().get("/api/supervisor/agents/", {"since": "3"})
    stale = HttpResponse("{}")
    stale["X-Data-Age"] = "60"
    assert metrics.board_outcome(poll, HttpResponse("{}")) == "full"
    assert metrics.board_outcome(delta, HttpResponse("{}")) == "delta"
    assert metrics.board_outcome(poll, HttpResponseNotModified()) == "not_modified"
    assert metrics.board_outcome(poll, stale) == "stale"
    assert metrics.board_outcome(poll, JsonResponse({"reason": "api_busy"}, status=503)) == "api_busy"


def test_check_deploy_warns_about_http_issuers_in_production(tmp_path):
    env = procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", ALLOWED_HOSTS="portal.example.com",
                           CLIENT_IP_HEADER="X-Real-IP", GUNICORN_WORKERS="1")
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        env.pop(name)
    result = procs.manage(env, "check", "--deploy")
    assert "cxone.W004" in result.stderr + result.stdout
    env.pop("CXONE_ALLOW_HTTP_ISSUERS")
    assert "cxone.W004" not in (lambda r: r.stderr + r.stdout)(procs.manage(env, "check", "--deploy"))


def requirement_lines(name):
    text = (ROOT / name).read_text()
    return re.findall(r"^([A-Za-z0-9_.\[\]-]+)==([^\s\\]+)", text, re.M), text


def test_requirements_are_split_pinned_and_hashed():
    runtime, runtime_text = requirement_lines("requirements.txt")
    dev, dev_text = requirement_lines("requirements-dev.txt")
    runtime_names = {name.lower() for name, _ in runtime}
    assert {"django", "gunicorn", "prometheus-client", "psycopg", "redis"} <= runtime_names
    assert not runtime_names & {"pytest", "playwright", "pytest-django", "pip-tools"}  # nothing of the tests in production
    assert {"pytest", "playwright", "pip-tools"} <= {name.lower() for name, _ in dev}
    for text in (runtime_text, dev_text):
        blocks = [b for b in re.split(r"\n(?=[A-Za-z])", text) if re.match(r"[A-Za-z]", b)]
        assert blocks and all("--hash=sha256:" in block for block in blocks)
    assert "--require-hashes" in (ROOT / "Makefile").read_text()


def test_the_image_only_calls_tested_build_steps():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runs = re.findall(r"^RUN (.+)$", dockerfile, re.M)
    assert runs == ["deploy/build.sh all /opt/venv", "useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin portal"]
    assert "deploy/build.sh all" in (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^USER portal$", dockerfile, re.M) and "HEALTHCHECK" in dockerfile and dockerfile.count("FROM ") == 2
    compose = (ROOT / "compose.yaml").read_text()
    for service in ("db:", "redis:", "cxone-sim:", "web1:", "web2:", "nginx:", "jobs:", "setup:"):
        assert f"\n  {service}" in compose, service
    assert "./deploy/nginx/portal.conf:/etc/nginx/conf.d/default.conf" in compose
    for unit in ("portal@.service", "portal-job@.service", "portal-discovery.timer", "portal-daily.timer"):
        assert (ROOT / "deploy" / "systemd" / unit).exists()
    assert "deploy/jobs.sh %i" in (ROOT / "deploy" / "systemd" / "portal-job@.service").read_text()


def test_errors_reach_sentry_when_a_dsn_is_set_and_carry_no_secret(tmp_path):
    """A loopback server stands in for Sentry's ingest (the real SDK posts its envelope to it)."""
    import gzip
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Ingest(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append((self.path, body.decode("utf-8", "replace")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = (
        "import django; django.setup()\n"
        "import core.health, sentry_sdk\n"
        "from django.test import Client\n"
        "def boom(request): raise RuntimeError('boom from the probe')\n"
        "core.health.PROBES['/healthz'] = boom\n"
        "answer = Client(raise_request_exception=False).get('/healthz?code=SECRET-CODE', HTTP_COOKIE='sessionid=SECRET-COOKIE',\n"
        "                                                   HTTP_AUTHORIZATION='Bearer SECRET-TOKEN')\n"
        "assert answer.status_code == 500, answer.status_code\n"
        "sentry_sdk.flush(5)\n"
    )
    env = procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", SENTRY_DSN=f"http://publickey@127.0.0.1:{server.server_port}/42")
    try:
        done = subprocess.run([procs.PYTHON, "-c", script], env=env, cwd=procs.ROOT, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr[-2000:]
    events = [body for path, body in received if path == "/api/42/envelope/" and "boom from the probe" in body]
    assert events, received
    for secret in ("SECRET-CODE", "SECRET-COOKIE", "SECRET-TOKEN"):
        assert secret not in events[0]
    assert '"request_id"' in events[0]


def test_no_error_tracking_without_a_dsn(tmp_path):
    result = procs.manage(procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}"), "shell", "--no-imports", "-c",
                          "import sys, sentry_sdk; print(sentry_sdk.get_client().is_active())")
    assert result.stdout.strip() == "False", result.stderr
