"""The taxonomy registry (coverage_archive/taxonomies.py): every part built from it agrees with it.

Each taxonomy has a filter, a facet, a chip, an admin field and an import column, so a fifth
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
from coverage_archive.importing import COLUMNS, REQUIRED_COLUMNS, import_csv
from coverage_archive.models import Article
from coverage_archive.taxonomies import IN_ARTICLE_ORDER, TAXONOMIES
from tests.csv_files import csv_text
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


# --- The importer -------------------------------------------------------------------------


def test_the_import_columns_are_the_title_then_every_taxonomy_in_the_order_of_the_article_fields():
    taxonomy_columns = {taxonomy.import_column for taxonomy in TAXONOMIES}

    assert COLUMNS[0] == "title"
    assert [column for column in COLUMNS if column in taxonomy_columns] == [
        taxonomy.import_column for taxonomy in IN_ARTICLE_ORDER
    ]
    assert COLUMNS[1 : 1 + len(TAXONOMIES)] == tuple(taxonomy.import_column for taxonomy in IN_ARTICLE_ORDER)
    assert len(set(COLUMNS)) == len(COLUMNS)


def test_an_import_column_is_required_exactly_when_its_taxonomy_says_so():
    assert REQUIRED_COLUMNS[0] == "title"
    assert set(REQUIRED_COLUMNS) == {"title"} | {taxonomy.import_column for taxonomy in TAXONOMIES if taxonomy.required}


@pytest.fixture
def known_terms(db):
    """One term of each taxonomy, by taxonomy key."""
    return {
        taxonomy.key: taxonomy.model.objects.create(name=f"Known {taxonomy.key}", slug=f"known-{taxonomy.key}")
        for taxonomy in TAXONOMIES
    }


def import_row(known_terms, **cells):
    """Dry-run one row naming the known term of every taxonomy, except where ``cells`` say otherwise."""
    row = {"title": "Synthetic taxonomy article"}
    row |= {taxonomy.import_column: known_terms[taxonomy.key].name for taxonomy in TAXONOMIES}
    row |= cells
    plan, _result = import_csv(csv_text([row]), dry_run=True)
    return plan


@pytest.mark.parametrize("taxonomy", TAXONOMIES, ids=lambda taxonomy: taxonomy.key)
def test_an_unknown_term_in_each_taxonomy_column_is_reported_in_that_column(known_terms, taxonomy):
    plan = import_row(known_terms, **{taxonomy.import_column: "Nowhere Term"})

    assert [(error.row, error.column, error.message) for error in plan.errors] == [
        (
            2,
            taxonomy.import_column,
            f"No {taxonomy.model._meta.verbose_name} named “Nowhere Term” in the archive. Check the spelling, "
            "add it in the admin first, or import with “create new terms” to add it.",
        )
    ]
    assert plan.unknown_terms == {taxonomy.model: ["Nowhere Term"]}


def test_a_row_naming_a_known_term_of_every_taxonomy_imports(known_terms):
    plan = import_row(known_terms)

    assert plan.errors == []
    assert plan.summary()["create"] == 1


@pytest.mark.parametrize("taxonomy", TAXONOMIES, ids=lambda taxonomy: taxonomy.key)
def test_an_empty_taxonomy_cell_is_refused_exactly_when_the_taxonomy_is_required(known_terms, taxonomy):
    plan = import_row(known_terms, **{taxonomy.import_column: ""})

    expected = [(taxonomy.import_column, str(taxonomy.required))] if taxonomy.required else []
    assert [(error.column, error.message) for error in plan.errors] == expected


@pytest.mark.parametrize(
    "taxonomy",
    [taxonomy for taxonomy in TAXONOMIES if taxonomy.link_model and not taxonomy.required],
    ids=lambda taxonomy: taxonomy.key,
)
def test_a_file_without_an_optional_linked_taxonomy_column_leaves_those_links_alone(known_terms, taxonomy):
    row = {"title": "Synthetic taxonomy article", "original_url": "https://news.example.org/synthetic/taxonomy"}
    row |= {other.import_column: known_terms[other.key].name for other in TAXONOMIES}
    import_csv(csv_text([row]))
    article = Article.objects.get()
    assert list(getattr(article, taxonomy.article_field).all()) == [known_terms[taxonomy.key]]

    columns = [column for column in COLUMNS if column != taxonomy.import_column]
    plan, _result = import_csv(csv_text([row | {"byline": "Synthetic Reporter"}], columns=columns))

    assert plan.summary()["update"] == 1
    assert plan.to_update[0].changes == ["byline"]
    assert list(getattr(article, taxonomy.article_field).all()) == [known_terms[taxonomy.key]]


def test_an_unknown_term_is_reported_in_the_editors_language_naming_its_taxonomy(known_terms):
    with translation.override("es"):
        plan = import_row(known_terms, subjects="Nowhere Term")
        message = str(plan.errors[0])

    assert message == (
        "Fila 2, columna «subjects»: «Nowhere Term» no figura en el archivo como tema. Revise la ortografía, "
        "añádalo antes en la administración o importe con «crear términos nuevos» para añadirlo."
    )
