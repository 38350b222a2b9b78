import sys
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone

from tenants import discovery
from tenants.models import Environment, Tenant, TokenAuthMethod


class Command(BaseCommand):
    help = (
        "Create or update a CXone environment (keyed by issuer and client id) and a tenant, "
        "run both discoveries, and print the tenant's API base URL. Nothing is written "
        "unless every check passes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--issuer", required=True)
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--client-secret", required=True, help="'-' reads it from standard input.")
        parser.add_argument("--tenant-id", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--auth-method", default=TokenAuthMethod.CLIENT_SECRET_BASIC, choices=TokenAuthMethod.values)
        parser.add_argument("--supervisor-roles", default="Manager,Administrator")
        parser.add_argument("--inactive", action="store_true", help="Register the tenant but do not let it sign in yet.")
        parser.add_argument("--environment-key", default="",
                            help="Names the environment's redirect URI /oidc/callback/<key>/ (default: global, fedramp, or from the issuer).")
        parser.add_argument("--portal-url", default=None,
                            help="The portal's public https origin, for the URIs to paste into NICE's form (default: PORTAL_URL).")

    def handle(self, *args, **o):
        secret = sys.stdin.readline().strip() if o["client_secret"] == "-" else o["client_secret"].strip()
        if not secret:
            raise CommandError("--client-secret is empty.")
        try:
            tenant_id = uuid.UUID(o["tenant_id"])
        except ValueError:
            raise CommandError(f"--tenant-id {o['tenant_id']!r} is not a UUID.")
        try:
            validate_slug(o["slug"])
        except ValidationError:
            raise CommandError(f"--slug {o['slug']!r} may hold only letters, digits, '-' and '_'.")
        if o["environment_key"]:
            try:
                validate_slug(o["environment_key"])
            except ValidationError:
                raise CommandError(f"--environment-key {o['environment_key']!r} may hold only letters, digits, '-' and '_'.")
            taken = Environment.objects.filter(key=o["environment_key"]).exclude(issuer=o["issuer"].strip(), client_id=o["client_id"])
            if taken.exists():
                raise CommandError(f"--environment-key {o['environment_key']!r} is already another environment's.")
        name = o["name"].strip()
        if not name:
            raise CommandError("--name is empty.")
        roles = ",".join(r.strip() for r in o["supervisor_roles"].split(",") if r.strip())
        if not roles:
            raise CommandError("--supervisor-roles names no role.")
        issuer = o["issuer"].strip()
        try:
            openid = discovery.fetch_openid_configuration(issuer)
            cxone = discovery.fetch_cxone_configuration(issuer, tenant_id)
        except discovery.DiscoveryError as exc:
            raise CommandError(discovery.failure_words(exc.reason, exc.detail))

        clash = Tenant.objects.filter(slug__iexact=o["slug"]).exclude(environment__issuer=issuer, tenant_id=tenant_id).first()
        if clash:
            raise CommandError(f"--slug {o['slug']!r} is already used by tenant {clash.tenant_id}.")

        now = timezone.now()
        with transaction.atomic():
            environment = Environment.objects.filter(issuer=issuer, client_id=o["client_id"]).first()
            environment = environment or Environment(issuer=issuer, client_id=o["client_id"])
            if o["environment_key"]:
                environment.key = o["environment_key"]
            environment.client_secret = secret
            environment.token_auth_method = o["auth_method"]
            environment.openid_configuration, environment.discovered_at = openid, now
            environment.discovery_reason = environment.discovery_detail = ""
            environment.save()
            tenant = Tenant.objects.filter(environment__issuer=issuer, tenant_id=tenant_id).first()
            tenant = tenant or Tenant(tenant_id=tenant_id)
            tenant.environment = environment
            tenant.name, tenant.slug, tenant.supervisor_roles = name, o["slug"], roles
            tenant.is_active = not o["inactive"]
            tenant.cxone_configuration, tenant.discovered_at = cxone, now
            tenant.discovery_reason = tenant.discovery_detail = ""
            tenant.full_clean(exclude=["environment"], validate_unique=False)
            tenant.save()
        discovery.forget(environment)
        discovery.forget(tenant)
        origin = (o["portal_url"] or settings.PORTAL_URL or "https://<your portal>").rstrip("/")
        self.stdout.write(f"Registered {tenant.name} ({tenant.slug}) at {issuer}. In NICE's registration of {o['client_id']}:")
        self.stdout.write(f"  redirect URI:             {origin}{environment.redirect_path}")
        self.stdout.write(f"  post-logout redirect URI: {origin}{environment.post_logout_redirect_path}")
        self.stdout.write("API base URL:")
        self.stdout.write(tenant.api_base_url)
