"""SQLite's search text now parts its words with single spaces (search.words_of).

The search column held the text casefolded and unaccented, as written, and a
search looked for each word with LIKE '%word%', which found "ice" in "police".
The function the search triggers call (kyr_fold, registered by the app) now
also parts the words by single spaces and pads the text with one, so a search
for the whole word is LIKE '% ice %', still done by SQLite alone. This
rewrites every article's stored text in that form. PostgreSQL is unchanged.
"""

from importlib import import_module

from django.db import migrations

search_index = import_module("coverage_archive.migrations.0002_article_search")


def rewrite_search_text(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"UPDATE coverage_archive_article SET search_text = {search_index.SQLITE_DOCUMENT}")


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0012_folded_search_words"),
    ]

    # Backward, the same: the text is always written by the function the app registers.
    operations = [migrations.RunPython(rewrite_search_text, rewrite_search_text)]
