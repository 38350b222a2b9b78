"""Ending sessions on an administrator's word: every browser session of some users, at once."""
from django.contrib.sessions.models import Session
from django.db import transaction

from core.reasons import Reason

from . import events
from .models import TokenSession


def sign_out_everywhere(users):
    """Delete the users' Django sessions and CXone token rows; (sessions ended, users).

    Every CXone session has a token row that names its Django session, so both go together;
    the next request of any of those browsers is anonymous."""
    with transaction.atomic():
        rows = TokenSession.objects.filter(user__in=users)
        keys = list(rows.values_list("session_key", flat=True))
        user_count = rows.values("user_id").distinct().count()
        Session.objects.filter(session_key__in=keys).delete()
        ended_rows = list(rows.values_list("user_id", "tenant_id").distinct())
        ended = rows.delete()[1].get(TokenSession._meta.label, 0)
    for user_id, tenant_id in ended_rows:
        events.record(events.Kind.SESSION_ENDED, reason=Reason.SIGNED_OUT_BY_ADMIN, user_id=user_id, tenant_id=tenant_id)
    return ended, user_count
