"""SQLite searches through an FTS5 index of English and Spanish stems, as PostgreSQL does.

Until here SQLite searched a folded copy of each article's text
(Article.search_text) for whole words: no stems, no ranking but "title
first", no snippets. This makes the FTS5 table coverage_archive/sql/
search_sqlite.sql defines, writes every article's row (their stems, made by
kyr_stems_en() and kyr_stems_es(), which the app registers on every SQLite
connection) and drops the folded copy's triggers; the app installs the
index's own triggers when `migrate` ends (coverage_archive.apps). Migration
0018 then drops the folded copy. PostgreSQL is unchanged: the model this adds
is a view of the SQLite table, unmanaged.

Backwards: the index goes, and the folded copy's triggers and text come back.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

import coverage_archive.models
from coverage_archive.sql import (
    SQLITE_INDEX_TABLE,
    drop_sqlite_search_triggers,
    install_search_index,
    sqlite_index_fill,
    sqlite_index_table,
    sqlite_triggers,
)

search_index = import_module("coverage_archive.migrations.0002_article_search")


def make_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in sqlite_triggers("sqlite_folded"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    schema_editor.execute(sqlite_index_table())
    schema_editor.execute(sqlite_index_fill())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    drop_sqlite_search_triggers(schema_editor.connection)
    schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_INDEX_TABLE}")
    install_search_index(schema_editor, sqlite="sqlite_folded")
    schema_editor.execute(f"UPDATE coverage_archive_article SET search_text = {search_index.SQLITE_DOCUMENT}")


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0016_refuse_control_characters_in_text"),
    ]

    operations = [
        migrations.RunPython(make_index, drop_index),
        migrations.CreateModel(
            name="ArticleSearchIndex",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        editable=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="search_index",
                        serialize=False,
                        to="coverage_archive.article",
                    ),
                ),
                (
                    "document",
                    coverage_archive.models.SearchIndexDocument(
                        db_column="coverage_archive_articlesearchindex", editable=False
                    ),
                ),
            ],
            options={
                "db_table": "coverage_archive_articlesearchindex",
                "managed": False,
                "default_permissions": (),
            },
        ),
    ]
