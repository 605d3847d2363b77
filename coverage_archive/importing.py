"""Importing coverage from a spreadsheet saved as CSV (the admin page and manage.py import_coverage).

The file is read and every row checked before anything is written
(plan_import), and then written in one transaction (apply_plan): one bad row
means nothing is written, and every bad row is reported with its row, column
and a reason in plain words. Importing is idempotent: a row whose original
URL is already archived (compared in normalised form) updates that article, a
row without a URL updates the article with the same title, source and date,
and a row that would change nothing is left alone.
"""

import csv
import difflib
import io
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from coverage_archive.dates import DatePrecision, parse_partial_date
from coverage_archive.history import CHANGED, CREATED, record_article_changes
from coverage_archive.models import (
    RESERVED_ARTICLE_SLUGS,
    Article,
    ArticleOrganization,
    ArticleSubject,
    FormerSlug,
    ItemType,
    Language,
    Organization,
    Source,
    Subject,
)
from coverage_archive.spreadsheet import unprotect_cell
from coverage_archive.urlnorm import normalize_url

COLUMNS = (
    "title",
    "source",
    "type",
    "subjects",
    "organizations",
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
REQUIRED_COLUMNS = ("title", "source", "type", "subjects")
# Several subjects or organizations in one cell: "Organizing; Surveillance".
LIST_SEPARATOR = ";"
# Longer cells are refused: a whole long-form article fits many times over.
MAX_CELL_CHARACTERS = 1_000_000
# The admin imports this many rows within one request; larger files go through the command.
ADMIN_MAX_ROWS = 5_000
ADMIN_MAX_BYTES = 20 * 1024 * 1024
# Rows of each kind (errors, new, changed) listed on the admin's preview page.
ADMIN_ROWS_SHOWN = 200
LANGUAGES = frozenset(Language.values)
STATUSES = {"": None, "draft": Article.Status.DRAFT, "published": Article.Status.PUBLISHED}
# Article fields each optional column sets (beyond title, source, type, subjects, organizations, date, status).
TEXT_COLUMNS = {
    "byline": "byline",
    "summary": "summary",
    "body": "body",
    "note": "editors_note",
    "original_url": "original_url",
    "archived_url": "archived_url",
    "language": "language",
}
BATCH_SIZE = 500


class ImportFileError(Exception):
    """The file as a whole cannot be read as the archive's CSV: nothing was written."""


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    line: int  # where the row starts in the file (differs when a cell spans lines)
    column: str
    message: str

    @property
    def place(self) -> str:
        where = f"Row {self.row}" if self.row == self.line else f"Row {self.row} (line {self.line} of the file)"
        return f"{where}, column “{self.column}”" if self.column else where

    def __str__(self):
        return f"{self.place}: {self.message}"


@dataclass
class Term:
    """A taxonomy term a row names: an existing one, or one the import will create."""

    model: type
    name: str
    instance: object = None

    @property
    def key(self):
        return (self.model, self.name.casefold())


@dataclass
class PlannedRow:
    row: int
    line: int
    values: dict  # article field → value, for the columns the file has
    source: Term
    item_type: Term
    subjects: list | None  # Terms, or None when the file has no such column
    organizations: list | None
    article: Article | None = None  # the existing article it updates
    normalized_url: str = ""
    changes: list = field(default_factory=list)  # the fields an update changes

    @property
    def title(self):
        return self.values["title"]


@dataclass
class ImportPlan:
    file_name: str
    columns: list
    rows_read: int = 0
    to_create: list = field(default_factory=list)
    to_update: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    new_terms: dict = field(default_factory=dict)  # model → [names]
    unknown_terms: dict = field(default_factory=dict)  # model → [names], when not creating terms

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def summary(self) -> dict:
        return {
            "rows": self.rows_read,
            "create": len(self.to_create),
            "update": len(self.to_update),
            "unchanged": len(self.unchanged),
            "errors": len(self.errors),
            "new_terms": sum(len(names) for names in self.new_terms.values()),
        }


# --- Reading the file ---------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without the byte-order mark Excel writes."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in data[:8192]:
        raise ImportFileError(
            "This is not a CSV file: it holds binary data, like a spreadsheet's .xlsx or .ods file. "
            "In your spreadsheet choose File → Save As → “CSV UTF-8”, and import that file."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (line {line} holds a character in another encoding). "
            "In your spreadsheet choose File → Save As → “CSV UTF-8”, and import that file."
        ) from None
    if "\x00" in text:
        raise ImportFileError("This is not a CSV file: it holds binary data (NUL characters).")
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
        raise ImportFileError("The file is empty.")
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
                    f"Row {row_number} (from line {next_line} of the file) has a cell longer than "
                    f"{MAX_CELL_CHARACTERS:,} characters, the most a cell may hold. "
                    "Is a quotation mark left open earlier in the file?"
                ) from None
            raise ImportFileError(
                f"Row {row_number} (from line {next_line} of the file) cannot be read as CSV: {error}."
            ) from None
    header = [name.strip().lower() for name in rows[0][2]]
    return header, rows[1:]


def check_header(header: list) -> list:
    """The header's columns; ImportFileError naming what is wrong with it."""
    named = [name for name in header if name]
    unknown = [name for name in named if name not in COLUMNS]
    if not set(named) & set(COLUMNS):
        raise ImportFileError(
            "The first row must be the header row naming the columns: " + ", ".join(COLUMNS) + ". "
            f"Its first cells are: {', '.join(header[:5]) or '(empty)'}."
        )
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, COLUMNS, n=1)
            hints.append(f"“{name}”" + (f" (did you mean “{close[0]}”?)" if close else ""))
        raise ImportFileError(
            f"Unknown column{'s' if len(unknown) > 1 else ''} in the header row: {', '.join(hints)}. "
            "The columns are: " + ", ".join(COLUMNS) + "."
        )
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        raise ImportFileError(f"The header row names these columns twice: {', '.join(repeated)}.")
    missing = [name for name in REQUIRED_COLUMNS if name not in named]
    if missing:
        raise ImportFileError(
            f"The header row lacks the required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}."
        )
    return header


# --- Checking rows ------------------------------------------------------------------------------


class _TermIndex:
    """Terms of one taxonomy by name or slug, compared ignoring case."""

    def __init__(self, model, create: bool):
        self.model = model
        self.create = create
        self.by_key = {}
        terms = list(model.objects.all())
        for term in terms:
            self.by_key[term.slug.casefold()] = Term(model, term.name, term)
        for term in terms:  # a name wins over another term's identical slug
            self.by_key[term.name.casefold()] = Term(model, term.name, term)
        self.new = {}

    def find(self, name: str) -> Term | None:
        key = name.casefold()
        term = self.by_key.get(key) or self.new.get(key)
        if term is None and self.create:
            term = self.new[key] = Term(self.model, name)
        return term


_URL_FIELD = forms.URLField(max_length=2000, assume_scheme="https", required=False)


def _split_list(text: str) -> list:
    names, seen = [], set()
    for name in text.split(LIST_SEPARATOR):
        name = name.strip()
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


class _Checker:
    def __init__(self, plan: ImportPlan, *, create_terms: bool, allow_publish: bool):
        self.plan = plan
        self.create_terms = create_terms
        self.allow_publish = allow_publish
        self.terms = {
            "source": _TermIndex(Source, create_terms),
            "type": _TermIndex(ItemType, create_terms),
            "subjects": _TermIndex(Subject, create_terms),
            "organizations": _TermIndex(Organization, create_terms),
        }

    def error(self, row, line, column, message):
        self.plan.errors.append(RowError(row, line, column, message))

    def term(self, row, line, column, name):
        term = self.terms[column].find(name)
        if term is None:
            unknown = self.plan.unknown_terms.setdefault(self.terms[column].model, [])
            if name.casefold() not in {known.casefold() for known in unknown}:
                unknown.append(name)
            label = {"source": "source", "type": "type", "subjects": "subject", "organizations": "organization"}[column]
            self.error(
                row,
                line,
                column,
                f"No {label} named “{name}” in the archive. Check the spelling, add it in the admin first, "
                "or import with “create new terms” to add it.",
            )
        return term

    def check(self, row, line, cells: dict) -> PlannedRow | None:
        errors_before = len(self.plan.errors)
        values = {}
        title = cells.get("title", "")
        if not title:
            self.error(row, line, "title", "A title is required.")
        elif len(title) > 300:
            self.error(row, line, "title", f"The title is {len(title)} characters long; at most 300 fit.")
        values["title"] = title

        source = item_type = None
        if not cells.get("source"):
            self.error(row, line, "source", "A source is required: the outlet that published the piece.")
        else:
            source = self.term(row, line, "source", cells["source"])
        if not cells.get("type"):
            self.error(row, line, "type", "A type is required, such as Media Coverage or Op-Ed.")
        else:
            item_type = self.term(row, line, "type", cells["type"])

        subjects = [self.term(row, line, "subjects", name) for name in _split_list(cells.get("subjects", ""))]
        if not subjects:
            self.error(row, line, "subjects", "At least one subject is required (separate several with “;”).")
        organizations = None
        if "organizations" in cells:
            organizations = [
                self.term(row, line, "organizations", name) for name in _split_list(cells["organizations"])
            ]

        if "date" in cells:
            try:
                period = parse_partial_date(cells["date"]) if cells["date"] else None
            except ValueError:
                self.error(
                    row,
                    line,
                    "date",
                    f"“{cells['date']}” is not a date the archive understands: write YYYY, YYYY-MM or "
                    "YYYY-MM-DD (for example 2018 or 2018-11), or leave it empty if unknown.",
                )
                period = None
            values["publication_date"] = period.start if period else None
            values["date_precision"] = period.precision if period else DatePrecision.UNKNOWN

        if "language" in cells:
            language = cells["language"].lower() or Language.ENGLISH
            if language not in LANGUAGES:
                self.error(
                    row,
                    line,
                    "language",
                    f"“{cells['language']}” is not a language code the archive knows; use one of "
                    + ", ".join(Language.values)
                    + " (ISO 639-1), or leave it empty for English.",
                )
            values["language"] = language

        if "byline" in cells:
            if len(cells["byline"]) > 300:
                self.error(row, line, "byline", "The byline is longer than 300 characters.")
            values["byline"] = cells["byline"]
        for column in ("summary", "body", "note"):
            if column in cells:
                values[TEXT_COLUMNS[column]] = cells[column]
        for column in ("original_url", "archived_url"):
            if column in cells:
                try:
                    values[column] = _URL_FIELD.clean(cells[column])
                except ValidationError:
                    self.error(
                        row,
                        line,
                        column,
                        f"“{cells[column][:200]}” is not a web address (such as https://example.org/story), "
                        "or is longer than 2,000 characters.",
                    )

        status_text = cells.get("status", "").lower()
        if status_text not in STATUSES:
            self.error(row, line, "status", f"The status is “{cells['status']}”: write draft or published.")
        else:
            values["status"] = STATUSES[status_text]  # None: keep an existing article's, draft for a new one
            if values["status"] == Article.Status.PUBLISHED and not self.allow_publish:
                self.error(row, line, "status", "You may not publish articles: leave the status empty or draft.")

        if len(self.plan.errors) > errors_before:
            return None
        return PlannedRow(row, line, values, source, item_type, subjects, organizations)


def _batches(items, size=BATCH_SIZE):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _match_existing(checker: _Checker, planned: list):
    """Attach to each planned row the article it updates, if any; report rows that clash."""
    plan = checker.plan
    # The search columns are the database's own and never compared: left out of the fetch.
    articles = Article.objects.defer("search_text").order_by()
    normalized_urls = {row.row: normalize_url(row.values.get("original_url", "")) for row in planned}
    by_url = {}
    for batch in _batches(set(normalized_urls.values()) - {""}):
        for article in articles.with_normalized_urls(batch):
            by_url[article.original_url_normalized] = article
    by_identity = defaultdict(list)
    titles = {row.title for row in planned if not normalized_urls[row.row]}
    for batch in _batches(titles):
        for article in articles.filter(title__in=batch):
            key = (article.title, article.source_id, article.publication_date, article.date_precision)
            by_identity[key].append(article)

    first_row_of = {}
    for row in planned:
        normalized = row.normalized_url = normalized_urls[row.row]
        if normalized:
            key, article, same = ("url", normalized), by_url.get(normalized), "the same original URL"
        else:
            source = row.source.instance
            publication_date = row.values.get("publication_date")
            precision = row.values.get("date_precision", DatePrecision.UNKNOWN)
            key = ("identity", row.title, row.source.key, publication_date, precision)
            same = "the same title, source and date and no original URL"
            matches = by_identity.get((row.title, source.pk, publication_date, precision), []) if source else []
            if len(matches) > 1:
                checker.error(
                    row.row,
                    row.line,
                    "title",
                    "Several articles in the archive have this title, source and date; give the row its "
                    "original URL so it names one.",
                )
                continue
            article = matches[0] if matches else None
        if article is not None:
            key, same = ("article", article.pk), f"both update “{article.title}”"
        if key in first_row_of:
            column = "original_url" if normalized else "title"
            checker.error(row.row, row.line, column, f"Same article as row {first_row_of[key]} ({same}).")
            continue
        first_row_of[key] = row.row
        if article is not None and article.status == Article.Status.WITHDRAWN:
            checker.error(
                row.row,
                row.line,
                "status",
                f"This is “{article.title}”, which was withdrawn at a subject’s request; the import does not "
                "change withdrawn articles. Remove the row.",
            )
            continue
        row.article = article
        (plan.to_update if article else plan.to_create).append(row)


def _links(model, field_name, article_ids):
    links = defaultdict(set)
    for batch in _batches(article_ids, 1000):
        for article_id, term_id in model.objects.filter(article_id__in=batch).values_list("article_id", field_name):
            links[article_id].add(term_id)
    return links


def _find_changes(checker: _Checker):
    """Keep as updates only the rows that change their article; the others are unchanged."""
    plan = checker.plan
    ids = [row.article.pk for row in plan.to_update]
    subjects = _links(ArticleSubject, "subject_id", ids)
    organizations = _links(ArticleOrganization, "organization_id", ids)
    updates = []
    for row in plan.to_update:
        article = row.article
        changes = []
        for name, value in row.values.items():
            if name == "status":
                if value is not None and value != article.status:
                    if not checker.allow_publish:
                        checker.error(row.row, row.line, "status", "You may not publish or unpublish articles.")
                    changes.append(name)
            elif name == "original_url" and not value:
                continue  # an empty cell never removes the link that identifies an article
            elif getattr(article, name) != value:
                changes.append(name)
        if row.source.instance is None or row.source.instance.pk != article.source_id:
            changes.append("source")
        if row.item_type.instance is None or row.item_type.instance.pk != article.item_type_id:
            changes.append("item_type")
        if _term_ids(row.subjects) != subjects.get(article.pk, set()):
            changes.append("subjects")
        if row.organizations is not None and _term_ids(row.organizations) != organizations.get(article.pk, set()):
            changes.append("organizations")
        row.changes = changes
        (updates if changes else plan.unchanged).append(row)
    plan.to_update = updates


def _term_ids(terms):
    # A term still to be created has no id, so it always counts as a change.
    return {term.instance.pk if term.instance else ("new", term.key) for term in terms}


def plan_import(
    text: str,
    *,
    file_name: str = "",
    create_terms: bool = False,
    allow_publish: bool = True,
    max_rows: int | None = None,
    progress: Callable | None = None,
) -> ImportPlan:
    """Read and check a whole file without writing anything.

    Raises ImportFileError when the file as a whole is unusable; row problems
    are collected in ``plan.errors``.
    """
    header, rows = read_rows(text)
    header = check_header(header)
    rows = [(number, line, cells) for number, line, cells in rows if any(cell.strip() for cell in cells)]
    if max_rows is not None and len(rows) > max_rows:
        raise ImportFileError(
            f"This file has {len(rows):,} rows; the admin imports up to {max_rows:,} at a time. "
            "Split the file, or ask the archive's operator to run manage.py import_coverage with it."
        )
    plan = ImportPlan(file_name=file_name, columns=[name for name in header if name], rows_read=len(rows))
    checker = _Checker(plan, create_terms=create_terms, allow_publish=allow_publish)
    planned = []
    for index, (number, line, cells) in enumerate(rows, start=1):
        named = {}
        for position, cell in enumerate(cells):
            name = header[position] if position < len(header) else ""
            value = unprotect_cell(cell).strip()
            if name:
                named[name] = value
            elif value:
                checker.error(
                    number,
                    line,
                    "",
                    f"Cell {position + 1} holds “{value[:60]}”, but the header row names no column there.",
                )
        for name in plan.columns:
            named.setdefault(name, "")  # a short row: the missing cells are empty
        row = checker.check(number, line, named)
        if row is not None:
            planned.append(row)
        if progress and index % 5000 == 0:
            progress("checked", index, len(rows))
    _match_existing(checker, planned)
    _find_changes(checker)
    plan.new_terms = {
        index.model: [term.name for term in index.new.values()] for index in checker.terms.values() if index.new
    }
    plan.errors.sort(key=lambda error: (error.row, COLUMNS.index(error.column) if error.column in COLUMNS else -1))
    return plan


# --- Writing ---------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    terms_created: int


def _unique_slugs(titles: list) -> list:
    """A new, unused slug for each title, in order."""
    bases = []
    for title in titles:
        base = slugify(title)[:180].strip("-") or "article"
        bases.append(base)
    taken = set(RESERVED_ARTICLE_SLUGS)
    for batch in _batches(set(bases)):
        taken.update(Article.objects.filter(slug__in=batch).values_list("slug", flat=True))
        taken.update(FormerSlug.objects.filter(slug__in=batch).values_list("slug", flat=True))
    counts = defaultdict(int)
    for base in bases:
        counts[base] += 1
    crowded = {base for base in bases if base in taken or counts[base] > 1}
    for base in crowded:
        taken.update(Article.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True))
        taken.update(FormerSlug.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True))
    slugs = []
    for base in bases:
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        slugs.append(slug)
    return slugs


def _create_terms(plan: ImportPlan, checker_terms, user) -> int:
    created = 0
    for model, names in plan.new_terms.items():
        taken = set(model.objects.values_list("slug", flat=True))
        for name in names:
            base = slugify(name)[:90].strip("-") or model._meta.model_name
            slug, number = base, 1
            while slug in taken:
                number += 1
                slug = f"{base}-{number}"
            taken.add(slug)
            term = model(name=name[:200], slug=slug)
            term._history_user = user
            term.save()  # one at a time, so each new term's history is recorded
            checker_terms[(model, name.casefold())] = term
            created += 1
    return created


def _insert_links(model, term_field: str, pairs: list) -> None:
    """Insert (article id, term id) links, many rows per statement.

    The link models hold nothing else, and building 100,000 model instances
    for bulk_create() costs more than the inserts themselves.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in ("article", term_field)
    )
    with connection.cursor() as cursor:
        for batch in _batches(pairs, 400):  # 800 parameters: within SQLite's limit of 999
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join(['(%s, %s)'] * len(batch))}",
                [value for pair in batch for value in pair],
            )


def apply_plan(plan: ImportPlan, *, user=None, progress: Callable | None = None) -> ImportResult:
    """Write a checked plan, all or nothing. Call inside transaction.atomic()."""
    if not plan.is_valid:
        raise ValueError("An import with errors cannot be applied.")
    now = timezone.now()
    reason = f"Imported from {plan.file_name}" if plan.file_name else "Imported from CSV"
    new_terms = {}
    terms_created = _create_terms(plan, new_terms, user)

    def resolve(term: Term):
        return term.instance if term.instance is not None else new_terms[term.key]

    # New articles.
    slugs = _unique_slugs([row.title for row in plan.to_create])
    articles = []
    for row, slug in zip(plan.to_create, slugs, strict=True):
        values = dict(row.values)
        status = values.pop("status", None) or Article.Status.DRAFT
        article = Article(
            slug=slug,
            source=resolve(row.source),
            item_type=resolve(row.item_type),
            status=status,
            published_at=now if status == Article.Status.PUBLISHED else None,
            created_by=user,
            updated_by=user,
            **values,
        )
        article.original_url_normalized = row.normalized_url  # normalize_url(), computed while checking
        articles.append(article)
    for index, batch in enumerate(_batches(articles), start=1):
        Article.objects.bulk_create(batch)
        if progress:
            progress("created", min(index * BATCH_SIZE, len(articles)), len(articles))
    subject_links, organization_links = [], []
    for row, article in zip(plan.to_create, articles, strict=True):
        subject_links += [(article.pk, resolve(term).pk) for term in row.subjects]
        organization_links += [(article.pk, resolve(term).pk) for term in row.organizations or []]

    # Changed articles.
    changed, removed_subjects, removed_organizations = [], [], []
    update_fields = {"updated_at", "updated_by"}
    for row in plan.to_update:
        article = row.article
        for name in row.changes:
            if name == "status":
                article.status = row.values["status"]
                if article.status == Article.Status.PUBLISHED and article.published_at is None:
                    article.published_at = now
                    update_fields.add("published_at")
            elif name == "source":
                article.source = resolve(row.source)
            elif name == "item_type":
                article.item_type = resolve(row.item_type)
            elif name == "subjects":
                removed_subjects.append(article.pk)
                subject_links += [(article.pk, resolve(term).pk) for term in row.subjects]
                continue
            elif name == "organizations":
                removed_organizations.append(article.pk)
                organization_links += [(article.pk, resolve(term).pk) for term in row.organizations]
                continue
            else:
                setattr(article, name, row.values[name])
                if name == "original_url":
                    article.original_url_normalized = row.normalized_url
                    update_fields.add("original_url_normalized")
            update_fields.add(name)
        article.updated_at = now
        article.updated_by = user
        changed.append(article)
    if changed:
        Article.objects.bulk_update(changed, sorted(update_fields), batch_size=BATCH_SIZE)
    for batch in _batches(removed_subjects):
        ArticleSubject.objects.filter(article_id__in=batch).delete()
    for batch in _batches(removed_organizations):
        ArticleOrganization.objects.filter(article_id__in=batch).delete()
    _insert_links(ArticleSubject, "subject", subject_links)
    _insert_links(ArticleOrganization, "organization", organization_links)

    # bulk_create and bulk_update record no history by themselves.
    record_article_changes(articles, CREATED, user=user, reason=reason)
    record_article_changes(changed, CHANGED, user=user, reason=reason)
    return ImportResult(len(articles), len(changed), len(plan.unchanged), terms_created)


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
            "Nothing was imported: the archive changed while the file was being imported "
            f"({error}). Import the file again."
        ) from None
