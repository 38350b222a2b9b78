"""10,000 malformed sign-in requests: bad, missing, oversized and repeated parameters,
forged states, garbage codes. Not one may end in a 500."""
import random
from collections import Counter
from urllib.parse import quote

import pytest
from django.test import Client

from accounts.models import CXoneIdentity, TokenSession

from .conftest import query_of

REQUESTS = 10_000
JUNK = [
    "",
    " ",
    "acme",
    "ACME",
    "globex",
    "a" * 5000,
    "../../etc/passwd",
    "%00",
    "\x00",
    "\u202e\u0000\ufffd",
    "😀" * 50,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "//evil.example",
    "https://evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "/dashboard/",
    "\r\nSet-Cookie: x=y",
    "null",
    "[]",
    "{}",
    "-1",
    "9" * 40,
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
]
AUTH_PARAMS = ["tenant", "login_hint", "next", "display", "max_age", "reauth", "environment", "prompt", "tenantId"]
CALLBACK_PARAMS = ["state", "code", "error", "error_description", "iss", "session_state"]


def junk_query(rng, names):
    pairs = []
    for name in rng.sample(names, rng.randint(0, len(names))):
        for _ in range(rng.choice([1, 1, 1, 2, 3])):  # repeated parameters
            pairs.append((name, rng.choice(JUNK)))
    if rng.random() < 0.05:
        pairs.append((rng.choice(JUNK)[:20] or "x", rng.choice(JUNK)))  # unknown names
    rng.shuffle(pairs)
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


@pytest.mark.django_db
def test_ten_thousand_malformed_requests_never_500(cxone):
    rng = random.Random(20261121)
    statuses = Counter()
    clients = [Client(raise_request_exception=False) for _ in range(8)]
    real_states = []
    for i in range(REQUESTS):
        client = rng.choice(clients)
        kind = rng.random()
        if kind < 0.40:
            response = client.get("/oidc/authenticate/?" + junk_query(rng, AUTH_PARAMS))
            if response.status_code == 302 and "state=" in response.get("Location", ""):
                real_states.append((client, query_of(response["Location"])["state"]))
        elif kind < 0.85:
            query = junk_query(rng, CALLBACK_PARAMS)
            if real_states and rng.random() < 0.15:
                # A state this browser really holds, with a garbage code or error: forged answers.
                owner, state = real_states.pop()  # the newest: older ones were evicted (20 per session)
                extra = rng.choice([f"code={quote(rng.choice(JUNK) or 'x')}", "error=access_denied", "code=x&iss=https%3A%2F%2Fevil", "code=" + "A" * 4000])
                # Last wins in a QueryDict: the real state and the forged answer go last.
                client, query = owner, f"{query}&state={quote(state)}&{extra}"
            response = client.get("/oidc/callback/?" + query)
        elif kind < 0.92:
            response = client.post("/oidc/callback/?" + junk_query(rng, CALLBACK_PARAMS), data={"code": rng.choice(JUNK)})
        elif kind < 0.97:
            response = client.get(rng.choice(["/login/", "/signed-out/", "/dashboard/", "/api/session/"]) + "?" + junk_query(rng, AUTH_PARAMS + CALLBACK_PARAMS))
        else:
            response = client.post("/oidc/logout/", data={"next": rng.choice(JUNK)})
        statuses[response.status_code] += 1
        assert response.status_code < 500, (i, response.status_code, response.content[:500])
    assert sum(statuses.values()) == REQUESTS
    assert set(statuses) <= {200, 302, 400, 403, 405}, statuses
    assert statuses[400] > 1000 and statuses[302] > 1000  # both paths were really exercised
    assert cxone.sim.count("token") > 50  # forged answers reached the token endpoint and were refused
    assert not CXoneIdentity.objects.exists() and not TokenSession.objects.exists()
    print(f"\nfuzz: {REQUESTS} requests, statuses {dict(sorted(statuses.items()))}")
