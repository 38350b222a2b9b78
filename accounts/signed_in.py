"""What every signed-in request needs of its user: the user, their CXone identity, its tenant
and environment, from the shared cache (`core/cached_rows.py`) when CACHE_SESSIONS is on.

Two copies per request: the user with their identity (one per user), and the tenant with its
environment (one per tenant, shared by its users). Each is forgotten by whatever writes its
rows: a save or delete of any of the four models (accounts/signals.py), a role re-derived or
re-checked (accounts/roles.py), a discovery stored (tenants/discovery.py). An encrypted column
(the environment's client secret) is never copied: it is read from the database if asked for.
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from core import cached_rows
from core.fields import EncryptedTextField
from tenants.models import Environment, Tenant

from .models import CXoneIdentity

USER, TENANT = "user", "tenant"


def user(user_id):
    """The user with identity, tenant and environment attached (no further query), or None."""
    if not cached_rows.enabled():
        return (
            get_user_model()._default_manager.select_related("cxone_identity__tenant__environment")
            .filter(pk=user_id)
            .first()
        )
    try:
        user_id = get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    found = cached_rows.read(USER, user_id, lambda: _load_user(user_id))
    if found is None:
        return None
    user_values, identity_values = found
    person = cached_rows.instance_of(get_user_model(), user_values)
    if identity_values is None:
        CXoneIdentity.user.field.remote_field.set_cached_value(person, None)  # no identity: no query to learn it
        return person
    identity = cached_rows.instance_of(CXoneIdentity, identity_values)
    tenant = tenant_of(identity.tenant_id)
    if tenant is None:  # deleted under us: as if the user were gone
        return None
    identity.tenant = tenant
    person.cxone_identity = identity
    return person


def tenant_of(tenant_id):
    """The tenant with its environment attached (the client secret left in the database), or None."""
    found = cached_rows.read(TENANT, tenant_id, lambda: _load_tenant(tenant_id))
    if found is None:
        return None
    tenant_values, environment_values = found
    tenant = cached_rows.instance_of(Tenant, tenant_values)
    tenant.environment = cached_rows.instance_of(Environment, environment_values)
    return tenant


def forget_users(user_ids):
    cached_rows.forget(USER, list(user_ids))


def forget_tenants(tenant_ids):
    cached_rows.forget(TENANT, list(tenant_ids))


def forget_environment(environment_id):
    forget_tenants(Tenant.objects.filter(environment_id=environment_id).values_list("pk", flat=True))


def _load_user(user_id):
    found = get_user_model()._default_manager.select_related("cxone_identity").filter(pk=user_id).first()
    if found is None:
        return None, 0
    identity = getattr(found, "cxone_identity", None)
    # A user without a CXone identity (a password user) is not kept: the admin reads it itself.
    return (cached_rows.values_of(found), cached_rows.values_of(identity) if identity else None), cached_rows.SECONDS if identity else 0


def _load_tenant(tenant_id):
    secrets = [f"environment__{field.name}" for field in Environment._meta.concrete_fields if isinstance(field, EncryptedTextField)]
    found = Tenant.objects.select_related("environment").defer(*secrets).filter(pk=tenant_id).first()
    if found is None:
        return None, 0
    return (cached_rows.values_of(found), cached_rows.values_of(found.environment)), cached_rows.SECONDS
