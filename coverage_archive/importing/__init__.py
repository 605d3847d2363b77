"""Importing coverage from a spreadsheet saved as CSV (the admin page and manage.py import_coverage).

The file is read and every row checked before anything is written
(plan_import), and then written in one transaction (apply_plan): one bad row
means nothing is written, and every bad row is reported with its row, column
and a reason in plain words. Importing is idempotent: a row whose original
URL is already archived (compared in normalised form) updates that article, a
row without a URL updates the article with the same title, source and date,
and a row that would change nothing is left alone.
"""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from coverage_archive.importing.checking import ImportPlan, PlannedRow, RowError, Term, plan_import
from coverage_archive.importing.reading import (
    COLUMNS,
    LIST_SEPARATOR,
    REQUIRED_COLUMNS,
    ImportFileError,
    check_header,
    decode,
    read_rows,
)
from coverage_archive.importing.writing import ImportResult, apply_plan

__all__ = [
    "ADMIN_MAX_BYTES",
    "ADMIN_MAX_ROWS",
    "ADMIN_ROWS_SHOWN",
    "COLUMNS",
    "LIST_SEPARATOR",
    "REQUIRED_COLUMNS",
    "ImportFileError",
    "ImportPlan",
    "ImportResult",
    "PlannedRow",
    "RowError",
    "Term",
    "apply_plan",
    "check_header",
    "decode",
    "import_csv",
    "plan_import",
    "read_rows",
]

# The admin imports this many rows within one request; larger files go through the command.
ADMIN_MAX_ROWS = 5_000
ADMIN_MAX_BYTES = 20 * 1024 * 1024
# Rows of each kind (errors, new, changed) listed on the admin's preview page.
ADMIN_ROWS_SHOWN = 200


def import_csv(
    text: str,
    *,
    file_name: str = "",
    create_terms: bool = False,
    allow_publish: bool = True,
    user=None,
    dry_run: bool = False,
    max_rows: int | None = None,
    progress: Callable | None = None,
    confirm: Callable | None = None,
) -> tuple[ImportPlan, ImportResult | None]:
    """Check the file and, when every row is good and this is no dry run, write it in one transaction.

    Reading and writing share the transaction, so the archive cannot change
    between the check and the write. ``confirm(plan)`` may still decline the
    write (the admin does when the plan differs from the preview shown).
    """
    try:
        with transaction.atomic():
            plan = plan_import(
                text,
                file_name=file_name,
                create_terms=create_terms,
                allow_publish=allow_publish,
                max_rows=max_rows,
                progress=progress,
            )
            if dry_run or not plan.is_valid or (confirm is not None and not confirm(plan)):
                return plan, None
            return plan, apply_plan(plan, user=user, progress=progress)
    except IntegrityError as error:
        # Someone else saved a clashing article between our check and our write.
        raise ImportFileError(
            _(
                "Nothing was imported: the archive changed while the file was being imported "
                "(%(error)s). Import the file again."
            )
            % {"error": error}
        ) from None
