"""The CXone simulator behaves like CXone as NICE documents it, and never runs in production."""
import base64
import hashlib
import time

import jwt
import pytest
import requests

from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from . import procs
from .conftest import query_of


def authorize(op, **params):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": "http://rp.example/cb",
        "response_type": "code",
        "scope": "openid",
        "state": "s-1",
        "nonce": "n-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **params,
    }
    return query, verifier


def get_code(op, username="alex.agent@acme.example", **params):
    query, verifier = authorize(op, **params)
    answer = requests.post(op.issuer + "/auth/authorize", data={**query, "pick": username}, allow_redirects=False)
    assert answer.status_code == 302
    back = query_of(answer.headers["Location"])
    assert back["state"] == "s-1"  # passed back unchanged
    return back["code"], verifier


def token(op, auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET), **form):
    return requests.post(op.issuer + "/auth/token", data=form, auth=auth)


def test_discovery_documents(op):
    config = requests.get(op.issuer + "/.well-known/openid-configuration").json()
    assert config["authorization_endpoint"] == op.issuer + "/auth/authorize"
    assert config["jwks_uri"] == op.issuer + "/auth/jwks"
    assert config["end_session_endpoint"] == op.issuer + "/auth/authorize/logout"
    assert config["code_challenge_methods_supported"] == ["S256"]
    missing = requests.get(op.issuer + "/.well-known/cxone-configuration", params={"tenantId": "x"})
    assert missing.status_code == 404 and missing.json()["error"]


def test_tokens_look_like_cxones(op):
    code, verifier = get_code(op, username="sam.supervisor@acme.example", max_age="60")
    answer = token(op, grant_type="authorization_code", code=code, redirect_uri="http://rp.example/cb", code_verifier=verifier).json()
    key = jwt.PyJWKClient(op.issuer + "/auth/jwks").get_signing_key_from_jwt(answer["id_token"])
    claims = jwt.decode(answer["id_token"], key, algorithms=["RS256"], audience=DEMO_CLIENT_ID)
    assert claims["sub"].startswith("user:") and claims["tenantId"] and claims["nonce"] == "n-1"
    for name in ("tenant", "icBUId", "icAgentId", "icClusterId", "icDomain", "userId", "name", "given_name", "family_name", "auth_time"):
        assert name in claims
    assert jwt.get_unverified_header(answer["id_token"])["kid"]
    access = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert access["role"]["legacyId"] == "Manager" and "secondaryRoles" in access["role"]
    assert answer["token_type"] == "Bearer" and answer["refresh_token"]


def test_expires_in_varies_between_exchanges(op):
    seen = set()
    refresh_token = None
    for _ in range(6):
        if refresh_token is None:
            code, verifier = get_code(op)
            answer = token(op, grant_type="authorization_code", code=code, redirect_uri="http://rp.example/cb", code_verifier=verifier).json()
        else:
            answer = token(op, grant_type="refresh_token", refresh_token=refresh_token).json()
        refresh_token = answer["refresh_token"]
        seen.add(answer["expires_in"])
    assert len(seen) > 1 and all(3240 <= s <= 3600 for s in seen)


def test_rotating_refresh_tokens_and_oauth_errors(op):
    code, verifier = get_code(op)
    first = token(op, grant_type="authorization_code", code=code, redirect_uri="http://rp.example/cb", code_verifier=verifier).json()
    second = token(op, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    spent = token(op, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant" and spent.json()["error_description"]
    bad_client = token(op, auth=(DEMO_CLIENT_ID, "wrong"), grant_type="refresh_token", refresh_token="x")
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"


def test_pkce_is_checked(op):
    code, _ = get_code(op)
    wrong = token(op, grant_type="authorization_code", code=code, redirect_uri="http://rp.example/cb", code_verifier="w" * 50)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    plain, _ = authorize(op, code_challenge_method="plain")
    refused = requests.get(op.issuer + "/auth/authorize", params=plain, allow_redirects=False)
    assert refused.status_code == 302 and query_of(refused.headers["Location"])["error"] == "invalid_request"


def test_client_secret_jwt_is_checked_and_not_replayable(op):
    code, verifier = get_code(op)
    now = int(time.time())
    assertion = jwt.encode(
        {"iss": DEMO_CLIENT_ID, "sub": DEMO_CLIENT_ID, "aud": op.issuer + "/auth/token", "jti": "j1", "iat": now, "exp": now + 60},
        DEMO_CLIENT_SECRET,
        algorithm="HS256",
    )
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://rp.example/cb", "code_verifier": verifier,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion,
    }
    assert token(op, auth=None, **form).status_code == 200
    replay = token(op, auth=None, **form)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


def test_login_page_branding_display_and_id_token_hint(op):
    query, _ = authorize(op, tenantId="2f4b6d8e-0a1c-4e3f-8b5d-7c9e1a3b5d20", display="popup", login_hint="gus.agent@globex.example")
    page = requests.get(op.issuer + "/auth/authorize", params=query).text
    assert "Sign in to Globex Care" in page and 'class="popup"' in page and "#7a3e9d" in page
    assert 'value="gus.agent@globex.example"' in page and "Alex Rivera" not in page
    code, verifier = get_code(op)
    id_token = token(op, grant_type="authorization_code", code=code, redirect_uri="http://rp.example/cb", code_verifier=verifier).json()["id_token"]
    query, _ = authorize(op, id_token_hint=id_token)
    other = requests.post(op.issuer + "/auth/authorize", data={**query, "pick": "sam.supervisor@acme.example"}, allow_redirects=False)
    assert other.status_code == 200 and "Sign in as the user this application asked for" in other.text


def test_unknown_client_gets_an_error_page_not_a_redirect(op):
    query, _ = authorize(op, client_id="nobody")
    answer = requests.get(op.issuer + "/auth/authorize", params=query, allow_redirects=False)
    assert answer.status_code == 400 and "Unknown client_id" in answer.text


def test_logout_honours_hint_redirect_and_state(op):
    code, verifier = get_code(op)
    id_token = token(op, grant_type="authorization_code", code=code, redirect_uri="http://rp.example/cb", code_verifier=verifier).json()["id_token"]
    back = requests.get(
        op.issuer + "/auth/authorize/logout",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": "http://rp.example/out", "state": "z"},
        allow_redirects=False,
    )
    assert back.status_code == 302 and back.headers["Location"] == "http://rp.example/out?state=z"
    assert op.simulator.live_refresh_tokens() == 0
    # No hint: no redirect to an arbitrary URI.
    page = requests.get(op.issuer + "/auth/authorize/logout", params={"post_logout_redirect_uri": "http://evil.example/"}, allow_redirects=False)
    assert page.status_code == 200 and "signed out of CXone" in page.text


@pytest.mark.subprocess
def test_simulator_with_debug_off_is_a_system_check_error(tmp_path):
    env = procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", CXONE_SIMULATOR="1")
    result = procs.manage(env, "check")
    assert result.returncode != 0
    assert "cxone.E001" in result.stderr and "CXONE_SIMULATOR is on while DEBUG is off" in result.stderr
    assert procs.manage({**env, "DEBUG": "1"}, "check").returncode == 0


def test_logout_ends_only_the_hinted_session(op):
    answers = []
    for _ in range(2):  # the same user signed in twice (two browsers)
        code, verifier = get_code(op)
        answers.append(token(op, grant_type="authorization_code", code=code, redirect_uri="http://rp.example/cb", code_verifier=verifier).json())
    requests.get(op.issuer + "/auth/authorize/logout", params={"id_token_hint": answers[0]["id_token"]})
    assert token(op, grant_type="refresh_token", refresh_token=answers[0]["refresh_token"]).status_code == 400
    assert token(op, grant_type="refresh_token", refresh_token=answers[1]["refresh_token"]).status_code == 200


@pytest.mark.subprocess
def test_setup_demo_is_idempotent_and_follows_the_port(tmp_path):
    env = procs.portal_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", DEBUG="1", CXONE_SIMULATOR="1", VAR_DIR=tmp_path)
    assert procs.manage(env, "migrate", "--noinput").returncode == 0
    first = procs.manage(env, "setup_demo")
    assert first.returncode == 0, first.stderr
    assert "Demo tenant Acme Support [acme]" in first.stdout and "password" in first.stdout
    moved = procs.manage({**env, "CXONE_SIMULATOR_ISSUER": "http://127.0.0.1:8123/cxone-sim"}, "setup_demo")
    assert moved.returncode == 0, moved.stderr
    count = procs.manage(env, "shell", "--no-imports", "-c", "from tenants.models import *; print(Environment.objects.count(), Tenant.objects.count(), Environment.objects.get().issuer)")
    assert count.stdout.split() == ["1", "2", "http://127.0.0.1:8123/cxone-sim"]
    # The generated admin password is kept, so every `make run` prints the same one.
    password = [line for line in first.stdout.splitlines() if "password" in line][0].split()[-1]
    assert (tmp_path / "demo-admin-password").read_text().strip() == password
    assert password in moved.stdout


@pytest.mark.subprocess
def test_embedded_defaults_work_in_a_directory_that_does_not_exist_yet(tmp_path):
    """What `make run` does on a fresh clone: no var/, no DATABASE_URL, DEBUG and simulator on."""
    env = procs.portal_env("", DEBUG="1", CXONE_SIMULATOR="1", VAR_DIR=tmp_path / "var")
    env.pop("DATABASE_URL")
    for step in (["migrate", "--noinput"], ["setup_demo"]):
        result = procs.manage(env, *step)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "portal.sqlite3").exists()


@pytest.mark.django_db
def test_setup_demo_survives_whatever_an_admin_did_to_the_demo(settings, tmp_path, capsys):
    """Renamed, re-keyed, retired and deleted demo tenants: no traceback, the admin's edits
    stay, only what is missing comes back."""
    from django.core.management import call_command

    from simulator.management.commands.setup_demo import Command as SetupDemo
    from tenants.models import Environment, Tenant

    settings.CXONE_SIMULATOR, settings.DEBUG, settings.VAR_DIR = True, True, tmp_path
    call_command(SetupDemo())
    Tenant.objects.filter(slug="acme").update(name="Acme (renamed)", slug="acme-support", is_active=False)
    Tenant.objects.filter(slug="globex").delete()
    Environment.objects.update(name="My simulator", key="sim")
    Tenant.objects.create(environment=Environment.objects.get(), tenant_id="00000000-0000-4000-8000-000000000001",
                          name="Squatter", slug="globex")  # the demo's slug, taken by another tenant
    call_command(SetupDemo())
    acme = Tenant.objects.get(tenant_id="11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10")
    assert (acme.name, acme.slug, acme.is_active) == ("Acme (renamed)", "acme-support", False)
    globex = Tenant.objects.get(tenant_id="2f4b6d8e-0a1c-4e3f-8b5d-7c9e1a3b5d20")
    assert globex.slug == "globex-2" and globex.is_active
    assert Environment.objects.get().name == "My simulator" and Environment.objects.get().key == "sim"
