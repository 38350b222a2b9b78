"""Ending sessions on an administrator's word: every browser session of some users, at once."""
from django.contrib.sessions.models import Session
from django.db import transaction

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
        ended = rows.delete()[1].get(TokenSession._meta.label, 0)
    return ended, user_count
