"""When an admin switches off a user, a tenant or an environment, or deletes a tenant, no
refresh token outlives the decision: the token rows go at once, and the sessions end at
their next request (the backend's get_user no longer returns the user)."""
import logging

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from core import ratelimit
from core.web import loggable

from tenants.models import Environment, Tenant

from .models import TokenSession

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
