"""A fixed-window rate limit in the shared cache, and the client address it is keyed on.

Sized for contact centres: a morning shift signs in from behind one NAT address, hundreds of
agents within minutes, so the default (CXONE_SIGNIN_RATE_LIMIT=600/m) is far above that and
far below a flood. One cache `add` and one `incr` per check; no database.
"""
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

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


def client_address(request):
    """The browser's address: REMOTE_ADDR, or the header the proxy sets (CLIENT_IP_HEADER)."""
    if settings.CLIENT_IP_HEADER:
        value = request.META.get("HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_"), "")
        value = value.split(",")[0].strip()
        if value:
            return value[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def allow(scope, key, rate):
    """True while `key` has made fewer than rate's count of calls in the current window;
    otherwise False and the seconds until the window ends."""
    if rate is None:
        return True, 0
    count, period = rate
    window = int(time.time() // period)
    used = bump(f"cxone:rate:{scope}:{key}:{window}", period + 1)
    return used <= count, period - int(time.time()) % period


def bump(cache_key, ttl):
    """Add one to a counter in the shared cache (atomic on Redis) and return it."""
    cache.add(cache_key, 0, ttl)
    try:
        return cache.incr(cache_key)
    except ValueError:  # evicted between add and incr: count this call as the first
        cache.set(cache_key, 1, ttl)
        return 1
