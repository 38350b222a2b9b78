from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.fields import EncryptedTextField


def encrypted_fields():
    """(model, [field names]) for every model with an EncryptedTextField: none is skipped."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first (newest) FIELD_ENCRYPTION_KEY. "
        "Run after putting a new key in front; then the old key can be dropped."
    )

    def handle(self, *args, **options):
        for model, fields in encrypted_fields():
            count = 0
            for obj in model.objects.only("pk", *fields).iterator():
                # Reading decrypts with any listed key; writing encrypts with the newest.
                with transaction.atomic():
                    model.objects.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in fields})
                count += 1
            self.stdout.write(f"{model._meta.label}: {count} row(s) re-encrypted")
