"""Refreshing a view's room off the request threads: a poll that finds the room's data due
hands the read to this process's few refresh threads and answers at once from the cache (the
data's age says how old it is), so polls never queue behind CXone and a slow tenant cannot
take a worker's request threads.

- bounded: `CXONE_REFRESH_THREADS` threads per process, at most one queued refresh per room and
  resource, and no more queued than four per thread (the rest answer from the cache: the next
  poll asks again);
- the refresh runs under the same tenant slots, lease and back-off as one made on a request
  thread, with the request's context (its request id in the log) and the member's token as the
  request loaded it;
- a 401 there is not refreshed off the request (`background()` is true): the read gives up and
  the member's next poll on a request thread refreshes (or their re-check finds them refused);
- 0 threads (the tests' default) refreshes on the request thread, as a first load always does.

Plain `concurrent.futures` threads, created in each worker on first use (gunicorn preloads the
application in the master and forks: no thread crosses a fork).
"""
import contextvars
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections

logger = logging.getLogger(__name__)

QUEUED_PER_THREAD = 4
_background = contextvars.ContextVar("cxone_refresh_in_background", default=False)


def background():
    """Whether this code runs on a refresh thread (not on a request's)."""
    return _background.get()


class RefreshDeferred(Exception):
    """A token refresh asked for on a refresh thread: left to the member's next request."""


class Refresher:
    def __init__(self, threads):
        self.threads = threads
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="cxone-refresh")
        self.pending = set()
        self.lock = threading.Lock()

    def submit(self, key, work):
        """Run `work()` on a refresh thread unless `key` is already queued or the queue is full:
        True when it was handed over."""
        with self.lock:
            if key in self.pending or len(self.pending) >= self.threads * QUEUED_PER_THREAD:
                return False
            self.pending.add(key)
        context = contextvars.copy_context()
        self.pool.submit(context.run, self._run, key, work)
        return True

    def _run(self, key, work):
        _background.set(True)
        try:
            work()
        except RefreshDeferred:
            logger.info("background refresh left to a request: the token needs refreshing", extra={"event": "cxone_api"})
        except Exception:  # noqa: BLE001  (a refresh thread never dies of one read)
            logger.warning("background refresh failed", exc_info=True, extra={"event": "cxone_api"})
        finally:
            with self.lock:
                self.pending.discard(key)
            close_old_connections()  # this thread's database connection, if a read opened one


_refreshers, _lock = {}, threading.Lock()


def refresher(threads):
    """This process's refresher (None for 0 threads: refresh on the request thread)."""
    if threads <= 0:
        return None
    with _lock:
        key = (os.getpid(), threads)
        if key not in _refreshers:
            _refreshers[key] = Refresher(threads)
        return _refreshers[key]
