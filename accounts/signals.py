"""When an admin switches off a user, a tenant or an environment, or deletes a tenant, no
refresh token outlives the decision: the token rows go at once, and the sessions end at
their next request (the backend's get_user no longer returns the user). Deleting a CXone
identity deletes its portal user, their sessions and tokens. Every sign-in stamps its session
with its start (the absolute limit, accounts/middleware.py); a password sign-in is indexed
for "sign out everywhere"; a tenant's supervisor roles re-derive its users' portal roles. Every
save or delete of a user, identity, tenant, environment or token row forgets the copy a
signed-in request reads from the shared cache (accounts/signed_in.py, accounts/tokenstore.py)."""
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from core import ratelimit
from core.web import loggable

from tenants.models import Environment, Tenant

from . import roles, signed_in, tokenstore
from .models import CXoneIdentity, PasswordSession, TokenSession

SIGNED_IN_AT = "cxone_signed_in_at"
CXONE_BACKEND = "accounts.backends.CXoneOIDCBackend"
# The session row and cookie outlive the absolute limit by this much, so that the request
# that comes after it still finds the session and can say why it ended (session_expired).
EXPIRY_GRACE = 3600


def stamp_sign_in(session, now=None):
    """The session's sign-in time, and an expiry that no later save can push (an absolute
    date, not an age: Django's database sessions otherwise move it on every save)."""
    now = timezone.now() if now is None else now
    session[SIGNED_IN_AT] = now.timestamp()
    session.set_expiry(now + timedelta(seconds=settings.SESSION_COOKIE_AGE + EXPIRY_GRACE))

logger = logging.getLogger("accounts.admin")


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="cxone-user-deactivated")
def user_deactivated(sender, instance, **kwargs):
    if not instance.is_active:
        TokenSession.objects.filter(user=instance).delete()


@receiver(post_save, sender=Tenant, dispatch_uid="cxone-tenant-deactivated")
def tenant_deactivated(sender, instance, **kwargs):
    if not instance.is_active:
        TokenSession.objects.filter(tenant=instance).delete()


@receiver(post_save, sender=Environment, dispatch_uid="cxone-environment-deactivated")
def environment_deactivated(sender, instance, **kwargs):
    if not instance.is_active:
        TokenSession.objects.filter(tenant__environment=instance).delete()


@receiver(pre_delete, sender=Tenant, dispatch_uid="cxone-tenant-deleted")
def tenant_deleted(sender, instance, **kwargs):
    """Removing a tenant removes the portal users of its identities (and so their identities
    and tokens); retiring it (unticking Active) keeps them."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(cxone_identity__tenant=instance).delete()


@receiver(user_login_failed, dispatch_uid="cxone-admin-login-failed")
def admin_login_failed(sender, credentials, request=None, **kwargs):
    """Every failed password login (the admin's) is one log line: who and from where, never
    the password (Django passes the credentials with it already masked, and only the
    username is read here). CXone sign-ins fail with reasons of their own, not through here."""
    username = credentials.get("username")
    if username is None or request is None:
        return
    logger.warning(
        "admin sign-in failed",
        extra={"event": "admin_sign_in", "outcome": "failed", "username": loggable(username, 150),
               "client": ratelimit.client_address(request)},
    )


@receiver(user_logged_in, dispatch_uid="cxone-session-stamp")
def session_started(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    stamp_sign_in(request.session)
    if request.session.get(BACKEND_SESSION_KEY) != CXONE_BACKEND and request.session.session_key:
        # A CXone session is found through its token row; any other through this index.
        PasswordSession.objects.update_or_create(session_key=request.session.session_key, defaults={"user": user})


@receiver(user_logged_out, dispatch_uid="cxone-session-unindexed")
def password_session_ended(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key and request.session.get(BACKEND_SESSION_KEY) != CXONE_BACKEND:
        PasswordSession.objects.filter(session_key=key).delete()


@receiver(post_delete, sender=CXoneIdentity, dispatch_uid="cxone-identity-deleted")
def identity_deleted(sender, instance, origin=None, **kwargs):
    """An identity deleted on its own (the admin) takes its portal user along: the user's
    sessions and tokens end now, and the person's next sign-in creates both afresh (a user
    left behind would hold the username the next sign-in needs). When the user, tenant or
    environment is what is being deleted, that deletion already does it."""
    started_here = isinstance(origin, CXoneIdentity) or (isinstance(origin, QuerySet) and origin.model is CXoneIdentity)
    if not started_here:
        return
    from django.contrib.auth import get_user_model

    from .signout import end_sessions

    end_sessions([instance.user_id])
    get_user_model().objects.filter(pk=instance.user_id).delete()


# --- what a signed-in request reads from the shared cache follows every write (signed_in.py) ---

@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="cxone-cached-user-saved")
@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="cxone-cached-user-deleted")
def user_changed(sender, instance, **kwargs):
    signed_in.forget_users([instance.pk])


@receiver(post_save, sender=CXoneIdentity, dispatch_uid="cxone-cached-identity-saved")
@receiver(post_delete, sender=CXoneIdentity, dispatch_uid="cxone-cached-identity-deleted")
def identity_changed(sender, instance, **kwargs):
    signed_in.forget_users([instance.user_id])


@receiver(post_save, sender=Tenant, dispatch_uid="cxone-cached-tenant-saved")
@receiver(post_delete, sender=Tenant, dispatch_uid="cxone-cached-tenant-deleted")
def tenant_changed(sender, instance, **kwargs):
    signed_in.forget_tenants([instance.pk])


@receiver(post_save, sender=TokenSession, dispatch_uid="cxone-cached-tokens-saved")
@receiver(post_delete, sender=TokenSession, dispatch_uid="cxone-cached-tokens-deleted")
def tokens_changed(sender, instance, **kwargs):
    tokenstore.forget([instance.pk])


@receiver(post_save, sender=Environment, dispatch_uid="cxone-cached-environment-saved")
def environment_changed(sender, instance, **kwargs):
    signed_in.forget_environment(instance.pk)  # deleting one is refused while it has tenants


@receiver(post_save, sender=Tenant, dispatch_uid="cxone-tenant-roles")
def tenant_roles_saved(sender, instance, **kwargs):
    """Whatever changed on the tenant, its users' portal roles follow its supervisor roles at
    their next request (the users whose role differs: found, updated, their cached copies forgotten)."""
    roles.apply_tenant_mapping(instance)
