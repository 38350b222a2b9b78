"""CXone's REST APIs with a signed-in user's token: a small client, framework-free.

`{api_endpoint}/inContactAPI/services/vNN.0/<path>`, `Authorization: Bearer`, `Accept:
application/json`, over the HTTP session passed in. It knows CXone's habits: paging by
`skip`/`top` with `totalRecords` and `_links.next` (a page may hold fewer rows than asked for;
pages are bounded), `updatedSince`/`lastPollTime` deltas, 304 (nothing changed), 204 (nothing
matched), 401 (one refresh of the token through `refresh_token()`, one retry, never a loop),
403 (the user's CXone role lacks the permission), 429/503 (no reliable Retry-After: the
caller backs off). Failures raise `APIError` with a `Reason`; bodies are bounded and parsed
like an OpenID Provider's. Every call is logged with path, status and duration, never a token.
"""
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit

import requests

from core.reasons import Reason, ReasonError
from core.untrusted import UntrustedBodyError, read_json

logger = logging.getLogger(__name__)

# API versions differ per path (NICE's own SDK uses v23.0-v34.0); one table, one place.
VERSIONS = {
    "agents": "v30.0",
    "agents/{agentId}": "v30.0",
    "agents/states": "v30.0",
    "agents/{agentId}/states": "v30.0",
    "contacts/completed": "v30.0",
    "skills/activity": "v30.0",
}
NOT_MODIFIED = object()
BODY_LIMIT = 4 * 1024 * 1024  # a page of a big team, with room; never a whole download


class APIError(ReasonError):
    """CXone's API refused or failed: a reason, a detail and CXone's HTTP status (if any)."""

    def __init__(self, reason, detail="", status=None):
        super().__init__(reason, detail)
        self.status = status


class CXoneClient:
    def __init__(self, base_url, token, session, *, refresh_token=None, timeout=10.0, page_size=100, max_pages=50,
                 parallel=4, clock=time.monotonic):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.session = session
        self.refresh_token = refresh_token  # () -> a new access token, or None when there is none
        self.timeout = timeout
        self.page_size = page_size
        self.max_pages = max_pages
        self.parallel = parallel
        self.clock = clock
        self._origin = urlsplit(self.base_url)[:2]

    def url(self, path, **path_args):
        return f"{self.base_url}/inContactAPI/services/{VERSIONS[path]}/{path.format(**path_args)}"

    # --- one call ------------------------------------------------------------------------------

    def call(self, url, params=None, *, path):
        """GET one URL: the parsed body, None for 204, NOT_MODIFIED for 304."""
        response, status = self._send(url, params, path)
        if status == 401 and self.refresh_token is not None:
            fresh = self.refresh_token()
            if fresh:
                self.token = fresh
                response, status = self._send(url, params, path)
        if status == 200:
            return response
        if status == 204:
            return None
        if status == 304:
            return NOT_MODIFIED
        if status == 401:
            raise APIError(Reason.API_UNAUTHORIZED, path, status)
        if status == 403:
            raise APIError(Reason.API_FORBIDDEN, path, status)
        if status in (429, 503):
            raise APIError(Reason.API_THROTTLED, f"{path} HTTP {status}", status)
        if 400 <= status < 500:
            raise APIError(Reason.API_BAD_REQUEST, f"{path} HTTP {status}", status)
        raise APIError(Reason.API_UNAVAILABLE, f"{path} HTTP {status}", status)

    def _send(self, url, params, path):
        started = self.clock()
        status, body = None, None
        try:
            with self.session.get(url, params=params, timeout=self.timeout, allow_redirects=False, stream=True,
                                  headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"}) as response:
                status = response.status_code
                if status == 200:
                    body = read_json(response, limit=BODY_LIMIT, timeout=self.timeout)
                    if not isinstance(body, dict):
                        raise APIError(Reason.API_BAD_RESPONSE, f"{path}: not a JSON object", status)
        except requests.Timeout:
            raise APIError(Reason.API_TIMEOUT, path)
        except requests.RequestException as exc:
            raise APIError(Reason.API_UNAVAILABLE, f"{path}: {type(exc).__name__}")
        except UntrustedBodyError as exc:
            raise APIError(Reason.API_BAD_RESPONSE, f"{path}: {exc}", status)
        finally:
            logger.info("cxone api", extra={"event": "cxone_api", "path": path, "status": status,
                                            "duration_ms": round((self.clock() - started) * 1000, 1)})
        return body, status

    # --- paging --------------------------------------------------------------------------------

    def get_all(self, path, list_key, params=None, **path_args):
        """Every row of a paged list: the first page, then the rest in parallel by `skip`
        when `totalRecords` says how many; otherwise `_links.next`, one page at a time.
        Returns (rows, first page's body); ([], None) for 204; NOT_MODIFIED for 304."""
        url = self.url(path, **path_args)
        first = self.call(url, {**(params or {}), "skip": 0, "top": self.page_size}, path=path)
        if first is None or first is NOT_MODIFIED:
            return ([], None) if first is None else NOT_MODIFIED
        rows = self._rows(first, list_key, path)
        total = first.get("totalRecords")
        if isinstance(total, int) and not isinstance(total, bool) and 0 <= total and len(rows) < total:
            step = max(1, len(rows))  # pages may hold fewer rows than asked for
            skips = list(range(len(rows), total, step))[: self.max_pages - 1]
            with ThreadPoolExecutor(min(self.parallel, len(skips)) or 1) as pool:
                pages = pool.map(lambda skip: self.call(url, {**(params or {}), "skip": skip, "top": step}, path=path), skips)
                for page in pages:
                    rows += self._rows(page, list_key, path) if isinstance(page, dict) else []
            return rows[:total], first
        page, seen = first, 1
        while isinstance(page, dict) and seen < self.max_pages:
            next_url = self._next_url(page, url)
            if not next_url:
                break
            page = self.call(next_url, path=path)
            rows += self._rows(page, list_key, path) if isinstance(page, dict) else []
            seen += 1
        return rows, first

    @staticmethod
    def _rows(body, list_key, path):
        rows = body.get(list_key, [])
        if not isinstance(rows, list):
            raise APIError(Reason.API_BAD_RESPONSE, f"{path}: {list_key} is not a list")
        return [row for row in rows if isinstance(row, dict)]

    def _next_url(self, page, url):
        """`_links.next`, resolved against the request's URL; only ever to the same origin
        (the token goes with it)."""
        links = page.get("_links")
        target = links.get("next") if isinstance(links, dict) else None
        if not isinstance(target, str) or not target:
            return None
        resolved = urljoin(url, target)
        return resolved if urlsplit(resolved)[:2] == self._origin else None

    # --- what the workspaces read ------------------------------------------------------------------

    def agent_states(self, updated_since=None):
        """(states, lastPollTime) of every agent the user may see; NOT_MODIFIED when nothing
        changed since `updated_since` (the previous answer's lastPollTime)."""
        params = {"updatedSince": updated_since} if updated_since else {}
        result = self.get_all("agents/states", "agentStates", params)
        if result is NOT_MODIFIED:
            return NOT_MODIFIED
        rows, first = result
        return rows, (first or {}).get("lastPollTime")

    def agent_state(self, agent_id):
        body = self.call(self.url("agents/{agentId}/states", agentId=agent_id), path="agents/{agentId}/states")
        rows = self._rows(body, "agentStates", "agents/{agentId}/states") if isinstance(body, dict) else []
        return rows[0] if rows else None

    def completed_contacts(self, agent_id, start, end):
        """The agent's completed contacts between two ISO-8601 instants, every page."""
        rows, _ = self.get_all("contacts/completed", "completedContacts", {"agentId": agent_id, "startDate": start, "endDate": end})
        return rows

    def skill_activity(self):
        body = self.call(self.url("skills/activity"), path="skills/activity")
        return self._rows(body, "skillActivity", "skills/activity") if isinstance(body, dict) else []
