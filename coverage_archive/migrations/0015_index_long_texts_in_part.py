"""Index at most the first 200,000 characters of an article's text and 20,000 of its summary.

PostgreSQL's tsvector holds at most 1 MB; the words of a much longer text
made saving or importing it fail ("string is too long for tsvector"). The
article keeps its whole text; the search index (coverage_archive/sql/
search_postgresql.sql, applied here) reads its first part. No stored document
changes: no article that long could be saved before.
"""

from django.db import migrations

from coverage_archive.sql import install_search_index


def apply_search_sql(apps, schema_editor):
    install_search_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0014_search_sql_in_one_file"),
    ]

    operations = [migrations.RunPython(apply_search_sql, migrations.RunPython.noop)]
