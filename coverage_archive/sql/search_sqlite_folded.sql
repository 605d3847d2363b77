-- SQLite's search text as it stands: the triggers that keep it, in one place.
-- Migrations 0002, 0009, 0011 and 0013 built them and stay as history; the
-- latest migration that changes them applies this file (coverage_archive.sql),
-- and tests/test_search_sql.py holds the database's triggers to it.
--
-- Each article's search_text is its title, summary, text, source name and
-- organization names, casefolded, unaccented and parted into words by single
-- spaces by kyr_fold(), a function the app registers on every SQLite
-- connection (coverage_archive.search.words_of). The triggers rewrite it in the
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
