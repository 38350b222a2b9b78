"""`manage.py cxone_check <tenant-slug>`: does this tenant's CXone answer as the portal reads it?

Uses the freshest stored token of a signed-in supervisor of the tenant (or of `--user`),
calls each read the portal makes once (workspaces/cxone_check.py), and prints per endpoint
its status, time, the needed fields present or missing, unexpected fields and a verdict.
Prints no names, ids, message texts or tokens; writes nothing but the sign-in events a
refresh of that token may record. Exits 1 when a field the pages need is missing.
"""
import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from accounts import refresh as refreshing
from accounts.models import PortalRole, TokenSession
from core import http
from core.reasons import RefreshStatus
from tenants.models import Tenant
from workspaces import cxone_check
from workspaces.cxone_api import APIError, CXoneClient


class Command(BaseCommand):
    help = "Check that a tenant's CXone answers carry every field the portal reads (see docs/deploy.md, First day on a real tenant)."

    def add_arguments(self, parser):
        parser.add_argument("tenant", help="the tenant's slug")
        parser.add_argument("--user", help="whose stored token to use (portal username or CXone login name); default: "
                                           "the freshest token of a signed-in supervisor of the tenant")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args, tenant, user=None, json=False, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"no tenant with the slug {tenant!r}")
        if not found.api_base_url:
            raise CommandError(f"{tenant}: no API base URL yet (run refresh_discovery {tenant})")
        row = self.token_row(found, user)
        outcome = refreshing.refresh_if_due(row.pk)
        if outcome.status == RefreshStatus.ENDED or outcome.row is None:
            raise CommandError(f"the stored session could not be refreshed ({outcome.reason}): sign in to the portal again")

        def refresh(rejected):
            again = refreshing.refresh_after_rejection(row.pk, rejected)
            if again.ended or again.status == RefreshStatus.DEFERRED:
                raise APIError(again.reason, "refresh after 401", 401)
            return again.row.access_token

        client = CXoneClient(found.api_base_url, outcome.row.access_token, http.api_session(), refresh_token=refresh,
                             timeout=settings.CXONE_HTTP_TIMEOUT, page_size=cxone_check.ROWS)
        identity = getattr(row.user, "cxone_identity", None)
        results = cxone_check.run(client, agent_id=(identity.agent_id if identity and identity.agent_id.isdigit() else None))
        failed = cxone_check.failed(results)
        if json:
            self.stdout.write(_json({"tenant": found.slug, "ok": not failed, "endpoints": [r.as_dict() for r in results]}))
        else:
            self.table(results)
            self.stdout.write("verdict: " + ("a field the portal needs is missing (see docs/deploy.md, First day on a real tenant)"
                                             if failed else "every answer carries what the portal reads"))
        if failed:
            sys.exit(1)

    @staticmethod
    def token_row(tenant, user):
        rows = TokenSession.objects.filter(tenant=tenant).select_related("user__cxone_identity")
        if user:
            rows = rows.filter(Q(user__username=user) | Q(user__cxone_identity__login_name=user))
        else:
            rows = rows.filter(user__cxone_identity__portal_role=PortalRole.SUPERVISOR)
        row = rows.order_by("-expires_at").first()
        if row is None:
            who = "that user" if user else "a supervisor"
            raise CommandError(f"no stored token of {who} for {tenant.slug}: sign in to the portal as {who} first")
        return row

    def table(self, results):
        self.stdout.write(f"{'endpoint':36} {'status':>6} {'ms':>7} {'rows':>4}  verdict  fields")
        for r in results:
            fields = []
            if r.present:
                fields.append("present: " + ", ".join(r.present))
            if r.missing:
                fields.append("MISSING: " + ", ".join(r.missing))
            if r.unexpected:
                fields.append("unexpected: " + ", ".join(r.unexpected))
            status = "-" if r.status is None else str(r.status)
            ms = "-" if r.ms is None else f"{r.ms:.0f}"
            self.stdout.write(f"{r.endpoint:36} {status:>6} {ms:>7} {r.rows:>4}  {r.verdict:8} {'; '.join(fields)}")


def _json(payload):
    return json.dumps(payload, indent=2)
