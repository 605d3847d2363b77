"""The API's OpenAPI description: what drf-spectacular cannot read from function views.

The list's filter parameters are read from ArticleFilterSet itself, so the
description cannot drift from the page's contract.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers

from coverage_archive.api.serializers import ArticleDetailSerializer, ArticleSerializer, TermWithCountSerializer
from coverage_archive.facets import OWN_FILTERS
from coverage_archive.filters import PARAMETERS, ArticleFilterSet, PartialDateFilter
from coverage_archive.taxonomies import BY_KEY

FACET_NAMES = tuple(OWN_FILTERS)
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

Problem = inline_serializer("Problem", {"detail": serializers.CharField()})
Problems = inline_serializer(
    "Problems",
    {
        "detail": serializers.CharField(),
        # Each parameter that could not be used, with its messages; absent when the
        # request as a whole could not be read (a NUL byte, a host the site does not serve).
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
    },
)
FacetValue = inline_serializer(
    "FacetValue",
    {"value": serializers.CharField(), "label": serializers.CharField(), "count": serializers.IntegerField()},
)
ArticlePage = inline_serializer(
    "ArticlePage",
    {
        "total": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": ArticleSerializer(many=True),
        "facets": serializers.DictField(child=serializers.ListField(child=FacetValue), required=False),
    },
)
# What any operation may answer besides its own: an address the site cannot read (400),
# and a query stopped by the reader's time limit or a database out of reach (503).
COMMON_RESPONSES = {400: Problem, 503: Problem}

TermList = inline_serializer("TermList", {"results": TermWithCountSerializer(many=True)})


# What a date bound looks like (coverage_archive/formfields.PartialDateField reads it).
PARTIAL_DATE_PATTERN = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


def _filter_parameter(name: str) -> OpenApiParameter:
    """One /coverage/ parameter, described from its filter: a fixed list of choices is an
    enum, a date bound its pattern, a taxonomy's slug a string (repeatable for subjects)."""
    field = ArticleFilterSet.base_filters[name]
    taxonomy = BY_KEY.get(name)
    described = {"type": "string"}
    if isinstance(field, PartialDateFilter):
        described["pattern"] = PARTIAL_DATE_PATTERN
    elif "choices" in field.extra:  # a fixed list (a taxonomy's slugs are the archive's own)
        described["enum"] = [value for value, _label in field.extra["choices"]]
    if taxonomy and taxonomy.multiple:  # ?subject=a&subject=b
        described = {"type": "array", "items": described}
    return OpenApiParameter(
        name,
        described,
        explode=True,
        description=f"As on /coverage/: {field.label}"
        + (f" ({field.extra['help_text']})" if field.extra.get("help_text") else ""),
    )


article_list = extend_schema(
    operation_id="articles_list",
    parameters=[
        *(_filter_parameter(name) for name in PARAMETERS),
        OpenApiParameter("page", {"type": "integer", "minimum": 1, "default": 1}, description="From 1."),
        OpenApiParameter(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            description=f"1 to {MAX_PAGE_SIZE}; {DEFAULT_PAGE_SIZE} by default.",
        ),
        OpenApiParameter("facets", OpenApiTypes.STR, description="Comma-separated: " + ", ".join(FACET_NAMES)),
    ],
    responses={**COMMON_RESPONSES, 200: ArticlePage, 304: None, 400: Problems},
)
article_detail = extend_schema(
    operation_id="articles_detail",
    responses={**COMMON_RESPONSES, 200: ArticleDetailSerializer, 301: None, 304: None, 404: Problem, 410: Problem},
)


def term_list(taxonomy):
    return extend_schema(operation_id=f"{taxonomy.path}_list", responses={**COMMON_RESPONSES, 200: TermList, 304: None})


def term_detail(taxonomy):
    return extend_schema(
        operation_id=f"{taxonomy.path}_detail",
        responses={**COMMON_RESPONSES, 200: TermWithCountSerializer, 304: None, 404: Problem},
    )
