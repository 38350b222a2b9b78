"""A tolerant reader is still a loud one: what a CXone answer lacked, recorded where an operator
looks (the log, and the tenant's admin page: "What the portal did not understand from CXone").

`rows.missing_fields` says what an answer lacked (plain, for tests and `cxone_check`); `check`
records it at most once per tenant, endpoint and hour: the endpoint, the field, the keys the
answer had instead. Names only: never a value, which could be a customer's.
"""
import logging
from datetime import datetime, timezone as dt_timezone

from django.db import DatabaseError, transaction
from django.db.models import F

from core.reasons import Reason

from .rows import missing_fields, present_keys

logger = logging.getLogger(__name__)


def check(ws, endpoint, rows, extra=()):
    """Record what `endpoint`'s `rows` lacked (plus `extra` [(field, keys)] found by the caller)."""
    problems = missing_fields(endpoint, rows) + list(extra)
    if problems:
        report(ws.tenant, endpoint, problems, cache=ws.cache, clock=ws.clock)
    return problems


def lacking(field, rows):
    """One problem for `extra`: `field` is missing, with the keys the rows had."""
    return [(field, present_keys(rows))]


def report(tenant, endpoint, problems, *, cache, clock):
    """Log and record `problems` unless this tenant's `endpoint` was reported this hour."""
    now = clock()
    hour = int(now // 3600)
    if not cache.add(f"cxone:shape:{tenant.pk}:{endpoint}:{hour}", 1, 3600 + 60):
        return False
    when = datetime.fromtimestamp(now, tz=dt_timezone.utc)
    for field, keys in problems:
        listed = ",".join(keys)[:800]
        logger.warning("CXone answer not understood", extra={
            "event": "cxone_shape", "reason": Reason.API_UNEXPECTED_SHAPE, "tenant": tenant.slug,
            "endpoint": endpoint, "field": field, "keys": listed})
        _store(tenant, endpoint, field, listed, when)
    return True


def _store(tenant, endpoint, field, keys, when):
    from tenants.models import NotUnderstood

    try:
        with transaction.atomic():
            updated = NotUnderstood.objects.filter(tenant=tenant, endpoint=endpoint, field=field).update(
                last_seen=when, keys=keys, hours=F("hours") + 1)
            if not updated:
                NotUnderstood.objects.create(tenant=tenant, endpoint=endpoint, field=field, keys=keys, first_seen=when, last_seen=when)
    except DatabaseError as exc:  # the log line above still says it; the board goes on
        logger.warning("not-understood record not saved", extra={"event": "cxone_shape", "error": type(exc).__name__})
