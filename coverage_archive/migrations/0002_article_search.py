"""Full-text search columns and the triggers that keep them current.

PostgreSQL: a weighted tsvector per article (title A, summary B, body C,
source and organization names B) holding two forms of every word: stemmed
by the article's own language (english, spanish, or simple for others), and
unaccented but unstemmed (kyr_unaccent, a text search configuration that runs
the unaccent dictionary). Both are needed: Spanish stemming relies on accents
("deportación" and "deportaciones" stem to "deport", but "deportacion"
does not), so unaccenting before stemming would break it, while a reader who
types "deportacion" must still find "deportación". A GIN index, and triggers
that recompute the vector in the same transaction as any change: an
article's text, language or source, an organization linked or unlinked, a
source or organization renamed.

SQLite: a casefolded, unaccented copy of the same text (search_text), kept by
triggers that call kyr_fold(), a function the app registers on every SQLite
connection (coverage_archive.apps). SQLite drops a table's triggers when
Django rebuilds the table, so a later migration that alters Article, Source,
Organization or ArticleOrganization on SQLite must reinstall them;
tests/test_search.py fails if they are missing.
"""

import django.contrib.postgres.search
from django.db import migrations, models

POSTGRESQL_INSTALL = r"""
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION kyr_unaccent (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION kyr_unaccent
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

CREATE FUNCTION kyr_search_config(language varchar) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE language
        WHEN 'en' THEN 'english'::regconfig
        WHEN 'es' THEN 'spanish'::regconfig
        ELSE 'simple'::regconfig
    END
$$;

-- A text's words stemmed in its language, plus unaccented as written.
CREATE FUNCTION kyr_search_words(language varchar, content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector(kyr_search_config(language), content) || to_tsvector('kyr_unaccent', content)
$$;

CREATE FUNCTION kyr_article_search_vector(a coverage_archive_article) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT setweight(kyr_search_words(a.language, a.title), 'A')
        || setweight(kyr_search_words(a.language, a.summary), 'B')
        || setweight(kyr_search_words(a.language, a.body), 'C')
        || setweight(to_tsvector('kyr_unaccent',
               coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
               || ' ' ||
               coalesce((SELECT string_agg(o.name, ' ')
                         FROM coverage_archive_articleorganization l
                         JOIN coverage_archive_organization o ON o.id = l.organization_id
                         WHERE l.article_id = a.id), '')), 'B')
$$;

CREATE FUNCTION kyr_article_search_vector_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := kyr_article_search_vector(NEW);
    RETURN NEW;
END
$$;

CREATE TRIGGER article_search_vector
    BEFORE INSERT OR UPDATE OF title, summary, body, language, source_id
    ON coverage_archive_article
    FOR EACH ROW EXECUTE FUNCTION kyr_article_search_vector_trigger();

CREATE FUNCTION kyr_refresh_articles_of_changed_links() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE coverage_archive_article a SET search_vector = kyr_article_search_vector(a)
    WHERE a.id IN (SELECT article_id FROM changed_links);
    RETURN NULL;
END
$$;

CREATE TRIGGER articleorganization_inserted
    AFTER INSERT ON coverage_archive_articleorganization
    REFERENCING NEW TABLE AS changed_links
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_refresh_articles_of_changed_links();
CREATE TRIGGER articleorganization_deleted
    AFTER DELETE ON coverage_archive_articleorganization
    REFERENCING OLD TABLE AS changed_links
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_refresh_articles_of_changed_links();
CREATE TRIGGER articleorganization_updated
    AFTER UPDATE ON coverage_archive_articleorganization
    REFERENCING NEW TABLE AS changed_links
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_refresh_articles_of_changed_links();

CREATE FUNCTION kyr_refresh_articles_of_renamed_source() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE coverage_archive_article a SET search_vector = kyr_article_search_vector(a)
    WHERE a.source_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER source_renamed
    AFTER UPDATE OF name ON coverage_archive_source
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION kyr_refresh_articles_of_renamed_source();

CREATE FUNCTION kyr_refresh_articles_of_renamed_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE coverage_archive_article a SET search_vector = kyr_article_search_vector(a)
    WHERE a.id IN (SELECT l.article_id FROM coverage_archive_articleorganization l
                   WHERE l.organization_id = NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER organization_renamed
    AFTER UPDATE OF name ON coverage_archive_organization
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION kyr_refresh_articles_of_renamed_organization();

-- The full-text filter: search_vector @@ query.
CREATE INDEX article_search_vector_gin ON coverage_archive_article USING gin (search_vector);

-- The public listing's default order, newest first with undated pieces last
-- (ArticleQuerySet.newest_first), walked in order so a page reads 20 rows, not
-- all of them: also related coverage on the article page. PostgreSQL only:
-- SQLite cannot put NULLS LAST in an index.
CREATE INDEX article_published_newest_idx ON coverage_archive_article
    (publication_date DESC NULLS LAST, id DESC) WHERE status = 'published';

UPDATE coverage_archive_article a SET search_vector = kyr_article_search_vector(a);
"""

POSTGRESQL_UNINSTALL = r"""
DROP INDEX IF EXISTS article_published_newest_idx;
DROP INDEX IF EXISTS article_search_vector_gin;
DROP TRIGGER IF EXISTS organization_renamed ON coverage_archive_organization;
DROP TRIGGER IF EXISTS source_renamed ON coverage_archive_source;
DROP TRIGGER IF EXISTS articleorganization_inserted ON coverage_archive_articleorganization;
DROP TRIGGER IF EXISTS articleorganization_deleted ON coverage_archive_articleorganization;
DROP TRIGGER IF EXISTS articleorganization_updated ON coverage_archive_articleorganization;
DROP TRIGGER IF EXISTS article_search_vector ON coverage_archive_article;
DROP FUNCTION IF EXISTS kyr_refresh_articles_of_renamed_organization();
DROP FUNCTION IF EXISTS kyr_refresh_articles_of_renamed_source();
DROP FUNCTION IF EXISTS kyr_refresh_articles_of_changed_links();
DROP FUNCTION IF EXISTS kyr_article_search_vector_trigger();
DROP FUNCTION IF EXISTS kyr_article_search_vector(coverage_archive_article);
DROP FUNCTION IF EXISTS kyr_search_words(varchar, text);
DROP FUNCTION IF EXISTS kyr_search_config(varchar);
DROP TEXT SEARCH CONFIGURATION IF EXISTS kyr_unaccent;
"""

# The text SQLite searches, for the article row being updated.
SQLITE_DOCUMENT = """kyr_fold(
    title || char(10) || summary || char(10) || body || char(10)
    || coalesce((SELECT s.name FROM coverage_archive_source s
                 WHERE s.id = coverage_archive_article.source_id), '')
    || char(10)
    || coalesce((SELECT group_concat(o.name, char(10))
                 FROM coverage_archive_articleorganization l
                 JOIN coverage_archive_organization o ON o.id = l.organization_id
                 WHERE l.article_id = coverage_archive_article.id), '')
)"""

SQLITE_TRIGGERS = {
    "article_search_text_inserted": f"""
        AFTER INSERT ON coverage_archive_article BEGIN
            UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT} WHERE id = NEW.id;
        END""",
    "article_search_text_updated": f"""
        AFTER UPDATE OF title, summary, body, source_id ON coverage_archive_article BEGIN
            UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT} WHERE id = NEW.id;
        END""",
    "articleorganization_search_text_inserted": f"""
        AFTER INSERT ON coverage_archive_articleorganization BEGIN
            UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT} WHERE id = NEW.article_id;
        END""",
    "articleorganization_search_text_deleted": f"""
        AFTER DELETE ON coverage_archive_articleorganization BEGIN
            UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT} WHERE id = OLD.article_id;
        END""",
    "articleorganization_search_text_updated": f"""
        AFTER UPDATE ON coverage_archive_articleorganization BEGIN
            UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT}
            WHERE id IN (OLD.article_id, NEW.article_id);
        END""",
    "source_search_text_renamed": f"""
        AFTER UPDATE OF name ON coverage_archive_source BEGIN
            UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT} WHERE source_id = NEW.id;
        END""",
    "organization_search_text_renamed": f"""
        AFTER UPDATE OF name ON coverage_archive_organization BEGIN
            UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT}
            WHERE id IN (SELECT article_id FROM coverage_archive_articleorganization WHERE organization_id = NEW.id);
        END""",
}


def install_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_INSTALL)
    elif vendor == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {body}")
        schema_editor.execute(f"UPDATE coverage_archive_article SET search_text = {SQLITE_DOCUMENT}")


def uninstall_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_UNINSTALL)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0001_initial_archive_schema"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="article",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(install_search_index, uninstall_search_index, elidable=False),
    ]
