"""Ending sessions on an administrator's word: every browser session of some users, at once,
whether they signed in through CXone or with a password.

Where a user's sessions are found: a CXone session through its TokenSession row (which names
its Django session), a password session through its PasswordSession row (written at its
sign-in, accounts/signals.py). A session from before that index existed is found by reading
the live sessions neither names (only those: a short list, empty once SESSION_COOKIE_AGE
has passed since the index was deployed).
"""
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from core import sessions
from core.reasons import Reason

from . import events
from .models import PasswordSession, TokenSession


def _unindexed_sessions_of(user_ids, now):
    """Live sessions that neither index names, decoded, for these users: {key: user id}."""
    wanted = {str(pk) for pk in user_ids}
    found = {}
    rows = (
        Session.objects.filter(expire_date__gt=now)
        .exclude(session_key__in=PasswordSession.objects.values("session_key"))
        .exclude(session_key__in=TokenSession.objects.values("session_key"))
    )
    for session in rows.iterator():
        user_id = str(session.get_decoded().get(SESSION_KEY, ""))
        if user_id in wanted:
            found[session.session_key] = int(user_id)
    return found


def end_sessions(user_ids, now=None):
    """Delete every Django session, token row and index row of these users; returns
    ({session key: user id} of the sessions that were live, [(user id, tenant id)] of the
    token rows deleted)."""
    now = timezone.now() if now is None else now
    user_ids = list(user_ids)
    if not user_ids:
        return {}, []
    with transaction.atomic():
        tokens = TokenSession.objects.filter(user_id__in=user_ids)
        owners = dict(tokens.values_list("session_key", "user_id"))
        owners.update(PasswordSession.objects.filter(user_id__in=user_ids).values_list("session_key", "user_id"))
        owners.update(_unindexed_sessions_of(user_ids, now))
        owners.pop("", None)
        live = set(Session.objects.filter(session_key__in=list(owners), expire_date__gt=now).values_list("session_key", flat=True))
        ended_rows = list(tokens.values_list("user_id", "tenant_id").distinct())
        Session.objects.filter(session_key__in=list(owners)).delete()
        tokens.delete()
        PasswordSession.objects.filter(user_id__in=user_ids).delete()
        sessions.forget(owners)  # the copies in the shared cache (core/sessions.py)
    return {key: owners[key] for key in live}, ended_rows


def sign_out_everywhere(users):
    """End every session of the users; (sessions ended, users whose sessions ended). Only
    sessions that were live count; the next request of any of those browsers is anonymous."""
    user_ids = list(users.values_list("pk", flat=True)) if hasattr(users, "values_list") else [u.pk for u in users]
    ended, token_rows = end_sessions(user_ids)
    with_tenant = {user_id for user_id, _ in token_rows}
    for user_id, tenant_id in token_rows:
        events.record(events.Kind.SESSION_ENDED, reason=Reason.SIGNED_OUT_BY_ADMIN, user_id=user_id, tenant_id=tenant_id)
    local = sorted(set(ended.values()) - with_tenant)
    names = dict(get_user_model().objects.filter(pk__in=local).values_list("pk", "username")) if local else {}
    for user_id in local:
        events.record(events.Kind.SESSION_ENDED, reason=Reason.SIGNED_OUT_BY_ADMIN, user_id=user_id, who=names.get(user_id, ""))
    return len(ended), len(set(ended.values()))
