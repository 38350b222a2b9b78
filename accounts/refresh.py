"""Refreshing a session's CXone tokens before they expire, once at a time.

Single flight: a refresh first claims a lease on the TokenSession row with one
conditional UPDATE (`lease free` and `refresh_count` unchanged). Every database runs that
atomically, so across threads, gunicorn workers and machines exactly one request refreshes;
the others keep using the still-valid access token, or, if it has already expired, wait
briefly for the new one. `refresh_count` in the condition also stops a request that read
the row before a refresh finished from spending the rotated (now dead) refresh token.
"""
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core import http, metrics
from core.reasons import Reason, RefreshStatus

from . import adapters, events, tokenstore
from .models import TokenSession
from .oidc import id_token as id_tokens
from .oidc import tokens
from .oidc.errors import InvalidIdToken, TokenRejected, UpstreamError

logger = logging.getLogger(__name__)

TERMINAL_ERRORS = {"invalid_grant", "invalid_client"}
WAIT_STEP = 0.05
MAX_BACKOFF = 300
# 401 storms: CXone refuses a token the portal just got by refreshing after a 401. Such a
# refusal within REJECTION_WINDOW of that refresh is a round the refresh did not help; the
# session then makes no refresh for REJECTION_BACKOFF seconds, and ends at REJECTION_ROUNDS.
REJECTION_WINDOW = 300
REJECTION_BACKOFF = 60
REJECTION_ROUNDS = 3


@dataclass
class Outcome:
    row: TokenSession | None
    status: RefreshStatus
    reason: Reason | None = None
    detail: str = ""

    @property
    def ended(self):
        return self.status == RefreshStatus.ENDED


def margin(lifetime):
    """Refresh this long before expiry: CXONE_REFRESH_MARGIN, never over half the lifetime."""
    return min(settings.CXONE_REFRESH_MARGIN, (lifetime or 0) / 2)


def is_due(expires_at_epoch, lifetime, now=None):
    return (now or time.time()) >= expires_at_epoch - margin(lifetime)


def backoff(failures):
    return min(MAX_BACKOFF, 5 * 2 ** max(0, failures - 1))


def _load(pk):
    return TokenSession.objects.select_related("tenant__environment").filter(pk=pk).first()


def _end(row, reason, detail=""):
    TokenSession.objects.filter(pk=row.pk).delete()
    events.record(events.Kind.SESSION_ENDED, reason=reason, detail=detail, user_id=row.user_id, tenant_id=row.tenant_id)
    logger.info(
        "session ended",
        extra={"event": "refresh", "outcome": RefreshStatus.ENDED, "reason": reason, "detail": detail, "user_id": row.user_id},
    )
    return Outcome(None, RefreshStatus.ENDED, reason, detail)


def refresh_if_due(pk):
    """Make sure the session's access token is not due; refresh it if it is."""

    def settle(row):
        now = timezone.now()
        valid = row.expires_at > now
        if not is_due(row.expires_at.timestamp(), row.lifetime):
            return Outcome(row, RefreshStatus.FRESH)
        if not row.refresh_token:
            return Outcome(row, RefreshStatus.FRESH) if valid else _end(row, Reason.NO_REFRESH_TOKEN)
        if row.retry_at and row.retry_at > now:
            return Outcome(row, RefreshStatus.DEFERRED, Reason.REFRESH_BACKOFF) if valid else _end(row, Reason.REFRESH_FAILED_EXPIRED)
        return None

    # While the token is still valid, a request that finds another one refreshing goes on.
    return _single_flight(pk, settle, wait_while_valid=False)


def refresh_after_rejection(pk, rejected_access_token, now=None):
    """CXone answered 401 to an access token the portal thought valid (revoked, or expired
    early): refresh once, now, unless another request has already replaced that token.

    A 401 storm (CXone refuses even the token this refresh got it) is not refreshed into: the
    first such round backs the session off for REJECTION_BACKOFF seconds (the outcome is
    DEFERRED with `api_unauthorized`, and carries the same refused token: don't retry the
    call with it), and the REJECTION_ROUNDS-th ends the session with `api_unauthorized`."""
    now = timezone.now() if now is None else now
    storm = []

    def settle(row):
        if row.access_token != rejected_access_token:
            return Outcome(row, RefreshStatus.REFRESHED)
        if row.rejected_until and row.rejected_until > now:
            return Outcome(row, RefreshStatus.DEFERRED, Reason.API_UNAUTHORIZED, "backing off after refused refreshes")
        recent = row.rejection_refreshed_at and now - row.rejection_refreshed_at < timedelta(seconds=REJECTION_WINDOW)
        if recent and (row.rejected_until is None or row.rejected_until <= row.rejection_refreshed_at):
            # The token this session got by refreshing after a 401 (since its last back-off) is refused too.
            storm.append(True)
            return _refused_again(row, now)
        if not recent and row.rejection_rounds:  # an old storm, long over: this one starts afresh
            TokenSession.objects.filter(pk=row.pk, refresh_count=row.refresh_count).update(rejection_rounds=0, rejected_until=None)
            tokenstore.forget([row.pk])
            row.rejection_rounds, row.rejected_until = 0, None
        return None if row.refresh_token else _end(row, Reason.NO_REFRESH_TOKEN)

    outcome = _single_flight(pk, settle, wait_while_valid=True, after_rejection=True, now=now)
    if storm or outcome.reason == Reason.API_UNAUTHORIZED:
        return outcome
    # A transient failure leaves a token CXone already refused: the session cannot work.
    return _end(outcome.row, outcome.reason, outcome.detail) if outcome.status == RefreshStatus.DEFERRED else outcome


def _refused_again(row, now):
    """CXone refused the token a refresh after its 401 got: one more round of the storm."""
    rounds = row.rejection_rounds + 1
    if rounds >= REJECTION_ROUNDS:
        return _end(row, Reason.API_UNAUTHORIZED, f"{rounds} refreshes after a 401 refused too")
    until = now + timedelta(seconds=REJECTION_BACKOFF)
    TokenSession.objects.filter(pk=row.pk, refresh_count=row.refresh_count).update(rejection_rounds=rounds, rejected_until=until)
    tokenstore.forget([row.pk])
    row.rejection_rounds, row.rejected_until = rounds, until
    events.record(events.Kind.REFRESH_FAILED, reason=Reason.API_UNAUTHORIZED, detail=f"round {rounds}: backing off",
                  user_id=row.user_id, tenant_id=row.tenant_id)
    logger.warning(
        "CXone refused a freshly refreshed token; backing off",
        extra={"event": "refresh", "outcome": RefreshStatus.DEFERRED, "reason": Reason.API_UNAUTHORIZED,
               "rounds": rounds, "user_id": row.user_id},
    )
    return Outcome(row, RefreshStatus.DEFERRED, Reason.API_UNAUTHORIZED, f"round {rounds}")


def refresh_now(pk):
    """Refresh now whatever the token's age (a role re-check: accounts/roles.py), unless a
    refresh is backing off; another request's refresh in flight counts as done."""
    seen = []

    def settle(row):
        if seen and row.refresh_count != seen[0]:
            return Outcome(row, RefreshStatus.REFRESHED)  # another request refreshed meanwhile
        seen.append(row.refresh_count)
        if not row.refresh_token:
            return Outcome(row, RefreshStatus.FRESH)
        if row.retry_at and row.retry_at > timezone.now():
            return Outcome(row, RefreshStatus.DEFERRED, Reason.REFRESH_BACKOFF)
        return None

    return _single_flight(pk, settle, wait_while_valid=False)


def _single_flight(pk, settle, *, wait_while_valid, after_rejection=False, now=None):
    """Load the row; `settle(row)` answers at once or returns None to refresh. One request
    claims the lease and refreshes; the others go on with a valid token (unless told to
    wait) or wait for the new one, at most a lease's length."""
    lease_seconds = http.timeout() * 2 + 5
    deadline = time.monotonic() + lease_seconds
    while True:
        row = _load(pk)
        if row is None:
            return Outcome(None, RefreshStatus.ENDED, Reason.TOKEN_SESSION_GONE)
        settled = settle(row)
        if settled is not None:
            return settled
        owner = _claim(row, lease_seconds)
        if owner:
            return _refresh_holding(row, owner, after_rejection=after_rejection, now=now)
        if not wait_while_valid and row.expires_at > timezone.now():
            return Outcome(row, RefreshStatus.IN_FLIGHT)
        if time.monotonic() > deadline:
            return _end(row, Reason.REFRESH_WAIT_TIMEOUT)
        time.sleep(WAIT_STEP)


def _claim(row, lease_seconds):
    """The lease on this row, with one conditional UPDATE: the owner's id, or None."""
    now = timezone.now()
    owner = uuid.uuid4().hex
    claimed = (
        TokenSession.objects.filter(pk=row.pk, refresh_count=row.refresh_count)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=lease_seconds), lease_owner=owner)
    )
    return owner if claimed else None


def _refresh_holding(row, owner, *, after_rejection=False, now=None):
    try:
        return _refresh(row, owner, after_rejection=after_rejection, now=now)
    except BaseException:
        # Whatever went wrong, the lease goes with it: the next request may try again.
        TokenSession.objects.filter(pk=row.pk, lease_owner=owner).update(lease_until=None, lease_owner="")
        tokenstore.forget([row.pk])
        raise


def _refresh(row, owner, *, after_rejection=False, now=None):
    environment = row.tenant.environment
    started = time.monotonic()
    try:
        response = adapters.refresh_tokens(environment, row.refresh_token)
        if response.id_token:
            claims = adapters.validate_id_token(environment, response.id_token, nonce=None)
            id_tokens.check_refreshed_claims(tokens.unverified_claims(row.id_token), claims)
    except TokenRejected as exc:
        if exc.error in TERMINAL_ERRORS:
            return _end(row, exc.reason, exc.error)
        return _failed(row, owner, exc.reason, exc.error)
    except InvalidIdToken as exc:
        return _end(row, exc.reason, exc.detail)
    except UpstreamError as exc:
        return _failed(row, owner, exc.reason)

    stamp = timezone.now() if now is None else now
    now = timezone.now()
    values = {
        "access_token": response.access_token,
        "expires_at": now + timedelta(seconds=response.expires_in),
        "lifetime": response.expires_in,
        "refreshed_at": now,
        "refresh_count": row.refresh_count + 1,
        "lease_until": None,
        "lease_owner": "",
        "failures": 0,
        "retry_at": None,
        # A token got because CXone refused the last one: if CXone refuses it too, soon,
        # refreshing is not what helps (refresh_after_rejection). Any other refresh starts over.
        "rejection_refreshed_at": stamp if after_rejection else None,
    }
    if not after_rejection:
        values.update(rejection_rounds=0, rejected_until=None)
    if response.refresh_token:
        values["refresh_token"] = response.refresh_token
    if response.id_token:
        values["id_token"] = response.id_token
    TokenSession.objects.filter(pk=row.pk, lease_owner=owner).update(**values)
    tokenstore.forget([row.pk])
    metrics.session_event(RefreshStatus.REFRESHED, "")
    for name, value in values.items():
        setattr(row, name, value)
    logger.info(
        "tokens refreshed",
        extra={
            "event": "refresh",
            "outcome": RefreshStatus.REFRESHED,
            "user_id": row.user_id,
            "expires_in": response.expires_in,
            "rotated": bool(response.refresh_token),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        },
    )
    return Outcome(row, RefreshStatus.REFRESHED)


def _failed(row, owner, reason, detail=""):
    """A transient failure: keep the session while its token is valid, retry later."""
    now = timezone.now()
    failures = row.failures + 1
    retry_at = now + timedelta(seconds=backoff(failures))
    TokenSession.objects.filter(pk=row.pk, lease_owner=owner).update(
        lease_until=None, lease_owner="", failures=failures, retry_at=retry_at
    )
    tokenstore.forget([row.pk])
    if row.expires_at <= now:
        return _end(row, Reason.REFRESH_FAILED_EXPIRED, reason)
    row.failures, row.retry_at = failures, retry_at
    events.record(events.Kind.REFRESH_FAILED, reason=reason, detail=detail, user_id=row.user_id, tenant_id=row.tenant_id)
    logger.warning(
        "refresh failed; will retry",
        extra={"event": "refresh", "outcome": RefreshStatus.DEFERRED, "reason": reason, "detail": detail, "user_id": row.user_id},
    )
    return Outcome(row, RefreshStatus.DEFERRED, reason, detail)
