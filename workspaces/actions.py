"""Supervisors act on their team through CXone, with their own token; agents read their inbox.

`POST /api/supervisor/agents/<agentId>/state/`, `.../logout/`, `POST /api/supervisor/messages/`
and `GET /api/supervisor/teams/<teamId>/unavailable-codes/`; `GET /api/agent/messages/`.
JSON in, JSON out, CSRF in `X-CSRFToken`. What the portal can refuse (not a supervisor, no
CSRF token, an unknown state, a reason the team may not use, text too long, an agent not on
this supervisor's board) it refuses before calling CXone. CXone's refusals come back as a
reason from the one vocabulary. Every action CXone was asked to do is recorded, done or
refused, and the board shows its effect at its next poll.
"""
import json
import logging
from datetime import datetime, timezone as dt_timezone

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core import metrics
from core.observability import current_request_id
from core.reasons import Reason, ReasonError
from core.web import json_error

from .adapter import text
from .cxone_api import APIError, count
from .models import SupervisorAction
from .views import answer, cxone_user_required, identity_changed, json_view, session_guard, supervisor_required, workspace

logger = logging.getLogger(__name__)

STATES = {"Available", "Unavailable"}
TARGETS = {"Agent", "Team", "Everyone"}
SUBJECT_MAX, MESSAGE_MAX, BODY_MAX = 100, 1024, 8192
CODES_SECONDS = 300
DONE = _("Done: CXone accepted it. The board shows it at its next update.")


class Refused(ReasonError):
    """The portal refuses before calling CXone."""


def read_json(request):
    if len(request.body) > BODY_MAX:
        raise Refused(Reason.BAD_INPUT, "body too large")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Refused(Reason.BAD_INPUT, "not JSON")
    if not isinstance(body, dict):
        raise Refused(Reason.BAD_INPUT, "not a JSON object")
    return body


def clean_text(value, limit, name):
    if not isinstance(value, str) or not value.strip():
        raise Refused(Reason.BAD_INPUT, f"{name} missing")
    if len(value) > limit:
        raise Refused(Reason.BAD_INPUT, f"{name} over {limit} characters")
    if any(not (ch.isprintable() or ch in "\n\t") for ch in value):
        raise Refused(Reason.BAD_INPUT, f"{name} has control characters")
    return value.strip()


def action_view(view):
    """POST, JSON, supervisors only (CSRF by Django's middleware), same identity as the page;
    refusals become the one JSON error shape, never a 500."""
    @never_cache
    @require_POST
    @supervisor_required
    @session_guard
    def wrapper(request, *args, **kwargs):
        changed = identity_changed(request)
        if changed:
            return changed
        try:
            return view(request, *args, **kwargs)
        except ReasonError as exc:
            if isinstance(exc, APIError) or isinstance(exc, Refused):
                logger.info("supervisor action refused", extra={"event": "supervisor_action", "reason": exc.reason, "detail": exc.detail})
                return json_error(exc.reason)
            raise
    wrapper.__name__ = view.__name__
    return wrapper


def board_agent(ws, agent_id):
    """The agent, as the supervisor's board knows them: only agents on it can be acted on."""
    if not (agent_id.isascii() and agent_id.isalnum() and len(agent_id) <= 32):
        raise Refused(Reason.API_NOT_FOUND, "malformed agent id")
    agent = ws.board_agent(agent_id)
    if agent is None:
        raise Refused(Reason.API_NOT_FOUND, f"agent {agent_id} not on the board")
    return agent


def record(request, kind, target_type, target_id, detail, status, outcome):
    identity = request.user.cxone_identity
    metrics.supervisor_action(kind, outcome)
    SupervisorAction.objects.create(
        user=request.user, supervisor_name=f"{identity.given_name} {identity.family_name}".strip() or identity.login_name,
        tenant=identity.tenant, kind=kind, target_type=target_type, target_id=str(target_id)[:64], detail=detail[:200],
        cxone_status=status, outcome=str(outcome)[:40], request_id=current_request_id()[:64],
    )


def perform(request, ws, kind, target_type, target_id, detail, call):
    """Ask CXone; record the answer whatever it is; after a success the board re-reads."""
    try:
        call(ws.client())
    except APIError as exc:
        record(request, kind, target_type, target_id, detail, exc.status, exc.reason.value)
        raise
    record(request, kind, target_type, target_id, detail, 200, "done")
    ws.invalidate("agents")
    logger.info("supervisor action", extra={"event": "supervisor_action", "kind": kind, "target": str(target_id)})


def team_codes(ws, team_id):
    """The unavailable codes a team may use (active only), cached a few minutes."""
    def fetch(state, started):
        rows = ws.client().get("teams/{teamId}/unavailable-codes", "unavailableCodes", {"activeOnly": "true"}, teamId=team_id)
        codes = [code_row(r) for r in rows if r.get("isActive", True) is not False]
        payload = {"codes": [c for c in codes if c["id"] is not None]}
        return {"payload": payload}, payload
    return ws.serve(f"codes:{team_id}", CODES_SECONDS, fetch)


def code_row(row):
    return {"id": count(row.get("outstateId"), 10**9 - 1), "name": text(row.get("outstateName"), 100), "isAcw": row.get("isAcw") is True}


# --- supervisors -----------------------------------------------------------------------------------

@supervisor_required
@json_view
def unavailable_codes(request, team_id):
    if not (team_id.isascii() and team_id.isalnum() and len(team_id) <= 32):
        return json_error(Reason.API_NOT_FOUND)
    return answer(request, team_codes(workspace(request), team_id))


@action_view
def set_state(request, agent_id):
    body = read_json(request)
    state = body.get("state")
    if state not in STATES:
        raise Refused(Reason.BAD_INPUT, "state must be Available or Unavailable")
    ws = workspace(request)
    agent = board_agent(ws, agent_id)
    params, detail = {"state": state}, state
    if state == "Unavailable":
        reason_id = body.get("reasonId")
        if not isinstance(reason_id, int) or isinstance(reason_id, bool):
            raise Refused(Reason.BAD_INPUT, "reasonId must be a number")
        served = team_codes(ws, agent["teamId"])
        if served.error is not None:
            raise APIError(served.error, "unavailable codes")
        codes = {c["id"]: c for c in json.loads(served.body)["codes"]}
        if reason_id not in codes:
            raise Refused(Reason.BAD_INPUT, f"reason {reason_id} is not one of team {agent['teamId']}'s codes")
        params["outStateId"] = reason_id
        detail = f"Unavailable: {codes[reason_id]['name']}"
    perform(request, ws, SupervisorAction.Kind.SET_STATE, "Agent", agent_id, detail,
            lambda client: client.post("agents/{agentId}/state", params, agentId=agent_id))
    return JsonResponse({"ok": True, "message": str(DONE)})


@action_view
def logout_agent(request, agent_id):
    read_json(request)
    ws = workspace(request)
    board_agent(ws, agent_id)
    perform(request, ws, SupervisorAction.Kind.LOGOUT, "Agent", agent_id, "log out",
            lambda client: client.post("agents/{agentId}/logout", agentId=agent_id))
    return JsonResponse({"ok": True, "message": str(DONE)})


@action_view
def send_message(request):
    body = read_json(request)
    target_type = body.get("targetType")
    if target_type not in TARGETS:
        raise Refused(Reason.BAD_INPUT, "targetType must be Agent, Team or Everyone")
    subject = clean_text(body.get("subject"), SUBJECT_MAX, "subject")
    message = clean_text(body.get("message"), MESSAGE_MAX, "message")
    target_id = str(body.get("targetId") or "")
    ws = workspace(request)
    if target_type == "Agent":
        board_agent(ws, target_id)
    elif target_type == "Team" and target_id not in ws.board_team_ids():
        raise Refused(Reason.API_NOT_FOUND, f"team {target_id} not on the board")
    outgoing = {"subject": subject, "message": message, "targetType": target_type,
                "startDate": datetime.now(dt_timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"), "expireMinutes": 480}
    if target_type != "Everyone":
        outgoing["targetId"] = target_id

    def call(client):
        answer_body = client.post("agents/messages", json={"agentMessages": [outgoing]})
        errors = (answer_body or {}).get("errorCount")
        if isinstance(errors, int) and errors > 0:
            raise APIError(Reason.API_BAD_REQUEST, "agents/messages errorCount", 400)
    perform(request, ws, SupervisorAction.Kind.MESSAGE, target_type, target_id, subject, call)
    return JsonResponse({"ok": True, "message": str(DONE)})


# --- agents ----------------------------------------------------------------------------------------

@cxone_user_required
@json_view
def agent_messages(request):
    ws = workspace(request)
    agent_id = request.user.cxone_identity.agent_id

    def fetch(state, started):
        rows = ws.client().get("agents/{agentId}/messages", "messages", agentId=agent_id)
        messages = [message_row(r) for r in rows][:200]
        messages.sort(key=lambda m: m["startDate"], reverse=True)
        payload = {"messages": messages}
        return {"payload": payload}, payload
    return answer(request, ws.serve("messages", 30, fetch))


def message_row(row):
    return {"messageId": text(row.get("messageId"), 40), "subject": text(row.get("subject"), 100),
            "message": text(row.get("messageText") or row.get("message"), 1024, lines=True), "startDate": text(row.get("startDate"), 40)}

