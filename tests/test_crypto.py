"""Encryption at rest and key rotation with MultiFernet."""
import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from core import crypto
from tenants.models import Environment

from .settings import TEST_FIELD_KEY


def raw_secret(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret FROM tenants_environment WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_rotation_keeps_old_rows_readable_and_reencrypts(settings, capsys):
    environment = Environment.objects.create(issuer="https://cxone.niceincontact.com", client_id="c", client_secret="s3cret")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, TEST_FIELD_KEY]
    assert Environment.objects.get(pk=environment.pk).client_secret == "s3cret"  # old key still decrypts
    call_command("rotate_field_encryption")
    assert "tenants.Environment: 1 row(s) re-encrypted" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEY = [new_key]  # the old key is gone
    assert Environment.objects.get(pk=environment.pk).client_secret == "s3cret"
    assert Fernet(new_key.encode()).decrypt(raw_secret(environment.pk).encode()) == b"s3cret"


@pytest.mark.django_db
def test_wrong_key_cannot_read(settings):
    environment = Environment.objects.create(issuer="https://cxone.niceincontact.com", client_id="c", client_secret="s3cret")
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with pytest.raises(InvalidToken):
        Environment.objects.get(pk=environment.pk)


def test_every_write_has_a_fresh_iv():
    assert crypto.encrypt("same") != crypto.encrypt("same")
    assert crypto.decrypt(crypto.encrypt("same")) == "same"
