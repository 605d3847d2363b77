"""The taxonomy registry (coverage_archive/taxonomies.py): every part built from it agrees with it.

Each taxonomy has a filter, a facet, a chip and an admin field, so a fifth
taxonomy added to the registry is complete on the pages and in the admin.
"""

import pytest
from django.contrib import admin
from django.http import QueryDict
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.utils import translation

from coverage_archive.admin import ArticleAdminForm
from coverage_archive.facets import FACET_TITLES, OWN_FILTERS
from coverage_archive.filters import PARAMETERS, ArchiveAddress, ArticleFilterSet
from coverage_archive.models import Article
from coverage_archive.taxonomies import IN_ARTICLE_ORDER, TAXONOMIES
from tests.factories import (
    ArticleFactory,
    ItemTypeFactory,
    OrganizationFactory,
    SourceFactory,
    SubjectFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def piece(db):
    """A published article with one term of each taxonomy, each with a Spanish name."""
    terms = {
        "subject": SubjectFactory(name_es="Tema sintético"),
        "source": SourceFactory(name_es="Fuente sintética"),
        "type": ItemTypeFactory(name_es="Tipo sintético"),
        "organization": OrganizationFactory(name_es="Organización sintética"),
    }
    ArticleFactory(
        subjects=[terms["subject"]],
        source=terms["source"],
        item_type=terms["type"],
        organizations=[terms["organization"]],
        status=Article.Status.PUBLISHED,
    )
    return terms


@pytest.mark.parametrize("taxonomy", TAXONOMIES, ids=lambda taxonomy: taxonomy.key)
def test_every_taxonomy_has_a_filter_by_slug_in_the_parameters(taxonomy, piece):
    term = piece[taxonomy.key]
    assert taxonomy.key in PARAMETERS
    assert ArticleFilterSet.base_filters[taxonomy.key].queryset.model is taxonomy.model

    found = ArticleFilterSet(QueryDict(f"{taxonomy.key}={term.slug}"), queryset=Article.objects.published())
    assert found.is_valid()
    assert found.qs.count() == 1
    missing = ArticleFilterSet(QueryDict(f"{taxonomy.key}=no-such-term"), queryset=Article.objects.published())
    assert not missing.is_valid()
    assert missing.errors[taxonomy.key] == [str(taxonomy.missing) % {"value": "no-such-term"}]


@pytest.mark.parametrize("taxonomy", TAXONOMIES, ids=lambda taxonomy: taxonomy.key)
def test_every_taxonomy_has_a_facet_counting_its_terms_in_both_languages(taxonomy, piece, reader):
    assert OWN_FILTERS[taxonomy.key] == (taxonomy.key,)
    for language, name in (("en", piece[taxonomy.key].name), ("es", piece[taxonomy.key].name_es)):
        with translation.override(language):
            response = reader.get(f"/{language}/coverage/".replace("/en/", "/"))
        facet = next(facet for facet in response.context["facets"] if facet.key == taxonomy.key)
        assert facet.title == FACET_TITLES[taxonomy.key] == taxonomy.facet_title
        assert [(value.label, value.count) for value in facet.values] == [(name, 1)]


@pytest.mark.parametrize("taxonomy", TAXONOMIES, ids=lambda taxonomy: taxonomy.key)
def test_every_taxonomy_has_a_chip_that_removes_it(taxonomy, piece, reader):
    term = piece[taxonomy.key]
    response = reader.get(f"/coverage/?{taxonomy.key}={term.slug}&language=en")

    [chip, _language] = response.context["chips"]
    assert chip.label == str(taxonomy.chip) % {"name": term.name}
    assert chip.remove_url == "/coverage/?language=en"


@pytest.mark.parametrize("taxonomy", TAXONOMIES, ids=lambda taxonomy: taxonomy.key)
def test_every_taxonomy_has_an_admin_field_and_an_admin_of_its_own(taxonomy):
    assert taxonomy.article_field in ArticleAdminForm.base_fields
    term_admin = admin.site._registry[taxonomy.model]
    assert term_admin.fields[:2] == ["name", "slug"]
    assert set(taxonomy.own_fields) <= set(term_admin.fields)


def test_the_admin_and_the_import_list_the_taxonomies_in_the_articles_field_order():
    assert [taxonomy.article_field for taxonomy in IN_ARTICLE_ORDER] == [
        "source",
        "item_type",
        "subjects",
        "organizations",
    ]


@pytest.mark.parametrize(
    "query",
    ["", "q=a", "subject=a&q=x&subject=b", "page=3&q=x", "q=x&page=3&page=4&more=subject", "q=%C3%B1+%26&sort=oldest"],
)
def test_links_from_the_address_asked_for_are_the_ones_querydict_and_querystring_write(query):
    request = RequestFactory().get(f"/coverage/?{query}")
    asked = ArchiveAddress.of_request(request)

    # As the pagination template writes them, escaped.
    expected_page = Template("{% querystring page=7 %}").render(RequestContext(request))
    assert Template("{{ url }}").render(Context({"url": asked.replacing("page", 7)})) == expected_page
    params = request.GET.copy()
    params.pop("page", None)
    params["sort"] = "title"
    assert asked.dropping("page").replacing("sort", "title") == f"?{params.urlencode()}"
    params = request.GET.copy()
    params.pop("q", None)
    without_q = ArchiveAddress.of_request(request, request.path).dropping("q").url()
    assert without_q == (f"/coverage/?{params.urlencode()}" if params else "/coverage/")
