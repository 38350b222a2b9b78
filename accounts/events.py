"""Recording what happened to sign-ins and sessions, for the admin's eyes (SignInEvent)."""
import logging

from django.db import DatabaseError

from core.observability import current_request_id
from core.web import loggable

from .models import CXoneIdentity, SignInEvent

logger = logging.getLogger(__name__)
Kind = SignInEvent.Kind


def record(kind, *, reason="", detail="", user=None, user_id=None, tenant=None, tenant_id=None, who=""):
    """One event row. A failure to write it is logged, never raised: it must not turn a
    sign-in or a sign-out into an error."""
    try:
        if user is not None and not who:
            identity = getattr(user, "cxone_identity", None)
            who = identity.login_name if identity else user.get_username()
        elif user_id is not None and not who:
            who = CXoneIdentity.objects.filter(user_id=user_id).values_list("login_name", flat=True).first() or ""
        SignInEvent.objects.create(
            kind=kind, reason=str(reason or "")[:40], detail=loggable(detail or "", 78), who=str(who)[:255],
            user_id=user.pk if user is not None else user_id,
            tenant_id=tenant.pk if tenant is not None else tenant_id,
            request_id=current_request_id()[:64],
        )
    except DatabaseError:
        logger.exception("sign-in event not recorded", extra={"event": "sign_in_event", "kind": kind})
