-- SQLite's earlier search, history: the triggers that kept a folded copy of
-- each article's text (Article.search_text), as migrations 0014 and 0015
-- applied them and migrating back past 0017 installs them again. Migration
-- 0017 replaced them with the FTS5 index of search_sqlite.sql; 0018 dropped the
-- column.
--
-- Each article's search_text is its title, summary, text, source name and
-- organization names, casefolded, unaccented and parted into words by single
-- spaces by kyr_fold(), a function the app registers on every SQLite
-- connection (coverage_archive.search.sqlite.words_of). The triggers rewrite it in the
-- same transaction as any change to what it holds. SQLite drops a table's
-- triggers when a migration rebuilds the table: such a migration must apply
-- this file again afterwards (coverage_archive.sql.install_search_index).

CREATE TRIGGER article_search_text_inserted
AFTER INSERT ON coverage_archive_article BEGIN
    UPDATE coverage_archive_article SET search_text = kyr_fold(
        title || char(10) || summary || char(10) || body || char(10)
        || coalesce((SELECT s.name FROM coverage_archive_source s
                     WHERE s.id = coverage_archive_article.source_id), '')
        || char(10)
        || coalesce((SELECT group_concat(o.name, char(10))
                     FROM coverage_archive_articleorganization l
                     JOIN coverage_archive_organization o ON o.id = l.organization_id
                     WHERE l.article_id = coverage_archive_article.id), ''))
    WHERE id = NEW.id;
END;

CREATE TRIGGER article_search_text_updated
AFTER UPDATE OF title, summary, body, source_id ON coverage_archive_article BEGIN
    UPDATE coverage_archive_article SET search_text = kyr_fold(
        title || char(10) || summary || char(10) || body || char(10)
        || coalesce((SELECT s.name FROM coverage_archive_source s
                     WHERE s.id = coverage_archive_article.source_id), '')
        || char(10)
        || coalesce((SELECT group_concat(o.name, char(10))
                     FROM coverage_archive_articleorganization l
                     JOIN coverage_archive_organization o ON o.id = l.organization_id
                     WHERE l.article_id = coverage_archive_article.id), ''))
    WHERE id = NEW.id;
END;

CREATE TRIGGER articleorganization_search_text_inserted
AFTER INSERT ON coverage_archive_articleorganization BEGIN
    UPDATE coverage_archive_article SET search_text = kyr_fold(
        title || char(10) || summary || char(10) || body || char(10)
        || coalesce((SELECT s.name FROM coverage_archive_source s
                     WHERE s.id = coverage_archive_article.source_id), '')
        || char(10)
        || coalesce((SELECT group_concat(o.name, char(10))
                     FROM coverage_archive_articleorganization l
                     JOIN coverage_archive_organization o ON o.id = l.organization_id
                     WHERE l.article_id = coverage_archive_article.id), ''))
    WHERE id = NEW.article_id;
END;

CREATE TRIGGER articleorganization_search_text_deleted
AFTER DELETE ON coverage_archive_articleorganization BEGIN
    UPDATE coverage_archive_article SET search_text = kyr_fold(
        title || char(10) || summary || char(10) || body || char(10)
        || coalesce((SELECT s.name FROM coverage_archive_source s
                     WHERE s.id = coverage_archive_article.source_id), '')
        || char(10)
        || coalesce((SELECT group_concat(o.name, char(10))
                     FROM coverage_archive_articleorganization l
                     JOIN coverage_archive_organization o ON o.id = l.organization_id
                     WHERE l.article_id = coverage_archive_article.id), ''))
    WHERE id = OLD.article_id;
END;

CREATE TRIGGER articleorganization_search_text_updated
AFTER UPDATE ON coverage_archive_articleorganization BEGIN
    UPDATE coverage_archive_article SET search_text = kyr_fold(
        title || char(10) || summary || char(10) || body || char(10)
        || coalesce((SELECT s.name FROM coverage_archive_source s
                     WHERE s.id = coverage_archive_article.source_id), '')
        || char(10)
        || coalesce((SELECT group_concat(o.name, char(10))
                     FROM coverage_archive_articleorganization l
                     JOIN coverage_archive_organization o ON o.id = l.organization_id
                     WHERE l.article_id = coverage_archive_article.id), ''))
    WHERE id IN (OLD.article_id, NEW.article_id);
END;

CREATE TRIGGER source_search_text_renamed
AFTER UPDATE OF name ON coverage_archive_source BEGIN
    UPDATE coverage_archive_article SET search_text = kyr_fold(
        title || char(10) || summary || char(10) || body || char(10)
        || coalesce((SELECT s.name FROM coverage_archive_source s
                     WHERE s.id = coverage_archive_article.source_id), '')
        || char(10)
        || coalesce((SELECT group_concat(o.name, char(10))
                     FROM coverage_archive_articleorganization l
                     JOIN coverage_archive_organization o ON o.id = l.organization_id
                     WHERE l.article_id = coverage_archive_article.id), ''))
    WHERE source_id = NEW.id;
END;

CREATE TRIGGER organization_search_text_renamed
AFTER UPDATE OF name ON coverage_archive_organization BEGIN
    UPDATE coverage_archive_article SET search_text = kyr_fold(
        title || char(10) || summary || char(10) || body || char(10)
        || coalesce((SELECT s.name FROM coverage_archive_source s
                     WHERE s.id = coverage_archive_article.source_id), '')
        || char(10)
        || coalesce((SELECT group_concat(o.name, char(10))
                     FROM coverage_archive_articleorganization l
                     JOIN coverage_archive_organization o ON o.id = l.organization_id
                     WHERE l.article_id = coverage_archive_article.id), ''))
    WHERE id IN (SELECT article_id FROM coverage_archive_articleorganization WHERE organization_id = NEW.id);
END;
