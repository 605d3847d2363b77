from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coverage_archive.backup import BackupError, import_archive


class Command(BaseCommand):
    help = (
        "Restore a backup written by export_archive into an empty archive (a new database after "
        "manage.py migrate), keeping ids, times and history exactly, and the captures' WARC files in storage, "
        "each checked against its SHA-256 first. All or nothing. Accounts come back "
        "without passwords: set them with manage.py changepassword. See README, “Backup and restore”."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The backup file to restore.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Restore inside a transaction, report, and roll it back."
        )

    def handle(self, *args, file, dry_run=False, **options):
        try:
            with file.open(encoding="utf-8") as stream:
                counts = import_archive(stream, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not a backup: it is not UTF-8 text. Nothing was restored.") from None
        except BackupError as error:
            raise CommandError(f"{error} Nothing was restored.") from None
        if options["verbosity"] >= 1:
            done = "Checked (dry run, nothing written)" if dry_run else "Restored"
            summary = ", ".join(f"{count:,} {label}" for label, count in counts.items())
            self.stdout.write(self.style.SUCCESS(f"{done}: {summary or 'an empty archive'}."))
