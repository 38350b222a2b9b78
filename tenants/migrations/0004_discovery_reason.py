"""discovery_error (an English sentence) becomes discovery_reason + discovery_detail; a stored
link (ui_endpoint, auth_endpoint) that is not an http(s) URL is dropped until the next discovery
applies the full endpoint rule (a `javascript:` URL never reaches a page)."""
from urllib.parse import urlsplit

from django.db import migrations, models


def carry_over(apps, schema_editor):
    # An old sentence names no reason: it becomes the general one, the sentence its detail.
    for name in ("Environment", "Tenant"):
        model = apps.get_model("tenants", name)
        for obj in model.objects.exclude(discovery_error=""):
            model.objects.filter(pk=obj.pk).update(discovery_reason="discovery_failed", discovery_detail=obj.discovery_error[:300])
    tenant_model = apps.get_model("tenants", "Tenant")
    for tenant in tenant_model.objects.exclude(cxone_configuration=None):
        config = dict(tenant.cxone_configuration or {})
        links = [k for k in ("ui_endpoint", "auth_endpoint") if k in config]
        bad = [k for k in links if not isinstance(config[k], str) or urlsplit(config[k]).scheme not in ("https", "http")]
        if bad:
            for k in bad:
                del config[k]
            tenant_model.objects.filter(pk=tenant.pk).update(cxone_configuration=config)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_environment_key")]

    operations = [
        *(
            operation
            for model in ("environment", "tenant")
            for operation in (
                migrations.AddField(model, "discovery_reason", models.CharField(blank=True, editable=False, max_length=64)),
                migrations.AddField(model, "discovery_detail", models.CharField(blank=True, editable=False, max_length=300)),
            )
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveField("environment", "discovery_error"),
        migrations.RemoveField("tenant", "discovery_error"),
    ]
