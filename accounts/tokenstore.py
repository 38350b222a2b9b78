"""Where a signed-in session's CXone tokens live: a TokenSession row, encrypted.

The Django session carries only the row's id plus the access token's expiry and lifetime,
so that a request whose token is fresh needs no database read or write to know it. A request
that needs the tokens (a CXone call; the board's proof checks which token it holds on every
poll) reads the row from the shared cache while it is current there (CACHE_SESSIONS), its
tokens encrypted there as in the database (`core/cached_rows.py`); every write forgets that
copy: a save or delete (accounts/signals.py) and each update a refresh makes (accounts/refresh.py).
Refreshing itself always reads the row from the database (its lease is a conditional UPDATE).
"""
from datetime import datetime, timezone as dt_timezone

from django.core.exceptions import ValidationError

from core import cached_rows
from core.crypto import KeyMismatch

from . import signed_in
from .models import TokenSession

KIND = "tokens"

ROW_KEY = "cxone_token_session"
EXPIRES_KEY = "cxone_expires_at"
LIFETIME_KEY = "cxone_lifetime"


def _aware(epoch):
    return datetime.fromtimestamp(epoch, tz=dt_timezone.utc)


def start(request, user, tenant, token_response):
    """Store the tokens of a sign-in that just logged the user in."""
    row = TokenSession.objects.create(
        user=user,
        tenant=tenant,
        session_key=request.session.session_key or "",
        access_token=token_response.access_token,
        refresh_token=token_response.refresh_token or "",
        id_token=token_response.id_token,
        expires_at=_aware(token_response.expires_at),
        lifetime=token_response.expires_in,
    )
    request.session[ROW_KEY] = str(row.pk)
    note_expiry(request.session, row)
    remember(request, row)
    return row


def note_expiry(session, row):
    expires_at = row.expires_at.timestamp()
    if session.get(EXPIRES_KEY) != expires_at or session.get(LIFETIME_KEY) != row.lifetime:
        session[EXPIRES_KEY] = expires_at
        session[LIFETIME_KEY] = row.lifetime


def row_id(session):
    return session.get(ROW_KEY)


def remember(request, row):
    """This request's TokenSession, cached for the rest of the request."""
    request._cxone_token_session = row


def current(request):
    """This session's TokenSession (loaded at most once per request)."""
    if not hasattr(request, "_cxone_token_session"):
        pk = row_id(request.session)
        request._cxone_token_session = read(pk, tenant=_signed_in_tenant(request)) if pk else None
    return request._cxone_token_session


def _signed_in_tenant(request):
    """The tenant this request's user was read with (one copy read per request, not two)."""
    user = getattr(request, "_cached_user", None)  # set by AuthenticationMiddleware once the user is read
    identity = getattr(user, "cxone_identity", None) if user is not None and user.is_authenticated else None
    return identity.tenant if identity is not None else None


def read(pk, tenant=None):
    """The row with its tenant and environment: the shared cache's copy while current, else
    the database. `tenant`: the same tenant as read already in this request, if the row's."""
    if not cached_rows.enabled():
        return _from_database(pk)
    try:
        pk = TokenSession._meta.pk.to_python(pk)
    except ValidationError:
        return None
    found = cached_rows.read(KIND, pk, lambda: _load(pk))
    if found is None:
        return None
    try:
        row = cached_rows.instance_of(TokenSession, found)
    except KeyMismatch:  # sealed under a key this instance no longer lists: the database decides
        return _from_database(pk)
    if tenant is None or tenant.pk != row.tenant_id:
        tenant = signed_in.tenant_of(row.tenant_id)
    if tenant is None:
        return None
    row.tenant = tenant
    return row


def forget(pks):
    """These rows changed (a refresh's updates) or went: their copies are never served again."""
    cached_rows.forget(KIND, list(pks))


def _from_database(pk):
    return TokenSession.objects.select_related("tenant__environment").filter(pk=pk).first()


def _load(pk):
    row = TokenSession.objects.filter(pk=pk).first()
    return (cached_rows.values_of(row, sealed=True), cached_rows.SECONDS) if row is not None else (None, 0)


def discard(request):
    """Delete this session's tokens, if any, without reading them (a new sign-in replaces them)."""
    pk = row_id(request.session)
    if pk is not None:
        TokenSession.objects.filter(pk=pk).delete()
    remember(request, None)


def end(request):
    """Delete this session's tokens; returns the row as it was, for the logout hint."""
    row = current(request)
    if row is not None:
        TokenSession.objects.filter(pk=row.pk).delete()
    request._cxone_token_session = None
    return row
