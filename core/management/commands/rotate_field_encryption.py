"""Re-encrypt every encrypted column under the newest FIELD_ENCRYPTION_KEY, beside live traffic.

Phase 3 of a rotation (docs/deploy.md, section 5) runs while the instances serve: a token
refresh may land on a row between this command's read and its write. So each row is written
with one conditional UPDATE: only if its stored ciphertexts are still the ones read (any other
write makes new ones: Fernet's IV is fresh each time) and, for rows with a refresh lease
(accounts.TokenSession), only while no refresh holds the lease. A row that changed meanwhile
or is leased is read again and tried again a moment later (a refresh rewrites some columns,
not all). Nothing a refresh wrote is ever overwritten with older tokens.
"""
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils import timezone

from core.fields import EncryptedTextField

LEASED_RETRIES = 50
RETRY_PAUSE = 0.2


def encrypted_fields():
    """(model, [field names]) for every model with an EncryptedTextField: none is skipped."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def has_lease(model):
    names = {f.name for f in model._meta.concrete_fields}
    return "lease_until" in names


def reencrypt_row(model, fields, pk):
    """"done", "changed" (another write came first: it used the new key), "leased" (a refresh
    holds the row: try later) or "gone"."""
    raw = {f"_raw_{f}": Cast(f, TextField()) for f in fields}  # the stored ciphertext, not decrypted
    current = model.objects.filter(pk=pk).values(**raw).first()
    if current is None:
        return "gone"
    obj = model.objects.only("pk", *fields).get(pk=pk)  # decrypts with any listed key
    target = model.objects.filter(pk=pk)
    for f in fields:
        value = current[f"_raw_{f}"]
        target = target.filter(Exact(Cast(f, TextField()), value) if value is not None else Q(**{f"{f}__isnull": True}))
    if has_lease(model):
        target = target.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))
    if target.update(**{f: getattr(obj, f) for f in fields}):
        return "done"
    if has_lease(model) and model.objects.filter(pk=pk, lease_until__gte=timezone.now()).exists():
        return "leased"
    return "changed" if model.objects.filter(pk=pk).exists() else "gone"


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first (newest) FIELD_ENCRYPTION_KEY, leaving "
        "rows a refresh is writing to it. Run once every instance has the new key first; then the "
        "old key can be dropped."
    )

    def handle(self, *args, **options):
        left_leased = 0
        for model, fields in encrypted_fields():
            counts = {"done": 0, "changed": 0, "leased": 0, "gone": 0}
            pending = list(model.objects.values_list("pk", flat=True))
            for attempt in range(LEASED_RETRIES):
                leased = []
                for pk in pending:
                    outcome = reencrypt_row(model, fields, pk)
                    if outcome in ("leased", "changed"):
                        leased.append(pk)  # read again next round
                    if outcome != "leased":
                        counts[outcome] += 1
                pending = leased
                if not pending:
                    break
                time.sleep(RETRY_PAUSE)  # a refresh holds its lease for seconds at most
            counts["leased"] = len(pending)
            left_leased += len(pending)
            self.stdout.write(
                f"{model._meta.label}: {counts['done']} row(s) re-encrypted, {counts['changed']} written by a refresh "
                f"meanwhile (read again), {counts['leased']} still leased"
            )
        if left_leased:
            raise CommandError(f"{left_leased} row(s) stayed leased or busy: run the command again.")
