from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from workspaces.models import SupervisorAction


class Command(BaseCommand):
    help = "Delete supervisor actions older than SUPERVISOR_ACTION_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days=None, **options):
        days = settings.SUPERVISOR_ACTION_RETENTION_DAYS if days is None else days
        deleted, _ = SupervisorAction.objects.filter(created_at__lt=timezone.now() - timedelta(days=days)).delete()
        self.stdout.write(f"{deleted} supervisor action(s) older than {days} day(s) deleted")
