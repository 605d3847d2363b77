"""The accent-blind form of every indexed word is now stemmed too (kyr_folded).

Each word is indexed twice (see 0002 and 0011): stemmed in the article's
language, and accent-blind. Until now the accent-blind form was the word as
written, unaccented (kyr_unaccent: unaccent, then simple). That left two gaps:

- Spanish stemming needs the accents ("deportación" and "deportaciones" stem
  to "deport", but "deportacion" stays itself), so a reader who typed
  "deportacion" found "deportación" but not "deportaciones".
- Source and organization names are indexed in that form only, so "tenant"
  did not find the "Tenants Union".

kyr_folded unaccents a word, then stems it with Snowball's English stemmer
without stop words, which removes plural and common endings the same way from
the text and from the query, whatever the language: deportacion, deportación,
deportaciones and Deportaciones all become "deportacion", tenants "tenant",
niños "nino". The language's own stemmed form is kept beside it, as before.

Every article's search document is rewritten with the new form. kyr_unaccent
stays (unused by this code): app processes still running the previous code
keep searching with it while the migration runs and until they restart.
SQLite's search is unchanged.
"""

from importlib import import_module

from django.db import migrations

search_documents = import_module("coverage_archive.migrations.0011_article_search_documents")


def _search_functions(config: str) -> str:
    """0002's kyr_search_words and 0011's kyr_refresh_search_documents, their
    accent-blind form made by `config`; then every document rewritten."""
    return (
        f"""
CREATE OR REPLACE FUNCTION kyr_search_words(language varchar, content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector(kyr_search_config(language), content) || to_tsvector('{config}', content)
$$;
"""
        + search_documents.refresh_documents_function(config)
        + "SELECT kyr_refresh_search_documents(ARRAY(SELECT id FROM coverage_archive_article));"
    )


FOLDED = """
CREATE TEXT SEARCH DICTIONARY kyr_folded_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION kyr_folded (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION kyr_folded
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart WITH kyr_folded_stem;
ALTER TEXT SEARCH CONFIGURATION kyr_folded
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, kyr_folded_stem;
"""


def fold_search_words(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FOLDED + _search_functions("kyr_folded"))


def unfold_search_words(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            _search_functions("kyr_unaccent")
            + "DROP TEXT SEARCH CONFIGURATION kyr_folded; DROP TEXT SEARCH DICTIONARY kyr_folded_stem;"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("coverage_archive", "0011_article_search_documents"),
    ]

    operations = [
        migrations.RunPython(fold_search_words, unfold_search_words),
    ]
