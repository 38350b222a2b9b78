"""The agent's day (`/agent/`), the team board (`/supervisor/`), the wallboard, and their JSON.

Pages render no CXone data themselves: their scripts (static/js/) poll the JSON views, which
read through `adapter.Workspace` and send what it stored as it stored it (304 for the version
the page has, `?since=` deltas, gzip). Failures are a reason and words, never a 500: CXone's
403 drops the user's data and says the role does not allow it; throttling and outages serve
the last good data marked stale with the cause; a page of another identity gets 409.
"""
import json
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import roles
from accounts.decorators import signin_required
from accounts.middleware import session_ended
from accounts.models import PortalRole
from core.reasons import Reason
from core.web import json_error, wants_json

from .adapter import Served, SessionEnded, Workspace
from .models import BoardThresholds


def cxone_user_required(view):
    """Signed in through CXone (a local admin has no CXone token to call the APIs with)."""
    @wraps(view)
    @signin_required
    def wrapper(request, *args, **kwargs):
        if getattr(request.user, "cxone_identity", None) is None:
            return forbidden(request, Reason.NOT_A_CXONE_USER)
        return view(request, *args, **kwargs)
    return wrapper


def supervisor_required(view):
    """Supervisors only: an Agent gets a readable 403, and the portal never calls CXone for them."""
    @wraps(view)
    @cxone_user_required
    def wrapper(request, *args, **kwargs):
        if request.user.cxone_identity.portal_role != PortalRole.SUPERVISOR:
            return forbidden(request, Reason.NOT_A_SUPERVISOR)
        return view(request, *args, **kwargs)
    return wrapper


def forbidden(request, reason):
    if wants_json(request) or request.path.startswith("/api/"):
        return json_error(reason)
    return render(request, "workspaces/forbidden.html", {"message": reason.words, "advice": reason.advice}, status=reason.status)


def workspace(request):
    """The Workspace for this request. When CXone refuses a supervisor's read (403), the
    portal re-reads the user's role from CXone at their next request."""
    identity = request.user.cxone_identity

    def refused(reason):
        if reason == Reason.API_FORBIDDEN and identity.portal_role == PortalRole.SUPERVISOR:
            roles.reconsider(identity)
    return Workspace.for_request(request, on_refused=refused)


def identity_changed(request):
    """The page was rendered for another identity than the one this session now has (a
    sign-in to another organization or as another person in another tab): 409, and who now."""
    rendered = request.headers.get("x-portal-identity", "")
    identity = request.user.cxone_identity
    if not rendered or rendered == str(identity.pk):
        return None
    name = " ".join(filter(None, [identity.given_name, identity.family_name])) or identity.login_name
    return json_error(Reason.SESSION_CHANGED, context={"signedInAs": f"{name} · {identity.tenant.name}"})


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


def session_guard(view):
    """A failed refresh after CXone's 401 ends the session, as the middleware would."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except SessionEnded as exc:
            return session_ended(request, exc.reason)
    return wrapper


def context(request):
    identity = request.user.cxone_identity
    return {"identity": identity, "tenant": identity.tenant, "ui_endpoint": (identity.tenant.cxone_configuration or {}).get("ui_endpoint"),
            "poll_seconds": settings.CXONE_BOARD_POLL_SECONDS,
            "thresholds": BoardThresholds.for_tenant(identity.tenant).as_json()}


# --- pages -----------------------------------------------------------------------------------

@never_cache
@cxone_user_required
def agent_page(request):
    return render(request, "workspaces/agent.html", context(request))


@never_cache
@supervisor_required
def supervisor_page(request):
    return render(request, "workspaces/supervisor.html", context(request))


@never_cache
@supervisor_required
def wallboard_page(request):
    """For a TV across the room: queues and counts in large type, nothing to press."""
    return render(request, "workspaces/wallboard.html", context(request))


# --- JSON --------------------------------------------------------------------------------------

def json_view(view):
    """GET only, never cached by the browser, signed-in CXone user, same identity as the page,
    a session that ends cleanly when its refresh fails."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        changed = identity_changed(request)
        return changed or view(request, *args, **kwargs)
    return never_cache(require_GET(session_guard(wrapper)))


@cxone_user_required
@json_view
def agent_contacts(request):
    identity = request.user.cxone_identity
    return answer(request, workspace(request).contacts(identity.agent_id))


@cxone_user_required
@json_view
def agent_state(request):
    return answer(request, workspace(request).my_state(request.user.cxone_identity.agent_id))


@supervisor_required
@json_view
def supervisor_agents(request):
    """The board: 304 for the version the browser has; `?since=<version>` only what changed
    since (the whole board when that version is unknown or too old)."""
    ws = workspace(request)
    since = request.GET.get("since", "")
    since = int(since) if since.isascii() and since.isdigit() and len(since) < 20 else None
    served = ws.board(if_none_match=request.headers.get("if-none-match"), with_body=since is None)
    if since is not None and served.error is None and not served.not_modified:
        if since == served.version:
            served = Served(version=served.version, age=served.age, not_modified=True)
        else:  # only the changed rows; the whole board (read only now) when that version is unknown
            delta = ws.board_since(since) or ws.body("agents")
            delta.age = served.age
            served = delta
    return answer(request, served)


@supervisor_required
@json_view
def supervisor_skills(request):
    """Each skill's queue now, with today's figures (CXone's skills/summary, read once a minute)
    beside it when CXone gives them: encoded once per change, 304 for the version the browser
    has, gzip (as the board)."""
    served = workspace(request).skills_today(timezone.get_current_timezone(), if_none_match=request.headers.get("if-none-match"))
    return answer(request, served)


@supervisor_required
@json_view
def supervisor_agent_contacts(request, agent_id):
    """An agent's contacts: only for agents on this supervisor's board (one supervisor's
    clicks cannot make CXone throttle everyone); answers, 404s too, are cached."""
    ws = workspace(request)
    if agent_id not in ws.board_ids():
        return json_error(Reason.API_NOT_FOUND)
    return answer(request, ws.contacts(agent_id))
