"""Admin forms: discovery runs on save, so bad input is refused with a message."""
from django import forms
from django.utils import timezone

from . import discovery
from .models import Environment, Tenant


class DiscoveredForm(forms.ModelForm):
    """Stores the discovery result that `clean()` fetched (`self._document`) on save."""

    discovery_field = None

    def save(self, commit=True):
        obj = super().save(commit=False)
        self.before_save(obj)
        if self._document is not None:
            setattr(obj, self.discovery_field, self._document)
            obj.discovered_at, obj.discovery_reason, obj.discovery_detail = timezone.now(), "", ""
        if commit:
            obj.save()
            discovery.forget(obj)
        return obj

    def before_save(self, obj):
        pass


class EnvironmentForm(DiscoveredForm):
    discovery_field = "openid_configuration"

    issuer = forms.URLField(
        max_length=255,
        assume_scheme="https",
        help_text=Environment._meta.get_field("issuer").help_text,
    )
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: stored encrypted, never shown again. Leave blank to keep the current one.",
    )

    class Meta:
        model = Environment
        fields = ["name", "key", "issuer", "client_id", "client_secret", "token_auth_method", "is_active"]

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret")
        if not secret and not self.instance.pk:
            raise forms.ValidationError("A client secret is required.")
        return secret

    def clean(self):
        cleaned = super().clean()
        issuer = cleaned.get("issuer")
        self._document = None
        if issuer and (not self.instance.pk or "issuer" in self.changed_data or not self.instance.openid_configuration):
            try:
                self._document = discovery.fetch_openid_configuration(issuer)
            except discovery.DiscoveryError as exc:
                self.add_error("issuer", discovery.failure_words(exc.reason, exc.detail))
        return cleaned

    def before_save(self, environment):
        secret = self.cleaned_data.get("client_secret")
        if secret:
            environment.client_secret = secret
        elif environment.pk:  # write-only: a blank field keeps the stored secret
            environment.client_secret = Environment.objects.get(pk=environment.pk).client_secret


class TenantForm(DiscoveredForm):
    discovery_field = "cxone_configuration"

    class Meta:
        model = Tenant
        fields = ["environment", "tenant_id", "name", "slug", "is_active", "supervisor_roles"]
        labels = {"slug": "Organization ID", "name": "Display name"}
        help_texts = {
            "environment": "The CXone app registration (issuer and client) this tenant's users sign in through.",
            "tenant_id": "The tenant's CXone tenantId, a UUID. CXone puts it in every user's id_token (`tenantId`); "
                         "the tenant's CXone administrator or NICE support can read it out. Discovery checks it on save.",
            "name": "Shown to users on the sign-in page, the error pages and their workspace.",
            "slug": "Users may type this to go straight to their organization (capitals don't matter). "
                    "Letters, digits, - and _. Most users never need it: Sign in with CXone finds the tenant.",
        }

    def clean_slug(self):
        """Users type the Organization ID in any case: two that differ only in case would clash."""
        slug = self.cleaned_data["slug"]
        if Tenant.objects.filter(slug__iexact=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another tenant has this Organization ID (capitals don't count).")
        return slug

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # With one environment there is nothing to choose: it is preselected.
        environments = Environment.objects.filter(is_active=True)
        if not self.instance.pk and "environment" in self.fields and environments.count() == 1:
            self.fields["environment"].initial = environments.first().pk

    def clean(self):
        cleaned = super().clean()
        environment, tenant_id = cleaned.get("environment"), cleaned.get("tenant_id")
        self._document = None
        if environment and tenant_id and not self.errors:
            try:
                self._document = discovery.fetch_cxone_configuration(environment.issuer, tenant_id)
            except discovery.DiscoveryError as exc:
                self.add_error("tenant_id", discovery.failure_words(exc.reason, exc.detail))
        return cleaned
