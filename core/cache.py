"""The shared cache when Redis is down or hanging: fail fast, and forget quietly where a miss is fine.

Django's Redis backend waits a socket timeout on every call while Redis hangs, and a request
makes several calls. `RedisCache` here trips a per-process breaker on the first connection
error or timeout: for `CACHE_RETRY_SECONDS` every call fails at once with `CacheUnavailable`,
then the next call tries Redis again. A Redis that answers but refuses writes (MISCONF after a
failed background save, OOM at maxmemory, READONLY) counts as unreachable: without it, every
request whose best-effort write it refused was a 500. Callers that need the cache to be right (the board's
fetch leases and state) let the error reach `core/outage.py`, which answers 503
`cache_unavailable`; callers for whom a cache is only a shortcut (discovery, JWKS, rate limits,
language preferences) use `best_effort`, which behaves like an empty cache that forgets every
write while the cache is unreachable, so sign-in keeps working.
"""
import functools
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)


class CacheUnavailable(ConnectionError):
    """The shared cache cannot be reached (now, or within the breaker's pause)."""


class Breaker:
    """Open for `pause` seconds after a failure; a thread that finds it open fails at once."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.open_until = 0.0
        self.lock = threading.Lock()

    def check(self):
        if self.clock() < self.open_until:
            raise CacheUnavailable("the cache failed moments ago; not retried yet")

    def trip(self, exc):
        pause = getattr(settings, "CACHE_RETRY_SECONDS", 2.0)
        with self.lock:
            was_closed = self.clock() >= self.open_until
            self.open_until = self.clock() + pause
        if was_closed:
            logger.warning("cache unreachable; failing fast for %s s", pause,
                           extra={"event": "cache", "outcome": "unavailable", "cause": type(exc).__name__})

    @property
    def is_open(self):
        return self.clock() < self.open_until


breaker = Breaker()


# Redis up but refusing writes: MISCONF (a background save failed, with stop-writes-on-bgsave-error),
# OOM (maxmemory reached under noeviction; redis-py's OutOfMemoryError), READONLY (a replica).
REFUSALS = ("MISCONF", "OOM", "READONLY")


def is_cache_failure(exc):
    """A connection-level failure of the cache, or a Redis that refuses writes (not a bad key or
    value): unusable until it recovers, like an unreachable one."""
    if isinstance(exc, CacheUnavailable):
        return True
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a runtime dependency
        return False
    errors = redis.exceptions
    if isinstance(exc, (errors.ConnectionError, errors.TimeoutError, errors.ReadOnlyError, errors.OutOfMemoryError)):
        return True
    return isinstance(exc, errors.ResponseError) and str(exc).startswith(REFUSALS)


def _guarded(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        breaker.check()
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if is_cache_failure(exc):
                breaker.trip(exc)
                raise CacheUnavailable(f"{type(exc).__name__}: {exc}"[:200]) from exc
            raise

    return call


_pools, _clients, _pools_lock = {}, {}, threading.Lock()


class BreakerRedisCacheClient(RedisCacheClient):
    """Django's client, with one connection pool per server and one `redis.Redis` per pool for
    the whole process. Django keeps a cache (so pools and connections) per thread, and a
    thread started for one read (a page of a paged read, an agent directory) opened a pool and a
    TCP connection of its own; it builds a new `redis.Redis` for every call, whose constructor
    (its response callbacks) cost a poll more CPU than its round trips (py-spy on
    bench/floor.py: 17 % of a worker's CPU). Both are safe across threads (redis-py's pool checks
    its pid, so a forked worker opens its own)."""

    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        key = (self._servers[index], self._pool_class, repr(sorted(self._pool_options.items())))
        pool = _pools.get(key)
        if pool is None:
            with _pools_lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(self._servers[index], **self._pool_options)
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None:
            client = _clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def add_and_incr(self, key, ttl):
        """SET key 0 NX EX ttl, then INCR key, in one round trip: the counter's new value."""
        pipe = self.get_client(key, write=True).pipeline(transaction=False)
        pipe.set(key, 0, nx=True, ex=ttl)
        pipe.incr(key)
        return pipe.execute()[1]


for _name in ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many", "clear"):
    setattr(BreakerRedisCacheClient, _name, _guarded(getattr(RedisCacheClient, _name)))
BreakerRedisCacheClient.add_and_incr = _guarded(BreakerRedisCacheClient.add_and_incr)


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with short socket timeouts (settings) and the breaker above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = BreakerRedisCacheClient

    def validate_key(self, key):
        """No memcached key warnings (a scan of every key's characters on every call): Redis takes
        any key, and ours are the portal's own."""

    def add_and_incr(self, key, ttl, version=None):
        """A counter that exists for `ttl` s from its first use, plus one: its new value."""
        return self._cache.add_and_incr(self.make_key(key, version=version), ttl)


class BestEffortCache:
    """The default cache for callers that can do without it: an unreachable cache reads as
    empty and forgets writes (a missing counter raises ValueError on `incr`, as Django's do)."""

    def __init__(self, cache=None):
        self._cache = cache

    @property
    def cache(self):
        return self._cache or default_cache

    def _try(self, name, fallback, *args, **kwargs):
        """The cache's answer, or `fallback()` when the cache is unreachable."""
        try:
            return getattr(self.cache, name)(*args, **kwargs)
        except Exception as exc:
            if not is_cache_failure(exc):
                raise
            return fallback()

    def get(self, key, default=None, version=None):
        return self._try("get", lambda: default, key, default, version=version)

    def get_many(self, keys, version=None):
        return self._try("get_many", dict, keys, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try("set", lambda: None, key, value, timeout, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try("add", lambda: True, key, value, timeout, version=version)

    def delete(self, key, version=None):
        return self._try("delete", lambda: False, key, version=version)

    def delete_many(self, keys, version=None):
        return self._try("delete_many", lambda: None, keys, version=version)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key {key!r} not found (the cache is unreachable)")

        return self._try("incr", missing, key, delta, version=version)

    def add_and_incr(self, key, ttl):
        """One more on a counter that lives `ttl` s from its first use (one round trip on Redis);
        1 while the cache is unreachable (every call counts as the first)."""
        if not hasattr(self.cache, "add_and_incr"):
            return None  # another backend: the caller adds, then increments
        return self._try("add_and_incr", lambda: 1, key, ttl)


best_effort = BestEffortCache()
