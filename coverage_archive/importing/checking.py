"""Checking an import file's rows: terms and existing articles matched, changes found (plan_import)."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from coverage_archive.dates import DatePrecision, parse_partial_date
from coverage_archive.importing.reading import (
    COLUMNS,
    LIST_SEPARATOR,
    ImportFileError,
    check_header,
    grouped,
    read_rows,
)
from coverage_archive.models import Article, Language, stored_value
from coverage_archive.spreadsheet import unprotect_cell
from coverage_archive.taxonomies import IN_ARTICLE_ORDER, SOURCES, Taxonomy
from coverage_archive.text import ControlCharacterValidator
from coverage_archive.urlnorm import normalize_url

LANGUAGES = frozenset(Language.values)
STATUSES = {"": None, "draft": Article.Status.DRAFT, "published": Article.Status.PUBLISHED}
# Article fields each optional column sets (beyond the title, the taxonomies, date and status).
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
# The kind of RowError that creating the terms the file names would resolve.
UNKNOWN_TERM = "unknown_term"


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    line: int  # where the row starts in the file (differs when a cell spans lines)
    column: str
    message: str
    kind: str = ""  # UNKNOWN_TERM for a name the archive does not know; "" for every other problem

    @property
    def place(self) -> str:
        if self.row == self.line:
            where = _("Row %(row)d") % {"row": self.row}
        else:
            where = _("Row %(row)d (line %(line)d of the file)") % {"row": self.row, "line": self.line}
        if not self.column:
            return where
        return _("%(place)s, column “%(column)s”") % {"place": where, "column": self.column}

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
    # Taxonomy key → its Term (None for an empty cell), or a list of Terms for a linked
    # taxonomy; a taxonomy whose column the file lacks is absent and left as it is.
    terms: dict
    article: Article | None = None  # the existing article it updates
    normalized_url: str = ""
    changes: list = field(default_factory=list)  # the fields an update changes

    @property
    def title(self):
        return self.values["title"]

    @property
    def source(self) -> Term:
        """The outlet: with the title and date it names an article that has no original URL."""
        return self.terms[SOURCES.key]


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

    @property
    def rows_with_errors(self) -> int:
        """How many rows have a problem (a row may have several; a problem of the whole file counts once)."""
        return len({error.row for error in self.errors})

    @property
    def only_unknown_terms(self) -> bool:
        """Whether every problem is a name the archive does not know, which creating the terms would resolve."""
        return bool(self.errors) and all(error.kind == UNKNOWN_TERM for error in self.errors)

    def unknown_term_names(self) -> list:
        """The unknown terms as sorted (model label, name) pairs, to compare with the terms an import creates."""
        return sorted([model._meta.label, name] for model, names in self.unknown_terms.items() for name in names)

    def new_term_names(self) -> list:
        return sorted([model._meta.label, name] for model, names in self.new_terms.items() for name in names)

    def summary(self) -> dict:
        return {
            "rows": self.rows_read,
            "create": len(self.to_create),
            "update": len(self.to_update),
            "unchanged": len(self.unchanged),
            "errors": len(self.errors),
            "new_terms": sum(len(names) for names in self.new_terms.values()),
        }


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


def _max_length(name: str) -> int:
    return Article._meta.get_field(name).max_length


TITLE_MAX_LENGTH = _max_length("title")
BYLINE_MAX_LENGTH = _max_length("byline")
URL_FIELDS = {
    column: forms.URLField(max_length=_max_length(column), assume_scheme="https", required=False)
    for column in ("original_url", "archived_url")
}
# The model fields whose text rules (the control-character validators) a column's cells follow:
# the article's text, and each taxonomy's term names.
TEXT_FIELDS = {
    column: Article._meta.get_field(name)
    for column, name in {"title": "title", **TEXT_COLUMNS}.items()
    if name in ("title", "byline", "summary", "body", "editors_note")
} | {taxonomy.import_column: taxonomy.model._meta.get_field("name") for taxonomy in IN_ARTICLE_ORDER}


def _control_character_problem(model_field, text: str) -> str | None:
    """What the field's control-character rule says of the text, if it refuses it."""
    for validator in model_field.validators:
        if isinstance(validator, ControlCharacterValidator):
            try:
                validator(text)
            except ValidationError as error:
                return error.messages[0]
    return None


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
        # By taxonomy key, in the order of the columns (new terms are created in this order).
        self.terms = {taxonomy.key: _TermIndex(taxonomy.model, create_terms) for taxonomy in IN_ARTICLE_ORDER}

    def error(self, row, line, column, message, kind=""):
        self.plan.errors.append(RowError(row, line, column, message, kind))

    def term(self, row, line, taxonomy: Taxonomy, name):
        index = self.terms[taxonomy.key]
        term = index.find(name)
        if term is None:
            unknown = self.plan.unknown_terms.setdefault(index.model, [])
            if name.casefold() not in {known.casefold() for known in unknown}:
                unknown.append(name)
            self.error(
                row,
                line,
                taxonomy.import_column,
                _(
                    "No %(term)s named “%(name)s” in the archive. Check the spelling, add it in the admin first, "
                    "or import with “create new terms” to add it."
                )
                % {"term": index.model._meta.verbose_name, "name": name},
                kind=UNKNOWN_TERM,
            )
        return term

    def taxonomy_terms(self, row, line, cells: dict) -> dict:
        """The row's terms by taxonomy key, for the taxonomies whose column the file has."""
        terms = {}
        for taxonomy in IN_ARTICLE_ORDER:
            column = taxonomy.import_column
            if column not in cells and not taxonomy.required:
                continue  # the file leaves this taxonomy alone
            text = cells.get(column, "")
            if taxonomy.link_model is None:
                terms[taxonomy.key] = self.term(row, line, taxonomy, text) if text else None
                chosen = text
            else:
                terms[taxonomy.key] = chosen = [self.term(row, line, taxonomy, name) for name in _split_list(text)]
            if not chosen and taxonomy.required:
                self.error(row, line, column, str(taxonomy.required))
        return terms

    def check(self, row, line, cells: dict) -> PlannedRow | None:
        errors_before = len(self.plan.errors)
        for column, model_field in TEXT_FIELDS.items():
            problem = _control_character_problem(model_field, cells.get(column, ""))
            if problem:
                self.error(row, line, column, problem)
        values = {}
        title = cells.get("title", "")
        if not title:
            self.error(row, line, "title", _("A title is required."))
        elif len(title) > TITLE_MAX_LENGTH:
            self.error(
                row,
                line,
                "title",
                _("The title is %(length)d characters long; at most %(limit)d fit.")
                % {"length": len(title), "limit": TITLE_MAX_LENGTH},
            )
        values["title"] = title

        terms = self.taxonomy_terms(row, line, cells)

        if "date" in cells:
            try:
                period = parse_partial_date(cells["date"]) if cells["date"] else None
            except ValueError:
                self.error(
                    row,
                    line,
                    "date",
                    _(
                        "“%(value)s” is not a date the archive understands: write YYYY, YYYY-MM or "
                        "YYYY-MM-DD (for example 2018 or 2018-11), or leave it empty if unknown."
                    )
                    % {"value": cells["date"]},
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
                    _(
                        "“%(value)s” is not a language code the archive knows; use one of %(codes)s "
                        "(ISO 639-1), or leave it empty for English."
                    )
                    % {"value": cells["language"], "codes": ", ".join(Language.values)},
                )
            values["language"] = language

        if "byline" in cells:
            if len(cells["byline"]) > BYLINE_MAX_LENGTH:
                self.error(
                    row,
                    line,
                    "byline",
                    _("The byline is longer than %(limit)d characters.") % {"limit": BYLINE_MAX_LENGTH},
                )
            values["byline"] = cells["byline"]
        for column in ("summary", "body", "note"):
            if column in cells:
                values[TEXT_COLUMNS[column]] = cells[column]
        for column, url_field in URL_FIELDS.items():
            if column in cells:
                try:
                    values[column] = url_field.clean(cells[column])
                except ValidationError:
                    self.error(
                        row,
                        line,
                        column,
                        _(
                            "“%(value)s” is not a web address (such as https://example.org/story), "
                            "or is longer than %(limit)s characters."
                        )
                        % {"value": cells[column][:200], "limit": grouped(url_field.max_length)},
                    )

        status_text = cells.get("status", "").lower()
        if status_text not in STATUSES:
            self.error(
                row,
                line,
                "status",
                _("The status is “%(value)s”: write draft or published.") % {"value": cells["status"]},
            )
        else:
            values["status"] = STATUSES[status_text]  # None: keep an existing article's, draft for a new one
            if values["status"] == Article.Status.PUBLISHED and not self.allow_publish:
                self.error(row, line, "status", _("You may not publish articles: leave the status empty or draft."))

        if len(self.plan.errors) > errors_before:
            return None
        # Stored as the admin stores them, so that a second import of the file finds nothing changed.
        values = {name: stored_value(Article._meta.get_field(name), value) for name, value in values.items()}
        return PlannedRow(row, line, values, terms)


def batches(items, size=BATCH_SIZE):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _match_existing(checker: _Checker, planned: list):
    """Attach to each planned row the article it updates, if any; report rows that clash."""
    plan = checker.plan
    articles = Article.objects.order_by()
    normalized_urls = {row.row: normalize_url(row.values.get("original_url", "")) for row in planned}
    by_url = {}
    for batch in batches(set(normalized_urls.values()) - {""}):
        for article in articles.with_normalized_urls(batch):
            by_url[article.original_url_normalized] = article
    by_identity = defaultdict(list)
    titles = {row.title for row in planned if not normalized_urls[row.row]}
    for batch in batches(titles):
        for article in articles.filter(title__in=batch):
            key = (article.title, article.source_id, article.publication_date, article.date_precision)
            by_identity[key].append(article)

    first_row_of = {}
    for row in planned:
        normalized = row.normalized_url = normalized_urls[row.row]
        if normalized:
            key, article, same = ("url", normalized), by_url.get(normalized), _("the same original URL")
        else:
            source = row.source.instance
            publication_date = row.values.get("publication_date")
            precision = row.values.get("date_precision", DatePrecision.UNKNOWN)
            key = ("identity", row.title, row.source.key, publication_date, precision)
            same = _("the same title, source and date and no original URL")
            matches = by_identity.get((row.title, source.pk, publication_date, precision), []) if source else []
            if len(matches) > 1:
                checker.error(
                    row.row,
                    row.line,
                    "title",
                    _(
                        "Several articles in the archive have this title, source and date; give the row its "
                        "original URL so it names one."
                    ),
                )
                continue
            article = matches[0] if matches else None
        if article is not None:
            key, same = ("article", article.pk), _("both update “%(title)s”") % {"title": article.title}
        if key in first_row_of:
            column = "original_url" if normalized else "title"
            checker.error(
                row.row,
                row.line,
                column,
                _("Same article as row %(row)d (%(same)s).") % {"row": first_row_of[key], "same": same},
            )
            continue
        first_row_of[key] = row.row
        if article is not None and article.status == Article.Status.WITHDRAWN:
            checker.error(
                row.row,
                row.line,
                "status",
                _(
                    "This is “%(title)s”, which was withdrawn at a subject’s request; the import does not "
                    "change withdrawn articles. Remove the row."
                )
                % {"title": article.title},
            )
            continue
        row.article = article
        (plan.to_update if article else plan.to_create).append(row)


def _links(taxonomy: Taxonomy, article_ids) -> dict:
    """The ids of a linked taxonomy's terms each article has, by article id."""
    term_id = taxonomy.link_model._meta.get_field(taxonomy.term_field).attname
    links = defaultdict(set)
    for batch in batches(article_ids, 1000):
        for article_id, term in taxonomy.link_model.objects.filter(article_id__in=batch).values_list(
            "article_id", term_id
        ):
            links[article_id].add(term)
    return links


def _find_changes(checker: _Checker):
    """Keep as updates only the rows that change their article; the others are unchanged."""
    plan = checker.plan
    ids = [row.article.pk for row in plan.to_update]
    # A foreign key is compared with the article's column, links with the article's links.
    columns = {
        taxonomy.key: Article._meta.get_field(taxonomy.article_field).attname
        for taxonomy in IN_ARTICLE_ORDER
        if taxonomy.link_model is None
    }
    links = {
        taxonomy.key: _links(taxonomy, ids)
        for taxonomy in IN_ARTICLE_ORDER
        if taxonomy.link_model is not None and taxonomy.import_column in plan.columns
    }
    updates = []
    for row in plan.to_update:
        article = row.article
        changes = []
        for name, value in row.values.items():
            if name == "status":
                if value is not None and value != article.status:
                    if not checker.allow_publish:
                        checker.error(row.row, row.line, "status", _("You may not publish or unpublish articles."))
                    changes.append(name)
            elif name == "original_url" and not value:
                continue  # an empty cell never removes the link that identifies an article
            elif getattr(article, name) != value:
                changes.append(name)
        for taxonomy in IN_ARTICLE_ORDER:
            if taxonomy.key not in row.terms:
                continue  # the file has no such column
            terms = row.terms[taxonomy.key]
            if taxonomy.key in columns:
                changed = _term_id(terms) != getattr(article, columns[taxonomy.key])
            else:
                changed = {_term_id(term) for term in terms} != links[taxonomy.key].get(article.pk, set())
            if changed:
                changes.append(taxonomy.article_field)
        row.changes = changes
        (updates if changes else plan.unchanged).append(row)
    plan.to_update = updates


def _term_id(term: Term | None):
    # A term still to be created has no id, so it always counts as a change.
    if term is None:
        return None
    return term.instance.pk if term.instance else ("new", term.key)


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
            _(
                "This file has %(rows)s rows; the admin imports up to %(limit)s at a time. "
                "Split the file, or ask the archive's operator to run manage.py import_coverage with it."
            )
            % {"rows": grouped(len(rows)), "limit": grouped(max_rows)}
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
                    _("Cell %(position)d holds “%(value)s”, but the header row names no column there.")
                    % {"position": position + 1, "value": value[:60]},
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
