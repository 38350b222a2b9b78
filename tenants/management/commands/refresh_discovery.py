from django.core.management.base import BaseCommand, CommandError

from tenants import discovery
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Re-run both discoveries for tenants and their environments (for a scheduler). "
        "A failure keeps the last good result and makes the command exit non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG")
        parser.add_argument("--all", action="store_true", help="Every active tenant.")

    def handle(self, *args, slugs, **o):
        if o["all"] == bool(slugs):
            raise CommandError("Give --all or one or more tenant slugs.")
        tenants = Tenant.objects.select_related("environment").order_by("slug")
        tenants = tenants.filter(is_active=True) if o["all"] else tenants.filter(slug__in=slugs)
        missing = set(slugs) - {t.slug for t in tenants}
        if missing:
            raise CommandError(f"No tenant with slug {', '.join(sorted(missing))}.")
        failures = 0
        seen = set()
        for tenant in tenants:
            targets = [tenant] if tenant.environment_id in seen else [tenant.environment, tenant]
            seen.add(tenant.environment_id)
            for obj in targets:
                label = getattr(obj, "slug", None) or obj.issuer
                try:
                    discovery.refresh(obj, keep_stale=False)
                    self.stdout.write(f"ok      {label}")
                except discovery.DiscoveryError as exc:
                    failures += 1
                    self.stderr.write(f"failed  {label}: {discovery.failure_words(exc.reason, exc.detail)}")
        if failures:
            raise CommandError(f"{failures} discovery call(s) failed; last good results were kept.")
