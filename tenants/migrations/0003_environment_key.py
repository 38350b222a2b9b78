from django.db import migrations, models


def fill_keys(apps, schema_editor):
    """Existing environments keep working: each gets the key its issuer suggests, made unique."""
    from tenants.models import suggested_key, unique_key  # plain functions of the issuer

    Environment = apps.get_model("tenants", "Environment")
    # pk and issuer only: nothing here needs (or should depend on decrypting) a secret.
    for pk, issuer in Environment.objects.order_by("pk").values_list("pk", "issuer"):
        key = unique_key(Environment.objects.exclude(pk=pk), suggested_key(issuer))
        Environment.objects.filter(pk=pk).update(key=key)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_activity_help")]

    operations = [
        migrations.AddField(
            model_name="environment", name="key", field=models.SlugField(max_length=40, null=True, blank=True, db_index=False)
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="environment",
            name="name",
            field=models.CharField(
                max_length=100, blank=True,
                help_text="What users see on the sign-in page when there are several, e.g. 'Global'.",
            ),
        ),
        migrations.AlterField(
            model_name="environment",
            name="key",
            field=models.SlugField(
                max_length=40,
                unique=True,
                blank=True,
                help_text="Names this environment's redirect URI (/oidc/callback/<key>/), so it can go into NICE's "
                "form before the credentials arrive. Blank: 'global', 'fedramp', or one made from the issuer.",
            ),
        ),
    ]
