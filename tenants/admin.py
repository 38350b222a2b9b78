from django.contrib import admin, messages
from django.utils.timesince import timesince

from . import discovery
from .forms import EnvironmentForm, TenantForm
from .models import Environment, Tenant


def _status(obj):
    if obj.discovery_error:
        kept = " (last good result kept)" if obj.discovered_at else ""
        return f"failed: {obj.discovery_error}{kept}"
    return "ok" if obj.discovered_at else "not yet run"


def _age(obj):
    return f"{timesince(obj.discovered_at)} ago" if obj.discovered_at else "—"


@admin.action(description="Run discovery now")
def run_discovery(modeladmin, request, queryset):
    for obj in queryset:
        try:
            discovery.refresh(obj, keep_stale=False)
        except discovery.DiscoveryError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{obj}: discovery ok.", messages.SUCCESS)


class DiscoveryColumns:
    @admin.display(description="discovery")
    def discovery_status(self, obj):
        return _status(obj)

    @admin.display(description="discovered", ordering="discovered_at")
    def discovery_age(self, obj):
        return _age(obj)


@admin.register(Environment)
class EnvironmentAdmin(DiscoveryColumns, admin.ModelAdmin):
    form = EnvironmentForm
    list_display = ["__str__", "issuer", "client_id", "token_auth_method", "is_active", "discovery_status", "discovery_age"]
    readonly_fields = ["openid_configuration", "discovered_at", "discovery_error"]
    actions = [run_discovery]
    change_form_template = "admin/tenants/environment/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Shows the redirect URIs to paste into NICE's registration, on the admin's own origin."""
        environment = self.get_object(request, object_id)
        if environment is not None:
            extra_context = {
                **(extra_context or {}),
                "redirect_uri": request.build_absolute_uri(environment.redirect_path),
                "post_logout_redirect_uri": request.build_absolute_uri(environment.post_logout_redirect_path),
            }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Tenant)
class TenantAdmin(DiscoveryColumns, admin.ModelAdmin):
    form = TenantForm
    list_display = ["name", "slug", "tenant_id", "environment", "is_active", "discovery_status", "discovery_age", "api_base_url"]
    list_filter = ["is_active", "environment"]
    search_fields = ["name", "slug", "tenant_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["cxone_configuration", "discovered_at", "discovery_error", "api_base_url"]
    actions = [run_discovery]

    @admin.display(description="API base URL")
    def api_base_url(self, obj):
        return obj.api_base_url or "—"
