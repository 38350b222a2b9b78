"""The agent's day (`/agent/`) and the team board (`/supervisor/`), and their JSON.

Pages render no CXone data themselves: their scripts (static/js/) poll the JSON views, which
read through `adapter.Workspace`. Failures are a reason and words, never a 500: a 403 from
CXone says which role is missing; throttling and outages serve the last good data as stale.
"""
import time
from functools import wraps

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import tokenstore
from accounts.decorators import signin_required
from accounts.middleware import session_ended
from accounts.models import PortalRole
from core.reasons import Reason
from core.web import json_error, wants_json

from .adapter import SessionEnded, Workspace, iso

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


def answer(result, shape):
    """JSON for a cached read: the data, `asOf`, `stale`; or a reason when there is no data."""
    if result.data is None:
        return json_error(result.error.reason if result.error else Reason.API_NOT_LOADED)
    body = shape(result.data)
    body.update({"asOf": iso(result.as_of), "stale": result.stale, "ageSeconds": round(time.time() - result.as_of)})
    if result.error is not None:
        body["notice"] = str(result.error.reason.words)
        body["reason"] = str(result.error.reason)
    return JsonResponse(body)


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
    return {"identity": identity, "tenant": identity.tenant, "tokens": tokenstore.current(request),
            "ui_endpoint": (identity.tenant.cxone_configuration or {}).get("ui_endpoint")}


# --- pages -----------------------------------------------------------------------------------

@never_cache
@cxone_user_required
def agent_page(request):
    return render(request, "workspaces/agent.html", context(request))


@never_cache
@supervisor_required
def supervisor_page(request):
    return render(request, "workspaces/supervisor.html", context(request))


# --- JSON --------------------------------------------------------------------------------------

def contacts_shape(data):
    contacts = data["contacts"]
    return {"contacts": contacts, "total": len(contacts)}


@never_cache
@require_GET
@cxone_user_required
@session_guard
def agent_contacts(request):
    workspace = Workspace(request)
    return answer(workspace.contacts(workspace.identity.agent_id), contacts_shape)


@never_cache
@require_GET
@cxone_user_required
@session_guard
def agent_state(request):
    return answer(Workspace(request).my_state(), lambda data: dict(data))


@never_cache
@require_GET
@supervisor_required
@session_guard
def supervisor_agents(request):
    result = Workspace(request).board_agents()
    return answer(result, lambda data: {"agents": sorted(
        data["agents"].values(), key=lambda a: (a["lastName"].lower(), a["firstName"].lower()))})


@never_cache
@require_GET
@supervisor_required
@session_guard
def supervisor_skills(request):
    return answer(Workspace(request).skills(), lambda data: dict(data))


@never_cache
@require_GET
@supervisor_required
@session_guard
def supervisor_agent_contacts(request, agent_id):
    return answer(Workspace(request).contacts(agent_id), contacts_shape)
