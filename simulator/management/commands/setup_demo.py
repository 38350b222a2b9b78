import os
import secrets
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.web import simulator_on
from simulator.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, demo_tenants, practice_tenant
from simulator.api import VIEW_ONLY_ROLE
from tenants.models import Environment, Tenant, TokenAuthMethod

# The demo's supervisors: CXone's Manager and Administrator, and a view-only custom role whose
# actions CXone refuses (so a newcomer sees the portal word a 403).
DEMO_SUPERVISOR_ROLES = ("Manager", "Administrator", VIEW_ONLY_ROLE)


class Command(BaseCommand):
    help = "Register the simulator's demo environment and tenants, and a local admin account (development only)."

    def handle(self, *args, **options):
        if not simulator_on():
            raise CommandError("setup_demo needs CXONE_SIMULATOR and DEBUG on.")
        issuer = settings.CXONE_SIMULATOR_ISSUER
        with transaction.atomic():
            # Safe to run again after anything an admin did to the demo: what exists is left as
            # the admin made it (renamed, retired, re-keyed); only what is missing is restored.
            # Keyed by the demo client id, so a run on another port moves the demo, not copies it.
            environment = Environment.objects.filter(client_id=DEMO_CLIENT_ID).first()
            if environment is None:
                environment = Environment(client_id=DEMO_CLIENT_ID, name="CXone simulator", issuer=issuer,
                                          client_secret=DEMO_CLIENT_SECRET, token_auth_method=TokenAuthMethod.CLIENT_SECRET_BASIC)
                environment.save()
            elif environment.issuer != issuer:
                environment.issuer = issuer
                environment.openid_configuration = environment.discovered_at = None
                environment.save()
            for demo in demo_tenants():
                if Tenant.objects.filter(environment=environment, tenant_id=uuid.UUID(demo.tenant_id)).exists():
                    continue
                slug, n = demo.slug, 1
                while Tenant.objects.filter(slug=slug).exists():  # the slug went to another tenant meanwhile
                    n += 1
                    slug = f"{demo.slug}-{n}"
                Tenant.objects.create(environment=environment, tenant_id=uuid.UUID(demo.tenant_id), name=demo.name, slug=slug,
                                      supervisor_roles=",".join(DEMO_SUPERVISOR_ROLES))
        # Discovery runs on first use: the simulator answers once the server is up.
        self.stdout.write(f"Demo environment: {issuer} (client {DEMO_CLIENT_ID})")
        for demo in demo_tenants():
            users = ", ".join(f"{u.username} ({u.role})" for u in demo.users)
            self.stdout.write(f"Demo tenant {demo.name} [{demo.slug}]: {users}")
        practice = practice_tenant()
        self.stdout.write(f"Practice registering a tenant in the admin: {practice.name}, tenantId {practice.tenant_id} "
                          f"(the simulator knows it; the portal does not yet)")
        self.ensure_admin()

    def ensure_admin(self):
        username = os.environ.get("DEMO_ADMIN_USERNAME", "admin")
        password = os.environ.get("DEMO_ADMIN_PASSWORD")
        stash = settings.VAR_DIR / "demo-admin-password"
        if not password:
            if stash.exists():
                password = stash.read_text().strip()
            else:
                password = secrets.token_urlsafe(12)
                stash.parent.mkdir(parents=True, exist_ok=True)
                stash.write_text(password + "\n")
                stash.chmod(0o600)
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        origin = settings.CXONE_SIMULATOR_ISSUER[: -len(settings.CXONE_SIMULATOR_PREFIX)]
        self.stdout.write(f"Django admin: {origin}/admin/  user {username}  password {password}")
