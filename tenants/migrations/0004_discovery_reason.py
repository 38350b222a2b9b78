"""discovery_error (an English sentence) becomes discovery_reason + discovery_detail."""
from django.db import migrations, models


def carry_over(apps, schema_editor):
    # An old sentence names no reason: it becomes the general one, the sentence its detail.
    for name in ("Environment", "Tenant"):
        model = apps.get_model("tenants", name)
        for obj in model.objects.exclude(discovery_error=""):
            model.objects.filter(pk=obj.pk).update(discovery_reason="discovery_failed", discovery_detail=obj.discovery_error[:300])


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
