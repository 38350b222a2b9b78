"""A user's portal role (Agent or Supervisor), kept true after sign-in.

Two things can change it while sessions are open:

- **The tenant's supervisor roles** (the admin edits them): `apply_tenant_mapping` re-derives
  every identity's portal role from the CXone role stored at sign-in, in the database, when
  the tenant is saved (accounts/signals.py), and forgets the changed users' cached copies
  (accounts/signed_in.py), so the next request of every open session sees the new role; no
  session ends.
- **The user's CXone role** (changed in CXone, seen as a 403 on a supervisor read): the
  workspace calls `reconsider(identity)`. At the user's next request, the middleware calls
  `recheck(request, identity)`, which refreshes the tokens once and reads `role.legacyId` from
  CXone's new tokens. At most once per ROLE_RECHECK_INTERVAL per user, so a role that stays
  what it was (CXone refused one permission, not the role) costs one refresh, not a storm.
"""
import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from core.reasons import Reason

from . import signed_in
from .models import CXoneIdentity, PortalRole

logger = logging.getLogger(__name__)

ROLE_RECHECK_INTERVAL = 300  # seconds


def apply_tenant_mapping(tenant):
    """Re-derive the portal role of the tenant's identities from their stored CXone role;
    returns how many changed."""
    names = sorted(tenant.supervisor_role_names)
    identities = CXoneIdentity.objects.filter(tenant_id=tenant.pk)
    supervising = Q(cxone_role__in=names) & ~Q(cxone_role="")
    to_promote = identities.filter(supervising).exclude(portal_role=PortalRole.SUPERVISOR)
    to_demote = identities.exclude(supervising).exclude(portal_role=PortalRole.AGENT)
    changing = [*to_promote.values_list("user_id", flat=True), *to_demote.values_list("user_id", flat=True)]
    if not changing:
        return 0
    promoted = to_promote.update(portal_role=PortalRole.SUPERVISOR)
    demoted = to_demote.update(portal_role=PortalRole.AGENT)
    signed_in.forget_users(changing)
    if promoted or demoted:
        logger.info(
            "portal roles re-derived",
            extra={"event": "role", "reason": Reason.ROLE_CHANGED, "tenant": tenant.slug, "promoted": promoted, "demoted": demoted},
        )
    return promoted + demoted


def reconsider(identity, now=None):
    """CXone refused this user a supervisor read (403): read their role from CXone again at
    their next request. Returns True when a re-check was scheduled (False: one ran within
    ROLE_RECHECK_INTERVAL, or one is already pending). One conditional UPDATE, no call."""
    now = timezone.now() if now is None else now
    recent = Q(role_checked_at__gt=now - timedelta(seconds=ROLE_RECHECK_INTERVAL))
    scheduled = (
        CXoneIdentity.objects.filter(pk=identity.pk, role_recheck=False).exclude(recent).update(role_recheck=True)
    )
    if scheduled:
        identity.role_recheck = True
        signed_in.forget_users([identity.user_id])
    return bool(scheduled)


def recheck(request, identity, now=None):
    """The middleware's half: claim the pending re-check (one conditional UPDATE, so one
    request of the user does it), refresh the tokens now, and take the role from CXone's new
    tokens. Returns the refresh outcome, or None when another request claimed it."""
    from . import refresh, tokenstore
    from .backends import cxone_role
    from .oidc import tokens
    from .oidc.claims import clean_role

    now = timezone.now() if now is None else now
    claimed = CXoneIdentity.objects.filter(pk=identity.pk, role_recheck=True).update(role_recheck=False, role_checked_at=now)
    identity.role_recheck = False
    if not claimed:
        return None
    signed_in.forget_users([identity.user_id])
    pk = tokenstore.row_id(request.session)
    outcome = refresh.refresh_now(pk)
    if outcome.ended or outcome.row is None:
        return outcome
    if outcome.status != refresh.RefreshStatus.REFRESHED:
        # CXone could not be asked now (back-off, or another refresh in flight): try again later.
        CXoneIdentity.objects.filter(pk=identity.pk).update(role_recheck=True, role_checked_at=None)
        signed_in.forget_users([identity.user_id])
        return outcome
    row = outcome.row
    # The new access token first: a refresh may keep the id_token of the sign-in.
    role = clean_role(cxone_role({}, row.access_token) or cxone_role(tokens.unverified_claims(row.id_token), ""))
    portal_role = PortalRole.for_cxone_role(identity.tenant, role)
    if (role, portal_role) != (identity.cxone_role, identity.portal_role):
        CXoneIdentity.objects.filter(pk=identity.pk).update(cxone_role=role, portal_role=portal_role)
        signed_in.forget_users([identity.user_id])
        logger.info(
            "portal role re-read from CXone",
            extra={"event": "role", "reason": Reason.ROLE_CHANGED, "user_id": identity.user_id,
                   "before": identity.portal_role, "after": portal_role},
        )
        identity.cxone_role, identity.portal_role = role, portal_role
    return outcome
