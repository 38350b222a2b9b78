from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import SignInEvent


class Command(BaseCommand):
    help = "Delete sign-in events older than SIGN_IN_EVENT_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days=None, **options):
        days = settings.SIGN_IN_EVENT_RETENTION_DAYS if days is None else days
        deleted, _ = SignInEvent.objects.filter(at__lt=timezone.now() - timedelta(days=days)).delete()
        self.stdout.write(f"{deleted} sign-in event(s) older than {days} day(s) deleted")
