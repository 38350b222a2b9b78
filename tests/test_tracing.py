"""Tracing (core/tracing.py): with OTEL_EXPORTER_OTLP_ENDPOINT set, a portal request and a call made
with requests reach an OTLP HTTP receiver on loopback as spans, with no token, cookie or query
string in the exported bytes; without it nothing of OpenTelemetry is imported."""
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from . import procs

SECRETS = ("SECRET-CODE", "SECRET-COOKIE", "SECRET-TOKEN", "SECRET-QUERY", "SECRET-UPSTREAM")


class Receiver(BaseHTTPRequestHandler):
    """An OTLP HTTP receiver (POST /v1/traces, protobuf) that also answers GET for the outbound call."""

    posts = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.posts.append((self.path, self.headers.get("Content-Type"), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def spans_of(body):
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    return [span for resource in request.resource_spans for scope in resource.scope_spans for span in scope.spans]


def test_a_portal_request_and_an_outbound_call_are_traced_without_secrets(tmp_path):
    Receiver.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    script = (
        "import django; django.setup()\n"
        "import requests\n"
        "from django.test import Client\n"
        "from opentelemetry import trace\n"
        "answer = Client().get('/healthz?code=SECRET-CODE', HTTP_HOST='127.0.0.1', HTTP_COOKIE='sessionid=SECRET-COOKIE',\n"
        "                      HTTP_AUTHORIZATION='Bearer SECRET-TOKEN')\n"
        "assert answer.status_code == 200, answer.status_code\n"
        f"requests.get('{base}/upstream?access_token=SECRET-QUERY', headers={{'Authorization': 'Bearer SECRET-UPSTREAM'}}, timeout=5)\n"
        "assert trace.get_tracer_provider().force_flush(10000)\n"
    )
    env = procs.portal_env(
        f"sqlite:///{tmp_path / 'db.sqlite3'}", OTEL_EXPORTER_OTLP_ENDPOINT=base, OTEL_SERVICE_NAME="portal-under-test",
        # An operator asking for headers gets their names, never their values.
        OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST="authorization,cookie",
        OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST="authorization",
    )
    try:
        done = subprocess.run([procs.PYTHON, "-c", script], env=env, cwd=procs.ROOT, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr[-3000:]
    exports = [(ctype, body) for path, ctype, body in Receiver.posts if path == "/v1/traces"]
    assert exports, Receiver.posts
    assert all(ctype == "application/x-protobuf" for ctype, _ in exports)
    spans = [span for _, body in exports for span in spans_of(body)]
    attributes = {span.name: {a.key: a.value.string_value for a in span.attributes} for span in spans}
    server_spans = [span for span in spans if span.kind == span.SPAN_KIND_SERVER]
    client_spans = [span for span in spans if span.kind == span.SPAN_KIND_CLIENT]
    assert server_spans and client_spans, attributes
    assert b"portal-under-test" in exports[0][1]
    assert any("/healthz" in value for span in server_spans for a in span.attributes for value in [a.value.string_value])
    assert any("/upstream" in value for span in client_spans for a in span.attributes for value in [a.value.string_value])
    for _, body in exports:
        for secret in SECRETS:
            assert secret.encode() not in body, (secret, attributes)
    assert not any("?" in value for values in attributes.values() for value in values.values()), attributes


def test_no_tracing_without_an_endpoint(tmp_path):
    env = procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    result = procs.manage(env, "shell", "--no-imports", "-c",
                          "import sys; print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))")
    assert result.stdout.strip() == "[]", result.stderr
