"""Who signed in (CXoneIdentity) and the tokens of each signed-in browser session."""
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils import timezone

from core.fields import EncryptedTextField
from tenants.models import Tenant


class PortalRole(models.TextChoices):
    AGENT = "Agent", _("Agent")
    SUPERVISOR = "Supervisor", _("Supervisor")

    @classmethod
    def for_cxone_role(cls, tenant, cxone_role):
        """Supervisor when the CXone role is one of the tenant's supervising roles."""
        return cls.SUPERVISOR if cxone_role and cxone_role in tenant.supervisor_role_names else cls.AGENT


class CXoneIdentity(models.Model):
    """A CXone user, keyed by (issuer, sub) and never by e-mail."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cxone_identity")
    issuer = models.CharField(max_length=255)
    sub = models.CharField(max_length=255)
    # Deleting a tenant deletes its identities and their users (accounts/signals.py).
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="identities")
    cxone_user_id = models.CharField("CXone userId", max_length=64, blank=True)
    agent_id = models.CharField("icAgentId", max_length=32, blank=True)
    business_unit_id = models.CharField("icBUId", max_length=32, blank=True)
    login_name = models.CharField(max_length=255, blank=True, help_text="CXone's `name` claim.")
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    cxone_role = models.CharField("CXone role", max_length=150, blank=True)
    portal_role = models.CharField(max_length=16, choices=PortalRole.choices, default=PortalRole.AGENT)
    # The last sign-in is the user's `last_login`, which Django sets on every login.
    first_sign_in_at = models.DateTimeField(auto_now_add=True)
    # CXone refused a supervisor read (403): the role is read again from CXone's next tokens
    # at the user's next request (accounts/roles.py), at most once per ROLE_RECHECK_INTERVAL.
    role_recheck = models.BooleanField(default=False, editable=False)
    role_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="identity_issuer_sub_unique")]
        verbose_name = "CXone identity"
        verbose_name_plural = "CXone identities"

    def __str__(self):
        return f"{self.given_name} {self.family_name} ({self.tenant})".strip()


class TokenSession(models.Model):
    """The CXone tokens of one signed-in browser session, server-side only.

    The browser holds nothing but Django's session cookie; that session holds this row's id.
    `lease_until`/`lease_owner` make refresh single-flight across threads, processes and
    machines: claiming the lease is one conditional UPDATE, atomic on every database.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="token_sessions")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="token_sessions")
    session_key = models.CharField(max_length=64, db_index=True)
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True)
    id_token = EncryptedTextField()
    expires_at = models.DateTimeField()
    lifetime = models.PositiveIntegerField(help_text="Seconds the current access token was issued for.")
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True)
    refresh_count = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True)
    lease_owner = models.CharField(max_length=32, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)
    retry_at = models.DateTimeField(null=True)
    # CXone's APIs answered 401 (accounts/refresh.py, refresh_after_rejection): when the
    # current access token came from a refresh after a 401, how many such refreshes in a row
    # CXone refused too, and until when this session makes no more of them.
    rejection_refreshed_at = models.DateTimeField(null=True)
    rejection_rounds = models.PositiveSmallIntegerField(default=0)
    rejected_until = models.DateTimeField(null=True)

    def __str__(self):
        return f"tokens of {self.user} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class SignInEvent(models.Model):
    """One sign-in, failed sign-in, sign-out, failed refresh or ended session: who, which
    tenant, when, why and the request id to find it in the logs. Never a token."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "signed in"
        SIGN_IN_FAILED = "sign_in_failed", "sign-in failed"
        SIGN_OUT = "sign_out", "signed out"
        REFRESH_FAILED = "refresh_failed", "refresh failed"
        SESSION_ENDED = "session_ended", "session ended"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Anonymous failures are one row per (tenant, reason, minute) with a count (events.py),
    # so nobody can grow the table at will; every other event is a row of its own (count 1).
    count = models.PositiveIntegerField(default=1)
    reason = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=80, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_in_events")
    who = models.CharField(max_length=255, blank=True, help_text="The CXone login name then (kept when the user is deleted).")
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_in_events")
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "kind", "at"], name="event_tenant_kind_at")]

    def __str__(self):
        times = f" x{self.count}" if self.count > 1 else ""
        return f"{self.get_kind_display()}{times} {self.who or '-'} {self.at:%Y-%m-%d %H:%M:%S}"


class PasswordSession(models.Model):
    """The Django session of a password (non-CXone) sign-in, so that "sign out everywhere"
    finds it: a CXone session is found through its TokenSession row instead."""

    session_key = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_sessions")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"session of {self.user} since {self.created_at:%Y-%m-%d %H:%M:%S}"
