"""The registry: CXone environments (one app registration each) and their tenants."""
from urllib.parse import urlsplit

from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from core.fields import EncryptedTextField
from core.reasons import Reason

GLOBAL_ISSUER = "https://cxone.niceincontact.com"
FEDRAMP_ISSUER = "https://cxone-gov.niceincontact.com"


class TokenAuthMethod(models.TextChoices):
    CLIENT_SECRET_BASIC = "client_secret_basic", "client_secret_basic (HTTP Basic)"
    CLIENT_SECRET_POST = "client_secret_post", "client_secret_post (form body)"
    CLIENT_SECRET_JWT = "client_secret_jwt", "client_secret_jwt (HS256 assertion, RFC 7523)"


def suggested_key(issuer):
    """'global', 'fedramp', or a slug of the issuer's host (and port)."""
    known = {GLOBAL_ISSUER: "global", FEDRAMP_ISSUER: "fedramp"}.get(issuer.rstrip("/"))
    return known or slugify(urlsplit(issuer).netloc.replace(".", "-").replace(":", "-"))[:30] or "environment"


def unique_key(environments, base):
    """`base`, or `base-2`, `base-3`… whichever no environment in the queryset has."""
    key, n = base, 1
    while environments.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


class Discovered(models.Model):
    """What discovery last learned (`tenants/discovery.py` fills these in, never a form)."""

    discovered_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last failure, as a reason code (`core.reasons.Reason`) and its detail; both blank
    # after a success. Words for people come from the reason's table, never from here.
    discovery_reason = models.CharField(max_length=64, blank=True, editable=False)
    discovery_detail = models.CharField(max_length=300, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def discovery_failure(self):
        """The last failure's Reason, or None (a code no longer in the vocabulary reads as
        the general `discovery_failed`)."""
        if not self.discovery_reason:
            return None
        try:
            return Reason(self.discovery_reason)
        except ValueError:
            return Reason.DISCOVERY_FAILED


class Environment(Discovered):
    """One CXone app registration in one CXone environment (issuer)."""

    name = models.CharField(max_length=100, blank=True, help_text="What users see on the sign-in page when there are several, e.g. 'Global'.")
    key = models.SlugField(
        max_length=40,
        unique=True,
        blank=True,
        help_text="Names this environment's redirect URI (/oidc/callback/<key>/), so it can go into NICE's "
        "form before the credentials arrive. Blank: 'global', 'fedramp', or one made from the issuer.",
    )
    issuer = models.URLField(
        max_length=255,
        help_text=f"{GLOBAL_ISSUER} (global), {FEDRAMP_ISSUER} (FedRAMP), or another.",
    )
    client_id = models.CharField(max_length=255)
    client_secret = EncryptedTextField(help_text="Stored encrypted; never shown again.")
    token_auth_method = models.CharField(
        max_length=32, choices=TokenAuthMethod.choices, default=TokenAuthMethod.CLIENT_SECRET_BASIC
    )
    is_active = models.BooleanField(
        default=True,
        help_text="Untick to switch this registration off: its users' sessions end at their next request.",
    )

    # The issuer's /.well-known/openid-configuration, as last fetched successfully.
    openid_configuration = models.JSONField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="environment_issuer_client_unique")
        ]
        ordering = ["issuer", "client_id"]

    def __str__(self):
        return self.name or f"{self.issuer} ({self.client_id})"

    def save(self, *args, **kwargs):
        if not self.key:
            self.key = self.default_key()
        super().save(*args, **kwargs)

    def default_key(self):
        return unique_key(Environment.objects.exclude(pk=self.pk), suggested_key(self.issuer))

    def endpoint(self, name):
        return (self.openid_configuration or {}).get(name) or None

    @property
    def redirect_path(self):
        """The redirect URI's path to register with NICE for this environment (its own)."""
        return reverse("oidc_environment_callback", args=[self.key])

    @property
    def post_logout_redirect_path(self):
        return reverse("signed_out")

    authorization_endpoint = property(lambda self: self.endpoint("authorization_endpoint"))
    token_endpoint = property(lambda self: self.endpoint("token_endpoint"))
    jwks_uri = property(lambda self: self.endpoint("jwks_uri"))
    end_session_endpoint = property(lambda self: self.endpoint("end_session_endpoint"))


class Tenant(Discovered):
    """A CXone tenant whose users may sign in to the portal."""

    environment = models.ForeignKey(Environment, on_delete=models.PROTECT, related_name="tenants")
    tenant_id = models.UUIDField("CXone tenantId")
    name = models.CharField("display name", max_length=150)
    slug = models.SlugField(max_length=64, unique=True)
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Untick to retire the tenant: its users are signed out at their next request and cannot "
        "sign in; their identities stay for the record. Deleting the tenant instead removes its CXone "
        "identities and their portal users and sessions.",
    )
    supervisor_roles = models.CharField(
        max_length=500,
        default="Manager,Administrator",
        validators=[RegexValidator(r"^[^,]+(,[^,]+)*$", "A comma-separated list of role names.")],
        help_text="CXone role.legacyId values that make a user a Supervisor in the portal, "
        "comma-separated. CXone has no built-in 'Supervisor' role; Manager is its supervising role.",
    )

    # {issuer}/.well-known/cxone-configuration?tenantId=…, as last fetched successfully.
    cxone_configuration = models.JSONField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["environment", "tenant_id"], name="tenant_environment_tenantid_unique")
        ]
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def supervisor_role_names(self):
        return {r.strip() for r in self.supervisor_roles.split(",") if r.strip()}

    @property
    def api_base_url(self):
        """The tenant's CXone REST base URL (https://api-{area}.{domain})."""
        return (self.cxone_configuration or {}).get("api_endpoint") or None


class NotUnderstood(models.Model):
    """Something a CXone answer lacked that a page needed (`workspaces/shapes.py`): which
    endpoint, which field, which keys the answer had instead. Names only, never values; at most
    one record per tenant, endpoint and hour, counted in `hours`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="not_understood")
    endpoint = models.CharField(max_length=80)
    field = models.CharField(max_length=80)
    keys = models.CharField("keys present", max_length=800, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    hours = models.PositiveIntegerField("hours seen", default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "endpoint", "field"], name="not_understood_unique")]
        ordering = ["-last_seen"]
        verbose_name = "answer not understood"
        verbose_name_plural = "What the portal did not understand from CXone"

    def __str__(self):
        return f"{self.endpoint}: no {self.field}"
