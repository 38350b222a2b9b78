"""What the workspaces keep: each tenant's board thresholds, and a record of every action a
supervisor took on their team through CXone (done or refused)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant


class BoardThresholds(models.Model):
    """When an agent or a queue needs a supervisor's eye, per tenant (defaults when absent)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="board_thresholds", verbose_name=_("tenant"))
    unavailable_minutes = models.PositiveIntegerField(_("unavailable over (minutes)"), default=15)
    contact_minutes = models.PositiveIntegerField(_("on a contact over (minutes)"), default=10)
    acw_minutes = models.PositiveIntegerField(_("after-call work over (minutes)"), default=3)
    longest_wait_seconds = models.PositiveIntegerField(_("a skill's longest wait over (seconds)"), default=60)

    class Meta:
        verbose_name = _("board thresholds")
        verbose_name_plural = _("board thresholds")

    def __str__(self):
        return str(self.tenant)

    @classmethod
    def for_tenant(cls, tenant):
        return cls.objects.filter(tenant=tenant).first() or cls(tenant=tenant)

    def as_json(self):
        """What the board's script reads (service level is always compared with its goal)."""
        return {"unavailableMinutes": self.unavailable_minutes, "contactMinutes": self.contact_minutes,
                "acwMinutes": self.acw_minutes, "longestWaitSeconds": self.longest_wait_seconds}


class SupervisorAction(models.Model):
    """One action through CXone, done or refused: who, which tenant, on whom, what (a message
    whole: subject and body, bounded as CXone bounds them), CXone's answer (its real status
    and message ids; no status when the portal refused it itself), the request id."""

    SUBJECT_MAX, BODY_MAX = 100, 1024  # CXone's own bounds for agents/messages

    class Kind(models.TextChoices):
        SET_STATE = "set_state", _("set state")
        LOGOUT = "logout", _("log out")
        MESSAGE = "message", _("message")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("supervisor"))
    supervisor_name = models.CharField(_("supervisor name"), max_length=255, blank=True)
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("tenant"))
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    target_type = models.CharField(_("target type"), max_length=20, default="Agent")
    target_id = models.CharField(_("target"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True, help_text=_("The state and reason, or the message's subject."))
    subject = models.CharField(_("message subject"), max_length=SUBJECT_MAX, blank=True)
    body = models.TextField(_("message body"), max_length=BODY_MAX, blank=True)
    cxone_message_ids = models.CharField(_("CXone's message ids"), max_length=255, blank=True)
    cxone_status = models.PositiveSmallIntegerField(_("CXone's HTTP status"), null=True, blank=True,
                                                    help_text=_("Empty when the portal refused before asking CXone."))
    outcome = models.CharField(_("outcome"), max_length=40, help_text=_("done, error, or the reason it was refused"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("supervisor action")
        verbose_name_plural = _("supervisor actions")

    def __str__(self):
        return f"{self.supervisor_name} {self.kind} {self.target_type} {self.target_id}"
