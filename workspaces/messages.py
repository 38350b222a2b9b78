"""Messages as supervisors expect them: what this tenant's supervisors sent, a retract, the
sender's name in the agent's inbox, and the teams a message may go to, sorted by name.

- `GET /api/supervisor/messages/`: the messages this tenant's supervisors sent through the
  portal (from the audit, `SupervisorAction`), newest first, at most `SENT_MAX`; `POST` on the
  same path sends one (`actions.send_message`).
- `POST /api/supervisor/messages/<id>/retract/`: CXone's `DELETE agents/messages/{id}` for each
  of CXone's ids of a message sent here (`id` is the portal's, from the list); audited like
  every action. CXone's 404 means the message is already gone from every inbox (expired, or
  retracted in CXone): the retract stands.
- `GET /api/supervisor/teams/`: the teams on the supervisor's board, by name.
- `GET /api/agent/messages/`: the agent's inbox, newest first, each message with who sent it
  (`sentBy`, null when it was not sent from this portal), read at most every
  `INBOX_MAX_SECONDS`; a message sent or retracted here since the inbox's last read (the
  tenant's "messages changed" mark, `actions.mark_messages_changed`) makes the next poll read
  CXone, so a message to everyone is on the agent's open page within one poll.
- `senders(tenant, ids)`: who sent the messages of an agent's inbox, by CXone's message ids,
  from the audit of the same tenant only (never another tenant's).
"""
from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import quote

from django.core.cache import cache
from django.http import JsonResponse

from core.reasons import Reason

from . import shapes
from .actions import OUTCOME_DONE, Audit, mark_messages_changed, messages_changed_key, send_message
from .api import AGENT, SUPERVISOR, Refused, answer, api_view, board_team_ids, now, workspace
from .cxone_api import APIError
from .models import SupervisorAction
from .rows import text

SENT_MAX = 100  # the list a supervisor reads; the admin keeps the whole record
SENDER_SCAN = 2000  # sent messages looked through for an inbox's senders (newest first)
INBOX_MAX_SECONDS = 10  # a message to everyone is on the agent's open page within this (and its poll)
INBOX_MAX = 200


def sent_rows(tenant):
    """This tenant's messages that CXone accepted, newest first."""
    return SupervisorAction.objects.filter(tenant=tenant, kind=SupervisorAction.Kind.MESSAGE, outcome=OUTCOME_DONE) \
        .exclude(cxone_message_ids="").order_by("-created_at", "-pk")


def iso(moment):
    return moment.astimezone(dt_timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def sent_json(row):
    expires = row.created_at + timedelta(minutes=row.expire_minutes) if row.expire_minutes else None
    return {"id": row.pk, "sentAt": iso(row.created_at), "sender": row.supervisor_name, "targetType": row.target_type,
            "targetId": row.target_id or None, "subject": row.subject, "message": row.body,
            "expireMinutes": row.expire_minutes, "expiresAt": iso(expires), "messageIds": row.cxone_message_ids.split(),
            "retracted": row.retracted_at is not None, "retractedAt": iso(row.retracted_at)}


@api_view("GET", SUPERVISOR, reads_cxone=False)
def sent_messages(request):
    rows = sent_rows(request.user.cxone_identity.tenant)[:SENT_MAX]
    return JsonResponse({"messages": [sent_json(row) for row in rows], "max": SENT_MAX})


def messages(request):
    """One path, two verbs: the list (GET), a new message (POST, `actions.send_message`)."""
    return sent_messages(request) if request.method in ("GET", "HEAD") else send_message(request)


@api_view("POST", SUPERVISOR, body={})
def retract_message(request, sent_id, body):
    tenant = request.user.cxone_identity.tenant
    sent = sent_rows(tenant).filter(pk=sent_id).first()
    audit = Audit(request, SupervisorAction.Kind.RETRACT, "Message", str(sent_id), sent.subject if sent else "")
    with audit.refusals():
        if sent is None:
            raise Refused(Reason.MESSAGE_UNKNOWN, f"message {sent_id}")
        if sent.retracted_at is not None:
            raise Refused(Reason.MESSAGE_RETRACTED, f"message {sent_id}")
    ids = sent.cxone_message_ids.split()

    def call(client):
        audit.message_ids = ids
        for message_id in ids:
            try:
                client.delete("agents/messages/{messageId}", messageId=quote(message_id, safe=""))
            except APIError as exc:
                if exc.reason != Reason.API_NOT_FOUND:
                    raise
    ws = workspace(request)
    response = audit.perform(ws, call)
    SupervisorAction.objects.filter(pk=sent.pk, retracted_at__isnull=True).update(
        retracted_at=datetime.fromtimestamp(now(), tz=dt_timezone.utc))
    mark_messages_changed(ws)
    return response


@api_view("GET", SUPERVISOR)
def teams(request):
    """The teams on this supervisor's board, by name (then id): where a message may go."""
    ws = workspace(request)
    board_team_ids(ws)
    names = {}
    for agent in ws.board_agents().values():
        if agent["teamId"]:
            names.setdefault(agent["teamId"], agent["teamName"] or agent["teamId"])
    listed = sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
    return JsonResponse({"teams": [{"teamId": team_id, "name": name} for team_id, name in listed]})


def senders(tenant, message_ids):
    """{CXone message id: sender's name} for the ids sent from this portal by this tenant's
    supervisors, and the set of those retracted here (the inbox stops listing them)."""
    wanted, found, retracted = set(message_ids), {}, set()
    if not wanted:
        return found, retracted
    rows = sent_rows(tenant).values_list("cxone_message_ids", "supervisor_name", "retracted_at")[:SENDER_SCAN]
    for ids, name, retracted_at in rows.iterator(chunk_size=500):
        for message_id in set(ids.split()) & wanted:
            found.setdefault(message_id, name)
            if retracted_at is not None:
                retracted.add(message_id)
        if len(found) == len(wanted):
            break
    return found, retracted


# --- agents ----------------------------------------------------------------------------------------

@api_view("GET", AGENT)
def agent_messages(request):
    ws = workspace(request)
    identity = request.user.cxone_identity

    def fetch(state, started):
        rows = ws.client().get("agents/{agentId}/messages", "messages", agentId=identity.agent_id)
        shapes.check(ws, "agents/{agentId}/messages", rows)
        inbox = [message_row(r) for r in rows if isinstance(r, dict)][:INBOX_MAX]
        sent_by, retracted = senders(identity.tenant, [m["messageId"] for m in inbox if m["messageId"]])
        inbox = [{**m, "sentBy": sent_by.get(m["messageId"])} for m in inbox if m["messageId"] not in retracted]
        inbox.sort(key=lambda m: m["startDate"], reverse=True)
        payload = {"messages": inbox}
        return {"payload": payload}, payload
    forget_inbox_read_before_a_change(ws)
    return answer(request, ws.serve("messages", min(INBOX_MAX_SECONDS, ws.limits.poll_seconds), fetch))


def forget_inbox_read_before_a_change(ws):
    """The cached inbox is re-read when its last read began before the tenant's latest message or
    retract (its start, not its end: a read in flight as the message went out may have missed it)."""
    changed = cache.get(messages_changed_key(ws.tenant.pk))
    if changed is not None and ws.resources.meta("messages").started < changed:
        ws.invalidate("messages")


def message_row(row):
    return {"messageId": text(row.get("messageId"), 64), "subject": text(row.get("subject"), 100),
            "message": text(row.get("messageText") or row.get("message"), 1024, lines=True), "startDate": text(row.get("startDate"), 40)}
