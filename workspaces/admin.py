from django.contrib import admin

from .models import BoardThresholds, SupervisorAction


@admin.register(BoardThresholds)
class BoardThresholdsAdmin(admin.ModelAdmin):
    list_display = ["tenant", "unavailable_minutes", "contact_minutes", "acw_minutes", "longest_wait_seconds"]
    search_fields = ["tenant__name", "tenant__slug"]


@admin.register(SupervisorAction)
class SupervisorActionAdmin(admin.ModelAdmin):
    """Read-only: the record of what supervisors did to their teams through CXone."""

    list_display = ["created_at", "supervisor_name", "tenant", "kind", "target_type", "target_id", "detail", "outcome", "cxone_status", "request_id"]
    list_filter = ["kind", "outcome", "tenant", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["supervisor_name", "target_id", "request_id", "detail", "subject", "body", "cxone_message_ids"]
    fields = ["created_at", "supervisor_name", "user", "tenant", "kind", "target_type", "target_id", "detail", "subject", "body",
              "cxone_message_ids", "cxone_status", "outcome", "request_id"]
    readonly_fields = fields
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

