from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import TokenSession


class Command(BaseCommand):
    help = (
        "Delete the CXone tokens of browser sessions that no longer exist (expired, or "
        "cleared by `clearsessions`). Sign-out deletes them at once; this catches the rest."
    )

    def handle(self, *args, **options):
        live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
        deleted, _ = TokenSession.objects.exclude(session_key__in=live).delete()
        self.stdout.write(f"{deleted} token session(s) deleted")
