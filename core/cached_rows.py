"""Copies of database rows in the shared cache that are never served once the row has changed.

A signed-in request needs its session and its user, identity and tenant before anything else;
reading them from the shared cache instead of the database is what lets an unchanged poll cost
no database transaction (`CACHE_SESSIONS`). A copy is served only while it is provably current:

- **Every write forgets.** Whoever changes a row calls `forget(kind, keys)` after the write
  (and again when its transaction commits): the row gets a new *generation*, a random token in
  the cache, and a copy is served only while it carries its row's current generation. A reader
  takes the generation *before* it reads the database, so a copy read just before a write is
  refused after it, whichever finishes first (the cache-aside race).
- **A missing generation is a miss** (evicted, expired, an empty Redis): never a hit.
- **A write the cache did not hear of** (unreachable at that moment): this process moves the
  global *epoch*, which every copy carries, before it trusts the cache again, and so do readers
  that met the outage: every copy written before is refused everywhere.
- **Unreachable cache, database answer**: nothing is served from a cache that cannot say whether
  it is current. Copies also live at most `SECONDS`, which bounds a change made outside the
  portal's code (SQL, `QuerySet.update` in a shell) too; `forget_all()` ends them at once.

Only plain values are stored, never a model instance (`values_of`, `instance_of`), and never a
secret in clear: an encrypted column is left out (read from the database if asked for) or kept
encrypted, as the database holds it. `core/sessions.py` stores session data,
`accounts/signed_in.py` the user, identity and tenant columns, `accounts/tokenstore.py` the
token row (its tokens encrypted).
"""
import logging
import secrets
import threading

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from . import crypto
from .cache import is_cache_failure
from .fields import EncryptedTextField

logger = logging.getLogger(__name__)

SECONDS = 300  # the longest a copy lives
GENERATION_SECONDS = 86400  # a generation outlives its copies; a lost one only costs a miss
EPOCH_KEY = "rows:v1:epoch"

_lock = threading.Lock()
_unheard = [0]  # writes the cache missed (or outages this process met) since the epoch last moved


def enabled():
    return settings.CACHE_SESSIONS


def _keys(kind, key):
    return f"rows:v1:{kind}:{key}", f"rows:v1:{kind}:{key}:gen"


def read(kind, key, load):
    """The current copy of (kind, key), else `load()` from the database.

    `load()` returns (value, seconds): a plain, picklable value (None: nothing found) and how
    long it may be kept (0: not at all). With CACHE_SESSIONS off, the database every time."""
    if not enabled():
        return load()[0]
    entry_key, generation_key = _keys(kind, key)
    try:
        _settle()
        found = cache.get_many([entry_key, generation_key, EPOCH_KEY])
        entry, generation, epoch = found.get(entry_key), found.get(generation_key), found.get(EPOCH_KEY)
        if entry is not None and generation is not None and epoch is not None and entry[:2] == (generation, epoch):
            return entry[2]
        if epoch is None:
            epoch = _epoch()
    except Exception as exc:
        if not is_cache_failure(exc):
            raise
        _missed()
        return load()[0]
    value, seconds = load()
    if value is None or seconds < 1:
        return value  # nothing kept for a row that does not exist (a made-up session key costs no key)
    try:
        if generation is None:
            # The row's first generation, only now that it exists: had a write forgotten it since
            # the read above, its generation would be there and this add would fail.
            generation = secrets.token_hex(8)
            if not cache.add(generation_key, generation, GENERATION_SECONDS):
                return value
        cache.set(entry_key, (generation, epoch, value), int(min(seconds, SECONDS)))
    except Exception as exc:
        if not is_cache_failure(exc):
            raise
        _missed()
    return value


def forget(kind, keys):
    """The rows (kind, key) for each of `keys` changed: no copy read before is served again.
    Call it after the write; inside a transaction it runs again when the transaction commits."""
    keys = [key for key in keys if key is not None]
    if not keys:
        return
    _forget(kind, keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _forget(kind, keys))


def forget_all():
    """Every copy, of every kind, is refused from now on (after a restore, or an edit in SQL)."""
    _missed()
    try:
        _settle()
    except Exception as exc:
        if not is_cache_failure(exc):
            raise
        return False
    return True


def _forget(kind, keys):
    try:
        _settle()
        cache.set_many({_keys(kind, key)[1]: secrets.token_hex(8) for key in keys}, GENERATION_SECONDS)
        cache.delete_many([_keys(kind, key)[0] for key in keys])
    except Exception as exc:
        if not is_cache_failure(exc):
            raise
        _missed()
        logger.warning("a change the cache did not hear of; every cached row will be refused once it answers",
                       extra={"event": "cached_rows", "outcome": "unheard", "kind": kind, "cause": type(exc).__name__})


def _epoch():
    """The epoch, created (at random: a lost one must not come back as the old value) when missing."""
    cache.add(EPOCH_KEY, secrets.randbits(48), None)
    return cache.get(EPOCH_KEY)


def _missed():
    with _lock:
        _unheard[0] += 1


def _settle():
    """Before this process trusts the cache again after it missed a write or met an outage,
    move the epoch (raises while the cache is unreachable)."""
    with _lock:
        missed = _unheard[0]
    if not missed:
        return
    _epoch()
    try:
        cache.incr(EPOCH_KEY)
    except ValueError:  # evicted between add and incr: a new random epoch is as good
        cache.set(EPOCH_KEY, secrets.randbits(48), None)
    with _lock:
        _unheard[0] -= missed
    logger.info("cached rows refused from now on", extra={"event": "cached_rows", "outcome": "epoch_moved"})


# --- rows as plain values ------------------------------------------------------------------------

def values_of(obj, *, sealed=False):
    """A model instance's columns as plain values; its encrypted columns left out, or, `sealed`,
    encrypted again (with FIELD_ENCRYPTION_KEY's first key: Redis never holds them in clear)."""
    values = {}
    for field in type(obj)._meta.concrete_fields:
        if isinstance(field, EncryptedTextField):
            if sealed:
                value = getattr(obj, field.attname)
                values[field.attname] = crypto.encrypt(value) if value else value
            continue  # left out unread (a deferred column would cost a query)
        values[field.attname] = getattr(obj, field.attname)
    return values


def instance_of(model, values):
    """The model instance the ORM would build from that row (sealed columns opened: KeyMismatch
    when no key opens them); a column not in `values` is deferred (read if asked for)."""
    names, row = [], []
    for field in model._meta.concrete_fields:
        if field.attname in values:
            value = values[field.attname]
            if isinstance(field, EncryptedTextField) and value:
                value = crypto.decrypt(value)
            names.append(field.attname)
            row.append(value)
    return model.from_db("default", names, row)
