"""CXone's REST APIs with a signed-in user's token: a small client, framework-free.

`{api_endpoint}/inContactAPI/services/vNN.0/<path>`, `Authorization: Bearer`, `Accept:
application/json`, over the HTTP session passed in (one that keeps no cookies). It knows
CXone's habits:

- paging: the first page, then the rest in parallel by `skip`/`top` up to `totalRecords`
  (a page may hold fewer rows than asked for: the step is what the first page held): up to
  `parallel` pages of one read at once, and `PAGES_IN_FLIGHT` of every read in the process
  (a few tenants' big reads never open hundreds of sockets); or `_links.next` one page at a
  time (same origin only: the token goes with it). A read is bounded by rows (`max_rows`),
  bytes (`max_bytes`) and pages (`max_pages`, `MAX_PAGES` unless a read of more rows per
  agent says more); a cut read says so (`partial`).
- one deadline for a whole read, sized to it: `timeout` for the first page, then
  `page_seconds` per round of the pages `totalRecords` says are left, at most
  `max_read_seconds` (`read_seconds`); each call still waits `timeout` at most;
- `updatedSince`/`lastPollTime` deltas, 304 (nothing changed), 204 (nothing matched);
- 401: pages read in parallel collect their 401s; the calling thread refreshes **once**,
  naming the token that was rejected, and retries those pages; a second 401 is final;
- 403 (the role lacks the permission), 404, 409, 429/503 (no reliable Retry-After: the
  caller backs off), other 4xx and 5xx, timeouts: each a `Reason`, raised as `APIError`.

Everything CXone sends is read like an OpenID Provider's answers: bounded bytes, parsed as
plain data, wrong types and impossible totals refused. Every call is logged with path,
status and duration (and the request id, from pool threads too), never a token.
"""
import contextvars
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from core import metrics
from core.reasons import Reason, ReasonError
from core.untrusted import UntrustedBodyError, parse_json, read_body

logger = logging.getLogger(__name__)

# API versions differ per path (NICE's own SDK uses v23.0-v34.0); one table, one place.
VERSIONS = {
    "agents": "v30.0",
    "agents/{agentId}": "v30.0",
    "agents/states": "v30.0",
    "agents/{agentId}/states": "v30.0",
    "agents/{agentId}/state": "v30.0",
    "agents/{agentId}/logout": "v30.0",
    "agents/messages": "v30.0",
    "agents/messages/{messageId}": "v30.0",
    "agents/skills": "v30.0",
    "skills/{skillId}/agents": "v30.0",
    "agents/{agentId}/messages": "v23.0",
    "agents/{agentId}/state-history": "v27.0",
    "agents/{agentId}/performance": "v23.0",
    "teams/{teamId}/performance-total": "v27.0",
    "teams/{teamId}/unavailable-codes": "v23.0",
    "contacts/completed": "v30.0",
    "skills/activity": "v30.0",
    "skills/summary": "v30.0",
    "server-time": "v23.0",
}
NOT_MODIFIED = object()
PAGE_LIMIT = 4 * 1024 * 1024  # one page of a big team, with room
MAX_PAGES = 1000  # 20,000 agents in CXone's smallest pages (25) is 800
PARALLEL_PAGES = 16  # one read's pages in flight at once: 20,000 agents in pages of 50 is 25 rounds
PAGES_IN_FLIGHT = 48  # every read's pages in flight at once in this process (core/http.py's pool holds 64)
PAGE_SLOTS = threading.BoundedSemaphore(PAGES_IN_FLIGHT)
PAGE_SECONDS = 1.0  # a paged read's deadline grows by this per round of `parallel` pages
READ_TIMEOUTS = 4  # ... up to this many `timeout`s in all (`max_read_seconds`)
# CXone's timestamps: ISO-8601, ASCII, short. Anything else is not sent back as updatedSince.
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{5,15}(Z|[+-][0-9]{2}:?[0-9]{2})?$")


class APIError(ReasonError):
    """CXone's API refused or failed: a reason, a detail and CXone's HTTP status (if any)."""

    def __init__(self, reason, detail="", status=None):
        super().__init__(reason, detail)
        self.status = status


_STATUS_REASONS = {401: Reason.API_UNAUTHORIZED, 403: Reason.API_FORBIDDEN, 404: Reason.API_NOT_FOUND,
                   409: Reason.API_CONFLICT, 429: Reason.API_THROTTLED, 503: Reason.API_THROTTLED}


def reason_for_status(status):
    if status in _STATUS_REASONS:
        return _STATUS_REASONS[status]
    return Reason.API_BAD_REQUEST if 400 <= status < 500 else Reason.API_UNAVAILABLE


ERROR_BODY_LIMIT = 4096
ERROR_WORDS_LIMIT = 200
# CXone's error bodies vary: {error, error_description}, {error, errorDescription}, {message}, other casings.
_ERROR_KEYS = ("error", "error_description", "errordescription", "message", "description", "detail")


def error_words(response, timeout):
    """CXone's own words for a refusal, bounded and printable ("" when it said none in JSON):
    `error: description` from whichever casing it used. For the log only, never a page."""
    try:
        body = parse_json(read_body(response, limit=ERROR_BODY_LIMIT, timeout=timeout))
    except (UntrustedBodyError, ValueError, UnicodeError, requests.RequestException):
        return ""
    if not isinstance(body, dict):
        return ""
    said = {}
    for key, value in body.items():
        name = key.lower().replace("-", "_") if isinstance(key, str) else ""
        name = "errordescription" if name in ("error_description", "errordescription") else name
        if name in _ERROR_KEYS and isinstance(value, (str, int)) and name not in said:
            said[name] = "".join(ch for ch in str(value)[:ERROR_WORDS_LIMIT] if ch.isprintable())
    words = ": ".join(said[k] for k in ("error", "errordescription", "message", "description", "detail") if said.get(k))
    return words[:ERROR_WORDS_LIMIT]


def timestamp(value):
    """A CXone timestamp we may send back (e.g. `lastPollTime` as `updatedSince`), or None."""
    return value if isinstance(value, str) and len(value) <= 40 and _TIMESTAMP.match(value) else None


def count(value, limit):
    """A non-negative integer no larger than `limit`, or None (bools and floats are not counts)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit else None


@dataclass
class Listing:
    """Every row of a paged list as far as the bounds allowed."""

    rows: list = field(default_factory=list)
    first: dict | None = None
    total: int | None = None  # what CXone said it has (None when it did not say, or said nonsense)
    partial: bool = False  # a bound (rows, bytes) cut the read short


class _Unauthorized(Exception):
    """A page answered 401 with `token`: the calling thread refreshes once and retries."""

    def __init__(self, token):
        self.token = token


class CXoneClient:
    def __init__(self, base_url, token, session, *, refresh_token=None, timeout=10.0, page_size=100,
                 max_rows=20000, max_bytes=64 * 1024 * 1024, parallel=PARALLEL_PAGES, page_seconds=PAGE_SECONDS,
                 max_read_seconds=None, slots=PAGE_SLOTS, clock=time.monotonic, max_pages=MAX_PAGES):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = session
        self.refresh_token = refresh_token  # (rejected token) -> a new access token; raises to end the session
        self.timeout = timeout
        self.page_size = page_size
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.max_pages = max_pages
        self.parallel = max(1, parallel)
        self.page_seconds = page_seconds
        self.max_read_seconds = max_read_seconds if max_read_seconds is not None else READ_TIMEOUTS * timeout
        self.slots = slots  # a semaphore shared by every client of the process: its pages in flight
        self.clock = clock
        self._origin = urlsplit(self.base_url)[:2]
        self._bytes = 0
        self._bytes_lock = threading.Lock()
        self.last_status = None  # CXone's status for the last call (the audit records it)

    def beside(self):
        """A client for a read beside this one's (e.g. the agent directory beside the states):
        the same CXone, token and bounds, bytes counted apart, no refresh (a 401 there costs only
        that read; this client's own reads refresh)."""
        return CXoneClient(self.base_url, self.token, self.session, timeout=self.timeout, page_size=self.page_size,
                           max_rows=self.max_rows, max_bytes=self.max_bytes, parallel=self.parallel,
                           page_seconds=self.page_seconds, max_read_seconds=self.max_read_seconds, slots=self.slots,
                           clock=self.clock, max_pages=self.max_pages)

    def url(self, path, **path_args):
        return f"{self.base_url}/inContactAPI/services/{VERSIONS[path]}/{path.format(**path_args)}"

    def deadline(self):
        return self.clock() + self.timeout

    def read_seconds(self, pages, parallel=None):
        """A paged read's whole bound once CXone has said how many pages are left after the first:
        `timeout` (the first page's), then `page_seconds` per round of `parallel` pages, at most
        `max_read_seconds`. 20,000 agents in pages of 50 at 16 at once: 10 + 25 x 1 = 35 s."""
        rounds = -(-max(0, pages) // max(1, parallel or self.parallel))
        return min(self.max_read_seconds, self.timeout + rounds * self.page_seconds)

    # --- one call ------------------------------------------------------------------------------

    def call(self, url, params=None, *, path, deadline=None, method="GET", json=None):
        """One request: the parsed body, None for 202/204, NOT_MODIFIED for 304. A 401 refreshes
        the token once (on this thread) and retries once."""
        deadline = deadline or self.deadline()
        try:
            return self._call_once(url, params, path, deadline, method, json)
        except _Unauthorized as exc:
            self._refresh(exc.token)
        try:
            return self._call_once(url, params, path, deadline, method, json)
        except _Unauthorized:
            raise APIError(Reason.API_UNAUTHORIZED, path, 401)

    def _call_once(self, url, params, path, deadline, method="GET", json=None):
        token = self.token
        body, status, said = self._send(url, params, path, deadline, token, method, json)
        self.last_status = status
        if status == 200:
            return body
        if status in (201, 202, 204):
            return body if status != 204 else None
        if status == 304 and method == "GET" and "updatedSince" in (params or {}):
            return NOT_MODIFIED  # only a conditional read can be "not modified"
        if status == 304:
            raise APIError(Reason.API_BAD_RESPONSE, f"{path}: 304 to a request that asked for no condition", status)
        if status == 401:
            raise _Unauthorized(token)
        raise APIError(reason_for_status(status), f"{path} HTTP {status}" + (f": {said}" if said else ""), status)

    def _refresh(self, rejected):
        """One refresh for every page that saw `rejected`; a later caller finds it done."""
        if self.token != rejected:
            return
        fresh = self.refresh_token(rejected) if self.refresh_token is not None else None
        if not fresh:
            raise APIError(Reason.API_UNAUTHORIZED, "no refresh", 401)
        self.token = fresh

    def _send(self, url, params, path, deadline, token, method="GET", json=None):
        started = self.clock()
        remaining = deadline - started
        status, body, cxone_says = None, None, ""
        if remaining <= 0:
            raise APIError(Reason.API_TIMEOUT, f"{path}: deadline passed")
        try:
            with self.session.request(method, url, params=params, json=json, timeout=min(self.timeout, remaining),
                                      allow_redirects=False, stream=True,
                                      headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}) as response:
                status = response.status_code
                if status >= 400:
                    cxone_says = error_words(response, min(1.0, max(0.001, deadline - self.clock())))
                if status in (200, 201, 202):
                    limit = max(0, min(PAGE_LIMIT, self.max_bytes - self._bytes))
                    raw = read_body(response, limit=limit, timeout=max(0.001, deadline - self.clock()), clock=self.clock)
                    with self._bytes_lock:  # pages of one read land on several threads
                        self._bytes += len(raw)
                    body = parse_json(raw) if raw.strip() else {}
                    if not isinstance(body, dict):
                        raise APIError(Reason.API_BAD_RESPONSE, f"{path}: not a JSON object", status)
        except requests.Timeout:
            raise APIError(Reason.API_TIMEOUT, path)
        except (requests.RequestException, ValueError, UnicodeError) as exc:  # bad URLs and params are ValueErrors
            if isinstance(exc, UntrustedBodyError) and str(exc) == "too slow":  # the body outlasted the read's deadline
                raise APIError(Reason.API_TIMEOUT, f"{path}: {exc}", status)
            if isinstance(exc, UntrustedBodyError):
                raise APIError(Reason.API_BAD_RESPONSE, f"{path}: {exc}", status)
            raise APIError(Reason.API_UNAVAILABLE, f"{path}: {type(exc).__name__}")
        finally:
            logger.info("cxone api", extra={"event": "cxone_api", "path": path, "method": method, "status": status,
                                            "duration_ms": round((self.clock() - started) * 1000, 1),
                                            **({"cxone_says": cxone_says} if cxone_says else {})})
            metrics.cxone_call(path, method, status, self.clock() - started)
        return body, status, cxone_says

    # --- paging --------------------------------------------------------------------------------

    def get_all(self, path, list_key, params=None, *, deadline=None, **path_args):
        """Every row of a paged list within the bounds: a `Listing`; an empty one for 204;
        NOT_MODIFIED for 304. One deadline for all the pages: the one given, or one sized to the
        read once its first page says how many are left (`read_seconds`)."""
        started = self.clock()
        sized = deadline is None
        deadline = deadline or started + self.timeout
        url = self.url(path, **path_args)
        params = dict(params or {})
        first = self.call(url, {**params, "skip": 0, "top": self.page_size}, path=path, deadline=deadline)
        if first is None:
            return Listing()
        if first is NOT_MODIFIED:
            return NOT_MODIFIED
        rows = self._rows(first, list_key, path)
        total = count(first.get("totalRecords"), 10**9)
        if first.get("totalRecords") is not None and total is None:
            raise APIError(Reason.API_BAD_RESPONSE, f"{path}: totalRecords is not a count")
        listing = Listing(rows, first, total, partial=len(rows) > self.max_rows)
        if total is not None and len(rows) < total and rows:
            skips = self._skips(total, len(rows))
            if sized:
                deadline = started + self.read_seconds(len(skips))
            self._rest_by_skip(url, params, path, list_key, listing, skips, deadline)
        elif total is None or len(rows) < total:
            if sized and total is not None:  # counted, but paged by links: one page at a time
                pages = min(self.max_pages, -(-min(total, self.max_rows) // self.page_size))
                deadline = started + self.read_seconds(pages, parallel=1)
            self._rest_by_links(url, path, list_key, listing, deadline)
        if len(listing.rows) > self.max_rows:
            listing.rows, listing.partial = listing.rows[: self.max_rows], True
        if total is not None and len(listing.rows) < total:
            listing.partial = True
        return listing

    def _skips(self, total, step):
        """The later pages' `skip`s: `step` is what CXone put on the first page (it may cap below
        what was asked); bounded by rows and pages, lazy (an impossible total costs nothing)."""
        return range(step, min(total, self.max_rows, step * self.max_pages), step)

    def _rest_by_skip(self, url, params, path, list_key, listing, skips, deadline):
        step = skips.step

        def page(skip):
            if not self.slots.acquire(timeout=max(0.0, deadline - self.clock())):
                raise APIError(Reason.API_TIMEOUT, f"{path}: no page slot before the deadline")
            try:
                body = self._call_once(url, {**params, "skip": skip, "top": step}, path, deadline)
            finally:
                self.slots.release()
            return self._rows(body, list_key, path) if isinstance(body, dict) else []

        pages, retry = self._parallel(page, skips)
        if retry:
            self._refresh(retry[0][1])
            again, still = self._parallel(page, [skip for skip, _ in retry])
            if still:
                raise APIError(Reason.API_UNAUTHORIZED, path, 401)
            pages.update(again)
        for skip in sorted(pages):
            listing.rows += pages[skip]

    def _parallel(self, page, skips):
        """Run `page(skip)` for each skip on up to `parallel` threads of this read that keep this
        request's context (its request id); returns ({skip: rows}, [(skip, rejected token)…]).
        The first failure cancels the pages not yet started."""
        results, unauthorized = {}, []
        if not skips:
            return results, unauthorized
        with ThreadPoolExecutor(min(self.parallel, len(skips)), thread_name_prefix="cxone-page") as pool:
            futures = {}
            for skip in skips:
                if self._bytes >= self.max_bytes:
                    break
                ctx = contextvars.copy_context()
                futures[pool.submit(ctx.run, page, skip)] = skip
            errors = []
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                try:
                    results[futures[future]] = future.result()
                except _Unauthorized as exc:
                    unauthorized.append((futures[future], exc.token))
                except APIError as exc:
                    if not errors:
                        for pending in futures:
                            pending.cancel()
                    errors.append(exc)
            if errors:
                raise errors[0]
        return results, unauthorized

    def _rest_by_links(self, url, path, list_key, listing, deadline):
        page, seen = listing.first, 1
        while isinstance(page, dict) and len(listing.rows) < self.max_rows and seen < self.max_pages:
            next_url = self._next_url(page, url, path)
            if not next_url:
                return
            if self._bytes >= self.max_bytes:
                listing.partial = True
                return
            page = self.call(next_url, path=path, deadline=deadline)
            listing.rows += self._rows(page, list_key, path) if isinstance(page, dict) else []
            seen += 1

    @staticmethod
    def _rows(body, list_key, path):
        rows = body.get(list_key, [])
        if rows is None:
            return []
        if not isinstance(rows, list):
            raise APIError(Reason.API_BAD_RESPONSE, f"{path}: {list_key} is not a list")
        return [row for row in rows if isinstance(row, dict)]

    def _next_url(self, page, url, path):
        """`_links.next`, resolved against the request's URL; only ever to the same origin
        (the token goes with it). A malformed link is a bad answer, not a crash."""
        links = page.get("_links")
        target = links.get("next") if isinstance(links, dict) else None
        if not isinstance(target, str) or not target:
            return None
        try:
            if len(target) > 4096 or not target.isascii():
                raise ValueError("not a short ASCII URL")
            resolved = urljoin(url, target)
            origin = urlsplit(resolved)[:2]
        except ValueError:
            raise APIError(Reason.API_BAD_RESPONSE, f"{path}: _links.next is not a URL")
        return resolved if origin == self._origin and resolved != url else None

    # --- what the workspaces read ------------------------------------------------------------------

    def agent_states(self, updated_since=None, *, deadline=None):
        """(Listing, lastPollTime) of every agent the user may see; NOT_MODIFIED when nothing
        changed since `updated_since` (the previous answer's lastPollTime)."""
        since = timestamp(updated_since)
        listing = self.get_all("agents/states", "agentStates", {"updatedSince": since} if since else {}, deadline=deadline)
        if listing is NOT_MODIFIED:
            return NOT_MODIFIED
        return listing, timestamp((listing.first or {}).get("lastPollTime"))

    def agent_state(self, agent_id):
        body = self.call(self.url("agents/{agentId}/states", agentId=agent_id), path="agents/{agentId}/states")
        rows = self._rows(body, "agentStates", "agents/{agentId}/states") if isinstance(body, dict) else []
        return rows[0] if rows else None

    def completed_contacts(self, agent_id, start, end):
        """The agent's completed contacts between two ISO-8601 instants, every page."""
        return self.get_all("contacts/completed", "completedContacts", {"agentId": agent_id, "startDate": start, "endDate": end}).rows

    def skill_activity(self):
        """(every row of every page, the top level's serverTime or None). CXone puts `serverTime`
        in each row; a top-level one (older answers) is the rows' fallback."""
        listing = self.get_all("skills/activity", "skillActivity")
        if listing is NOT_MODIFIED or listing.first is None:
            return [], None
        first = listing.first
        return listing.rows, timestamp(first.get("serverTime") or first.get("ServerTime"))

    def skill_assignments(self, *, deadline=None):
        """Who has which skill (`agents/skills`, every page within the bounds): a `Listing`."""
        listing = self.get_all("agents/skills", "agentSkillAssignments", deadline=deadline)
        return Listing() if listing is NOT_MODIFIED else listing

    def server_time(self):
        """CXone's clock (`GET server-time`), or None when it will not say."""
        try:
            body = self.call(self.url("server-time"), path="server-time")
        except APIError as exc:
            if exc.reason in (Reason.API_UNAUTHORIZED, Reason.API_THROTTLED, Reason.API_TIMEOUT, Reason.API_UNAVAILABLE):
                raise
            return None
        body = body if isinstance(body, dict) else {}
        return timestamp(body.get("ServerTime") or body.get("serverTime"))

    def skill_summary(self, start, end):
        body = self.call(self.url("skills/summary"), {"startDate": start, "endDate": end}, path="skills/summary")
        return self._rows(body, "skillSummaries", "skills/summary") if isinstance(body, dict) else []

    # --- what supervisors do ------------------------------------------------------------------------

    def post(self, path, params=None, json=None, **path_args):
        return self.call(self.url(path, **path_args), params, path=path, method="POST", json=json)

    def delete(self, path, **path_args):
        return self.call(self.url(path, **path_args), path=path, method="DELETE")

    def get(self, path, list_key, params=None, **path_args):
        body = self.call(self.url(path, **path_args), params, path=path)
        return self._rows(body, list_key, path) if isinstance(body, dict) else []
