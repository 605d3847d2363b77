"""What readers see around the results: facet counts, active-filter chips and
the coverage-over-time chart, and the reuse of what they cost for the same
filters (Reuse). Their links come from filters.ArchiveAddress.

Facet counts follow the standard faceted-search rule: each taxonomy is counted
under every *other* current filter, so choosing a subject shows how many pieces
each other subject would add (several subjects combine with OR: coverage in any
of them).
"""

import datetime
import hashlib
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, ExpressionWrapper
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from coverage_archive import search
from coverage_archive.dates import DateMonth, DatePrecision, DateYear, PartialDate
from coverage_archive.filters import ArchiveAddress, ArticleFilterSet
from coverage_archive.models import Article, Language, translated_column
from coverage_archive.taxonomies import TAXONOMIES, Taxonomy

# Values shown per facet before "Show all".
FACET_TOP = 8
# A facet shown in full still stops here, with a note.
FACET_LIMIT = 300
# Ranges of this many months or fewer are charted by month.
MONTHLY_CHART_MAX_MONTHS = 24
# Up to this many results of a search that is costly to match again (a phrase,
# see search.matching_is_costly), the facet pass also gives their ids, so that
# the page and the chart read them by id (each id one query parameter: fewer
# where the database allows fewer, see _result_ids_max).
RESULT_IDS_MAX = 10_000


class Reuse:
    """What this request may reuse of work done for the same filters (settings.ARCHIVE_CACHE_SECONDS).

    The costly parts of a large archive's page (facet counts, and the order of
    a search's results) change only when the database does, so a copy (in
    Redis when several app instances share REDIS_URL) serves every reader of
    the same view. On PostgreSQL the copy is keyed by the database's state, so
    a committed change is counted at once; on SQLite it lasts its time. On
    both it ends when a scheduled piece goes public.
    """

    def __init__(self, address: ArchiveAddress):
        self.address = address

    def __call__(self, kind: str, compute, *details):
        """What `compute` returns for these filters; `details` tell apart what else it depends on."""
        seconds = settings.ARCHIVE_CACHE_SECONDS
        if not seconds:
            return compute()
        filters = urlencode([(name, value) for name, value in self.address.params if name != "sort"])
        described = f"{kind}:{get_language()}:{self.database_state}?{filters}#" + ":".join(map(str, details))
        key = "archive:v4:" + hashlib.sha256(described.encode()).hexdigest()
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, self.seconds(seconds))
        return value

    @cached_property
    def database_state(self) -> str:
        """The database's state as this request found it (see database_state())."""
        return database_state()

    def seconds(self, longest: int) -> int:
        """How long what is computed now may be reused: `longest`, but not past the
        next scheduled publication, which changes the results without a write."""
        if self._next_publication is None:
            return longest
        return max(0, min(longest, int((self._next_publication - timezone.now()).total_seconds())))

    @cached_property
    def _next_publication(self):
        return Article.objects.next_publication_time()


def database_state() -> str:
    """Text that changes whenever a change is committed to the database, where that is cheap.

    PostgreSQL's current snapshot ("xmin:xmax:in-progress transactions") reads
    the same until a transaction that writes (to any database of the server)
    begins or ends: values reused under it are never older than what the
    database holds. SQLite can tell no such thing across processes: "" (reused
    values then last their full time).
    """
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]


@dataclass
class FacetValue:
    label: str
    value: str
    count: int
    selected: bool
    url: str  # adds the value, or removes it when selected


@dataclass
class Facet:
    key: str
    title: Promise
    values: list[FacetValue]
    more_url: str = ""  # "show all" link when values were cut to the top ones
    less_url: str = ""  # back to the top values when shown in full
    note: Promise | str = ""


@dataclass
class Chip:
    label: str
    remove_url: str


@dataclass
class ChartBar:
    label: str  # "2018" or "November 2018"
    count: int
    url: str
    x: float = 0
    y: float = 0
    height: float = 0


@dataclass
class Chart:
    unit: str  # "year" or "month"
    bars: list[ChartBar]
    max_count: int
    undated_count: int = 0
    width: int = 0
    height: int = 80
    bar_width: float = 0

    @property
    def peak(self) -> ChartBar:
        return max(self.bars, key=lambda bar: bar.count)

    @property
    def last(self) -> ChartBar:
        return self.bars[-1]


@dataclass
class Facets:
    facets: list[Facet]
    total: int
    year_counts: dict[int, int]
    result_ids: list[int] | None = None  # the results' ids, when there are few

    def narrow(self, results):
        """The results (filterset.qs), read by id when the facet pass found them few."""
        return results if self.result_ids is None else results.filter(pk__in=self.result_ids)


def _year_counts(queryset):
    rows = (
        queryset.order_by()
        .exclude(publication_date=None)
        .annotate(year=DateYear("publication_date"))
        .values("year")
        .annotate(n=Count("pk"))
    )
    return {row["year"]: row["n"] for row in rows}


# Each facet: the filters it ignores (its own), in the order the facets are shown.
OWN_FILTERS = {
    **{taxonomy.key: (taxonomy.key,) for taxonomy in TAXONOMIES},
    "language": ("language",),
    "year": ("date_from", "date_to"),
}

FACET_TITLES = {
    **{taxonomy.key: taxonomy.facet_title for taxonomy in TAXONOMIES},
    "language": gettext_lazy("Languages"),
    "year": gettext_lazy("Years"),
}


def _all_facet_counts(filterset: ArticleFilterSet, address: ArchiveAddress) -> tuple[dict[str, list], int, list | None]:
    """Every facet's counts in one query, the number of results and, when few, their ids.

    The candidate rows (published, matching the search) form a common table,
    each with a true/false column per chosen facet filter; each facet then
    counts the rows that pass every flag but its own. A search's matches are
    found once for all six (see _candidates_hint).
    """
    conditions = filterset.conditions()
    flags = {f"f_{name}": _as_boolean(condition) for name, condition in conditions.items()}
    columns = [taxonomy.column for taxonomy in TAXONOMIES if taxonomy.column]
    candidates = (
        filterset.filter_queryset(filterset.queryset, exclude=ArticleFilterSet.CONDITION_FILTERS)
        .order_by()
        .annotate(year=DateYear("publication_date"), **flags)
        .values("id", *columns, "language", "year", *flags)
    )
    sql, params = candidates.query.sql_with_params()

    def passing(facet):
        ignored = {f"f_{name}" for name in OWN_FILTERS[facet]} if facet else set()
        checks = [f"c.{flag}" for flag in flags if flag not in ignored]
        return " AND ".join(checks) or "1 = 1"

    def quoted(model):
        return connection.ops.quote_name(model._meta.db_table)

    # Terms are named in the reader's language where a translation exists (Subject.display_name).
    column = translated_column("name")
    label = f"COALESCE(NULLIF(t.{column}, ''), t.name)" if column else "t.name"

    def term_counts(taxonomy: Taxonomy):
        # Count by id first, then name the (few) groups: joining names onto every row costs more.
        where = passing(taxonomy.key)
        if taxonomy.column:
            column = taxonomy.column
            grouped = f"SELECT c.{column} AS term_id, COUNT(*) AS n FROM c WHERE {where} GROUP BY c.{column}"
        else:
            term_id = taxonomy.link_model._meta.get_field(taxonomy.term_field).column
            grouped = (
                f"SELECT l.{term_id} AS term_id, COUNT(*) AS n FROM c JOIN {quoted(taxonomy.link_model)} l "
                f"ON l.article_id = c.id WHERE {where} GROUP BY l.{term_id}"
            )
        terms = quoted(taxonomy.model)
        return f"SELECT '{taxonomy.key}', t.slug, {label}, x.n FROM ({grouped}) x JOIN {terms} t ON t.id = x.term_id"

    # Counted from the candidates' own columns, then through the link tables.
    parts = [
        *(term_counts(taxonomy) for taxonomy in TAXONOMIES if taxonomy.column),
        f"SELECT 'language', c.language, c.language, COUNT(*) FROM c WHERE {passing('language')} GROUP BY c.language",
        f"SELECT 'year', CAST(c.year AS TEXT), CAST(c.year AS TEXT), COUNT(*) FROM c "
        f"WHERE c.year IS NOT NULL AND {passing('year')} GROUP BY c.year",
        *(term_counts(taxonomy) for taxonomy in TAXONOMIES if not taxonomy.column),
    ]
    give_ids = bool(filterset.search_text) and search.matching_is_costly(filterset.search_text)
    ids_max = _result_ids_max()
    if give_ids:  # the results are the rows passing every flag
        parts.append(
            f"SELECT 'result', CAST(c.id AS TEXT), '', 0 FROM c WHERE {passing(None)} "
            f"AND (SELECT COUNT(*) FROM c WHERE {passing(None)}) <= {ids_max}"
        )
    counts: dict[str, list[tuple[str, str, int]]] = {facet: [] for facet in OWN_FILTERS}
    result_ids = []
    with connection.cursor() as cursor:
        cursor.execute(f"WITH c AS {_candidates_hint(filterset)}({sql}) " + " UNION ALL ".join(parts), params)
        for facet, value, label, n in cursor.fetchall():
            if facet == "result":
                result_ids.append(int(value))
            else:
                counts[facet].append((value, label, n))
    names = dict(Language.choices)
    counts["language"] = [(code, str(names.get(code, code)), n) for code, _label, n in counts["language"]]
    # Every article has exactly one source, so the source facet also gives the total.
    chosen_sources = address.values("source")
    total = sum(n for slug, _name, n in counts["source"] if not chosen_sources or slug in chosen_sources)
    for facet, rows in counts.items():
        rows.sort(key=lambda row: (-row[2], row[1]))
        # Kept (and cached) only as far as a page can show: the most frequent, one
        # more to tell that there are more, and any chosen value further down.
        chosen = set(address.values(facet))
        counts[facet] = rows[: FACET_LIMIT + 1] + [row for row in rows[FACET_LIMIT + 1 :] if row[0] in chosen]
    return counts, total, (result_ids if give_ids and total <= ids_max else None)


def _candidates_hint(filterset: ArticleFilterSet) -> str:
    """Whether PostgreSQL keeps the candidate rows or each facet reads them itself.

    A search's matches are kept (MATERIALIZED): matching is the costly part.
    Without one, each facet reads the articles' covering index itself, in
    parallel where it can, which measured faster than writing and reading back
    100,000 kept rows (no filter: 250 -> 135 ms). SQLite decides for itself.
    """
    if connection.vendor != "postgresql":
        return ""
    return "MATERIALIZED " if filterset.search_text else "NOT MATERIALIZED "


def _result_ids_max() -> int:
    """RESULT_IDS_MAX, or half the database's limit on query parameters (999 on SQLite)."""
    limit = connection.features.max_query_params
    return int(RESULT_IDS_MAX if limit is None else min(RESULT_IDS_MAX, limit // 2))


def _as_boolean(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


def compute_facets(filterset: ArticleFilterSet, reuse: Reuse, expand: str = "") -> Facets:
    address = reuse.address
    counts, total, result_ids = reuse("facets", lambda: _all_facet_counts(filterset, address))
    year_counts = {int(year): n for year, _label, n in counts["year"]}
    facets = [_facet(key, rows, address, expand == key) for key, rows in counts.items()]
    return Facets(facets=facets, total=total, year_counts=year_counts, result_ids=result_ids)


def _facet(key: str, rows, address: ArchiveAddress, expanded: bool) -> Facet:
    if key == "year":
        chosen = {y for y in address.values("date_from") if y in address.values("date_to") and len(y) == 4}
    else:
        chosen = set(address.values(key))

    def removal(slug):
        return address.without_dates() if key == "year" else address.without(key, slug)

    def addition(slug):
        return address.with_period(slug, slug) if key == "year" else address.with_value(key, slug)

    values = list(rows)
    # A chosen value the other filters leave empty is still shown, so it can be removed.
    listed = {slug for slug, _label, _count in rows}
    values += [(slug, address.label_of(key, slug), 0) for slug in sorted(chosen - listed)]

    facet = Facet(key=key, title=FACET_TITLES[key], values=[])
    limit = FACET_LIMIT if expanded else FACET_TOP
    if len(values) > limit:
        values = values[:limit] + [value for value in values[limit:] if value[0] in chosen]
        if expanded:
            facet.note = _("Showing the %(limit)s most frequent.") % {"limit": FACET_LIMIT}
        else:
            facet.more_url = address.url([*address.params, ("more", key)]) + f"#facet-{key}"
    if expanded:
        facet.less_url = address.url(address.params) + f"#facet-{key}"
    # Links only for the values shown: a facet may count a thousand organizations.
    facet.values = [
        FacetValue(label, slug, count, slug in chosen, removal(slug) if slug in chosen else addition(slug))
        for slug, label, count in values
    ]
    return facet


def active_filter_chips(address: ArchiveAddress) -> list[Chip]:
    filterset = address.filterset
    cleaned = filterset.form.cleaned_data
    chips = []
    if filterset.search_text:
        chips.append(Chip(_("Search: “%(q)s”") % {"q": _unquoted(cleaned["q"])}, address.without("q")))
    for taxonomy in TAXONOMIES:
        value = cleaned.get(taxonomy.key)
        for term in (value if taxonomy.multiple else [value]) if taxonomy.chosen(value) else ():
            label = str(taxonomy.chip) % {"name": term.display_name}
            chips.append(Chip(label, address.without(taxonomy.key, term.slug)))
    if cleaned.get("language"):
        language = dict(Language.choices)[cleaned["language"]]
        chips.append(Chip(_("Language: %(name)s") % {"name": language}, address.without("language")))
    for name, label in (("date_from", _("From %(date)s")), ("date_to", _("To %(date)s"))):
        if cleaned.get(name):
            chips.append(Chip(label % {"date": cleaned[name].isoformat()}, address.without(name)))
    return chips


def _unquoted(text: str) -> str:
    """A search that is one quoted phrase, without its own quotes: the chip quotes it."""
    text = text.strip()
    if len(text) > 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
        return text[1:-1].strip()
    return text


def coverage_chart(filterset: ArticleFilterSet, reuse: Reuse, facets: Facets) -> Chart | None:
    """Counts of the current results by year, or by month when the date range is short."""
    cleaned = filterset.form.cleaned_data
    start, end = cleaned.get("date_from"), cleaned.get("date_to")
    if start and end and _months_between(start, end) <= MONTHLY_CHART_MAX_MONTHS:
        return _monthly_chart(facets.narrow(filterset.qs), reuse, start, end)
    # With no date filter, the year facet has already counted exactly these rows.
    if start or end:
        year_counts = reuse("chart-years", lambda: _year_counts(facets.narrow(filterset.qs)))
    else:
        year_counts = facets.year_counts
    if not year_counts:
        return None
    first, last = min(year_counts), max(year_counts)
    # The chosen range's empty years are shown too, but only as far as the archive
    # reaches under the other filters (the year facet): 0001 to 9999 draws no 10,000 bars.
    reach = facets.year_counts or year_counts
    if start:
        first = min(first, max(start.start.year, min(reach)))
    if end:
        last = max(last, min(end.end.year, max(reach)))
    bars = [
        ChartBar(str(year), year_counts.get(year, 0), reuse.address.with_period(str(year), str(year)))
        for year in range(first, last + 1)
    ]
    return _lay_out(Chart(unit="year", bars=bars, max_count=max(year_counts.values())))


def _months_between(start: PartialDate, end: PartialDate) -> int:
    return (end.end.year - start.start.year) * 12 + end.end.month - start.start.month + 1


def _month_counts(results) -> tuple[dict[tuple[int, int], int], int]:
    """Results by (year, month), and how many are dated only to the year."""
    results = results.order_by()
    rows = (
        results.filter(date_precision__in=[DatePrecision.DAY, DatePrecision.MONTH])
        .annotate(year=DateYear("publication_date"), month=DateMonth("publication_date"))
        .values("year", "month")
        .annotate(n=Count("pk"))
    )
    counts = {(row["year"], row["month"]): row["n"] for row in rows}
    return counts, results.filter(date_precision=DatePrecision.YEAR).count()


def _monthly_chart(results, reuse: Reuse, start: PartialDate, end: PartialDate) -> Chart | None:
    counts, year_only = reuse("chart-months", lambda: _month_counts(results))
    bars = []
    year, month = start.start.year, start.start.month
    while (year, month) <= (end.end.year, end.end.month):
        first_day = datetime.date(year, month, 1)
        period = first_day.strftime("%Y-%m")
        label = date_format(first_day, "YEAR_MONTH_FORMAT")
        bars.append(ChartBar(label, counts.get((year, month), 0), reuse.address.with_period(period, period)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not counts and not year_only:
        return None
    return _lay_out(Chart(unit="month", bars=bars, max_count=max(counts.values(), default=0), undated_count=year_only))


def _lay_out(chart: Chart) -> Chart:
    """Bar geometry for the SVG: a 600-wide drawing scaled to its container."""
    chart.width = 600
    slot = chart.width / len(chart.bars)
    chart.bar_width = max(slot * 0.8, 1)
    plot_height = chart.height
    for index, bar in enumerate(chart.bars):
        bar.height = round(plot_height * bar.count / chart.max_count, 1) if chart.max_count else 0
        bar.x = round(index * slot + (slot - chart.bar_width) / 2, 1)
        bar.y = round(plot_height - bar.height, 1)
    return chart
