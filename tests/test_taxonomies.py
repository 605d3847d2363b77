"""Every part derived from the taxonomy registry (coverage_archive.taxonomies) follows it."""

import pytest
from django.utils import translation

from coverage_archive.importing import COLUMNS, REQUIRED_COLUMNS, import_csv
from coverage_archive.models import Article
from coverage_archive.taxonomies import IN_ARTICLE_ORDER, TAXONOMIES
from tests.csv_files import csv_text

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
