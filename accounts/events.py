"""Recording what happened to sign-ins and sessions, for the admin's eyes (SignInEvent).

Anyone can fail a sign-in: start one and come back with `error=access_denied`, as often as
the sign-in rate limit allows. So an anonymous failure is not a row of its own: failures of
one tenant, reason and minute share one row and its `count` (one UPDATE, or one INSERT for
the minute's first). The table then grows by at most (tenants + 1) x reasons rows a minute
whatever a visitor does, and the tenant's "failures (24 h)" sums the counts, so it stays
honest. Everything that names a user (sign-in, sign-out, ended session, failed refresh) is a
row of its own.
"""
import logging
from datetime import timedelta

from django.db import DatabaseError
from django.db.models import F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import metrics
from core.observability import current_request_id
from core.web import loggable

from .models import CXoneIdentity, SignInEvent

logger = logging.getLogger(__name__)
Kind = SignInEvent.Kind


def record(kind, *, reason="", detail="", user=None, user_id=None, tenant=None, tenant_id=None, who="", now=None):
    """One event (or one more of an anonymous failure's minute). A failure to write it is
    logged, never raised: it must not turn a sign-in or a sign-out into an error."""
    metrics.session_event(kind, reason)
    try:
        tenant_id = tenant.pk if tenant is not None else tenant_id
        reason = str(reason or "")[:40]
        if kind == Kind.SIGN_IN_FAILED and user is None and user_id is None:
            _count_failure(reason, detail, tenant_id, timezone.now() if now is None else now)
            return
        if user is not None and not who:
            identity = getattr(user, "cxone_identity", None)
            who = identity.login_name if identity else user.get_username()
        elif user_id is not None and not who:
            who = CXoneIdentity.objects.filter(user_id=user_id).values_list("login_name", flat=True).first() or ""
        SignInEvent.objects.create(
            kind=kind, reason=reason, detail=loggable(detail or "", 78), who=str(who)[:255],
            user_id=user.pk if user is not None else user_id,
            tenant_id=tenant_id,
            request_id=current_request_id()[:64],
            **({"at": now} if now is not None else {}),
        )
    except DatabaseError:
        logger.exception("sign-in event not recorded", extra={"event": "sign_in_event", "kind": kind})


def _count_failure(reason, detail, tenant_id, now):
    """An anonymous failure: one more on its (tenant, reason, minute) row. Two first failures
    of a minute racing may make two rows; the counts still add up."""
    minute = now.replace(second=0, microsecond=0)
    bucket = SignInEvent.objects.filter(kind=Kind.SIGN_IN_FAILED, user__isnull=True, tenant_id=tenant_id, reason=reason,
                                        at__gte=minute, at__lt=minute + timedelta(minutes=1))
    if not bucket.update(count=F("count") + 1):
        # The minute's first: its time, detail and request id stand for the minute's row.
        SignInEvent.objects.create(
            kind=Kind.SIGN_IN_FAILED, reason=reason, detail=loggable(detail or "", 78), tenant_id=tenant_id,
            at=now, count=1, request_id=current_request_id()[:64],
        )


def _failures_since(since):
    return SignInEvent.objects.filter(kind=Kind.SIGN_IN_FAILED, at__gte=since)


def failure_counts(since, tenant_ids=None):
    """{tenant id: failed sign-ins since `since`} (the counts of aggregated rows summed)."""
    rows = _failures_since(since).exclude(tenant_id=None)
    if tenant_ids is not None:
        rows = rows.filter(tenant_id__in=list(tenant_ids))
    return dict(rows.values("tenant_id").annotate(n=Sum("count")).values_list("tenant_id", "n"))


def failures_annotation(since, tenant_ref="pk"):
    """The same count as an expression for a Tenant queryset (`.annotate(_failures=…)`), so
    an admin list can sort by it: a correlated subquery, no join through the events."""
    per_tenant = (
        _failures_since(since).filter(tenant_id=OuterRef(tenant_ref))
        .order_by().values("tenant_id").annotate(n=Sum("count")).values("n")
    )
    return Coalesce(Subquery(per_tenant, output_field=IntegerField()), Value(0))
