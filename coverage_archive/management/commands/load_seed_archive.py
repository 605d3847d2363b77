from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from coverage_archive.models import (
    Article,
    ArticleOrganization,
    ArticleSubject,
    ItemType,
    Organization,
    Source,
    Subject,
)

SEED_FIXTURE = settings.BASE_DIR / "fixtures" / "seed_archive.json"
ARCHIVE_MODELS = (Article, Source, Subject, ItemType, Organization, ArticleSubject, ArticleOrganization)


class Command(BaseCommand):
    help = (
        "Load the seed archive (the WNYC article and its taxonomy) into an empty archive. "
        "Does nothing if the archive already holds any coverage or taxonomy, so it never "
        "overwrites an editor's work; safe to run on every start."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; write nothing.")

    def handle(self, *args, dry_run=False, **options):
        occupied = [model._meta.verbose_name_plural for model in ARCHIVE_MODELS if model.objects.exists()]
        if occupied:
            if options["verbosity"] >= 1:
                self.stdout.write(f"The archive already holds {', '.join(map(str, occupied))}: seed not loaded.")
            return
        if dry_run:
            self.stdout.write(f"The archive is empty: would load {SEED_FIXTURE.name}.")
            return
        with transaction.atomic():
            call_command("loaddata", SEED_FIXTURE, verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS("Loaded the seed archive."))
