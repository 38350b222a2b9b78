"""A fixed-window rate limit in the shared cache.

The client address it is keyed on lives in `core/clientip.py` (`client_address` stays
importable from here for the callers that know it by this name).

Sized for contact centres: a morning shift signs in from behind one NAT address, hundreds of
agents within minutes, so the default (CXONE_SIGNIN_RATE_LIMIT=600/m) is far above that and
far below a flood. One round trip per check on Redis (SET NX EX + INCR in a pipeline), an `add` and an `incr`
elsewhere; no database.
"""
import re
import time

from core.cache import best_effort as cache  # an unreachable cache reads as empty (core/cache.py)
from django.core.exceptions import ImproperlyConfigured

from .clientip import client_address, rate_key  # noqa: F401  (re-exported)

_RATE = re.compile(r"^\s*(\d{1,9})\s*/\s*([smhd])\s*$")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(text):
    """"600/m" -> (600, 60); empty -> None (no limit)."""
    if not text or not text.strip():
        return None
    match = _RATE.match(text)
    if not match:
        raise ImproperlyConfigured(f"A rate looks like 600/m (count per s, m, h or d), not {text!r}.")
    return int(match.group(1)), _PERIODS[match.group(2)]


def allow(scope, key, rate, *, clock=time.time):
    """True while `key` has made fewer than rate's count of calls in the current window;
    otherwise False and the seconds until the window ends (`clock`: the caller's "now")."""
    if rate is None:
        return True, 0
    count, period = rate
    key = rate_key(key)  # an IPv6 address counts as its /64
    now = clock()
    window = int(now // period)
    used = bump(f"cxone:rate:{scope}:{key}:{window}", period + 1)
    return used <= count, period - int(now) % period


def bump(cache_key, ttl, store=None):
    """Add one to a counter in the shared cache (atomic on Redis), or in `store`, and return it."""
    store = store or cache
    if hasattr(store, "add_and_incr"):
        used = store.add_and_incr(cache_key, ttl)  # Redis: one round trip
        if used is not None:
            return used
    store.add(cache_key, 0, ttl)
    try:
        return store.incr(cache_key)
    except ValueError:  # evicted between add and incr: count this call as the first
        store.set(cache_key, 1, ttl)
        return 1
