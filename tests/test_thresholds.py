"""Board thresholds per tenant and per team, in seconds or minutes, never 0: the admin takes
either unit and refuses 0 and less, the database refuses 0 too, the page reads seconds (and the
minutes it read before), a team's own values are complete, and the migration carries minutes
over as seconds."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from workspaces.models import BoardThresholds, TeamThresholds


def form(tenant, **fields):
    data = {"tenant": tenant.pk,
            "unavailable_seconds_0": "15", "unavailable_seconds_1": "60",
            "contact_seconds_0": "90", "contact_seconds_1": "1",
            "acw_seconds_0": "3", "acw_seconds_1": "60",
            "longest_wait_seconds_0": "45", "longest_wait_seconds_1": "1",
            "teams-TOTAL_FORMS": "1", "teams-INITIAL_FORMS": "0", "teams-MIN_NUM_FORMS": "0", "teams-MAX_NUM_FORMS": "1000",
            "teams-0-team_id": "2", "teams-0-team_name": "Tier 2", "teams-0-acw_seconds_0": "45", "teams-0-acw_seconds_1": "1",
            "teams-0-unavailable_seconds_0": "", "teams-0-unavailable_seconds_1": "60",
            "teams-0-contact_seconds_0": "", "teams-0-contact_seconds_1": "60"}
    data.update(fields)
    return data


@pytest.mark.django_db
def test_the_admin_takes_seconds_or_minutes_and_a_teams_own(admin_client, cxone):
    tenant = cxone.tenant("acme")
    response = admin_client.post("/admin/workspaces/boardthresholds/add/", form(tenant))
    assert response.status_code == 302, response.content.decode()[:2000]
    row = BoardThresholds.objects.get(tenant=tenant)
    assert (row.unavailable_seconds, row.contact_seconds, row.acw_seconds, row.longest_wait_seconds) == (900, 90, 180, 45)
    team = row.teams.get()
    assert (team.team_id, team.acw_seconds, team.unavailable_seconds, team.contact_seconds) == ("2", 45, None, None)
    page = admin_client.get(f"/admin/workspaces/boardthresholds/{row.pk}/change/").content.decode()
    assert 'name="unavailable_seconds_0" value="15"' in page and 'name="contact_seconds_0" value="90"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", [("unavailable_seconds_0", "0"), ("contact_seconds_0", "-5"), ("teams-0-acw_seconds_0", "0"),
                                          ("acw_seconds_0", "")])
def test_the_admin_refuses_0_negatives_and_nothing(admin_client, cxone, field, value):
    tenant = cxone.tenant("acme")
    response = admin_client.post("/admin/workspaces/boardthresholds/add/", form(tenant, **{field: value}))
    assert response.status_code == 200 and not BoardThresholds.objects.exists()
    page = response.content.decode()
    assert "errorlist" in page
    if value in ("0", "-5"):
        assert "0 would flag every agent" in page


@pytest.mark.django_db
def test_the_model_and_the_database_refuse_0(cxone):
    tenant = cxone.tenant("acme")
    with pytest.raises(ValidationError):
        BoardThresholds(tenant=tenant, acw_seconds=0).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardThresholds.objects.create(tenant=tenant, contact_seconds=0)
    row = BoardThresholds.objects.create(tenant=tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamThresholds.objects.create(thresholds=row, team_id="1", acw_seconds=0)


@pytest.mark.django_db
def test_the_page_reads_seconds_minutes_and_each_teams_complete_values(cxone):
    tenant = cxone.tenant("acme")
    assert BoardThresholds.for_tenant(tenant).as_json() == {
        "unavailableMinutes": 15, "contactMinutes": 10, "acwMinutes": 3, "longestWaitSeconds": 60,
        "unavailableSeconds": 900, "contactSeconds": 600, "acwSeconds": 180, "teams": {}}
    row = BoardThresholds.objects.create(tenant=tenant, unavailable_seconds=450)
    TeamThresholds.objects.create(thresholds=row, team_id="4", team_name="Escalations", contact_seconds=1200)
    TeamThresholds.objects.create(thresholds=row, team_id="3", team_name="Billing", acw_seconds=30)
    shown = row.as_json()
    assert shown["unavailableMinutes"] == 7.5 and shown["unavailableSeconds"] == 450
    assert list(shown["teams"]) == ["3", "4"]  # by team name
    assert shown["teams"]["3"] == {"unavailableSeconds": 450, "contactSeconds": 600, "acwSeconds": 30}
    assert shown["teams"]["4"] == {"unavailableSeconds": 450, "contactSeconds": 1200, "acwSeconds": 180}


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_minutes_over_as_seconds_and_back():
    from tenants.models import Environment, Tenant

    environment = Environment.objects.create(issuer="https://cxone.example", client_id="m", client_secret="x")
    tenant = Tenant.objects.create(environment=environment, tenant_id="6a1c1e0e-0000-4000-8000-000000000003", name="M", slug="m")
    before, after = [("workspaces", "0002_message_audit")], [("workspaces", "0003_thresholds_in_seconds_and_retract")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("workspaces", "BoardThresholds")
    old.objects.create(tenant_id=tenant.pk, unavailable_minutes=20, contact_minutes=0, acw_minutes=2, longest_wait_seconds=0)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    row = BoardThresholds.objects.get(tenant=tenant)
    assert (row.unavailable_seconds, row.contact_seconds, row.acw_seconds, row.longest_wait_seconds) == (1200, 60, 120, 1)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    back = executor.loader.project_state(before).apps.get_model("workspaces", "BoardThresholds").objects.get(tenant_id=tenant.pk)
    assert (back.unavailable_minutes, back.contact_minutes, back.acw_minutes) == (20, 1, 2)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
