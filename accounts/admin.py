"""CXone identities in the admin: who signed in, from which tenant, with which roles, and
whether they have a session now; and signing someone out everywhere (the registry's admins,
`tenants/admin.py`, list the same action for a tenant's or an environment's users)."""
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Max
from django.utils import timezone

from tenants.admin import EnvironmentAdmin, TenantAdmin

from . import events
from .models import CXoneIdentity, SignInEvent
from .signout import sign_out_everywhere

User = get_user_model()


def sign_out_action(users_of):
    """An admin action that signs the selection's users out everywhere and says how many."""
    @admin.action(description="Sign out everywhere (end every session of the selection)")
    def action(modeladmin, request, queryset):
        sessions, users = sign_out_everywhere(users_of(queryset))
        modeladmin.message_user(request, f"Ended {sessions} session(s) of {users} user(s).", messages.SUCCESS)
    action.__name__ = "sign_out_everywhere"
    return action


sign_out_identities = sign_out_action(lambda identities: User.objects.filter(cxone_identity__in=identities))
sign_out_users = sign_out_action(lambda users: users)
sign_out_tenants = sign_out_action(lambda tenants: User.objects.filter(cxone_identity__tenant__in=tenants))
sign_out_environments = sign_out_action(
    lambda environments: User.objects.filter(cxone_identity__tenant__environment__in=environments))

# The registry's admins list this app's action and counts (accounts knows tenants; the registry
# imports nothing from accounts).
EnvironmentAdmin.actions = [*EnvironmentAdmin.actions, sign_out_environments]
TenantAdmin.actions = [*TenantAdmin.actions, sign_out_tenants]
TenantAdmin.failures_since = lambda self, since: events.failures_annotation(since)


class ActivityFilter(admin.SimpleListFilter):
    title = "activity"
    parameter_name = "activity"

    def lookups(self, request, model_admin):
        return [("session", "Has a session now"), ("24h", "Signed in in the last 24 hours"),
                ("7d", "Signed in in the last 7 days"), ("idle", "Not in the last 30 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "session":
            return queryset.filter(user__token_sessions__isnull=False).distinct()
        if self.value() == "24h":
            return queryset.filter(user__last_login__gte=now - timedelta(hours=24))
        if self.value() == "7d":
            return queryset.filter(user__last_login__gte=now - timedelta(days=7))
        if self.value() == "idle":
            return queryset.exclude(user__last_login__gte=now - timedelta(days=30))
        return queryset


@admin.register(CXoneIdentity)
class CXoneIdentityAdmin(admin.ModelAdmin):
    list_display = ["full_name", "login_name", "tenant", "environment", "cxone_role", "portal_role",
                    "first_sign_in_at", "last_sign_in", "active_sessions"]
    list_filter = ["tenant", "portal_role", ActivityFilter]
    search_fields = ["given_name", "family_name", "login_name", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant__environment", "user"]
    readonly_fields = ["user", "issuer", "sub", "tenant", "cxone_user_id", "agent_id", "business_unit_id", "login_name",
                       "given_name", "family_name", "cxone_role", "portal_role", "first_sign_in_at"]
    actions = [sign_out_identities]

    def has_add_permission(self, request):
        return False  # identities come from CXone sign-ins only

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _sessions=Count("user__token_sessions", distinct=True), _last=Max("user__last_login"))

    @admin.display(description="name", ordering="family_name")
    def full_name(self, obj):
        return f"{obj.given_name} {obj.family_name}".strip() or obj.login_name

    @admin.display(description="environment", ordering="tenant__environment__name")
    def environment(self, obj):
        return obj.tenant.environment

    @admin.display(description="last sign-in", ordering="_last")
    def last_sign_in(self, obj):
        return obj._last

    @admin.display(description="active sessions", ordering="_sessions")
    def active_sessions(self, obj):
        return obj._sessions


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    """Django's user admin; a `cxone-…` user shows whom it stands for."""

    list_display = ["username", "cxone_name", "cxone_tenant", "is_staff", "is_active", "last_login"]
    list_select_related = ["cxone_identity__tenant"]
    search_fields = [*UserAdmin.search_fields, "cxone_identity__login_name", "cxone_identity__tenant__name"]
    actions = [sign_out_users]

    @admin.display(description="CXone user")
    def cxone_name(self, obj):
        identity = getattr(obj, "cxone_identity", None)
        return f"{identity.given_name} {identity.family_name} ({identity.login_name})" if identity else "—"

    @admin.display(description="tenant")
    def cxone_tenant(self, obj):
        identity = getattr(obj, "cxone_identity", None)
        return identity.tenant.name if identity else "—"


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """Every sign-in, failure, sign-out, failed refresh and ended session; read-only."""

    list_display = ["at", "kind", "who", "tenant", "reason", "count", "detail", "request_id"]
    list_filter = ["kind", "tenant", "reason"]
    search_fields = ["who", "request_id", "reason"]
    date_hierarchy = "at"
    list_select_related = ["tenant"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
