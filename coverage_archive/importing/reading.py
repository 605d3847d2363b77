"""Reading an import file: its text, its CSV rows and its header row."""

import csv
import difflib
import io
from contextlib import contextmanager

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coverage_archive.taxonomies import IN_ARTICLE_ORDER

# The title, each taxonomy's column in the order of the article's fields, then the rest.
COLUMNS = (
    "title",
    *(taxonomy.import_column for taxonomy in IN_ARTICLE_ORDER),
    "date",
    "language",
    "byline",
    "summary",
    "body",
    "original_url",
    "archived_url",
    "status",
    "note",
)
# A row must give a title and a term of each taxonomy an article must have.
REQUIRED_COLUMNS = ("title", *(taxonomy.import_column for taxonomy in IN_ARTICLE_ORDER if taxonomy.required))
# Several subjects or organizations in one cell: "Organizing; Surveillance".
LIST_SEPARATOR = ";"
# Longer cells are refused: a whole long-form article fits many times over.
MAX_CELL_CHARACTERS = 1_000_000


class ImportFileError(Exception):
    """The file as a whole cannot be read as the archive's CSV: nothing was written."""


def grouped(number: int) -> str:
    """A count as the reader's language writes it: 2,000 in English, 2 000 in Spanish."""
    return number_format(number, force_grouping=True)


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without the byte-order mark Excel writes."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in data[:8192]:
        raise ImportFileError(
            _(
                "This is not a CSV file: it holds binary data, like a spreadsheet's .xlsx or .ods file. "
                "In your spreadsheet choose File → Save As → “CSV UTF-8”, and import that file."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "The file is not UTF-8 text (line %(line)d holds a character in another encoding). "
                "In your spreadsheet choose File → Save As → “CSV UTF-8”, and import that file."
            )
            % {"line": line}
        ) from None
    if "\x00" in text:
        raise ImportFileError(_("This is not a CSV file: it holds binary data (NUL characters)."))
    return text


def _delimiter(header_line: str) -> str:
    """Comma, or semicolon as Excel writes CSV where the decimal separator is a comma."""
    known = set(COLUMNS)

    def score(delimiter):
        return sum(cell.strip().strip('"').strip().lower() in known for cell in header_line.split(delimiter))

    return ";" if score(";") > score(",") else ","


@contextmanager
def _cell_size_limit(limit):
    previous = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def read_rows(text: str):
    """The header's column names and the rows, as (row number, first line, cells) in a list."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    rows = []
    with _cell_size_limit(MAX_CELL_CHARACTERS):
        row_number, next_line = 0, 1
        try:
            for cells in reader:
                row_number += 1
                rows.append((row_number, next_line, cells))
                next_line = reader.line_num + 1
        except csv.Error as error:
            row_number += 1
            if "field larger than field limit" in str(error):
                raise ImportFileError(
                    _(
                        "Row %(row)d (from line %(line)d of the file) has a cell longer than %(limit)s "
                        "characters, the most a cell may hold. Is a quotation mark left open earlier in the file?"
                    )
                    % {"row": row_number, "line": next_line, "limit": grouped(MAX_CELL_CHARACTERS)}
                ) from None
            raise ImportFileError(
                _("Row %(row)d (from line %(line)d of the file) cannot be read as CSV: %(error)s.")
                % {"row": row_number, "line": next_line, "error": error}
            ) from None
    header = [name.strip().lower() for name in rows[0][2]]
    return header, rows[1:]


def check_header(header: list) -> list:
    """The header's columns; ImportFileError naming what is wrong with it."""
    named = [name for name in header if name]
    unknown = [name for name in named if name not in COLUMNS]
    if not set(named) & set(COLUMNS):
        raise ImportFileError(
            _("The first row must be the header row naming the columns: %(columns)s. Its first cells are: %(cells)s.")
            % {"columns": ", ".join(COLUMNS), "cells": ", ".join(header[:5]) or _("(empty)")}
        )
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, COLUMNS, n=1)
            if close:
                hints.append(_("“%(name)s” (did you mean “%(close)s”?)") % {"name": name, "close": close[0]})
            else:
                hints.append(_("“%(name)s”") % {"name": name})
        raise ImportFileError(
            ngettext(
                "Unknown column in the header row: %(names)s. The columns are: %(columns)s.",
                "Unknown columns in the header row: %(names)s. The columns are: %(columns)s.",
                len(unknown),
            )
            % {"names": ", ".join(hints), "columns": ", ".join(COLUMNS)}
        )
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise ImportFileError(
            _("The header row names these columns twice: %(columns)s.") % {"columns": ", ".join(repeated)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in named]
    if missing:
        raise ImportFileError(
            ngettext(
                "The header row lacks the required column: %(columns)s.",
                "The header row lacks the required columns: %(columns)s.",
                len(missing),
            )
            % {"columns": ", ".join(missing)}
        )
    return header
