import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coverage_archive.backup import BackupError, export_archive


class Command(BaseCommand):
    help = (
        "Back up the whole archive — taxonomies, articles, their links, former slugs, the change history, "
        "the accounts it names (without passwords), the captures with their WARC files, and the link checks — "
        "to one JSON Lines file that import_archive restores. "
        "The same archive always gives the same file. It is read in one snapshot, so it may be taken while "
        "editors work. See README, “Backup and restore”."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="The file to write, or - for standard output.")

    def handle(self, *args, out, **options):
        if out == "-":
            try:
                export_archive(sys.stdout)
            except BackupError as error:
                raise CommandError(f"{error} The backup written so far is incomplete: do not keep it.") from None
            return
        path = Path(out)
        partial = path.with_name(path.name + ".partial")
        try:
            # Written beside the target and renamed at the end, so a failed export never
            # leaves a truncated file under the backup's name.
            with partial.open("w", encoding="utf-8", newline="\n") as stream:
                count = export_archive(stream)
            partial.replace(path)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        except BackupError as error:
            partial.unlink(missing_ok=True)
            raise CommandError(f"{error} No backup was written.") from None
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"Wrote {count:,} records to {path}."))
