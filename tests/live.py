"""A browser over real HTTP, for portals running as servers (live_server, gunicorn)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from simulator.browser import answer_authorize


class LiveBrowser:
    """A browser over real HTTP against a running portal (live_server or gunicorn)."""

    def __init__(self, portal_url, op):
        self.portal = portal_url.rstrip("/")
        self.op = op
        self.http = requests.Session()

    def sign_in(self, tenant="acme", username="alex.agent@acme.example"):
        start = self.http.get(f"{self.portal}/oidc/authenticate/", params={"tenant": tenant}, allow_redirects=False)
        assert start.status_code == 302, start.text[:300]
        location = answer_authorize(start.headers["Location"], username, http=self.http, check_page=True)
        callback = self.http.get(location, allow_redirects=False)
        assert callback.status_code == 302 and callback.headers["Location"] == "/dashboard/", callback.text[:500]
        return callback

    def burst(self, n, path="/api/session/", method="get", portals=None):
        """n requests of this session at once (spread over `portals`); their status codes."""
        barrier = threading.Barrier(n)
        cookies = self.http.cookies.get_dict()
        portals = portals or [self.portal]

        def one(i):
            barrier.wait(10)
            portal = portals[i % len(portals)].rstrip("/")
            kind = method if (i // len(portals)) % 2 == 0 else "get"
            headers = {"X-Requested-With": "XMLHttpRequest"}
            if kind == "post":
                headers["X-CSRFToken"] = cookies.get("csrftoken", "")
                headers["Referer"] = portal + "/"
            return getattr(requests, kind)(
                portal + path, cookies=cookies, headers=headers, allow_redirects=False, timeout=30
            ).status_code

        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(one, range(n)))
