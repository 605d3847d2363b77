"""The search index's current functions and triggers, applied from coverage_archive/sql/.

Migrations 0002, 0009 and 0011-0013 built the index step by step; from here
its whole current definition reads in search_postgresql.sql and
search_sqlite.sql. This applies them: they define exactly what those
migrations left (the same function bodies and triggers), so nothing changes
and backwards there is nothing to undo. A later change to the index edits the
files and adds a migration that applies them again.
"""

from django.db import migrations

from coverage_archive.sql import install_search_index


def apply_search_sql(apps, schema_editor):
    install_search_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0013_sqlite_search_words"),
    ]

    operations = [migrations.RunPython(apply_search_sql, migrations.RunPython.noop)]
