"""Model fields whose values are encrypted at rest."""
from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code only ever sees the plaintext.

    Not searchable or orderable by content (every write has a fresh IV), which is the point.
    """

    description = "Text encrypted with FIELD_ENCRYPTION_KEY"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
