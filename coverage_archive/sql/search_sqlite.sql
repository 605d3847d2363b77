-- SQLite's search index as it stands: the FTS5 table and the triggers that keep
-- it, in one place. Migration 0017 created the table and filled it; the app
-- installs the triggers from this file after every `migrate` (a post_migrate
-- handler, coverage_archive.sql.install_sqlite_search_triggers) and drops them
-- before one (pre_migrate): SQLite cannot rebuild a table, as Django does for
-- most changes of a model, while another table's trigger names it ("error in
-- trigger ...: no such table"). tests/test_search_sql.py holds the database's
-- triggers to this file. Migrations 0002-0016 built an earlier search (a
-- folded copy of the text, search_sqlite_folded.sql), kept as history.
--
-- One row per article, its rowid the article's id. Each column holds the stems
-- of one field's words, in order, as coverage_archive.search.sqlite.stems()
-- gives them (called through kyr_stems_en() and kyr_stems_es(), functions the
-- app registers on every SQLite connection): the English stem of the
-- unaccented word, and the unaccented Spanish stem of the word as written (the
-- Spanish stemmer needs the accents). A phrase matches its words' stems
-- adjacent, in order, all in one of the two languages. The title, the first
-- 20,000 characters of the summary, the first 200,000 of the text (a long
-- report's worth, as on PostgreSQL) and the source and organization names are
-- indexed. FTS5 keeps its own copy of these stems: the readable text stays in
-- the articles table, where the snippets are cut from. The triggers rewrite an
-- article's row in the same transaction as any change to what it holds.
--
-- A search joins this table to the articles by rowid. SQLite's planner must read
-- the MATCH first and each match's article by its key: read the other way, it
-- runs the MATCH again for every published article (3.4 s for a common word at
-- 10,000 articles, against 20 ms). Without statistics it takes "status =
-- 'published'" for a selective condition and reads the other way, so the app
-- writes planner statistics for the articles table after every `migrate`
-- (coverage_archive.sql.write_sqlite_planner_statistics).

CREATE VIRTUAL TABLE IF NOT EXISTS coverage_archive_articlesearchindex USING fts5(
    title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- Every article, from nothing: migration 0017 and rebuild_sqlite_search_index().
INSERT OR REPLACE INTO coverage_archive_articlesearchindex
    (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
    kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
    kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
    kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
        || char(10) || coalesce((SELECT group_concat(o.name, char(10))
            FROM coverage_archive_articleorganization l
            JOIN coverage_archive_organization o ON o.id = l.organization_id
            WHERE l.article_id = a.id), '')),
    kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
        || char(10) || coalesce((SELECT group_concat(o.name, char(10))
            FROM coverage_archive_articleorganization l
            JOIN coverage_archive_organization o ON o.id = l.organization_id
            WHERE l.article_id = a.id), ''))
FROM coverage_archive_article a
WHERE true;

-- A new article.
CREATE TRIGGER article_search_index_inserted
AFTER INSERT ON coverage_archive_article BEGIN
    INSERT OR REPLACE INTO coverage_archive_articlesearchindex
        (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
    SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
        kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
        kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
        kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), '')),
        kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), ''))
    FROM coverage_archive_article a
    WHERE a.id = NEW.id;
END;

-- Its text or source changed (a save that changes neither stems nothing).
CREATE TRIGGER article_search_index_updated
AFTER UPDATE OF title, summary, body, source_id ON coverage_archive_article
WHEN OLD.title IS NOT NEW.title OR OLD.summary IS NOT NEW.summary OR OLD.body IS NOT NEW.body
    OR OLD.source_id IS NOT NEW.source_id BEGIN
    INSERT OR REPLACE INTO coverage_archive_articlesearchindex
        (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
    SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
        kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
        kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
        kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), '')),
        kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), ''))
    FROM coverage_archive_article a
    WHERE a.id = NEW.id;
END;

-- An article deleted.
CREATE TRIGGER article_search_index_deleted
AFTER DELETE ON coverage_archive_article BEGIN
    DELETE FROM coverage_archive_articlesearchindex WHERE rowid = OLD.id;
END;

-- Organization links added, removed or changed.
CREATE TRIGGER articleorganization_search_index_inserted
AFTER INSERT ON coverage_archive_articleorganization BEGIN
    INSERT OR REPLACE INTO coverage_archive_articlesearchindex
        (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
    SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
        kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
        kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
        kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), '')),
        kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), ''))
    FROM coverage_archive_article a
    WHERE a.id = NEW.article_id;
END;

CREATE TRIGGER articleorganization_search_index_deleted
AFTER DELETE ON coverage_archive_articleorganization BEGIN
    INSERT OR REPLACE INTO coverage_archive_articlesearchindex
        (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
    SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
        kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
        kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
        kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), '')),
        kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), ''))
    FROM coverage_archive_article a
    WHERE a.id = OLD.article_id;
END;

CREATE TRIGGER articleorganization_search_index_updated
AFTER UPDATE ON coverage_archive_articleorganization BEGIN
    INSERT OR REPLACE INTO coverage_archive_articlesearchindex
        (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
    SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
        kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
        kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
        kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), '')),
        kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), ''))
    FROM coverage_archive_article a
    WHERE a.id IN (OLD.article_id, NEW.article_id);
END;

-- A source renamed: its articles name it.
CREATE TRIGGER source_search_index_renamed
AFTER UPDATE OF name ON coverage_archive_source
WHEN OLD.name IS NOT NEW.name BEGIN
    INSERT OR REPLACE INTO coverage_archive_articlesearchindex
        (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
    SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
        kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
        kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
        kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), '')),
        kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), ''))
    FROM coverage_archive_article a
    WHERE a.source_id = NEW.id;
END;

-- An organization renamed: the articles naming it.
CREATE TRIGGER organization_search_index_renamed
AFTER UPDATE OF name ON coverage_archive_organization
WHEN OLD.name IS NOT NEW.name BEGIN
    INSERT OR REPLACE INTO coverage_archive_articlesearchindex
        (rowid, title_en, title_es, summary_en, summary_es, body_en, body_es, names_en, names_es)
    SELECT a.id, kyr_stems_en(a.title), kyr_stems_es(a.title),
        kyr_stems_en(substr(a.summary, 1, 20000)), kyr_stems_es(substr(a.summary, 1, 20000)),
        kyr_stems_en(substr(a.body, 1, 200000)), kyr_stems_es(substr(a.body, 1, 200000)),
        kyr_stems_en(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), '')),
        kyr_stems_es(coalesce((SELECT s.name FROM coverage_archive_source s WHERE s.id = a.source_id), '')
            || char(10) || coalesce((SELECT group_concat(o.name, char(10))
                FROM coverage_archive_articleorganization l
                JOIN coverage_archive_organization o ON o.id = l.organization_id
                WHERE l.article_id = a.id), ''))
    FROM coverage_archive_article a
    WHERE a.id IN (SELECT l.article_id FROM coverage_archive_articleorganization l WHERE l.organization_id = NEW.id);
END;
