"""Optional tracing: OpenTelemetry when OTEL_EXPORTER_OTLP_ENDPOINT is set; off (nothing imported)
by default.

Spans go over OTLP HTTP/protobuf (the exporter reads the standard OTEL_EXPORTER_OTLP_* variables)
for every request Django serves and every call made with requests (CXone, the OpenID Providers).
They never carry what could hold a secret: URLs lose their query string (the OIDC callback's holds
the authorization code), `url.query` is emptied, and captured header values (only captured if an
operator names them) are always redacted, so no Authorization header or cookie leaves. Bodies are
never recorded by these instrumentations.
"""
import os

URL_ATTRIBUTES = ("http.url", "url.full", "http.target")
QUERY_ATTRIBUTES = ("url.query",)
HEADER_REDACTION = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS"


def without_query(url):
    return url.split("?", 1)[0].split("#", 1)[0]


def scrub(span):
    """Rewrite the attributes the instrumentations fill from the URL so no query string stays."""
    attributes = getattr(span, "attributes", None) or {}
    for key in URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and ("?" in value or "#" in value):
            span.set_attribute(key, without_query(value))
    for key in QUERY_ATTRIBUTES:
        if attributes.get(key):
            span.set_attribute(key, "")


def _scrub_request(span, *args):
    if span is not None and span.is_recording():
        scrub(span)


def init(service_name="cxone-portal"):
    """Start tracing (core.apps calls this when OTEL_EXPORTER_OTLP_ENDPOINT is set); True when started.

    Called from AppConfig.ready(): settings are loaded and the middleware not built yet, so the
    Django instrumentation can add its middleware.
    """
    os.environ[HEADER_REDACTION] = ".*"  # every captured header value becomes [REDACTED]
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider, request_hook=_scrub_request, response_hook=_scrub_request)
    RequestsInstrumentor().instrument(tracer_provider=provider, request_hook=_scrub_request, response_hook=_scrub_request)
    return True
