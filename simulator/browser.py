"""What a person does at the simulator's login page, for tests and benchmarks: one helper
instead of the same form post written out in every place that signs in over HTTP."""
from urllib.parse import parse_qs, urlsplit

import requests


def answer_authorize(authorize_url, username="alex.agent@acme.example", *, action="sign_in", http=None, check_page=False):
    """Submit the login page of `authorize_url` as `username` (or press Cancel with
    action="cancel"); returns where CXone sends the browser back (the portal's callback)."""
    http = http or requests.Session()
    if check_page:
        page = http.get(authorize_url, allow_redirects=False)
        assert page.status_code == 200, page.text[:500]
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    answer = http.post(
        authorize_url.split("?")[0], data={**params, "username": username, "action": action}, allow_redirects=False
    )
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]
