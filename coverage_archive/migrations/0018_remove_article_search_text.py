"""Drop SQLite's folded copy of the text (Article.search_text): the FTS5 index of 0017 replaces it.

PostgreSQL never filled it. Backwards the column comes back empty, and
migration 0017's reverse writes it again.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0017_sqlite_fts5_search_index"),
    ]

    operations = [
        migrations.RemoveField(model_name="article", name="search_text"),
    ]
