"""The workspaces' view framework: who may call a view, what it may be sent, and how often.

Every page and JSON view of the workspaces imports from here (never from another view module):

- `api_view(method, role, query=…, body=…)`: one decorator for every JSON view. Signed in
  (an anonymous `/api/` request is 401 JSON before it gets here: `accounts.middleware`), a
  CXone user, the role (`AGENT`: any CXone user; `SUPERVISOR`), the same identity as the page
  (409 otherwise), never cached, a per-user rate on the reads that may call CXone, and the
  query and body checked field by field before the view runs. A view raises `ReasonError`
  for anything it refuses; `accounts.middleware.FailureMiddleware` turns it into the one
  answer, as it does for every view.
- the fields a request may carry (`Choice`, `Text`, `Integer`, `Identifier`, `Version`): each
  one checks the type and bounds of one value, or raises `bad_input`.
- a JSON body is read with the bounds the portal applies to what an OpenID Provider sends
  (`core.untrusted`): at most `BODY_MAX` bytes, plain JSON data, nested at most `MAX_DEPTH`.
- `workspace(request)`, `answer(request, served)`: a user's `Workspace`, and what it served as
  the HTTP answer (stored bytes, 304, gzip, the data's age).
"""
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import register_converter
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import roles
from accounts.decorators import signin_required
from accounts.models import PortalRole
from core import ratelimit
from core.reasons import Reason, ReasonError
from core.untrusted import UntrustedBodyError, parse_json
from core.web import json_error, wants_json

from . import adapter
from .adapter import Workspace
from .cxone_api import APIError

AGENT, SUPERVISOR = "agent", "supervisor"  # any CXone user; supervisors only
BODY_MAX = 8192  # a message is at most 1,124 characters; room for escapes, nothing more
MAX_DEPTH = 4  # the portal's bodies are flat objects; deeper is not a request it sends


class Refused(ReasonError):
    """The portal refuses a request itself, before asking CXone."""


# --- who may call ------------------------------------------------------------------------------

def forbidden(request, reason):
    if wants_json(request):
        return json_error(reason)
    return render(request, "workspaces/forbidden.html", {"message": reason.words, "advice": reason.advice}, status=reason.status)


def role_refusal(request, role):
    """None when the signed-in user may use a view for `role`, else the reason they may not."""
    identity = getattr(request.user, "cxone_identity", None)
    if identity is None:
        return Reason.NOT_A_CXONE_USER  # a local admin has no CXone token to call the APIs with
    if role == SUPERVISOR and identity.portal_role != PortalRole.SUPERVISOR:
        return Reason.NOT_A_SUPERVISOR  # the portal never calls CXone for them
    return None


def page_view(role):
    """A page of the workspaces: signed in, a CXone user of `role`, never cached."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            refusal = role_refusal(request, role)
            return forbidden(request, refusal) if refusal else view(request, *args, **kwargs)
        return never_cache(signin_required(wrapper))
    return decorate


def identity_changed(request):
    """The page was rendered for another identity than the one this session now has (a
    sign-in to another organization or as another person in another tab): 409, and who now."""
    rendered = request.headers.get("x-portal-identity", "")
    identity = request.user.cxone_identity
    if not rendered or rendered == str(identity.pk):
        return None
    name = " ".join(filter(None, [identity.given_name, identity.family_name])) or identity.login_name
    return json_error(Reason.SESSION_CHANGED, context={"signedInAs": f"{name} · {identity.tenant.name}"})


def now():
    """The portal's clock (the adapter's, which tests move)."""
    return adapter.wall_clock()


def within_rate(scope, key, rate_setting, reason):
    """Count one call of `key` against the setting's rate; over it, `reason` (429)."""
    allowed, retry_after = ratelimit.allow(scope, key, ratelimit.parse_rate(rate_setting), clock=now)
    if not allowed:
        raise Refused(reason, f"{scope} {key}: retry in {retry_after} s")


def api_view(method, role, *, query=None, body=None, reads_cxone=True):
    """One JSON view: `method` only, signed in as a CXone user of `role`, same identity as the
    page, never cached. `query` and `body` map names to fields: the view receives them checked,
    as keyword arguments (`body` as one dict). A GET that may call CXone counts toward the
    user's `CXONE_READ_RATE_LIMIT` (429 `too_many_reads`)."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            refusal = role_refusal(request, role)
            if refusal:
                return forbidden(request, refusal)
            changed = identity_changed(request)
            if changed:
                return changed
            if reads_cxone and method == "GET":
                identity = request.user.cxone_identity
                within_rate("reads", f"{identity.tenant_id}:{request.user.pk}", settings.CXONE_READ_RATE_LIMIT, Reason.TOO_MANY_READS)
            for name, field in (query or {}).items():
                kwargs[name] = field.check(request.GET.get(name), name)
            if body is not None:
                kwargs["body"] = checked_body(request, body)
            return view(request, *args, **kwargs)
        return never_cache(require_http_methods([method])(signin_required(wrapper)))
    return decorate


# --- what a request may carry ------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One value of a request: its type and bounds checked, or `bad_input`."""

    required: bool = True

    def check(self, value, name):
        if value is None or value == "":
            if self.required:
                raise Refused(Reason.BAD_INPUT, f"{name} missing")
            return None
        return self.clean(value, name)

    def clean(self, value, name):
        return value


@dataclass(frozen=True)
class Choice(Field):
    choices: frozenset = frozenset()

    def clean(self, value, name):
        if not isinstance(value, str) or value not in self.choices:
            raise Refused(Reason.BAD_INPUT, f"{name} must be one of {sorted(self.choices)}")
        return value


@dataclass(frozen=True)
class Text(Field):
    """A person's text: a string of 1 to `limit` printable characters (line breaks and tabs kept)."""

    limit: int = 100

    def clean(self, value, name):
        if not isinstance(value, str) or not value.strip():
            raise Refused(Reason.BAD_INPUT, f"{name} must be text")
        if len(value) > self.limit:
            raise Refused(Reason.BAD_INPUT, f"{name} over {self.limit} characters")
        if any(not (ch.isprintable() or ch in "\n\t") for ch in value):
            raise Refused(Reason.BAD_INPUT, f"{name} has control characters")
        return value.strip()


@dataclass(frozen=True)
class Integer(Field):
    low: int = 0
    high: int = 10**9

    def clean(self, value, name):
        if not isinstance(value, int) or isinstance(value, bool) or not self.low <= value <= self.high:
            raise Refused(Reason.BAD_INPUT, f"{name} must be a whole number from {self.low} to {self.high}")
        return value


@dataclass(frozen=True)
class Identifier(Field):
    """CXone's id of an agent or team: ASCII letters and digits, at most 32 (a number is read as one)."""

    def clean(self, value, name):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not is_identifier(value):
            raise Refused(Reason.BAD_INPUT, f"{name} is not an id")
        return value


@dataclass(frozen=True)
class Version(Field):
    """A version this portal served (`?since=`): a small number; anything else is no version."""

    required: bool = False

    def clean(self, value, name):
        return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else None


def is_identifier(value):
    return 0 < len(value) <= 32 and value.isascii() and value.isalnum()


def depth(value, limit):
    """How many levels `value` has (a scalar is one), counted no further than `limit` + 1."""
    level, layer = 0, [value]
    while layer and level <= limit:
        level += 1
        layer = [child for node in layer if isinstance(node, (dict, list))
                 for child in (node.values() if isinstance(node, dict) else node)]
    return level


def checked_body(request, fields):
    """A JSON object of at most BODY_MAX bytes, nested at most MAX_DEPTH, whose named fields
    pass their checks (others are ignored): {name: value}, or `bad_input`. A body declared
    larger is refused unread."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isascii() or not declared.isdigit() or int(declared) > BODY_MAX:
        raise Refused(Reason.BAD_INPUT, "body too large")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise Refused(Reason.BAD_INPUT, "body too large")
    if len(raw) > BODY_MAX:
        raise Refused(Reason.BAD_INPUT, "body too large")
    try:
        document = parse_json(raw or b"{}")
    except UntrustedBodyError as exc:
        raise Refused(Reason.BAD_INPUT, f"body: {exc}")
    if not isinstance(document, dict):
        raise Refused(Reason.BAD_INPUT, "body is not a JSON object")
    if depth(document, MAX_DEPTH) > MAX_DEPTH:
        raise Refused(Reason.BAD_INPUT, "body nested too deeply")
    return {name: field.check(document.get(name), name) for name, field in fields.items()}


class IdentifierConverter:
    """`<cxone_id:…>` in a URL: an agent's or team's id as CXone writes it."""

    regex = "[A-Za-z0-9]{1,32}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(IdentifierConverter, "cxone_id")


# --- the workspace and its answers -----------------------------------------------------------------

def workspace(request):
    """The Workspace for this request. When CXone refuses a supervisor's read (403), the
    portal re-reads the user's role from CXone at their next request."""
    identity = request.user.cxone_identity

    def refused(reason):
        if reason == Reason.API_FORBIDDEN and identity.portal_role == PortalRole.SUPERVISOR:
            roles.reconsider(identity)
    return Workspace.for_request(request, on_refused=refused)


def board_ids(ws):
    """The agents on this user's board, the board read first if it was not yet: what a
    secondary read (contacts, codes) may ask CXone about."""
    ids = ws.board_ids()
    if not ids:
        _read_board(ws)
        ids = ws.board_ids()
    return ids


def board_team_ids(ws):
    """The teams on this user's board, the board read first if it was not yet."""
    teams = ws.board_team_ids()
    if not teams:
        _read_board(ws)
        teams = ws.board_team_ids()
    return teams


def _read_board(ws):
    served = ws.board(with_body=False)
    if served.error is not None:
        raise APIError(served.error, "the board, read before a secondary read")


def answer(request, served):
    """Stored bytes as they are: 304 for the version the browser has, gzip when it accepts it,
    the data's age in a header; a reason with no data."""
    if served.error is not None:
        return json_error(served.error)
    if served.not_modified:
        response = HttpResponseNotModified()
    else:
        gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
        response = HttpResponse(served.gz if gzip_ok else served.body, content_type="application/json")
        if gzip_ok:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = served.etag
    response["Vary"] = "Accept-Encoding"
    if served.age is not None:
        response["X-Data-Age"] = str(int(served.age))
    return response
