from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import BoardThresholds, SupervisorAction, TeamThresholds

UNITS = [(1, _("seconds")), (60, _("minutes"))]


class DurationWidget(forms.MultiWidget):
    """A number and its unit; a stored value shows in minutes when it is whole minutes."""

    def __init__(self, attrs=None):
        super().__init__([forms.NumberInput(attrs={"min": 1, "step": 1, "style": "width: 7em"}), forms.Select(choices=UNITS)], attrs)

    def decompress(self, value):
        if not value:
            return [None, 60]
        return [value // 60, 60] if value % 60 == 0 else [value, 1]


class SecondsOrMinutes(forms.MultiValueField):
    """A threshold typed in seconds or minutes, kept in seconds; never 0 or less."""

    widget = DurationWidget

    def __init__(self, *, required=True, **kwargs):
        for ignored in ("max_value", "min_value"):
            kwargs.pop(ignored, None)
        at_least_one = {"min_value": _("A threshold is at least 1: 0 would flag every agent.")}
        fields = (forms.IntegerField(required=False, min_value=1, error_messages=at_least_one),
                  forms.TypedChoiceField(choices=UNITS, coerce=int))
        super().__init__(fields, require_all_fields=False, required=required, **kwargs)

    def compress(self, values):
        if not values or values[0] in (None, ""):
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        return values[0] * (values[1] or 60)


def duration_fields(db_field, **kwargs):
    if db_field.name.endswith("_seconds"):
        return SecondsOrMinutes(required=not db_field.null, label=db_field.verbose_name, help_text=_("In seconds or minutes; at least 1."))
    return None


class TeamThresholdsInline(admin.TabularInline):
    model = TeamThresholds
    extra = 0
    fields = ["team_id", "team_name", "unavailable_seconds", "contact_seconds", "acw_seconds"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return duration_fields(db_field, **kwargs) or super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(BoardThresholds)
class BoardThresholdsAdmin(admin.ModelAdmin):
    """The tenant's thresholds, and any team's own (an empty field keeps the tenant's)."""

    list_display = ["tenant", "unavailable_seconds", "contact_seconds", "acw_seconds", "longest_wait_seconds"]
    search_fields = ["tenant__name", "tenant__slug"]
    inlines = [TeamThresholdsInline]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return duration_fields(db_field, **kwargs) or super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(SupervisorAction)
class SupervisorActionAdmin(admin.ModelAdmin):
    """Read-only: the record of what supervisors did to their teams through CXone."""

    list_display = ["created_at", "supervisor_name", "tenant", "kind", "target_type", "target_id", "detail", "outcome", "cxone_status", "request_id"]
    list_filter = ["kind", "outcome", "tenant", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["supervisor_name", "target_id", "request_id", "detail", "subject", "body", "cxone_message_ids"]
    fields = ["created_at", "supervisor_name", "user", "tenant", "kind", "target_type", "target_id", "detail", "subject", "body",
              "expire_minutes", "cxone_message_ids", "retracted_at", "cxone_status", "outcome", "request_id"]
    readonly_fields = fields
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

