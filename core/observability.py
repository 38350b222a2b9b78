"""Request ids and structured logs.

Every log line carries the id of the request it belongs to (taken from a sane
`X-Request-ID` set by the proxy, or made here) and is echoed back in the response, so
one sign-in can be followed across the proxy, gunicorn and the portal's own lines.
Call sites pass facts as `extra={...}`; the formatters print them as fields.
"""
import contextvars
import json
import logging
import re
import time
import uuid

_request_id = contextvars.ContextVar("request_id", default="-")
# Who the request is for, once signed in: on every log line and CXone call's metric labels.
_tenant = contextvars.ContextVar("tenant", default="-")
_user = contextvars.ContextVar("user", default="-")
SESSION_TENANT_KEY = "log_tenant"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Attributes every LogRecord has; anything else was passed through `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "tenant",
    "user",
    "fields",
    "taskName",
}


def current_request_id():
    """The id of the request this thread serves ("-" outside one), for records that outlive logs."""
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


def current_tenant():
    """The signed-in user's tenant slug ("-" before sign-in or outside a request)."""
    return _tenant.get()


def remember_tenant(sender, request, user, **kwargs):
    """At sign-in (`user_logged_in`), the tenant's slug goes into the session, so naming it on
    every later log line costs no query."""
    if request is None or not hasattr(request, "session"):
        return
    identity = getattr(user, "cxone_identity", None)
    request.session[SESSION_TENANT_KEY] = identity.tenant.slug if identity is not None else ""


class IdentityContextMiddleware:
    """Tenant and user on every later log line of a signed-in request (after authentication),
    from the session alone (no query). Both reset when the request ends, so a worker thread
    never carries them on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tokens = []
        session = getattr(request, "session", None)
        user_id = session.get("_auth_user_id") if session is not None else None
        if user_id is not None:
            tokens.append((_user, _user.set(str(user_id))))
            tenant = session.get(SESSION_TENANT_KEY)
            if tenant:
                tokens.append((_tenant, _tenant.set(tenant)))
        try:
            return self.get_response(request)
        finally:
            for var, token in reversed(tokens):
                var.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        record.tenant = _tenant.get()
        record.user = _user.get()
        return True


def _extra_fields(record):
    fields = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
    request = fields.get("request")
    if request is not None and hasattr(request, "path"):
        # Django's error loggers attach the request, whose repr holds the query string, and
        # the callback's query string holds the authorization code: keep method and path only.
        fields["request"] = f"{request.method} {request.path}"
    return fields


class JsonFormatter(logging.Formatter):
    converter = time.gmtime

    def format(self, record):
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key in ("tenant", "user"):
            if getattr(record, key, "-") != "-":
                entry[key] = getattr(record, key)
        for key, value in _extra_fields(record).items():
            entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _one_line(value):
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


class TextFormatter(logging.Formatter):
    """key=value lines for development; CR/LF in a message or field are escaped, so text
    that came from a request (a path, a parameter) cannot forge a log line."""

    def format(self, record):
        fields = _extra_fields(record)
        record.fields = "".join(f" {k}={_one_line(v)}" for k, v in fields.items())
        for key in ("request_id", "tenant", "user"):
            if not hasattr(record, key):
                setattr(record, key, "-")
        return super().format(record)

    def formatMessage(self, record):
        record.message = _one_line(record.message)
        return super().formatMessage(record)

