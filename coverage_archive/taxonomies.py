"""The four taxonomies, described once for the views, templates and URLs."""

from dataclasses import dataclass

from django.db.models import Count, Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from coverage_archive.models import ItemType, Organization, Source, Subject, published_condition


@dataclass(frozen=True)
class Taxonomy:
    key: str  # the /coverage/ filter parameter and the URL name prefix
    model: type[Model]
    path: str  # the index page's path segment: /subjects/
    title: Promise  # plural, for headings
    label: Promise  # singular
    all_label: Promise  # the link to the index page

    @property
    def index_route(self) -> str:
        return f"coverage_archive:{self.path}"

    @property
    def term_route(self) -> str:
        return f"coverage_archive:{self.key}"

    def with_counts(self) -> QuerySet:
        """Terms with the number of published articles using each, busiest first."""
        return (
            self.model.objects.annotate(article_count=Count("articles", filter=published_condition("articles__")))
            .filter(article_count__gt=0)
            .order_by("-article_count", "name", "pk")
        )


SUBJECTS = Taxonomy("subject", Subject, "subjects", _("Subjects"), _("Subject"), _("All subjects"))
SOURCES = Taxonomy("source", Source, "sources", _("Sources"), _("Source"), _("All sources"))
TYPES = Taxonomy("type", ItemType, "types", _("Types"), _("Type"), _("All types"))
ORGANIZATIONS = Taxonomy(
    "organization", Organization, "organizations", _("Organizations"), _("Organization"), _("All organizations")
)

TAXONOMIES = (SUBJECTS, SOURCES, TYPES, ORGANIZATIONS)
