"""Django's database sessions, read through the shared cache, without the SELECT before each new key.

The database stays the record: every save and delete goes there first. With CACHE_SESSIONS on,
a request reads its session from the shared cache (`core/cached_rows.py`), so an unchanged poll
reads nothing from the database; every save and delete forgets the cached copy, so a session
signed out (here, by an admin, or while Redis was unreachable) is never served from it again.
A save does not write the copy back: the next request reads the database once (a save is rare:
sign-in, a refresh, a language switch; an unchanged poll saves nothing).

`SessionStore.create()` inserts with `must_create` and retries on a duplicate key anyway, so
asking first whether a random 32-character key exists only costs a query on every sign-in.
"""
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone
from django.utils.crypto import get_random_string

from . import cached_rows

KIND = "session"


def forget(session_keys):
    """These sessions changed or ended outside a SessionStore (a bulk delete): drop their copies."""
    cached_rows.forget(KIND, list(session_keys))


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self):
        return get_random_string(32, VALID_KEY_CHARS)

    def load(self):
        return cached_rows.read(KIND, self.session_key, self._load_from_database) or {}

    def _load_from_database(self):
        """(data, seconds it may be kept: until the session expires), or (None, 0)."""
        row = self._get_session_from_db()
        if row is None:
            return None, 0
        return self.decode(row.session_data), (row.expire_date - timezone.now()).total_seconds()

    def save(self, must_create=False):
        super().save(must_create)
        forget([self.session_key])

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        super().delete(session_key)
        forget([session_key])
