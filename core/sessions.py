"""Django's database sessions, without the SELECT before each new key.

`SessionStore.create()` inserts with `must_create` and retries on a duplicate key anyway, so
asking first whether a random 32-character key exists only costs a query on every sign-in.
"""
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self):
        return get_random_string(32, VALID_KEY_CHARS)
