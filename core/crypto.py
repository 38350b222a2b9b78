"""Encryption at rest with cryptography's MultiFernet.

FIELD_ENCRYPTION_KEY lists Fernet keys, newest first: the first encrypts, all decrypt,
so a new key can be put in front and old rows re-encrypted at leisure
(`manage.py rotate_field_encryption`; docs/deploy.md gives the three phases of a rolling
rotation). A value no listed key opens raises `KeyMismatch`, a `ReasonError` with
`encryption_key_mismatch`. With DEBUG on and no key set, a key is derived
from SECRET_KEY so that a fresh checkout runs; production refuses to start without one.
"""
import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .reasons import Reason, ReasonError

__all__ = ["encrypt", "decrypt", "InvalidToken", "KeyMismatch"]


class KeyMismatch(ReasonError, InvalidToken):
    """A stored value that no listed key opens (a key dropped too early, or an instance not yet
    given the new key during a rotation): `encryption_key_mismatch`, never a 500. Still an
    `InvalidToken`, so code that catches cryptography's type keeps working."""

    def __init__(self, detail=""):
        super().__init__(Reason.ENCRYPTION_KEY_MISMATCH, detail)


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
    try:
        return fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        keys = len(_keys())
        raise KeyMismatch(f"no key of {keys} opens a stored value") from exc
