"""Refuse every copy of a session, user, identity or tenant in the shared cache (CACHE_SESSIONS).

The portal forgets a copy whenever it writes the row. Run this after a write it did not make:
a database restored from a dump, an edit in SQL or a `QuerySet.update` in a shell. Each
signed-in request then reads its rows from the database once. Otherwise such a change reaches
signed-in requests within five minutes (`core.cached_rows.SECONDS`).
"""
from django.core.management.base import BaseCommand, CommandError

from core import cached_rows


class Command(BaseCommand):
    help = "Refuse every copy of a session, user, identity or tenant in the shared cache (after a restore or an edit in SQL)."

    def handle(self, *args, **options):
        if not cached_rows.forget_all():
            raise CommandError("The cache cannot be reached; the portal refuses every copy once it can (run this again to be sure).")
        self.stdout.write("Every cached session, user, identity and tenant is refused from now on.")
