"""The agent's day (`/agent/`), the team board (`/supervisor/`), the wallboard, and their JSON.

Pages render no CXone data themselves: their scripts (static/js/) poll the JSON views, which
read through `adapter.Workspace` and send what it stored as it stored it (304 for the version
the page has, `?since=` deltas, gzip). Failures are a reason and words, never a 500: CXone's
403 drops the user's data and says the role does not allow it; throttling and outages serve
the last good data marked stale with the cause; a page of another identity gets 409.
"""
import json

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from core.reasons import Reason
from core.web import json_error

from .adapter import Served
from .api import AGENT, SUPERVISOR, Version, answer, api_view, board_ids, page_view, workspace
from .models import BoardThresholds


def context(request):
    identity = request.user.cxone_identity
    return {"identity": identity, "tenant": identity.tenant, "ui_endpoint": (identity.tenant.cxone_configuration or {}).get("ui_endpoint"),
            "poll_seconds": settings.CXONE_BOARD_POLL_SECONDS,
            "thresholds": BoardThresholds.for_tenant(identity.tenant).as_json()}


# --- pages -----------------------------------------------------------------------------------

@page_view(AGENT)
def agent_page(request):
    return render(request, "workspaces/agent.html", context(request))


@page_view(SUPERVISOR)
def supervisor_page(request):
    return render(request, "workspaces/supervisor.html", context(request))


@page_view(SUPERVISOR)
def wallboard_page(request):
    """For a TV across the room: queues and counts in large type, nothing to press."""
    return render(request, "workspaces/wallboard.html", context(request))


# --- JSON --------------------------------------------------------------------------------------

@api_view("GET", AGENT)
def agent_contacts(request):
    identity = request.user.cxone_identity
    return answer(request, workspace(request).contacts(identity.agent_id))


@api_view("GET", AGENT)
def agent_state(request):
    return answer(request, workspace(request).my_state(request.user.cxone_identity.agent_id))


@api_view("GET", SUPERVISOR, query={"since": Version()})
def supervisor_agents(request, since):
    """The board: 304 for the version the browser has; `?since=<version>` only what changed
    since (the whole board when that version is unknown or too old)."""
    ws = workspace(request)
    served = ws.board(if_none_match=request.headers.get("if-none-match"), with_body=since is None)
    if since is not None and served.error is None and not served.not_modified:
        if since == served.version:
            served = Served(version=served.version, age=served.age, not_modified=True)
        else:  # only the changed rows; the whole board (read only now) when that version is unknown
            delta = ws.board_since(since) or ws.body("agents")
            delta.age = served.age
            served = delta
    return answer(request, served)


@api_view("GET", SUPERVISOR)
def supervisor_skills(request):
    """Each skill's queue now, with today's figures (CXone's skills/summary, read once a minute)
    beside it when CXone gives them: encoded once per change, 304 for the version the browser
    has, gzip (as the board)."""
    served = workspace(request).skills_today(timezone.get_current_timezone(), if_none_match=request.headers.get("if-none-match"))
    return answer(request, served)


@api_view("GET", SUPERVISOR)
def supervisor_agent_contacts(request, agent_id):
    """An agent's contacts: only for agents on this supervisor's board (one supervisor's
    clicks cannot make CXone throttle everyone); answers, 404s too, are cached."""
    ws = workspace(request)
    if agent_id not in board_ids(ws):
        return json_error(Reason.NOT_ON_BOARD)
    return answer(request, ws.contacts(agent_id))
