"""PostgreSQL's search index moves to a table of its own, with a small ranking vector.

Until now each article row carried its tsvector (about 3 KB compressed, so out
of line in TOAST). A search matching a quarter of a large archive then read
and decompressed that vector for every match, once to test it and once to
rank it: seconds at 100,000 articles. Here the vector moves to
coverage_archive_articlesearchdocument, a narrow table (the article id, a
pointer to the out-of-line vector, and a small ranking vector) whose GIN
index answers a query without reading the vectors at all, and results are
ranked by `ranking_vector`, the title, summary and names only, a few hundred
bytes stored inline.

The words indexed are unchanged (see 0002_article_search): every word
stemmed in the article's language and unaccented as written; title A,
summary and names B, body C. Triggers keep each article's row current in
the same transaction as any change that alters it, as before.

On SQLite nothing changes but the table rebuild that dropping the column
causes, which drops SQLite's search triggers: they are installed again.
"""

from importlib import import_module

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

search_index = import_module("coverage_archive.migrations.0002_article_search")
sqlite_triggers = import_module("coverage_archive.migrations.0009_taxonomy_spanish_names")

DOCUMENTS = "coverage_archive_articlesearchdocument"


def refresh_documents_function(config: str) -> str:
    """kyr_refresh_search_documents(), names indexed in the accent-blind form of
    `config` (kyr_unaccent here; migration 0012 redefines it with kyr_folded)."""
    return rf"""
-- Writes (or rewrites) the search documents of the given articles.
CREATE OR REPLACE FUNCTION kyr_refresh_search_documents(article_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO {DOCUMENTS} (article_id, vector, ranking_vector)
    SELECT a.id, heading.words || setweight(kyr_search_words(a.language, a.body), 'C'), heading.words
    FROM coverage_archive_article a
    CROSS JOIN LATERAL (
        SELECT setweight(kyr_search_words(a.language, a.title), 'A')
            || setweight(kyr_search_words(a.language, a.summary), 'B')
            || setweight(to_tsvector('{config}',
                   coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
                   || ' ' ||
                   coalesce((SELECT string_agg(o.name, ' ')
                             FROM coverage_archive_articleorganization l
                             JOIN coverage_archive_organization o ON o.id = l.organization_id
                             WHERE l.article_id = a.id), '')), 'B') AS words
    ) heading
    WHERE a.id = ANY(article_ids)
    ON CONFLICT (article_id) DO UPDATE
        SET vector = EXCLUDED.vector, ranking_vector = EXCLUDED.ranking_vector
$$;
"""


POSTGRESQL_INSTALL = (
    rf"""
-- The old per-article column's upkeep and index (0002).
DROP TRIGGER article_search_vector ON coverage_archive_article;
DROP FUNCTION kyr_article_search_vector_trigger();
DROP INDEX article_search_vector_gin;

"""
    + refresh_documents_function("kyr_unaccent")
    + rf"""
-- New articles: one statement for a whole bulk insert.
CREATE FUNCTION kyr_index_inserted_articles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(ARRAY(SELECT id FROM inserted_articles));
    RETURN NULL;
END
$$;

CREATE TRIGGER article_search_document_inserted
    AFTER INSERT ON coverage_archive_article
    REFERENCING NEW TABLE AS inserted_articles
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_index_inserted_articles();

-- Changed text, language or source (only when one of them really changed).
CREATE FUNCTION kyr_index_updated_article() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;

CREATE TRIGGER article_search_document_updated
    AFTER UPDATE OF title, summary, body, language, source_id ON coverage_archive_article
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.summary IS DISTINCT FROM NEW.summary
          OR OLD.body IS DISTINCT FROM NEW.body OR OLD.language IS DISTINCT FROM NEW.language
          OR OLD.source_id IS DISTINCT FROM NEW.source_id)
    EXECUTE FUNCTION kyr_index_updated_article();

-- Organization links added, removed or changed; sources and organizations renamed
-- (the triggers of 0002 stay, their functions now write the documents).
CREATE OR REPLACE FUNCTION kyr_refresh_articles_of_changed_links() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(ARRAY(SELECT DISTINCT article_id FROM changed_links));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION kyr_refresh_articles_of_renamed_source() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(
        ARRAY(SELECT a.id FROM coverage_archive_article a WHERE a.source_id = NEW.id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION kyr_refresh_articles_of_renamed_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(
        ARRAY(SELECT l.article_id FROM coverage_archive_articleorganization l WHERE l.organization_id = NEW.id));
    RETURN NULL;
END
$$;

DROP FUNCTION kyr_article_search_vector(coverage_archive_article);

-- The full-text filter: vector @@ query, answered from the index alone.
CREATE INDEX article_search_document_gin ON {DOCUMENTS} USING gin (vector);

SELECT kyr_refresh_search_documents(ARRAY(SELECT id FROM coverage_archive_article));
"""
)

POSTGRESQL_UNINSTALL = """
DROP TRIGGER IF EXISTS article_search_document_inserted ON coverage_archive_article;
DROP TRIGGER IF EXISTS article_search_document_updated ON coverage_archive_article;
DROP FUNCTION IF EXISTS kyr_index_inserted_articles();
DROP FUNCTION IF EXISTS kyr_index_updated_article();
DROP FUNCTION IF EXISTS kyr_refresh_search_documents(bigint[]);
"""


def install_search_documents(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_INSTALL)


def uninstall_search_documents(apps, schema_editor):
    # Back to 0002's column: its whole installation again, which fills the column.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_UNINSTALL + search_index.POSTGRESQL_UNINSTALL)
        schema_editor.execute(search_index.POSTGRESQL_INSTALL)


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0010_seed_terms_spanish_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleSearchDocument",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="coverage_archive.article",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField(editable=False)),
                ("ranking_vector", django.contrib.postgres.search.SearchVectorField(editable=False)),
            ],
            options={"default_permissions": ()},
        ),
        # Reversed: 0002's column and everything that fills it, after the column is back.
        migrations.RunPython(install_search_documents, uninstall_search_documents),
        migrations.RunPython(
            sqlite_triggers.drop_sqlite_search_triggers, sqlite_triggers.install_sqlite_search_triggers
        ),
        migrations.RemoveField(model_name="article", name="search_vector"),
        migrations.RunPython(
            sqlite_triggers.install_sqlite_search_triggers, sqlite_triggers.drop_sqlite_search_triggers
        ),
    ]
