"""The four taxonomies, described once: everything else derives from this registry.

Each entry names its model, the /coverage/ parameter and URL names, the
Article field that holds it (a column, or links through an explicit model),
its CSV import column, and every label readers and editors see. The
FilterSet's slug filters, the facet counts and their SQL, the active-filter
chips, the importer's columns and term indexes, and the admin's article form
and term pages are all built from TAXONOMIES, so a fifth taxonomy is one entry
here plus its model and migration (tests/test_taxonomies.py holds every
derived part to the registry).
"""

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Model, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from coverage_archive.models import (
    Article,
    ArticleOrganization,
    ArticleSubject,
    ItemType,
    Organization,
    Source,
    Subject,
    TaxonomyTerm,
    published_condition,
)


@dataclass(frozen=True, kw_only=True)
class Taxonomy:
    key: str  # the /coverage/ filter parameter and the URL name prefix
    model: type[Model]
    path: str  # the index page's path segment: /subjects/
    title: Promise  # plural, for headings
    label: Promise  # singular
    all_label: Promise  # the link to the index page
    article_field: str  # the Article field holding it: a foreign key, or links through link_model
    link_model: type[Model] | None = None
    multiple: bool = False  # the parameter repeats, and means "any of"
    facet_title: Promise
    chip: Promise  # an active filter: "Subject: %(name)s"
    missing: Promise  # an unknown slug in the address: "There is no subject “%(value)s” …"
    any_label: Promise | None = None  # the empty choice of a single-choice filter
    help_text: Promise | None = None  # of the filter
    import_column: str  # the CSV column ("subjects": several, separated by ";")
    required: Promise | None = None  # an article must have one: the import's message when a row has none

    @property
    def index_route(self) -> str:
        return f"coverage_archive:{self.path}"

    @property
    def term_route(self) -> str:
        return f"coverage_archive:{self.key}"

    @property
    def feed_name(self) -> str:
        """The URL name of the term's feed."""
        return f"{self.key}_feed"

    @property
    def feed_route(self) -> str:
        return f"coverage_archive:{self.feed_name}"

    @cached_property
    def term_field(self) -> str:
        """The link model's field naming the term (ArticleSubject.subject)."""
        return next(field.name for field in self.link_model._meta.fields if field.related_model is self.model)

    @cached_property
    def column(self) -> str | None:
        """The articles' column holding the term ("source_id"), None for linked terms."""
        return None if self.link_model else Article._meta.get_field(self.article_field).column

    def chosen(self, value) -> bool:
        """Whether a cleaned filter value chooses anything (no subject chosen is an empty queryset)."""
        return bool(value) if self.multiple else value is not None

    def slugs(self, value) -> list[str]:
        """The slugs of a cleaned filter value, in the order chosen."""
        if not self.chosen(value):
            return []
        return [term.slug for term in value] if self.multiple else [value.slug]

    def condition(self, value) -> Q:
        """Articles with the term (for a multiple taxonomy: with any of the terms)."""
        if self.link_model is None:
            return Q(**{self.article_field: value})
        # IN rather than EXISTS: as a facet flag on every row (facets._all_facet_counts),
        # PostgreSQL then hashes the chosen terms' articles once instead of probing the links per row.
        lookup = f"{self.term_field}__in" if self.multiple else self.term_field
        return Q(pk__in=self.link_model.objects.filter(**{lookup: value}).values("article_id"))

    def with_counts(self) -> QuerySet:
        """Terms with the number of published articles using each, busiest first."""
        return (
            self.model.objects.annotate(article_count=Count("articles", filter=published_condition("articles__")))
            .filter(article_count__gt=0)
            .order_by("-article_count", "name", "pk")
        )

    @cached_property
    def own_fields(self) -> list[str]:
        """The term model's fields beyond those every term has (a source's homepage)."""
        return [field.name for field in self.model._meta.local_fields if field.name not in SHARED_TERM_FIELDS]


# What every term model has (TaxonomyTerm), and its id.
SHARED_TERM_FIELDS = {field.name for field in TaxonomyTerm._meta.fields} | {"id"}

SUBJECTS = Taxonomy(
    key="subject",
    model=Subject,
    path="subjects",
    title=_("Subjects"),
    label=_("Subject"),
    all_label=_("All subjects"),
    article_field="subjects",
    link_model=ArticleSubject,
    multiple=True,
    facet_title=_("Subjects (any of)"),
    chip=_("Subject: %(name)s"),
    missing=_("There is no subject “%(value)s” in the archive."),
    help_text=_("Coverage in any of the chosen subjects."),
    import_column="subjects",
    required=_("At least one subject is required (separate several with “;”)."),
)
SOURCES = Taxonomy(
    key="source",
    model=Source,
    path="sources",
    title=_("Sources"),
    label=_("Source"),
    all_label=_("All sources"),
    article_field="source",
    facet_title=_("Sources"),
    chip=_("Source: %(name)s"),
    missing=_("There is no source “%(value)s” in the archive."),
    any_label=_("Any source"),
    import_column="source",
    required=_("A source is required: the outlet that published the piece."),
)
TYPES = Taxonomy(
    key="type",
    model=ItemType,
    path="types",
    title=_("Types"),
    label=_("Type"),
    all_label=_("All types"),
    article_field="item_type",
    facet_title=_("Types"),
    chip=_("Type: %(name)s"),
    missing=_("There is no type “%(value)s” in the archive."),
    any_label=_("Any type"),
    import_column="type",
    required=_("A type is required, such as Media Coverage or Op-Ed."),
)
ORGANIZATIONS = Taxonomy(
    key="organization",
    model=Organization,
    path="organizations",
    title=_("Organizations"),
    label=_("Organization"),
    all_label=_("All organizations"),
    article_field="organizations",
    link_model=ArticleOrganization,
    facet_title=_("Organizations named"),
    chip=_("Organization: %(name)s"),
    missing=_("There is no organization “%(value)s” in the archive."),
    any_label=_("Any organization"),
    import_column="organizations",
)

# In the order readers see them: facets, chips, the home page, the filter parameters.
TAXONOMIES = (SUBJECTS, SOURCES, TYPES, ORGANIZATIONS)
BY_KEY = {taxonomy.key: taxonomy for taxonomy in TAXONOMIES}


def _article_field_position(taxonomy: Taxonomy) -> int:
    return [field.name for field in Article._meta.get_fields()].index(taxonomy.article_field)


# In the order of Article's fields (source, type, subjects, organizations): the
# article's admin form and the CSV columns.
IN_ARTICLE_ORDER = tuple(sorted(TAXONOMIES, key=_article_field_position))
