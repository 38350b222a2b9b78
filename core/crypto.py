"""Encryption at rest with cryptography's MultiFernet.

FIELD_ENCRYPTION_KEY lists Fernet keys, newest first: the first encrypts, all decrypt,
so a new key can be put in front and old rows re-encrypted at leisure
(`manage.py rotate_field_encryption`). With DEBUG on and no key set, a key is derived
from SECRET_KEY so that a fresh checkout runs; production refuses to start without one.
"""
import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["encrypt", "decrypt", "InvalidToken"]


@functools.lru_cache(maxsize=None)
def _fernet_for(keys):
    try:
        return MultiFernet([Fernet(k.strip()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must hold Fernet keys (urlsafe base64 of 32 bytes)."
        ) from exc


def _keys():
    keys = tuple(k for k in settings.FIELD_ENCRYPTION_KEY if k.strip())
    if keys:
        return keys
    if not settings.DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")
    # DEBUG only: a key derived from SECRET_KEY, public when that is the built-in one (cxone.W001).
    digest = hashlib.sha256(b"cxone-portal-field-encryption:" + settings.SECRET_KEY.encode()).digest()
    return (base64.urlsafe_b64encode(digest).decode(),)


def fernet():
    return _fernet_for(_keys())


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    return fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
