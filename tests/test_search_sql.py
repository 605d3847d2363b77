"""The search index's definition in the database equals coverage_archive/sql/'s files.

Applying a file to the migrated database must change nothing: every function
body and trigger reads the same before and after (inside the test's
transaction, which rolls it all back), and the database has no search function
or trigger the file does not define.
"""

import random
import re

import pytest
from django.db import connection

from coverage_archive.importing import import_csv
from coverage_archive.models import Article, ArticleSearchDocument
from coverage_archive.search import search
from coverage_archive.sql import install_search_index, search_sql, sqlite_triggers
from tests.csv_files import csv_text, synthetic_row
from tests.factories import ArticleFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _postgresql_definitions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'kyr%%' ORDER BY proname")
        functions = dict(cursor.fetchall())
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE 'coverage_archive%%' ORDER BY tgname"
        )
        triggers = dict(cursor.fetchall())
    return functions, triggers


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's search functions")
def test_postgresql_search_functions_and_triggers_are_the_files():
    before = _postgresql_definitions()
    with connection.schema_editor() as editor:
        install_search_index(editor)
    assert _postgresql_definitions() == before

    text = search_sql("postgresql")
    functions, triggers = before
    assert set(functions) == set(re.findall(r"CREATE OR REPLACE FUNCTION (\w+)\(", text))
    assert set(triggers) == set(re.findall(r"CREATE OR REPLACE TRIGGER (\w+)", text))


def _normalized(sql):
    return " ".join(sql.split())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's search triggers")
def test_sqlite_search_triggers_are_the_file():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        installed = {name: _normalized(sql) for name, sql in cursor.fetchall()}

    assert installed == {name: _normalized(sql) for name, sql in sqlite_triggers().items()}


def test_the_search_sql_changes_what_it_names_on_this_database():
    # A file whose triggers were never installed would pass the comparisons above
    # only if the database had none: it has them, and they fire.
    article = ArticleFactory(title="Plain title")
    organization = OrganizationFactory(name="Zyxwvut Collective")
    article.organizations.add(organization)
    if connection.vendor == "postgresql":
        document = ArticleSearchDocument.objects.get(article=article)
        assert "zyxwvut" in str(document.vector)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT names_en, names_es FROM coverage_archive_articlesearchindex WHERE rowid = %s", [article.pk]
            )
            assert all("zyxwvut" in names for names in cursor.fetchone())


def test_a_body_of_999000_characters_imports_and_its_first_words_are_found():
    # Nearly the import's 1,000,000-character cell limit, of words PostgreSQL cannot
    # all hold in one tsvector (1 MB): the import used to fail with "string is too
    # long for tsvector". The text is kept whole; its first part is searched.
    rng = random.Random(17)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["zqxfirstword", *("".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(150_000))]
    body = " ".join(words)[:999_000]
    plan, result = import_csv(csv_text([synthetic_row(1, body=body, status="published")]), create_terms=True)

    assert plan.is_valid and result.created == 1
    article = Article.objects.get()
    assert len(article.body) == 999_000
    assert list(search(Article.objects.published(), "zqxfirstword")) == [article]
