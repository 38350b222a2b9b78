"""When an admin switches off a user, a tenant or an environment, or deletes a tenant, no
refresh token outlives the decision: the token rows go at once, and the sessions end at
their next request (the backend's get_user no longer returns the user)."""
from django.conf import settings
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from tenants.models import Environment, Tenant

from .models import TokenSession


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
