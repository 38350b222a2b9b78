"""Admin forms: discovery runs on save, so bad input is refused with a message."""
from django import forms
from django.utils import timezone

from . import discovery
from .models import Environment, Tenant


class EnvironmentForm(forms.ModelForm):
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
        fields = ["name", "issuer", "client_id", "client_secret", "token_auth_method", "is_active"]

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
                self.add_error("issuer", exc.message)
        return cleaned

    def save(self, commit=True):
        environment = super().save(commit=False)
        secret = self.cleaned_data.get("client_secret")
        if secret:
            environment.client_secret = secret
        elif environment.pk:
            environment.client_secret = Environment.objects.get(pk=environment.pk).client_secret
        if self._document is not None:
            environment.openid_configuration = self._document
            environment.discovered_at = timezone.now()
            environment.discovery_error = ""
        if commit:
            environment.save()
            discovery.forget(environment)
        return environment


class TenantForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["environment", "tenant_id", "name", "slug", "is_active", "supervisor_roles"]

    def clean(self):
        cleaned = super().clean()
        environment, tenant_id = cleaned.get("environment"), cleaned.get("tenant_id")
        self._document = None
        if environment and tenant_id and not self.errors:
            try:
                self._document = discovery.fetch_cxone_configuration(environment.issuer, tenant_id)
            except discovery.DiscoveryError as exc:
                self.add_error("tenant_id", exc.message)
        return cleaned

    def save(self, commit=True):
        tenant = super().save(commit=False)
        if self._document is not None:
            tenant.cxone_configuration = self._document
            tenant.discovered_at = timezone.now()
            tenant.discovery_error = ""
        if commit:
            tenant.save()
            discovery.forget(tenant)
        return tenant
