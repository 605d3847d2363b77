"""The archive's filters: one FilterSet serves the archive page, the term
pages, the feeds, the exports and the facet counts, so the rules cannot drift;
and the address of a filtered view, from which every link that changes one
filter is built.

Parameters are the public URL contract: ``q``, one per taxonomy (``subject``,
repeatable, ``source``, ``type``, ``organization``: see taxonomies.py),
``language``, ``date_from``, ``date_to`` (YYYY, YYYY-MM or YYYY-MM-DD),
``sort``. Values are slugs, so ``/coverage/?subject=organizing`` is a link a
person can read.
"""

from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

from coverage_archive import search
from coverage_archive.dates import DatePrecision, PartialDate
from coverage_archive.formfields import PartialDateField
from coverage_archive.models import Language
from coverage_archive.taxonomies import BY_KEY, TAXONOMIES, Taxonomy
from coverage_archive.text import reader_params

# Longer queries are cut (with a note to the reader) rather than refused.
MAX_QUERY_LENGTH = 200


class SortOrder:
    RELEVANCE = "relevance"
    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"
    CHOICES = [
        (RELEVANCE, _("Best match")),
        (NEWEST, _("Newest first")),
        (OLDEST, _("Oldest first")),
        (TITLE, _("Title (A–Z)")),
    ]


def _check_slugs(field, values):
    # Checked before any query: a value such as "a\x00b" is not a slug, and
    # PostgreSQL would reject it with an error rather than find nothing.
    for value in values:
        if not (isinstance(value, str) and slug_re.fullmatch(value)):
            message = field.error_messages["invalid_choice"]
            raise ValidationError(message, code="invalid_choice", params={"value": value})


class SlugChoiceField(filter_fields.ModelChoiceField):
    """A term chosen by slug; anything that is not a known slug is a plain-words error."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        _check_slugs(self, [value])
        return super().to_python(value)


class SlugMultipleChoiceField(filter_fields.ModelMultipleChoiceField):
    def clean(self, value):
        # An empty value means "any", as for the single-choice filters (?subject=&source=).
        if isinstance(value, list | tuple):
            value = [item for item in value if item != ""]
        return super().clean(value)

    def _check_values(self, value):
        _check_slugs(self, value)
        return super()._check_values(value)


class SlugChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = SlugChoiceField


class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = SlugMultipleChoiceField


class PartialDateFilter(django_filters.Filter):
    field_class = PartialDateField


def taxonomy_filter(taxonomy: Taxonomy) -> django_filters.Filter:
    """The taxonomy's filter, by slug: several terms (any of) or one."""
    options = {
        "queryset": taxonomy.model.objects.all(),
        "to_field_name": "slug",
        "method": "filter_by_condition",
        "error_messages": {"invalid_choice": taxonomy.missing},
    }
    if taxonomy.multiple:
        options.update(label=taxonomy.title, widget=forms.CheckboxSelectMultiple, help_text=taxonomy.help_text)
        return SlugMultipleChoiceFilter(**options)
    return SlugChoiceFilter(label=taxonomy.label, empty_label=taxonomy.any_label, **options)


class ArchiveFilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start.start > end.end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        help_text=_("Words to find in the title, summary or text."),
    )
    # One slug filter per taxonomy, in the registry's order (django-filter orders
    # declared filters by creation, so these come between q and language).
    locals().update({taxonomy.key: taxonomy_filter(taxonomy) for taxonomy in TAXONOMIES})
    language = django_filters.ChoiceFilter(
        label=_("Language"),
        choices=Language.choices,
        method="filter_by_condition",
        empty_label=_("Any language"),
        error_messages={"invalid_choice": _("“%(value)s” is not one of the archive's languages.")},
    )
    date_from = PartialDateFilter(
        label=_("From"), method="filter_by_condition", help_text=_("YYYY, YYYY-MM or YYYY-MM-DD")
    )
    date_to = PartialDateFilter(label=_("To"), method="filter_by_condition", help_text=_("YYYY, YYYY-MM or YYYY-MM-DD"))
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        choices=SortOrder.CHOICES,
        method="apply_sort",
        empty_label=None,
        error_messages={"invalid_choice": _("“%(value)s” is not a way to sort; choose one from the list.")},
    )

    class Meta:
        form = ArchiveFilterForm
        fields = []  # every filter is declared above

    # The taxonomy, language and date filters, each stated once as a condition:
    # filter_by_condition applies it, and the facet counts use the same
    # conditions to count each facet under the *other* filters in one pass.
    CONDITION_FILTERS = (*BY_KEY, "language", "date_from", "date_to")

    @classmethod
    def from_request(cls, request, queryset, fixed_filters=None, **overrides):
        """The filters a page, feed or export was asked for, read the same way everywhere.

        An overlong search is cut to MAX_QUERY_LENGTH (``query_was_cut`` says so);
        ``fixed_filters`` pin a term page's own term; ``overrides`` replace a
        parameter (the feed's order).
        """
        data = reader_params(request.GET)  # without control characters (coverage_archive.text)
        query_was_cut = len(data.get("q", "")) > MAX_QUERY_LENGTH
        if query_was_cut:
            data["q"] = data["q"][:MAX_QUERY_LENGTH]
        query_terms_were_cut = False
        if "q" in data:
            data["q"], query_terms_were_cut = search.within_limits(data["q"])
        for name, value in {**(fixed_filters or {}), **overrides}.items():
            data.setlist(name, [value])
        filterset = cls(data, queryset=queryset)
        filterset.query_was_cut = query_was_cut
        filterset.query_terms_were_cut = query_terms_were_cut  # over search.MAX_PHRASES or MAX_ALTERNATIVES
        return filterset

    def filter_text(self, queryset, name, value):
        """Full-text search: PostgreSQL's or SQLite's FTS5, the same behaviour (coverage_archive.search)."""
        if not search.has_terms(value):
            return queryset  # only spaces, punctuation or OR: nothing to look for
        return search.search(queryset, value)

    def filter_by_condition(self, queryset, name, value):
        if not self.is_chosen(name, value):  # no subject chosen arrives as an empty queryset
            return queryset
        return queryset.filter(self.condition(name, value))

    @staticmethod
    def is_chosen(name, value) -> bool:
        taxonomy = BY_KEY.get(name)
        return taxonomy.chosen(value) if taxonomy else value not in (None, "")

    def conditions(self) -> dict:
        """The condition of each filter the reader chose, by parameter name."""
        cleaned = self.form.cleaned_data
        return {
            name: self.condition(name, cleaned.get(name))
            for name in self.CONDITION_FILTERS
            if self.is_chosen(name, cleaned.get(name))
        }

    @staticmethod
    def condition(name, value):
        if name in BY_KEY:
            return BY_KEY[name].condition(value)
        if name == "language":
            return Q(language=value)
        if name == "date_from":
            # The article's own period ends on or after the bound's first day. An
            # article known to the month overlaps if its month is the bound's month
            # or later, whatever day the bound names; likewise for years. Articles
            # of unknown date match no date condition, so date filters leave them out.
            start = value.start
            return (
                Q(date_precision=DatePrecision.DAY, publication_date__gte=start)
                | Q(date_precision=DatePrecision.MONTH, publication_date__gte=start.replace(day=1))
                | Q(date_precision=DatePrecision.YEAR, publication_date__gte=start.replace(month=1, day=1))
            )
        if name == "date_to":
            # The article's own period starts on or before the bound's last day.
            end = value.end
            month_end = PartialDate(end.replace(day=1), DatePrecision.MONTH).end
            return (
                Q(date_precision=DatePrecision.DAY, publication_date__lte=end)
                | Q(date_precision=DatePrecision.MONTH, publication_date__lte=month_end)
                | Q(date_precision=DatePrecision.YEAR, publication_date__lte=end.replace(month=12, day=31))
            )
        raise ValueError(f"{name} is not a condition filter")

    @property
    def search_text(self) -> str:
        """The reader's search words, if there are any to look for."""
        text = self.form.cleaned_data.get("q") or ""
        return text if search.has_terms(text) else ""

    @property
    def sort_order(self) -> str:
        """The chosen order; best match by default when searching, newest otherwise."""
        chosen = self.form.cleaned_data.get("sort")
        if chosen == SortOrder.RELEVANCE or not chosen:
            return SortOrder.RELEVANCE if self.search_text else SortOrder.NEWEST
        return chosen

    def apply_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, once the search has ranked the rows

    def filter_queryset(self, queryset, exclude=()):
        """The queryset under every filter except those named in `exclude`.

        Facet counts use `exclude` to count a taxonomy under the *other* filters.
        """
        for name, value in self.form.cleaned_data.items():
            if name not in exclude:
                queryset = self.filters[name].filter(queryset, value)
        if exclude:
            return queryset  # counts need no order
        order = self.sort_order
        if order == SortOrder.RELEVANCE:
            return queryset.best_match_first()
        if order == SortOrder.OLDEST:
            return queryset.oldest_first()
        if order == SortOrder.TITLE:
            return queryset.by_title()
        return queryset.newest_first()


def filters_error_response(errors) -> HttpResponseBadRequest:
    """A plain-words 400 for a feed or export asked for filters that cannot be used."""
    lines = [gettext("Some filters could not be used:")]
    lines += [f"{name}: {' '.join(messages)}" for name, messages in errors.items()]
    return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


# The order of the archive's parameters in every link built from the filters.
PARAMETERS = tuple(ArticleFilterSet.base_filters)


class ArchiveAddress:
    """A view of the archive as an address: its parameters, and the links that change one of them.

    Every link the archive builds comes from here: of_filters() gives the
    filters a reader chose, as /coverage/ parameters in PARAMETERS order (the
    facets, the chips, the feeds' and exports' links); of_request() the
    address as it was asked for, every parameter kept (the sort and page
    links, and the 400 page's links without a filter that could not be used).
    """

    def __init__(self, path: str, params, filterset: ArticleFilterSet | None = None):
        self.path = path
        self.params: list[tuple[str, str]] = list(params)
        self.filterset = filterset

    @classmethod
    def of_filters(cls, filterset: ArticleFilterSet) -> "ArchiveAddress":
        cleaned = filterset.form.cleaned_data
        params = []
        for name in PARAMETERS:
            value = cleaned.get(name)
            if name in BY_KEY:
                params += [(name, slug) for slug in BY_KEY[name].slugs(value)]
            elif name in ("date_from", "date_to") and value is not None:
                params.append((name, value.isoformat()))
            elif (name == "q" and filterset.search_text) or (name in ("language", "sort") and value):
                params.append((name, value))
        return cls(reverse("coverage_archive:archive"), params, filterset)

    @classmethod
    def of_request(cls, request, path: str = "") -> "ArchiveAddress":
        """The parameters as asked for, each name's values together (as QueryDict writes them).

        With no path, links are relative: "?…" on the page itself.
        """
        return cls(path, [(name, value) for name, values in request.GET.lists() for value in values])

    def label_of(self, name: str, value: str) -> str:
        """How a chosen filter value reads: a term's name, a language's name, a year."""
        chosen = self.filterset.form.cleaned_data.get(name)
        taxonomy = BY_KEY.get(name)
        if taxonomy is not None and taxonomy.chosen(chosen):
            terms = chosen if taxonomy.multiple else [chosen]
            return next((term.display_name for term in terms if term.slug == value), value)
        if name == "language":
            return str(dict(Language.choices).get(value, value))
        return value

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.params if key == name]

    def url(self, params=None) -> str:
        params = self.params if params is None else params
        return f"{self.path}?{urlencode(params)}" if params else self.path

    def dropping(self, *names: str) -> "ArchiveAddress":
        """The same address without these parameters."""
        return ArchiveAddress(self.path, [(k, v) for k, v in self.params if k not in names], self.filterset)

    def replacing(self, name: str, value) -> str:
        """Link with `value` as the one value of `name`, where that stood (else at the end)."""
        params, placed = [], False
        for key, current in self.params:
            if key != name:
                params.append((key, current))
            elif not placed:
                params.append((name, value))
                placed = True
        return self.url(params if placed else [*params, (name, value)])

    def without(self, name: str, value: str | None = None) -> str:
        """Link without one filter (or one of a repeated filter's values)."""
        return self.url([(k, v) for k, v in self.params if not (k == name and (value is None or v == value))])

    def with_value(self, name: str, value: str) -> str:
        """Link adding a value of a repeatable filter, or replacing any other filter's value."""
        repeatable = name in BY_KEY and BY_KEY[name].multiple
        kept = [(k, v) for k, v in self.params if k != name or repeatable]
        return self.url([*kept, (name, value)])

    def without_dates(self) -> str:
        return self.dropping("date_from", "date_to").url()

    def with_period(self, start: str, end: str) -> str:
        return self.url([*self.dropping("date_from", "date_to").params, ("date_from", start), ("date_to", end)])

    def hidden_inputs(self, *except_names: str) -> list[tuple[str, str]]:
        """Current filters to carry through a form that edits the others."""
        return self.dropping(*except_names).params
