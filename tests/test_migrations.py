"""Migrations: the search triggers survive every later migration, and ours apply backward and forward."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

search_migration = importlib.import_module("coverage_archive.migrations.0002_article_search")

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
    return set(search_migration.SQLITE_TRIGGERS) if connection.vendor == "sqlite" else POSTGRESQL_TRIGGERS


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
