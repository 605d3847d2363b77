from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from coverage_archive.importing import COLUMNS, REQUIRED_COLUMNS, ImportFileError, decode, import_csv

# Errors printed in full; beyond this many, only their number.
MAX_ERRORS_SHOWN = 500


class Command(BaseCommand):
    help = (
        "Import coverage from a CSV file (UTF-8, comma- or semicolon-separated, with a header row). "
        f"Columns: {', '.join(COLUMNS)}; required: {', '.join(REQUIRED_COLUMNS)}. "
        "Every row is checked first; one bad row means nothing is written. A row whose original URL "
        "is already archived updates that article, so importing a file twice changes nothing the second time. "
        "See README, “Importing coverage from a spreadsheet”."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file to import.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument(
            "--create-terms",
            action="store_true",
            help="Add sources, types, subjects and organizations the archive does not have yet "
            "(otherwise an unknown term is an error).",
        )
        parser.add_argument(
            "--user", help="The username the changes are recorded under in the history (default: none)."
        )

    def handle(self, *args, file, dry_run=False, create_terms=False, user=None, **options):
        verbosity = options["verbosity"]
        account = None
        if user:
            try:
                account = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named “{user}”.") from None
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None

        def progress(stage, done, total):
            if verbosity >= 1:
                self.stdout.write(f"  {stage} {done:,} of {total:,}")

        try:
            plan, result = import_csv(
                decode(data),
                file_name=file.name,
                create_terms=create_terms,
                user=account,
                dry_run=dry_run,
                progress=progress,
            )
        except ImportFileError as error:
            raise CommandError(f"{file}: {error} Nothing was imported.") from None

        summary = plan.summary()
        if plan.errors:
            for error in plan.errors[:MAX_ERRORS_SHOWN]:
                self.stderr.write(f"{file.name}: {error}")
            if len(plan.errors) > MAX_ERRORS_SHOWN:
                self.stderr.write(f"… and {len(plan.errors) - MAX_ERRORS_SHOWN:,} more.")
            for model, names in plan.unknown_terms.items():
                self.stderr.write(f"Unknown {model._meta.verbose_name_plural}: {', '.join(names)}.")
            if plan.unknown_terms:
                self.stderr.write("Correct any misspelt name, or add --create-terms if they are all new.")
            raise CommandError(
                f"{len(plan.errors):,} problem{'s' if len(plan.errors) != 1 else ''} in {summary['rows']:,} rows: "
                "nothing was imported. Fix the rows listed and import the file again."
            )
        terms = ", ".join(
            f"{model._meta.verbose_name} “{name}”" for model, names in plan.new_terms.items() for name in names
        )
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing written. {summary['rows']:,} rows: {summary['create']:,} to create, "
                f"{summary['update']:,} to update, {summary['unchanged']:,} unchanged."
            )
            if terms:
                self.stdout.write(f"New terms to create: {terms}.")
            return
        if verbosity >= 1:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {file.name}: {result.created:,} created, {result.updated:,} updated, "
                    f"{result.unchanged:,} unchanged, {result.terms_created:,} new terms."
                )
            )
        if terms and verbosity >= 2:
            self.stdout.write(f"New terms: {terms}.")
