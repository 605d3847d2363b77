-- PostgreSQL's search index as it stands: every function and trigger that keeps
-- it, in one place. Migrations 0002, 0009 and 0011-0013 built it step by step and
-- stay as history; the latest migration that changes it applies this file, and
-- tests/test_search_sql.py holds the database's definitions to it. Change the
-- index here, then add a migration that applies the file again.
--
-- What is indexed (coverage_archive_articlesearchdocument, one row per article):
-- every word of the title (weight A), summary (B) and text (C), stemmed in the
-- article's language (english, spanish, or simple), and again in an accent-blind
-- form (kyr_folded: unaccent, then Snowball's English stemmer), so "deportacion"
-- finds "deportaciones"; the source's and organizations' names in that form (B).
-- `vector` is matched through its GIN index; `ranking_vector` (title, summary,
-- names) ranks the matches. Triggers rewrite an article's row in the same
-- transaction as any change to what it holds.
--
-- The text search configurations kyr_folded and kyr_unaccent (this file's
-- CREATE statements run only where they are missing; kyr_unaccent is unused by
-- the current code, kept for app processes of an earlier release).

CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_ts_config WHERE cfgname = 'kyr_unaccent') THEN
        CREATE TEXT SEARCH CONFIGURATION kyr_unaccent (COPY = simple);
        ALTER TEXT SEARCH CONFIGURATION kyr_unaccent
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_ts_config WHERE cfgname = 'kyr_folded') THEN
        CREATE TEXT SEARCH DICTIONARY kyr_folded_stem (TEMPLATE = snowball, Language = english);
        CREATE TEXT SEARCH CONFIGURATION kyr_folded (COPY = simple);
        ALTER TEXT SEARCH CONFIGURATION kyr_folded
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart WITH kyr_folded_stem;
        ALTER TEXT SEARCH CONFIGURATION kyr_folded
            ALTER MAPPING FOR word, hword, hword_part WITH unaccent, kyr_folded_stem;
    END IF;
END
$$;

-- The stemming configuration of an article's language.
CREATE OR REPLACE FUNCTION kyr_search_config(language varchar) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE language
        WHEN 'en' THEN 'english'::regconfig
        WHEN 'es' THEN 'spanish'::regconfig
        ELSE 'simple'::regconfig
    END
$$;

-- A text's words stemmed in its language, plus accent-blind and stemmed alike in every language.
CREATE OR REPLACE FUNCTION kyr_search_words(language varchar, content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector(kyr_search_config(language), content) || to_tsvector('kyr_folded', content)
$$;

-- Writes (or rewrites) the search documents of the given articles. A tsvector holds
-- at most 1 MB, which the words of a text far longer than any article can pass
-- (a body of 999,000 characters was refused with "string is too long for
-- tsvector"): the first 200,000 characters of the text (a long report's worth)
-- and 20,000 of the summary are indexed; the piece itself keeps them whole.
CREATE OR REPLACE FUNCTION kyr_refresh_search_documents(article_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO coverage_archive_articlesearchdocument (article_id, vector, ranking_vector)
    SELECT a.id, heading.words || setweight(kyr_search_words(a.language, left(a.body, 200000)), 'C'), heading.words
    FROM coverage_archive_article a
    CROSS JOIN LATERAL (
        SELECT setweight(kyr_search_words(a.language, a.title), 'A')
            || setweight(kyr_search_words(a.language, left(a.summary, 20000)), 'B')
            || setweight(to_tsvector('kyr_folded',
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

-- New articles: one statement for a whole bulk insert.
CREATE OR REPLACE FUNCTION kyr_index_inserted_articles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(ARRAY(SELECT id FROM inserted_articles));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER article_search_document_inserted
    AFTER INSERT ON coverage_archive_article
    REFERENCING NEW TABLE AS inserted_articles
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_index_inserted_articles();

-- Changed text, language or source (only when one of them really changed).
CREATE OR REPLACE FUNCTION kyr_index_updated_article() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(ARRAY[NEW.id]);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER article_search_document_updated
    AFTER UPDATE OF title, summary, body, language, source_id ON coverage_archive_article
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.summary IS DISTINCT FROM NEW.summary
          OR OLD.body IS DISTINCT FROM NEW.body OR OLD.language IS DISTINCT FROM NEW.language
          OR OLD.source_id IS DISTINCT FROM NEW.source_id)
    EXECUTE FUNCTION kyr_index_updated_article();

-- Organization links added, removed or changed.
CREATE OR REPLACE FUNCTION kyr_refresh_articles_of_changed_links() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(ARRAY(SELECT DISTINCT article_id FROM changed_links));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER articleorganization_inserted
    AFTER INSERT ON coverage_archive_articleorganization
    REFERENCING NEW TABLE AS changed_links
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_refresh_articles_of_changed_links();

CREATE OR REPLACE TRIGGER articleorganization_deleted
    AFTER DELETE ON coverage_archive_articleorganization
    REFERENCING OLD TABLE AS changed_links
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_refresh_articles_of_changed_links();

CREATE OR REPLACE TRIGGER articleorganization_updated
    AFTER UPDATE ON coverage_archive_articleorganization
    REFERENCING NEW TABLE AS changed_links
    FOR EACH STATEMENT EXECUTE FUNCTION kyr_refresh_articles_of_changed_links();

-- A source renamed: its articles' documents name it.
CREATE OR REPLACE FUNCTION kyr_refresh_articles_of_renamed_source() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(
        ARRAY(SELECT a.id FROM coverage_archive_article a WHERE a.source_id = NEW.id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER source_renamed
    AFTER UPDATE OF name ON coverage_archive_source
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION kyr_refresh_articles_of_renamed_source();

-- An organization renamed: the documents of the articles naming it.
CREATE OR REPLACE FUNCTION kyr_refresh_articles_of_renamed_organization() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kyr_refresh_search_documents(
        ARRAY(SELECT l.article_id FROM coverage_archive_articleorganization l WHERE l.organization_id = NEW.id));
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER organization_renamed
    AFTER UPDATE OF name ON coverage_archive_organization
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION kyr_refresh_articles_of_renamed_organization();

-- The full-text filter: vector @@ query, answered from the index alone.
CREATE INDEX IF NOT EXISTS article_search_document_gin
    ON coverage_archive_articlesearchdocument USING gin (vector);
