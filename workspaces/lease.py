"""Who may ask CXone now: the lease on one resource, and this process's slots per tenant.

A *lease* is one fetch in flight per key across tabs, workers and machines. It lasts the
fetch's whole bound (sized by the caller, renewed between the fetch's phases) and is released
only by its owner, atomically: on Redis it is redis-py's `Lock` (SET NX PX, and a Lua
compare-and-delete to release); on any other cache `cache.add` and a compare-then-delete under
a process lock, which is atomic for the local-memory cache (one process is the whole cache).

The *tenant slots* bound the threads of this process that wait on one tenant's CXone; the
board comes first: reads other than the board may take all but one of them, so one
supervisor's ever-new secondary reads never leave another supervisor's board without a slot.
"""
import threading
import uuid
from contextlib import contextmanager
from enum import Enum

from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy
from redis.exceptions import LockError


class Priority(Enum):
    BOARD = "board"  # what a page polls (the board, the skills, the agent's day, state and inbox)
    SECONDARY = "secondary"  # reads on demand (codes, contacts, summaries): one per user in flight


class Lease:
    """One owner at a time for `key`, for `seconds` (renewable). `acquire()` -> bool."""

    def __init__(self, cache, key, seconds):
        self.cache, self.key, self.seconds = cache, key, max(1, int(seconds + 0.999))
        self.held = False

    def acquire(self):
        self.held = self._acquire()
        return self.held

    def release(self):
        if self.held:
            self._release()
            self.held = False

    def renew(self):
        """Back to its full length, if still ours (True)."""
        return self.held and self._renew()

    @contextmanager
    def holding(self):
        """`with lease.holding() as held:` released on the way out whatever happens."""
        try:
            yield self.acquire()
        finally:
            self.release()


class RedisLease(Lease):
    """redis-py's `Lock` on the key the cache would use: atomic take, renew and release."""

    def __init__(self, cache, key, seconds):
        super().__init__(cache, key, seconds)
        name = cache.make_and_validate_key(key)
        self.client = cache._cache.get_client(name, write=True)
        self.lock = self.client.lock(name, timeout=self.seconds, blocking=False, thread_local=False)

    def _acquire(self):
        return bool(self.lock.acquire(blocking=False))

    def _release(self):
        try:
            self.lock.release()
        except LockError:  # expired and taken by another: theirs now, left alone
            pass

    def _renew(self):
        try:
            return bool(self.lock.extend(self.seconds, replace_ttl=True))
        except LockError:
            return False

    def seconds_left(self):
        return max(0.0, self.client.pttl(self.lock.name) / 1000)


_local_lock = threading.Lock()


class CacheLease(Lease):
    """`cache.add` with an owner token; compare-then-delete under this process's lock."""

    def __init__(self, cache, key, seconds):
        super().__init__(cache, key, seconds)
        self.token = uuid.uuid4().hex

    def _acquire(self):
        return self.cache.add(self.key, self.token, self.seconds)

    def _release(self):
        with _local_lock:
            if self.cache.get(self.key) == self.token:
                self.cache.delete(self.key)

    def _renew(self):
        with _local_lock:
            if self.cache.get(self.key) != self.token:
                return False
            self.cache.set(self.key, self.token, self.seconds)
            return True

    def seconds_left(self):
        """Local-memory caches only (tests): what is left of the key's life."""
        import time

        expiry = getattr(self.cache, "_expire_info", {}).get(self.cache.make_and_validate_key(self.key))
        return max(0.0, expiry - time.time()) if expiry else 0.0


def backend(cache):
    """The cache itself behind Django's `cache` proxy (which is no RedisCache to isinstance)."""
    if isinstance(cache, ConnectionProxy):
        return cache._connections[cache._alias]
    return cache


def lease(cache, key, seconds):
    cache = backend(cache)
    return (RedisLease if isinstance(cache, RedisCache) else CacheLease)(cache, key, seconds)


class TenantSlots:
    """This process's threads that may wait on one tenant's CXone at once; reads other than the
    board leave one of them free (when there are two or more)."""

    def __init__(self, size):
        self.size = max(1, size)
        self.in_use = 0
        self._lock = threading.Lock()

    def limit(self, priority):
        return self.size if priority is Priority.BOARD or self.size == 1 else self.size - 1

    def take(self, priority=Priority.BOARD):
        with self._lock:
            if self.in_use >= self.limit(priority):
                return False
            self.in_use += 1
            return True

    def give(self):
        with self._lock:
            self.in_use = max(0, self.in_use - 1)

    @contextmanager
    def holding(self, priority):
        taken = self.take(priority)
        try:
            yield taken
        finally:
            if taken:
                self.give()


_slots, _slots_lock = {}, threading.Lock()


def tenant_slots(tenant_pk, size):
    """This process's slots for one tenant (one object per tenant, made on first use)."""
    with _slots_lock:
        slots = _slots.get(tenant_pk)
        if slots is None or slots.size != max(1, size):
            slots = _slots[tenant_pk] = TenantSlots(size)
        return slots
