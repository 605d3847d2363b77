"""Migrations: the search triggers survive every later migration, and ours apply backward and forward."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from coverage_archive.sql import sqlite_triggers

POSTGRESQL_TRIGGERS = {
    ("coverage_archive_article", "article_search_document_inserted"),
    ("coverage_archive_article", "article_search_document_updated"),
    ("coverage_archive_articleorganization", "articleorganization_inserted"),
    ("coverage_archive_articleorganization", "articleorganization_deleted"),
    ("coverage_archive_articleorganization", "articleorganization_updated"),
    ("coverage_archive_source", "source_renamed"),
    ("coverage_archive_organization", "organization_renamed"),
}


def installed_triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            return {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT event_object_table, trigger_name FROM information_schema.triggers")
        return set(cursor.fetchall())


def expected_triggers():
    return set(sqlite_triggers()) if connection.vendor == "sqlite" else POSTGRESQL_TRIGGERS


def test_every_search_trigger_exists_after_all_migrations(db):
    # SQLite drops a table's triggers when a migration rebuilds the table.
    assert expected_triggers() <= installed_triggers()


@pytest.mark.django_db(transaction=True)
def test_the_editorial_migrations_apply_backward_and_forward():
    call_command("migrate", "coverage_archive", "0002", verbosity=0)
    assert not Group.objects.filter(name="Editors").exists()

    call_command("migrate", "coverage_archive", verbosity=0)

    assert Group.objects.get(name="Editors").permissions.count() == 18
    assert expected_triggers() <= installed_triggers()


def _index_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid, title_en FROM coverage_archive_articlesearchindex ORDER BY rowid")
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 index")
@pytest.mark.django_db(transaction=True)
def test_a_later_migration_that_rebuilds_the_articles_table_keeps_the_sqlite_index_and_its_triggers():
    from coverage_archive.models import Article
    from coverage_archive.search import search
    from tests.factories import ArticleFactory

    article = ArticleFactory(title="Synthetic quokka report", status="published")
    before = _index_rows()
    assert (article.pk, "synthet quokka report") in before

    # Migration 0018 backward adds a NOT NULL column: SQLite rebuilds the articles
    # table (a copy, DROP TABLE, RENAME), which a trigger on another table naming it
    # would make fail; then forward again.
    call_command("migrate", "coverage_archive", "0017", verbosity=0)
    assert _index_rows() == before and expected_triggers() <= installed_triggers()
    call_command("migrate", "coverage_archive", verbosity=0)
    assert _index_rows() == before and expected_triggers() <= installed_triggers()

    Article.objects.filter(pk=article.pk).update(title="Synthetic wombat report")
    assert list(search(Article.objects.published(), "wombats")) == [Article.objects.get(pk=article.pk)]
    assert not search(Article.objects.published(), "quokka").exists()
