"""`register_tenant` and `refresh_discovery`, in-process and as real processes."""
import uuid

import pytest
from django.core.management import CommandError, call_command

from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tenants.models import Environment, Tenant

from . import procs

ACME = "11e9a3c2-5b7d-4f0e-9a61-3c0d8e2f4a10"
GLOBEX = "2f4b6d8e-0a1c-4e3f-8b5d-7c9e1a3b5d20"


def args(op, **overrides):
    values = {
        "issuer": op.issuer,
        "client-id": DEMO_CLIENT_ID,
        "client-secret": DEMO_CLIENT_SECRET,
        "tenant-id": ACME,
        "name": "Acme Support",
        "slug": "acme",
    }
    values.update(overrides)
    out = []
    for key, value in values.items():
        out += [f"--{key}", value]
    return out


def register(op, capsys, **overrides):
    call_command("register_tenant", *args(op, **overrides))
    return capsys.readouterr().out.strip().splitlines()


def snapshot():
    return (
        list(Environment.objects.values_list("issuer", "client_id", "token_auth_method")),
        list(Tenant.objects.values_list("tenant_id", "name", "slug", "supervisor_roles")),
    )


@pytest.mark.django_db
def test_register_stores_both_discoveries_and_prints_api_base(op, capsys):
    lines = register(op, capsys, **{"auth-method": "client_secret_post", "supervisor-roles": "Manager, Team Lead"})
    assert lines[-1] == op.issuer + "/api-na1"
    environment = Environment.objects.get()
    tenant = Tenant.objects.get()
    assert environment.openid_configuration["issuer"] == op.issuer
    assert environment.token_auth_method == "client_secret_post"
    assert environment.client_secret == DEMO_CLIENT_SECRET
    assert tenant.cxone_configuration["area"] == "na1"
    assert tenant.supervisor_role_names == {"Manager", "Team Lead"}
    assert tenant.discovered_at and environment.discovered_at


@pytest.mark.django_db
def test_register_again_updates_in_place(op, capsys):
    register(op, capsys)
    register(op, capsys, name="Acme Support EU", **{"client-secret": "rotated-secret"})
    assert Environment.objects.get().client_secret == "rotated-secret"
    register(op, capsys, **{"tenant-id": GLOBEX, "name": "Globex Care", "slug": "globex"})
    assert Environment.objects.count() == 1
    assert sorted(Tenant.objects.values_list("name", flat=True)) == ["Acme Support EU", "Globex Care"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"tenant-id": "not-a-uuid"}, "is not a UUID"),
        ({"tenant-id": str(uuid.uuid4())}, "CXone does not know this tenantId.*discovery_tenant_unknown"),
        ({"slug": "bad slug!"}, "--slug"),
        ({"name": "  "}, "--name is empty"),
        ({"supervisor-roles": " , "}, "--supervisor-roles"),
        ({"client-secret": " "}, "--client-secret is empty"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(op, capsys, overrides, message):
    register(op, capsys)
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        call_command("register_tenant", *args(op, **{"slug": "other", **overrides}))
    assert snapshot() == before


@pytest.mark.django_db
def test_issuer_mismatch_and_unreachable_change_nothing(op, capsys):
    op.simulator.discovery_overrides = {"issuer": "https://cxone.niceincontact.com"}
    with pytest.raises(CommandError, match=r"discovery_issuer_mismatch"):
        call_command("register_tenant", *args(op))
    op.stop()
    with pytest.raises(CommandError, match=r"discovery_unreachable"):
        call_command("register_tenant", *args(op))
    assert snapshot() == ([], [])


@pytest.mark.django_db
def test_slug_taken_by_another_tenant(op, capsys):
    register(op, capsys)
    with pytest.raises(CommandError, match="already used"):
        call_command("register_tenant", *args(op, **{"tenant-id": GLOBEX}))


@pytest.mark.django_db
def test_refresh_discovery(op, capsys):
    register(op, capsys)
    register(op, capsys, **{"tenant-id": GLOBEX, "name": "Globex Care", "slug": "globex"})
    op.simulator.reset_calls()
    call_command("refresh_discovery", "--all")
    # One environment shared by both tenants: fetched once.
    assert op.simulator.count("openid-configuration") == 1
    assert op.simulator.count("cxone-configuration") == 2
    call_command("refresh_discovery", "globex")
    with pytest.raises(CommandError, match="No tenant with slug nope"):
        call_command("refresh_discovery", "nope")
    with pytest.raises(CommandError, match="Give --all"):
        call_command("refresh_discovery")
    before = Tenant.objects.get(slug="acme").cxone_configuration
    op.stop()
    with pytest.raises(CommandError, match="last good results were kept"):
        call_command("refresh_discovery", "acme")
    tenant = Tenant.objects.get(slug="acme")
    assert tenant.cxone_configuration == before
    assert tenant.discovery_reason == "discovery_unreachable"


@pytest.mark.subprocess
def test_command_line_exit_codes_messages_and_secret_at_rest(op, tmp_path):
    database = tmp_path / "portal.sqlite3"
    env = procs.portal_env(f"sqlite:///{database}")
    assert procs.manage(env, "migrate", "--noinput").returncode == 0

    ok = procs.manage(env, "register_tenant", *args(op, **{"client-secret": "-"}), stdin=DEMO_CLIENT_SECRET + "\n")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip().splitlines()[-1] == op.issuer + "/api-na1"

    bad = procs.manage(env, "register_tenant", *args(op, **{"tenant-id": str(uuid.uuid4()), "slug": "x"}))
    assert bad.returncode != 0
    assert len(bad.stderr.strip().splitlines()) == 1
    assert bad.stderr.startswith("CommandError: CXone does not know this tenantId") and "discovery_tenant_unknown" in bad.stderr

    refused = procs.manage(env, "register_tenant", *args(op, issuer="http://example.com"))
    assert refused.returncode != 0 and "discovery_insecure_url" in refused.stderr

    # Checkpoint the WAL so every byte written is in the files we read.
    import sqlite3

    sqlite3.connect(database).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert DEMO_CLIENT_SECRET.encode() not in data, path
    assert DEMO_CLIENT_SECRET not in ok.stdout + ok.stderr + bad.stdout + bad.stderr
