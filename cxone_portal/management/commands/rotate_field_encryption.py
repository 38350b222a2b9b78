from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import TokenSession
from tenants.models import Environment

ENCRYPTED = [(Environment, ["client_secret"]), (TokenSession, ["access_token", "refresh_token", "id_token"])]


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first (newest) FIELD_ENCRYPTION_KEY. "
        "Run after putting a new key in front; then the old key can be dropped."
    )

    def handle(self, *args, **options):
        for model, fields in ENCRYPTED:
            count = 0
            for obj in model.objects.only("pk", *fields).iterator():
                # Reading decrypts with any listed key; writing encrypts with the newest.
                with transaction.atomic():
                    model.objects.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in fields})
                count += 1
            self.stdout.write(f"{model._meta.label}: {count} row(s) re-encrypted")
