"""What the workspaces keep: each tenant's board thresholds, and a record of every action a
supervisor took on their team through CXone (done or refused)."""
from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant


def at_least_one_second():
    return [MinValueValidator(1, _("A threshold is at least one second: 0 would flag every agent."))]


class BoardThresholds(models.Model):
    """When an agent or a queue needs a supervisor's eye, per tenant (defaults when absent),
    in seconds (the admin takes seconds or minutes); never 0, which would flag everyone.
    A team may have its own (`TeamThresholds`)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="board_thresholds", verbose_name=_("tenant"))
    unavailable_seconds = models.PositiveIntegerField(_("unavailable over"), default=15 * 60, validators=at_least_one_second())
    contact_seconds = models.PositiveIntegerField(_("on a contact over"), default=10 * 60, validators=at_least_one_second())
    acw_seconds = models.PositiveIntegerField(_("after-call work over"), default=3 * 60, validators=at_least_one_second())
    longest_wait_seconds = models.PositiveIntegerField(_("a skill's longest wait over"), default=60, validators=at_least_one_second())

    AGENT_FIELDS = ("unavailable_seconds", "contact_seconds", "acw_seconds")

    class Meta:
        verbose_name = _("board thresholds")
        verbose_name_plural = _("board thresholds")
        constraints = [models.CheckConstraint(condition=models.Q(unavailable_seconds__gt=0, contact_seconds__gt=0, acw_seconds__gt=0,
                                                                 longest_wait_seconds__gt=0), name="board_thresholds_never_zero")]

    def __str__(self):
        return str(self.tenant)

    @classmethod
    def for_tenant(cls, tenant):
        return cls.objects.filter(tenant=tenant).first() or cls(tenant=tenant)

    def agent_seconds(self, override=None):
        """{unavailableSeconds, contactSeconds, acwSeconds}: a team's own where it has one."""
        values = {name: getattr(override, name, None) or getattr(self, name) for name in self.AGENT_FIELDS}
        return {"unavailableSeconds": values["unavailable_seconds"], "contactSeconds": values["contact_seconds"],
                "acwSeconds": values["acw_seconds"]}

    def as_json(self):
        """What the board's script reads: seconds, each team's own (complete, keyed by CXone's
        team id), and the minutes the page read before (service level is always compared with
        its goal)."""
        tenant_wide = self.agent_seconds()
        teams = {}
        if self.pk:
            teams = {str(t.team_id): self.agent_seconds(t) for t in self.teams.order_by("team_name", "team_id")}
        return {"unavailableMinutes": minutes(tenant_wide["unavailableSeconds"]), "contactMinutes": minutes(tenant_wide["contactSeconds"]),
                "acwMinutes": minutes(tenant_wide["acwSeconds"]), "longestWaitSeconds": self.longest_wait_seconds,
                **tenant_wide, "teams": teams}


def minutes(seconds):
    """Seconds as the minutes the page read before: whole when they are, else to a tenth."""
    return seconds // 60 if seconds % 60 == 0 else round(seconds / 60, 1)


class TeamThresholds(models.Model):
    """One team's own thresholds (CXone's team id); an empty field keeps the tenant's."""

    thresholds = models.ForeignKey(BoardThresholds, on_delete=models.CASCADE, related_name="teams", verbose_name=_("board thresholds"))
    team_id = models.CharField(_("CXone team id"), max_length=32, validators=[RegexValidator(r"^[A-Za-z0-9]{1,32}$")])
    team_name = models.CharField(_("team name"), max_length=100, blank=True,
                                 help_text=_("For this page only: the board names teams as CXone does."))
    unavailable_seconds = models.PositiveIntegerField(_("unavailable over"), null=True, blank=True, validators=at_least_one_second())
    contact_seconds = models.PositiveIntegerField(_("on a contact over"), null=True, blank=True, validators=at_least_one_second())
    acw_seconds = models.PositiveIntegerField(_("after-call work over"), null=True, blank=True, validators=at_least_one_second())

    class Meta:
        verbose_name = _("team thresholds")
        verbose_name_plural = _("team thresholds")
        constraints = [
            models.UniqueConstraint(fields=["thresholds", "team_id"], name="team_thresholds_once_per_team"),
            models.CheckConstraint(condition=(models.Q(unavailable_seconds__isnull=True) | models.Q(unavailable_seconds__gt=0))
                                   & (models.Q(contact_seconds__isnull=True) | models.Q(contact_seconds__gt=0))
                                   & (models.Q(acw_seconds__isnull=True) | models.Q(acw_seconds__gt=0)),
                                   name="team_thresholds_never_zero"),
        ]

    def __str__(self):
        return self.team_name or self.team_id


class SupervisorAction(models.Model):
    """One action through CXone, done or refused: who, which tenant, on whom, what (a message
    whole: subject and body, bounded as CXone bounds them), CXone's answer (its real status
    and message ids; no status when the portal refused it itself), the request id."""

    SUBJECT_MAX, BODY_MAX = 100, 1024  # CXone's own bounds for agents/messages

    class Kind(models.TextChoices):
        SET_STATE = "set_state", _("set state")
        LOGOUT = "logout", _("log out")
        MESSAGE = "message", _("message")
        RETRACT = "retract", _("retract a message")

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
    expire_minutes = models.PositiveIntegerField(_("expires after (minutes)"), null=True, blank=True)
    retracted_at = models.DateTimeField(_("retracted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("supervisor action")
        verbose_name_plural = _("supervisor actions")

    def __str__(self):
        return f"{self.supervisor_name} {self.kind} {self.target_type} {self.target_id}"
