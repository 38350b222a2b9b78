from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Max, Q, Value
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

# accounts owns sessions and sign-in events: accounts/admin.py adds its sign-out action and counts here.

from . import discovery
from .forms import EnvironmentForm, TenantForm
from .models import Environment, NotUnderstood, Tenant


def _status(obj):
    failure = obj.discovery_failure
    if failure is not None:
        kept = " Last good result kept." if obj.discovered_at else ""
        return f"failed: {discovery.failure_words(failure, obj.discovery_detail)}{kept}"
    return "ok" if obj.discovered_at else "not yet run"


def _age(obj):
    return f"{timesince(obj.discovered_at)} ago" if obj.discovered_at else "—"


@admin.action(description="Run discovery now")
def run_discovery(modeladmin, request, queryset):
    for obj in queryset:
        try:
            discovery.refresh(obj, keep_stale=False)
        except discovery.DiscoveryError as exc:
            modeladmin.message_user(request, f"{obj}: {discovery.failure_words(exc.reason, exc.detail)}", messages.ERROR)
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
    readonly_fields = ["discovered", "discovered_at", "discovery_status"]
    actions = [run_discovery]  # accounts/admin.py adds signing the environment's users out
    change_form_template = "admin/tenants/environment/change_form.html"

    @admin.display(description="discovered (the issuer's OpenID configuration)")
    def discovered(self, obj):
        config = obj.openid_configuration or {}
        rows = [(name.replace("_", " "), config.get(name)) for name in (
            "authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint", "userinfo_endpoint")]
        rows.append(("signing algorithms", ", ".join(map(str, config.get("id_token_signing_alg_values_supported") or [])) or None))
        return format_html_join(mark_safe("<br>"), "{}: {}", ((label, value or "—") for label, value in rows))

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


@admin.register(NotUnderstood)
class NotUnderstoodAdmin(admin.ModelAdmin):
    """What the portal did not understand from CXone (workspaces/shapes.py), read-only: for the
    operator comparing a tenant's answers with what the portal reads (docs/deploy.md, "First
    day on a real tenant")."""

    list_display = ["tenant", "endpoint", "field", "keys", "first_seen", "last_seen", "hours"]
    list_filter = ["tenant", "endpoint"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(DiscoveryColumns, admin.ModelAdmin):
    form = TenantForm
    list_display = ["name", "slug", "environment", "is_active", "last_sign_in", "failures_24h", "discovery_status",
                    "discovery_age", "api_base_url"]
    list_filter = ["is_active", "environment"]
    search_fields = ["name", "slug", "tenant_id"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["sign_in_status", "recent_sign_ins", "discovered", "discovered_at", "discovery_status", "not_understood"]
    actions = [run_discovery]  # accounts/admin.py adds signing the tenant's users out

    def get_queryset(self, request):
        # Sign-in events (accounts.SignInEvent) point here as `sign_in_events`.
        day_ago = timezone.now() - timedelta(hours=24)
        return super().get_queryset(request).annotate(
            _last_sign_in=Max("sign_in_events__at", filter=Q(sign_in_events__kind="sign_in")),
            # accounts counts its own events (anonymous failures are one row per minute with a count).
            _failures=self.failures_since(day_ago),
        )

    def failures_since(self, since):
        """Sign-in failures per tenant since `since`: accounts counts its own events and fills this
        hook in (accounts/admin.py), so the registry imports nothing from accounts."""
        return Value(0)

    @admin.display(description="last sign-in", ordering="_last_sign_in")
    def last_sign_in(self, obj):
        return f"{timesince(obj._last_sign_in)} ago" if obj._last_sign_in else "never"

    @admin.display(description="failures (24 h)", ordering="_failures")
    def failures_24h(self, obj):
        return obj._failures

    @admin.display(description="sign-in status")
    def sign_in_status(self, obj):
        if not obj.pk:
            return "—"
        return format_html("Last sign-in: {} · failures in the last 24 hours: {} · discovery: {} ({})",
                           self.last_sign_in(obj), obj._failures, _status(obj), _age(obj))

    @admin.display(description="recent sign-ins and failures")
    def recent_sign_ins(self, obj):
        events = list(obj.sign_in_events.all()[:10]) if obj.pk else []
        if not events:
            return "none yet"
        return format_html_join(mark_safe("<br>"), "{} · {} · {} {}",
                                ((f"{e.at:%Y-%m-%d %H:%M:%S} UTC", e.get_kind_display(), e.who or "—", e.reason) for e in events))

    @admin.display(description="What the portal did not understand from CXone")
    def not_understood(self, obj):
        records = list(obj.not_understood.all()[:20]) if obj.pk else []
        if not records:
            return "nothing so far"
        return format_html_join(mark_safe("<br>"), "{} · no {} · seen in {} hour(s), first {} UTC, last {} UTC · keys present: {}", (
            (r.endpoint, r.field, r.hours, f"{r.first_seen:%Y-%m-%d %H:%M}", f"{r.last_seen:%Y-%m-%d %H:%M}", r.keys or "—")
            for r in records))

    @admin.display(description="discovered (CXone's answer)")
    def discovered(self, obj):
        config = obj.cxone_configuration or {}
        rows = [(label, config.get(key)) for key, label in (
            ("api_endpoint", "API base URL"), ("ui_endpoint", "CXone web app"), ("area", "area"),
            ("cluster", "cluster"), ("domain", "domain"), ("tenantId", "tenantId"))]
        return format_html_join(mark_safe("<br>"), "{}: {}", ((label, value if value not in (None, "") else "—") for label, value in rows))

    @admin.display(description="API base URL")
    def api_base_url(self, obj):
        return obj.api_base_url or "—"
