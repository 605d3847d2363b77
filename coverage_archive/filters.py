"""The archive's filters: one FilterSet serves the archive page and the term
pages (and later feeds, exports and facet counts), so the rules cannot drift.

Parameters are the public URL contract: ``q``, ``subject`` (repeatable),
``source``, ``type``, ``organization``, ``language``, ``date_from``,
``date_to`` (YYYY, YYYY-MM or YYYY-MM-DD), ``sort``. Values are slugs, so
``/coverage/?subject=organizing`` is a link a person can read.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

from coverage_archive import search
from coverage_archive.dates import DatePrecision, PartialDate, parse_partial_date
from coverage_archive.models import (
    ArticleOrganization,
    ArticleSubject,
    ItemType,
    Language,
    Organization,
    Source,
    Subject,
)
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


def _is_slug(value) -> bool:
    # Checked before any query: a value such as "a\x00b" is not a slug, and
    # PostgreSQL would reject it with an error rather than find nothing.
    return isinstance(value, str) and bool(slug_re.fullmatch(value))


class SlugChoiceField(filter_fields.ModelChoiceField):
    """A term chosen by slug; anything that is not a known slug is a plain-words error."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not _is_slug(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return super().to_python(value)


class SlugMultipleChoiceField(filter_fields.ModelMultipleChoiceField):
    def clean(self, value):
        # An empty value means "any", as for the single-choice filters (?subject=&source=).
        if isinstance(value, list | tuple):
            value = [item for item in value if item != ""]
        return super().clean(value)

    def _check_values(self, value):
        for slug in value:
            if not _is_slug(slug):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": slug}
                )
        return super()._check_values(value)


class SlugChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = SlugChoiceField


class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = SlugMultipleChoiceField


class PartialDateField(forms.CharField):
    """``2018``, ``2018-11`` or ``2018-11-05`` → PartialDate."""

    default_error_messages = {
        "invalid": _("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD, for example 2018 or 2018-11."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_partial_date(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def validate(self, value):
        # CharField.validate/run_validators expect text; the period is already checked.
        if self.required and value is None:
            raise ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        pass

    def prepare_value(self, value):
        return value.isoformat() if isinstance(value, PartialDate) else value


class PartialDateFilter(django_filters.Filter):
    field_class = PartialDateField


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
    subject = SlugMultipleChoiceFilter(
        label=_("Subjects"),
        queryset=Subject.objects.all(),
        to_field_name="slug",
        method="filter_by_condition",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Coverage in any of the chosen subjects."),
        error_messages={"invalid_choice": _("There is no subject “%(value)s” in the archive.")},
    )
    source = SlugChoiceFilter(
        label=_("Source"),
        queryset=Source.objects.all(),
        to_field_name="slug",
        method="filter_by_condition",
        empty_label=_("Any source"),
        error_messages={"invalid_choice": _("There is no source “%(value)s” in the archive.")},
    )
    type = SlugChoiceFilter(
        label=_("Type"),
        queryset=ItemType.objects.all(),
        to_field_name="slug",
        method="filter_by_condition",
        empty_label=_("Any type"),
        error_messages={"invalid_choice": _("There is no type “%(value)s” in the archive.")},
    )
    organization = SlugChoiceFilter(
        label=_("Organization"),
        queryset=Organization.objects.all(),
        to_field_name="slug",
        method="filter_by_condition",
        empty_label=_("Any organization"),
        error_messages={"invalid_choice": _("There is no organization “%(value)s” in the archive.")},
    )
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
        """Full-text search on PostgreSQL, folded-text search on SQLite (coverage_archive.search)."""
        if not search.has_terms(value):
            return queryset  # only spaces, punctuation or OR: nothing to look for
        return search.search(queryset, value)

    # The taxonomy, language and date filters, each stated once as a condition:
    # filter_by_condition applies it, and the facet counts use the same
    # conditions to count each facet under the *other* filters in one pass.
    FACET_FILTERS = ("subject", "source", "type", "organization", "language", "date_from", "date_to")

    def filter_by_condition(self, queryset, name, value):
        if name == "subject" and not value:  # no subject chosen arrives as an empty queryset
            return queryset
        return queryset.filter(self.condition(name, value))

    def conditions(self) -> dict:
        """The condition of each facet filter the reader chose, by parameter name."""
        cleaned = self.form.cleaned_data
        return {
            name: self.condition(name, cleaned[name])
            for name in self.FACET_FILTERS
            if cleaned.get(name) not in (None, "") and (name != "subject" or cleaned[name])
        }

    @staticmethod
    def condition(name, value):
        if name == "subject":
            # Any of the chosen subjects, listed once if in two. IN rather than EXISTS:
            # as a facet flag on every row (facets._all_facet_counts), PostgreSQL then
            # hashes the chosen subjects' articles once instead of probing the links per row.
            return Q(pk__in=ArticleSubject.objects.filter(subject__in=value).values("article_id"))
        if name == "organization":
            return Q(pk__in=ArticleOrganization.objects.filter(organization=value).values("article_id"))
        if name == "source":
            return Q(source=value)
        if name == "type":
            return Q(item_type=value)
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
        raise ValueError(f"{name} is not a facet filter")

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
