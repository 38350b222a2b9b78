"""Supervisors act on their team through CXone, with their own token; agents read their inbox.

`POST /api/supervisor/agents/<agentId>/state/`, `.../logout/`, `POST /api/supervisor/messages/`
(with `expireMinutes`, 1 to a week, 480 unless chosen) and
`GET /api/supervisor/teams/<teamId>/unavailable-codes/`. The sent list, retract and the agent's
inbox are in `messages.py`.
JSON in, JSON out, CSRF in `X-CSRFToken`. Bodies are checked field by field (`api.py`). What
the portal can refuse (an unknown state, a reason the team may not use, an agent or team not
on this supervisor's board, too many messages, the same message twice in a minute) it refuses
with its own reason before calling CXone. An agent the board has not read yet is read from
CXone. CXone's refusals come back as a reason from the one vocabulary. Every action is
recorded, done or refused: CXone's real status and message ids when CXone was asked (an
exception after asking still leaves a row, "error"), no status when the portal refused.
"""
import hashlib
import json
import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

from core import metrics
from core.observability import current_request_id
from core.reasons import Reason, ReasonError

from . import shapes
from .adapter import iso
from .api import (SUPERVISOR, Choice, Identifier, Integer, Refused, Text, answer, api_view, board_ids, board_team_ids, now,
                  within_rate, workspace)
from .cxone_api import APIError
from .rows import code_row, text
from .models import SupervisorAction

logger = logging.getLogger(__name__)

STATES = frozenset({"Available", "Unavailable"})
TARGETS = frozenset({"Agent", "Team", "Everyone"})
CODES_SECONDS = 300
REPEAT_SECONDS = 60  # the same message again within this is refused
DONE = _("Done: CXone accepted it. The board shows it at its next update.")
OUTCOME_DONE, OUTCOME_ERROR = "done", "error"


# --- the record -----------------------------------------------------------------------------------

class Audit:
    """One action's row, written once with however it ended."""

    def __init__(self, request, kind, target_type, target_id, detail="", *, subject="", body=""):
        self.request, self.kind, self.target_type, self.target_id = request, kind, target_type, target_id or ""
        self.detail, self.subject, self.body, self.message_ids = detail, subject, body, []
        self.expire_minutes = None

    def record(self, status, outcome):
        identity = self.request.user.cxone_identity
        metrics.supervisor_action(self.kind, outcome)
        SupervisorAction.objects.create(
            user=self.request.user, supervisor_name=f"{identity.given_name} {identity.family_name}".strip() or identity.login_name,
            tenant=identity.tenant, kind=self.kind, target_type=self.target_type, target_id=str(self.target_id)[:64],
            detail=self.detail[:200], subject=self.subject[:SupervisorAction.SUBJECT_MAX], body=self.body[:SupervisorAction.BODY_MAX],
            cxone_message_ids=" ".join(self.message_ids)[:255], cxone_status=status, outcome=str(outcome)[:40],
            request_id=current_request_id()[:64], expire_minutes=self.expire_minutes,
        )

    @contextmanager
    def refusals(self):
        """What is refused inside is recorded with its reason (and CXone's status when a read
        of CXone's refused it; none when the portal refused), then answered as usual."""
        try:
            yield
        except ReasonError as exc:
            self.record(getattr(exc, "status", None), exc.reason.value)
            raise

    def perform(self, ws, call):
        """Ask CXone; record the answer whatever it is, CXone's real status with it; after a
        success the board re-reads."""
        with self.refusals():
            client = ws.client()
        try:
            call(client)
        except ReasonError as exc:  # CXone's refusal, with its status (none when it did not answer)
            self.record(getattr(exc, "status", None), exc.reason.value)
            raise
        except Exception:
            self.record(client.last_status, OUTCOME_ERROR)
            raise
        self.record(client.last_status, OUTCOME_DONE)
        ws.invalidate("agents")
        logger.info("supervisor action", extra={"event": "supervisor_action", "kind": self.kind, "target": str(self.target_id)})
        return JsonResponse({"ok": True, "message": str(DONE)})


# --- the board, as acting needs it -----------------------------------------------------------------

def acting_agent(ws, agent_id):
    """The agent as this supervisor's board knows them; when no board was read yet (a script,
    a cleared cache), the board is read first (one single-flight read, not one CXone call per
    id a script invents). Not on the board: `not_on_board`, and CXone is not asked."""
    agent = ws.board_agent(agent_id) if agent_id in board_ids(ws) else None  # the board read first when it was not
    if agent is None:
        raise Refused(Reason.NOT_ON_BOARD, f"agent {agent_id}")
    return agent


def team_codes(ws, team_id):
    """The unavailable codes a team may use (active only), cached a few minutes."""
    def fetch(state, started):
        rows = ws.client().get("teams/{teamId}/unavailable-codes", "unavailableCodes", {"activeOnly": "true"}, teamId=team_id)
        codes = [code_row(r) for r in rows if r.get("isActive", True) is not False]
        payload = {"codes": [c for c in codes if c["id"] is not None]}
        if shapes.check(ws, "teams/{teamId}/unavailable-codes", rows) and not payload["codes"]:
            payload["notFromCXone"] = ["codes"]
        return {"payload": payload}, payload
    return ws.serve(f"codes:{team_id}", CODES_SECONDS, fetch)


# --- supervisors -----------------------------------------------------------------------------------

@api_view("GET", SUPERVISOR)
def unavailable_codes(request, team_id):
    """Only a team on the supervisor's board: each new team id would be a CXone call and a
    cache entry."""
    ws = workspace(request)
    if team_id not in board_team_ids(ws):
        raise Refused(Reason.NOT_ON_BOARD, f"team {team_id}")
    return answer(request, team_codes(ws, team_id))


@api_view("POST", SUPERVISOR, body={"state": Choice(choices=STATES), "reasonId": Integer(required=False)})
def set_state(request, agent_id, body):
    state, reason_id = body["state"], body["reasonId"]
    audit = Audit(request, SupervisorAction.Kind.SET_STATE, "Agent", agent_id, state)
    ws = workspace(request)
    params = {"state": state}
    with audit.refusals():
        agent = acting_agent(ws, agent_id)
        if state == "Unavailable":
            if reason_id is None:
                raise Refused(Reason.BAD_INPUT, "reasonId missing")
            served = team_codes(ws, agent["teamId"])
            if served.error is not None:
                raise APIError(served.error, "unavailable codes")
            codes = {c["id"]: c for c in json.loads(served.body)["codes"]}
            if reason_id not in codes:
                raise Refused(Reason.BAD_INPUT, f"reason {reason_id} is not one of team {agent['teamId']}'s codes")
            params["outStateId"] = reason_id
            audit.detail = f"Unavailable: {codes[reason_id]['name']}"
    return audit.perform(ws, lambda client: client.post("agents/{agentId}/state", params, agentId=agent_id))


@api_view("POST", SUPERVISOR, body={})
def logout_agent(request, agent_id, body):
    audit = Audit(request, SupervisorAction.Kind.LOGOUT, "Agent", agent_id, "log out")
    ws = workspace(request)
    with audit.refusals():
        acting_agent(ws, agent_id)
    return audit.perform(ws, lambda client: client.post("agents/{agentId}/logout", agentId=agent_id))


EXPIRE_DEFAULT, EXPIRE_MAX = 480, 7 * 24 * 60  # minutes: a working day unless chosen; at most a week
MESSAGE_FIELDS = {"targetType": Choice(choices=TARGETS), "targetId": Identifier(required=False),
                  "subject": Text(limit=SupervisorAction.SUBJECT_MAX), "message": Text(limit=SupervisorAction.BODY_MAX),
                  "expireMinutes": Integer(required=False, low=1, high=EXPIRE_MAX)}


@api_view("POST", SUPERVISOR, body=MESSAGE_FIELDS)
def send_message(request, body):
    target_type, target_id = body["targetType"], body["targetId"] or ""
    expire_minutes = body["expireMinutes"] or EXPIRE_DEFAULT
    audit = Audit(request, SupervisorAction.Kind.MESSAGE, target_type, target_id, body["subject"],
                  subject=body["subject"], body=body["message"])
    audit.expire_minutes = expire_minutes
    ws = workspace(request)
    with audit.refusals():
        if target_type != "Everyone" and not target_id:
            raise Refused(Reason.BAD_INPUT, f"targetId missing for {target_type}")
        if target_type == "Agent":
            acting_agent(ws, target_id)
        elif target_type == "Team" and target_id not in board_team_ids(ws):
            raise Refused(Reason.NOT_ON_BOARD, f"team {target_id}")
        sent = within_message_limits(request, target_type, body)
    outgoing = {"subject": body["subject"], "message": body["message"], "targetType": target_type,
                "startDate": iso(ws.clock()), "expireMinutes": expire_minutes}
    if target_type != "Everyone":  # CXone types targetId as a number
        outgoing["targetId"] = int(target_id) if target_id.isascii() and target_id.isdigit() else target_id

    def call(client):
        answer_body = client.post("agents/messages", json={"agentMessages": [outgoing]}) or {}
        results = answer_body.get("agentMessageResults")
        audit.message_ids = [text(r.get("agentMessageId"), 64) for r in results if isinstance(r, dict) and r.get("agentMessageId")] \
            if isinstance(results, list) else []
        errors = answer_body.get("errorCount")
        if isinstance(errors, int) and errors > 0:
            raise APIError(Reason.API_BAD_REQUEST, "agents/messages errorCount", client.last_status)
        sent()  # only a message CXone took counts as sent: a refused one may be sent again at once
    response = audit.perform(ws, call)
    mark_messages_changed(ws)
    return response


def messages_changed_key(tenant_pk):
    return f"cxone:msg:changed:{tenant_pk}"


def mark_messages_changed(ws):
    """CXone took a message or a retract: every agent's cached inbox of this tenant read before
    now is out of date (`messages.agent_messages` re-reads it at that agent's next poll)."""
    cache.set(messages_changed_key(ws.tenant.pk), ws.clock(), MESSAGES_CHANGED_KEEP)


MESSAGES_CHANGED_KEEP = 3600  # longer than any inbox is cached


def within_message_limits(request, target_type, body):
    """Per supervisor, per tenant, to Everyone per tenant (settings), and never the same message
    twice within a minute: each a 429 before CXone is asked. Returns what marks the message sent."""
    identity = request.user.cxone_identity
    tenant = identity.tenant_id
    fingerprint = hashlib.sha256(json.dumps([target_type, body["targetId"], body["subject"], body["message"]]).encode()).hexdigest()
    key, moment = f"cxone:msg:same:{tenant}:{fingerprint}", now()
    sent_at = cache.get(key)
    if sent_at is not None and moment - sent_at < REPEAT_SECONDS:
        raise Refused(Reason.MESSAGE_REPEATED, f"same message {int(moment - sent_at)} s ago")
    within_rate("messages", f"{tenant}:{request.user.pk}", settings.CXONE_MESSAGE_RATE_LIMIT, Reason.TOO_MANY_MESSAGES)
    within_rate("tenant-messages", str(tenant), settings.CXONE_TENANT_MESSAGE_RATE_LIMIT, Reason.TOO_MANY_MESSAGES)
    if target_type == "Everyone":
        within_rate("everyone-messages", str(tenant), settings.CXONE_EVERYONE_MESSAGE_RATE_LIMIT, Reason.TOO_MANY_MESSAGES)
    return lambda: cache.set(key, moment, REPEAT_SECONDS * 2)
