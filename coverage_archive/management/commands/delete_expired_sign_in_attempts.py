from django.core.management.base import BaseCommand

from coverage_archive.accounts.lockout import delete_expired_attempts


class Command(BaseCommand):
    help = (
        "Delete the records of failed sign-ins whose lockout is over (15 minutes). Sign-ins do it "
        "too; run this every few minutes (cron, a systemd timer) so none outlives its lockout."
    )

    def handle(self, *args, **options):
        deleted = delete_expired_attempts()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Deleted {deleted} expired record(s) of failed sign-ins.")
