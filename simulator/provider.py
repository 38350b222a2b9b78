"""The simulator's OpenID Provider: CXone's endpoints, tokens and errors, as a WSGI app.

Framework-free on purpose, so the same provider runs mounted in the dev server
(`make run`), on its own loopback port in the tests, and behind the benchmarks.
Tests steer it through plain attributes: `latency` (seconds added to every
server-to-server call), `faults` (endpoint -> canned answer), `id_token_hook`
(rewrite the next id_tokens), `token_ttl`; `calls` records what it was asked.
"""
import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from . import pages
from .api import CXoneAPI

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SERVER_TO_SERVER = {"openid-configuration", "cxone-configuration", "token", "jwks", "userinfo"}


@dataclass
class SimUser:
    username: str
    given_name: str
    family_name: str
    role: str
    agent_id: int = 0
    user_id: str = field(default="")
    # The teams (ids) a supervisor may see, as a CXone security profile's "Views" would limit
    # them; empty: every team. The APIs answer only these teams' agents and skills to them.
    teams: tuple = ()
    hidden: tuple = ()  # agent ids their view leaves out even within its teams (a view by agent)

    def __post_init__(self):
        if not self.user_id:
            self.user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cxone-sim:{self.username}"))

    @property
    def sub(self):
        return f"user:{self.user_id}"

    @property
    def display_name(self):
        return f"{self.given_name} {self.family_name}"


@dataclass
class SimTenant:
    tenant_id: str
    name: str
    slug: str
    users: list
    short_name: str = ""
    brand_color: str = "#0b5cab"
    bu_id: int = 4600000
    area: str = "na1"
    cluster: str = "C32"
    domain: str = "niceincontact.com"
    private: bool = False

    def user(self, username):
        for user in self.users:
            if user.username.lower() == (username or "").strip().lower():
                return user
        return None

    def cxone_configuration(self, issuer):
        """Like CXone's, except the endpoints: the simulator serves the APIs and a stand-in for
        CXone's own applications on its own origin, under the issuer."""
        return {
            "private": self.private,
            "area": self.area,
            "cluster": self.cluster,
            "domain": self.domain,
            "acdDomain": "nice-incontact.com",
            "uhDomain": "nice-incontact.com",
            # CXone's are https://{area}.nice-incontact.com; the simulator's live on its own origin,
            # where the portal's rule for discovered endpoints allows them (the demo's "Open CXone").
            "ui_endpoint": f"{issuer}/ui-{self.area}",
            "auth_endpoint": issuer,
            "api_endpoint": f"{issuer}/api-{self.area}",
            "tenantId": self.tenant_id,
        }


@dataclass
class SimClient:
    client_id: str
    client_secret: str
    # None accepts any URI (handy for tests on random ports); a list is matched exactly.
    redirect_uris: list = None
    post_logout_redirect_uris: list = None

    @staticmethod
    def _allows(registered, uri):
        """Exact match against the registered URIs (a list, or a callable that returns one,
        for registrations that change while the simulator runs); None accepts any."""
        if registered is None:
            return bool(uri)
        return uri in (registered() if callable(registered) else registered)

    def allows_redirect(self, uri):
        return self._allows(self.redirect_uris, uri)

    def allows_post_logout_redirect(self, uri):
        return self._allows(self.post_logout_redirect_uris, uri)


class OAuthError(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


class _Key:
    def __init__(self):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        digest = hashlib.sha256(self.jwk["n"].encode()).digest()
        self.kid = base64.urlsafe_b64encode(digest[:9]).decode()
        self.jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})


class CXoneSimulator:
    def __init__(self, issuer, tenants, clients, *, token_ttl=3600, ttl_jitter=0.1, code_ttl=60):
        self.issuer = issuer
        self.base_path = urlsplit(issuer).path.rstrip("/")
        self.tenants = {t.tenant_id.lower(): t for t in tenants}
        self.clients = {c.client_id: c for c in clients}
        self.token_ttl = token_ttl
        self.ttl_jitter = ttl_jitter
        self.code_ttl = code_ttl
        self.keys = [_Key()]
        self._lock = threading.Lock()
        self._codes = {}
        self._refresh_tokens = {}
        self._jtis = set()
        # Test controls
        self.latency = 0.0
        self.rotate_refresh_tokens = True
        # CXone's userinfo has no e-mail; stock mozilla-django-oidc needs one (benchmarks only).
        self.userinfo_email = False
        self.faults = {}
        self.body_hooks = {}
        self.api = CXoneAPI(self)
        self.id_token_hook = None
        self.discovery_overrides = {}
        self.calls = []

    # --- test helpers ----------------------------------------------------------------------

    def count(self, endpoint=None, **match):
        with self._lock:
            return sum(
                1
                for c in self.calls
                if (endpoint is None or c["endpoint"] == endpoint)
                and all(c.get(k) == v for k, v in match.items())
            )

    def reset_calls(self):
        with self._lock:
            self.calls.clear()

    def rotate_keys(self, keep_old=True):
        with self._lock:
            self.keys = [_Key()] + (self.keys if keep_old else [])

    def add_tenant(self, tenant):
        """Serve another tenant from now on (discovery, sign-in, APIs), while running."""
        with self._lock:
            self.tenants[tenant.tenant_id.lower()] = tenant

    def find_user(self, username):
        for tenant in self.tenants.values():
            user = tenant.user(username)
            if user:
                return tenant, user
        return None, None

    def live_refresh_tokens(self):
        with self._lock:
            return len(self._refresh_tokens)

    def endpoint_url(self, name):
        return self.issuer + {
            "authorization": "/auth/authorize",
            "token": "/auth/token",
            "userinfo": "/auth/userinfo",
            "jwks": "/auth/jwks",
            "end_session": "/auth/authorize/logout",
        }[name]

    # --- WSGI ------------------------------------------------------------------------------

    ROUTES = {
        "/.well-known/openid-configuration": "openid-configuration",
        "/.well-known/cxone-configuration": "cxone-configuration",
        "/auth/authorize": "authorize",
        "/auth/token": "token",
        "/auth/jwks": "jwks",
        "/auth/userinfo": "userinfo",
        "/auth/authorize/logout": "logout",
        "/sim/static/sim.css": "css",
        "": "index",
        "/": "index",
    }

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):]
        endpoint = self.ROUTES.get(path)
        method = environ["REQUEST_METHOD"]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        form, raw = {}, b""
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            raw = environ["wsgi.input"].read(min(max(length, 0), 1 << 20))
        if endpoint is None and path.startswith("/ui-") and method == "GET":
            return self._respond(start_response, 200, pages.cxone_ui(self, path[4:20]), "text/html; charset=utf-8")
        if endpoint is None and path.startswith("/api-"):
            # CXone's APIs take their parameters in the query string and JSON bodies (agents/messages).
            call = {"endpoint": "api", "method": method, "time": time.time()}
            with self._lock:
                self.calls.append(call)
            params = {k: v[0] for k, v in query.items()}
            return self.api.handle(path, environ, lambda status, body: self._respond(start_response, status, body), params, call,
                                   body=raw)
        if method == "POST":
            form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        params = {k: v[0] for k, v in {**query, **form}.items()}
        if endpoint is None:
            return self._respond(start_response, 404, {"error": "not_found"})
        call = {"endpoint": endpoint, "method": method, "time": time.time(), "grant_type": params.get("grant_type")}
        with self._lock:
            self.calls.append(call)
        if endpoint in SERVER_TO_SERVER and self.latency:
            time.sleep(self.latency)
        hook = self.body_hooks.get(endpoint)
        if hook is not None:
            return self._rewritten(environ, start_response, endpoint, method, params, call, hook)
        return self._answer(environ, start_response, endpoint, method, params, call)

    def _answer(self, environ, start_response, endpoint, method, params, call):
        fault = self.faults.get(endpoint)
        if fault is not None:
            status, body = fault
            return self._respond(start_response, status, body)
        try:
            return getattr(self, "_" + endpoint.replace("-", "_"))(environ, start_response, method, params, call)
        except OAuthError as exc:
            return self._respond(
                start_response, exc.status, {"error": exc.error, "error_description": exc.description}
            )

    def _rewritten(self, environ, start_response, endpoint, method, params, call, hook):
        """The answer as usual, its body passed through a test's hook (bytes in; bytes, an
        iterable of chunks sent without a length, or either with extra headers as a tuple,
        out): a hostile OP's answers."""
        captured = {}
        body = b"".join(self._answer(environ, lambda status, headers: captured.update(status=status, headers=headers),
                                     endpoint, method, params, call))
        body = hook(body)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        if isinstance(body, tuple):  # (body, extra headers): a lying Content-Length, an encoding
            body, extra = body
            headers += list(extra.items())
            if "Content-Length" in extra:
                start_response(captured["status"], headers)
                return [body] if isinstance(body, bytes) else body
        if isinstance(body, bytes):
            headers.append(("Content-Length", str(len(body))))
            body = [body]
        start_response(captured["status"], headers)
        return body

    def _respond(self, start_response, status, body, content_type=None, headers=()):
        if body is None:  # 204, 304: no body at all
            body, content_type = b"", content_type or "application/json"
        if isinstance(body, (dict, list)):
            payload = json.dumps(body).encode()
            content_type = content_type or "application/json"
        else:
            payload = body.encode() if isinstance(body, str) else body
            content_type = content_type or "text/plain; charset=utf-8"
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Status"
        start_response(
            f"{status} {phrase}",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(payload))),
                ("Cache-Control", "no-store"),
                *headers,
            ],
        )
        return [payload]

    def _redirect(self, start_response, location):
        return self._respond(start_response, 302, b"", "text/plain", [("Location", location)])

    # --- discovery -------------------------------------------------------------------------

    def _openid_configuration(self, environ, start_response, method, params, call):
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": self.endpoint_url("authorization"),
            "token_endpoint": self.endpoint_url("token"),
            "userinfo_endpoint": self.endpoint_url("userinfo"),
            "jwks_uri": self.endpoint_url("jwks"),
            "end_session_endpoint": self.endpoint_url("end_session"),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "request_object_signing_alg_values_supported": ["none"],
            "display_values_supported": ["page", "popup"],
            "claim_types_supported": ["normal"],
            "code_challenge_methods_supported": ["S256"],
        }
        document.update(self.discovery_overrides)
        return self._respond(start_response, 200, document)

    def _cxone_configuration(self, environ, start_response, method, params, call):
        tenant = self.tenants.get(params.get("tenantId", "").lower())
        if tenant is None:
            raise OAuthError("tenant_not_found", "Unknown tenantId.", 404)
        return self._respond(start_response, 200, tenant.cxone_configuration(self.issuer))

    def _jwks(self, environ, start_response, method, params, call):
        return self._respond(start_response, 200, {"keys": [k.jwk for k in self.keys]})

    def _css(self, environ, start_response, method, params, call):
        return self._respond(start_response, 200, pages.CSS, "text/css; charset=utf-8")

    def _index(self, environ, start_response, method, params, call):
        return self._respond(start_response, 200, pages.index(self), "text/html; charset=utf-8")

    # --- authorize -------------------------------------------------------------------------

    def _check_authorize(self, params):
        """Validate an authorization request. Errors that can't go back to the client raise
        ValueError (shown on the simulator's own page); others raise OAuthError (redirected)."""
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            raise ValueError("Unknown client_id.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or not client.allows_redirect(redirect_uri):
            raise ValueError("redirect_uri is not registered for this client.")
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
        if "openid" not in params.get("scope", "").split():
            raise OAuthError("invalid_scope", "scope must include openid.")
        if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
            raise OAuthError("invalid_request", "Only code_challenge_method=S256 is supported.")
        if params.get("display", "page") not in ("page", "popup"):
            raise OAuthError("invalid_request", "display must be page or popup.")
        if params.get("max_age") and not params["max_age"].isdigit():
            raise OAuthError("invalid_request", "max_age must be a number of seconds.")
        tenant = None
        if params.get("tenantId"):
            tenant = self.tenants.get(params["tenantId"].lower())
        hinted = None
        if params.get("id_token_hint"):
            hinted = self._decode_own(params["id_token_hint"])
            if hinted is None:
                raise OAuthError("invalid_request", "id_token_hint is not a token of this issuer.")
        return client, redirect_uri, tenant, hinted

    def _authorize(self, environ, start_response, method, params, call):
        try:
            client, redirect_uri, tenant, hinted = self._check_authorize(params)
        except ValueError as exc:
            return self._respond(start_response, 400, pages.error(self, str(exc)), "text/html; charset=utf-8")
        except OAuthError as exc:
            return self._back(start_response, params, error=exc.error, error_description=exc.description)

        if method == "GET":
            return self._login_page(start_response, params, tenant, hinted)
        if params.get("action") == "cancel":
            return self._back(start_response, params, error="access_denied", error_description="The user cancelled the sign-in.")
        # A demo-user button posts `pick`; the typed username comes as `username`.
        user_tenant, user = self.find_user(params.get("pick") or params.get("username"))
        problem = None
        if user is None:
            problem = "No CXone user has that username."
        elif tenant is not None and user_tenant is not tenant:
            problem = f"That user does not belong to {tenant.name}."
        elif hinted is not None and hinted.get("sub") != user.sub:
            problem = "Sign in as the user this application asked for."
        if problem:
            return self._login_page(start_response, params, tenant, hinted, problem=problem, status=200)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes[code] = {
                "grant_id": uuid.uuid4().hex,
                "client_id": client.client_id,
                "redirect_uri": redirect_uri,
                "tenant": user_tenant,
                "user": user,
                "nonce": params.get("nonce"),
                "challenge": params.get("code_challenge"),
                "auth_time": int(time.time()) if params.get("max_age") else None,
                "expires": time.time() + self.code_ttl,
            }
        return self._back(start_response, params, code=code)

    def _back(self, start_response, params, **answer):
        if "state" in params:
            answer["state"] = params["state"]
        sep = "&" if "?" in params["redirect_uri"] else "?"
        return self._redirect(start_response, params["redirect_uri"] + sep + urlencode(answer))

    def _login_page(self, start_response, params, tenant, hinted, problem=None, status=200):
        if hinted is not None:
            _, hinted_user = self.find_user(hinted.get("name"))
            prefill = hinted_user.username if hinted_user else ""
        else:
            prefill = params.get("login_hint", "")
        page = pages.login(self, params, tenant, prefill=prefill, problem=problem)
        return self._respond(start_response, status, page, "text/html; charset=utf-8",
                             [("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'")])

    # --- token -----------------------------------------------------------------------------

    def _authenticate_client(self, environ, params, call):
        methods = []
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
                client_id, _, secret = decoded.partition(":")
                methods.append(("client_secret_basic", unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))))
            except (ValueError, UnicodeDecodeError):
                raise OAuthError("invalid_client", "Malformed Basic credentials.", 401)
        if "client_secret" in params:
            methods.append(("client_secret_post", params.get("client_id", ""), params["client_secret"]))
        if "client_assertion" in params:
            methods.append(("client_secret_jwt", None, params["client_assertion"]))
        if len(methods) != 1:
            raise OAuthError("invalid_client", "Exactly one client authentication method is required.", 401)
        method, client_id, secret = methods[0]
        call["auth_method"] = method
        if method == "client_secret_jwt":
            return self._check_client_assertion(params, secret)
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            raise OAuthError("invalid_client", "Client authentication failed.", 401)
        if params.get("client_id") not in (None, client_id):
            raise OAuthError("invalid_client", "client_id does not match the credentials.", 401)
        return client

    def _check_client_assertion(self, params, assertion):
        if params.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise OAuthError("invalid_client", "Unsupported client_assertion_type.", 401)
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            client = self.clients.get(unverified.get("iss"))
            if client is None:
                raise OAuthError("invalid_client", "Unknown client in the assertion.", 401)
            claims = jwt.decode(
                assertion,
                client.client_secret,
                algorithms=["HS256"],
                audience=self.endpoint_url("token"),
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise OAuthError("invalid_client", f"Client assertion rejected: {exc}.", 401)
        if claims["sub"] != claims["iss"] or claims["exp"] - time.time() > 600:
            raise OAuthError("invalid_client", "Client assertion rejected: sub/exp.", 401)
        with self._lock:
            if claims["jti"] in self._jtis:
                raise OAuthError("invalid_client", "Client assertion replayed.", 401)
            self._jtis.add(claims["jti"])
        return client

    def _token(self, environ, start_response, method, params, call):
        if method != "POST":
            raise OAuthError("invalid_request", "Use POST.", 405)
        client = self._authenticate_client(environ, params, call)
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            grant = self._redeem_code(client, params)
        elif grant_type == "refresh_token":
            with self._lock:
                grant = self._refresh_tokens.pop(params.get("refresh_token", ""), None)
            if grant is None or grant["client_id"] != client.client_id:
                raise OAuthError("invalid_grant", "The refresh token is invalid, expired or already used.")
            if not self.rotate_refresh_tokens:
                answer = self._issue(client, grant)
                with self._lock:
                    self._refresh_tokens.pop(answer.pop("refresh_token"), None)
                    self._refresh_tokens[params["refresh_token"]] = grant
                return self._respond(start_response, 200, answer)
        else:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
        return self._respond(start_response, 200, self._issue(client, grant))

    def _redeem_code(self, client, params):
        with self._lock:
            grant = self._codes.pop(params.get("code", ""), None)
        if grant is None or grant["expires"] < time.time():
            raise OAuthError("invalid_grant", "The authorization code is invalid, expired or already used.")
        if grant["client_id"] != client.client_id:
            raise OAuthError("invalid_grant", "The code was issued to another client.")
        if params.get("redirect_uri") != grant["redirect_uri"]:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
        verifier = params.get("code_verifier")
        if grant["challenge"]:
            if not verifier:
                raise OAuthError("invalid_grant", "code_verifier is required (PKCE).")
            computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not secrets.compare_digest(computed, grant["challenge"]):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge.")
        elif verifier:
            raise OAuthError("invalid_grant", "code_verifier sent without a code_challenge.")
        return grant

    def _issue(self, client, grant):
        user, tenant = grant["user"], grant["tenant"]
        now = int(time.time())
        ttl = self.token_ttl
        if self.ttl_jitter:
            ttl = max(1, int(ttl * (1 - self.ttl_jitter * secrets.randbelow(1000) / 1000)))
        common = {
            "sub": user.sub,
            "tenantId": tenant.tenant_id,
            "icBUId": tenant.bu_id,
            "icAgentId": str(user.agent_id),
            "name": user.username,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "iat": now,
            "exp": now + ttl,
        }
        access_claims = {
            **common,
            "iss": self.issuer + "/auth",
            "aud": "https://api.niceincontact.com",
            "role": {
                "legacyId": user.role,
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"role:{tenant.tenant_id}:{user.role}")),
                "lastUpdateTime": 1700000000000,
                "secondaryRoles": [],
            },
            "jti": secrets.token_hex(8),
        }
        id_claims = {
            **common,
            "iss": self.issuer,
            "aud": client.client_id,
            "userId": user.user_id,
            "tenant": tenant.short_name or tenant.slug.upper(),
            "icClusterId": tenant.cluster,
            "icDomain": tenant.domain,
            "area": tenant.area,
            # OpenID's session id: which sign-in session a logout hint ends.
            "sid": grant["grant_id"],
        }
        if grant.get("nonce"):
            id_claims["nonce"] = grant["nonce"]
        if grant.get("auth_time"):
            id_claims["auth_time"] = grant["auth_time"]
        key = self.keys[0]
        access_token = jwt.encode(access_claims, key.private, algorithm="RS256", headers={"kid": key.kid})
        id_token = self._sign_id_token(id_claims, key)
        refresh_token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh_tokens[refresh_token] = {
                "grant_id": grant["grant_id"],
                "client_id": client.client_id,
                "user": user,
                "tenant": tenant,
                "nonce": None,
                "auth_time": grant.get("auth_time"),
            }

        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "refresh_token": refresh_token,
            "id_token": id_token,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        }

    def _sign_id_token(self, claims, key):
        headers = {"kid": key.kid}
        hook = self.id_token_hook
        if hook is not None:
            forged = hook(claims, headers, key.private)
            if isinstance(forged, str):
                return forged
        return jwt.encode(claims, key.private, algorithm="RS256", headers=headers)

    def _decode_own(self, token, verify_exp=False):
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in self.keys if k.kid == kid), None)
            if key is None:
                return None
            return jwt.decode(
                token,
                key.private.public_key(),
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": verify_exp},
            )
        except jwt.PyJWTError:
            return None

    # --- userinfo and logout ---------------------------------------------------------------

    def _userinfo(self, environ, start_response, method, params, call):
        header = environ.get("HTTP_AUTHORIZATION", "")
        claims = self._decode_own(header[7:], verify_exp=True) if header.startswith("Bearer ") else None
        if claims is None:
            raise OAuthError("invalid_token", "A valid Bearer access token is required.", 401)
        keys = ("sub", "tenantId", "icBUId", "icAgentId", "name", "given_name", "family_name")
        answer = {k: claims[k] for k in keys if k in claims}
        if self.userinfo_email:
            answer["email"] = claims.get("name")
        return self._respond(start_response, 200, answer)

    def _logout(self, environ, start_response, method, params, call):
        hinted = self._decode_own(params["id_token_hint"]) if params.get("id_token_hint") else None
        call["id_token_hint"] = bool(params.get("id_token_hint"))
        call["hint_valid"] = hinted is not None
        if hinted is not None:
            # End the session the hint names: its refresh tokens die, other sessions live on.
            with self._lock:
                for token, grant in list(self._refresh_tokens.items()):
                    if grant["grant_id"] == hinted.get("sid"):
                        del self._refresh_tokens[token]
        target = params.get("post_logout_redirect_uri")
        if target:
            client = self.clients.get(hinted.get("aud")) if hinted else None
            if client is not None and client.allows_post_logout_redirect(target):
                answer = {"state": params["state"]} if "state" in params else {}
                sep = "&" if "?" in target else "?"
                return self._redirect(start_response, target + (sep + urlencode(answer) if answer else ""))
        return self._respond(start_response, 200, pages.signed_out(self), "text/html; charset=utf-8")

    # --- for tests and benchmarks -------------------------------------------------------------

    def issue_tokens(self, username, client_id=None, *, nonce=None):
        """A token response for `username`, as the token endpoint would answer a code for it
        (access_token, id_token, a live refresh_token): for tests that need a CXone session
        without driving the login page."""
        user_tenant, user = self.find_user(username)
        if user is None:
            raise KeyError(f"no simulated user {username!r}")
        client = self.clients[client_id] if client_id else next(iter(self.clients.values()))
        grant = {"grant_id": uuid.uuid4().hex, "user": user, "tenant": user_tenant, "nonce": nonce}
        return self._issue(client, grant)

