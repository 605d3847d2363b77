"""The search index's SQL as it stands, one file per database.

search_postgresql.sql holds every function and trigger that keeps
PostgreSQL's index current; migrations apply it with install_search_index().
search_sqlite.sql holds SQLite's FTS5 table, the statement that fills it and
the triggers that keep it current, which the app installs after every
`migrate` and drops before one (coverage_archive.apps; see the file).
search_sqlite_folded.sql is SQLite's earlier search (migrations 0014-0016),
kept for those migrations and for migrating back past 0017.
tests/test_search_sql.py holds the database's definitions to the files.
"""

import re
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
SQLITE_INDEX_TABLE = "coverage_archive_articlesearchindex"


def search_sql(name: str) -> str:
    return (FOLDER / f"search_{name}.sql").read_text(encoding="utf-8")


def _statements(name: str) -> list[str]:
    text = "\n".join(line for line in search_sql(name).splitlines() if not line.startswith("--"))
    parts = re.split(r"^(?=CREATE |INSERT )", text, flags=re.M)
    return [part.strip().removesuffix(";") for part in parts if part.strip()]


def sqlite_triggers(name: str = "sqlite") -> dict[str, str]:
    """A file's triggers, each CREATE TRIGGER statement by the trigger's name."""
    statements = [statement for statement in _statements(name) if statement.startswith("CREATE TRIGGER ")]
    return {statement.split()[2]: statement for statement in statements}


def sqlite_index_table() -> str:
    """search_sqlite.sql's CREATE VIRTUAL TABLE statement."""
    return next(statement for statement in _statements("sqlite") if statement.startswith("CREATE VIRTUAL TABLE"))


def sqlite_index_fill() -> str:
    """search_sqlite.sql's statement that writes every article's row."""
    return next(statement for statement in _statements("sqlite") if statement.startswith("INSERT "))


def install_search_index(schema_editor, sqlite: str = "sqlite_folded") -> None:
    """Define (or define again) the search index's functions and triggers from the files.

    On SQLite, the triggers of `sqlite`: migrations 0014 and 0015 installed the
    folded-text search's (the FTS5 triggers are the app's to install, see
    install_sqlite_search_triggers).
    """
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(search_sql("postgresql"), params=None)
    elif vendor == "sqlite":
        _replace_triggers(schema_editor.execute, sqlite_triggers(sqlite))


def _replace_triggers(execute, triggers: dict[str, str]) -> None:
    """Define each trigger anew: dropped if it exists, then created from its statement."""
    for name, statement in triggers.items():
        execute(f"DROP TRIGGER IF EXISTS {name}")
        execute(statement)


def sqlite_index_exists(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [SQLITE_INDEX_TABLE])
        return cursor.fetchone() is not None


def drop_sqlite_search_triggers(connection) -> None:
    """Drop the FTS5 index's triggers, so that migrations may rebuild the tables they name."""
    with connection.cursor() as cursor:
        for name in sqlite_triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def install_sqlite_search_triggers(connection) -> None:
    """(Re)install the FTS5 index's triggers, where migration 0017 has made the index.

    Articles added or removed while they were off (by a data migration) are
    indexed or unindexed here; a data migration that changes indexed text must
    call rebuild_sqlite_search_index() itself.
    """
    if connection.vendor != "sqlite" or not sqlite_index_exists(connection):
        return
    with connection.cursor() as cursor:
        _replace_triggers(cursor.execute, sqlite_triggers())
        cursor.execute(f"DELETE FROM {SQLITE_INDEX_TABLE} WHERE rowid NOT IN (SELECT id FROM coverage_archive_article)")
        missing = f"a.id NOT IN (SELECT rowid FROM {SQLITE_INDEX_TABLE})"
        cursor.execute(sqlite_index_fill().replace("WHERE true", f"WHERE {missing}"))
        cursor.execute(SQLITE_MATCHES_INDEX)
    write_sqlite_planner_statistics(connection)


# A search's matches are read by id (search_sqlite.sql); their facet counts
# (coverage_archive/facets.py) need only these columns. In the table they stand
# after the article's text, in its overflow pages; this index holds them by id:
# a common word's 30,000 matches read in 9 instead of 36 ms at 100,000 articles.
# SQLite's alone (kept with the triggers, as a migration that rebuilds the table
# drops it): PostgreSQL reads them from article_facets_covering_idx's INCLUDE.
SQLITE_MATCHES_INDEX = (
    "CREATE INDEX IF NOT EXISTS article_matches_facets_idx ON coverage_archive_article "
    "(id, status, published_at, source_id, item_type_id, language, publication_date, date_precision)"
)


# The articles table's shape as SQLite's planner should see it (sqlite_stat1's
# format: rows, then rows per distinct value of each leading column of an index):
# a large archive, where an index's first column (a status, a language, a source,
# a day) leaves a hundredth of the rows. Measured by ANALYZE, a new archive's
# handful of rows would make every condition look selective.
ASSUMED_ARTICLES = 1_000_000
ASSUMED_ROWS_PER_VALUE = 10_000


def write_sqlite_planner_statistics(connection) -> None:
    """Write planner statistics for the articles table where ANALYZE has measured none.

    A search joins the FTS5 index to the articles (see search_sqlite.sql); with
    no statistics, SQLite takes any indexed condition on the articles ("status =
    'published'") for one that leaves ten rows, reads the articles first and runs
    the MATCH again for each. SQLite documents writing sqlite_stat1 for exactly
    this ("Manual Control Of Query Plans Using SQLITE_STAT Tables"); an operator's
    ANALYZE replaces these with measured figures, and they are kept.

    An index added later (article_matches_facets_idx) gets its row beside
    measured ones too, scaled to the rows they counted: without one, SQLite
    takes it for worse than reading the table by id.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sqlite_schema")  # makes sqlite_stat1 if it is missing, measures nothing
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'coverage_archive_article'")
        written = dict(cursor.fetchall())
        rows = next((int(stat.split()[0]) for stat in written.values() if stat), ASSUMED_ARTICLES)
        cursor.execute("SELECT name FROM pragma_index_list('coverage_archive_article')")
        for (index,) in cursor.fetchall():
            if index in written:
                continue
            cursor.execute("SELECT name FROM pragma_index_info(%s) ORDER BY seqno", [index])
            columns = [name for (name,) in cursor.fetchall()]
            # Each id is one row; any other leading column leaves a hundredth of them.
            first = 1 if columns[0] == "id" else max(1, min(ASSUMED_ROWS_PER_VALUE, rows // 100))
            per_value = [first] + [1] * (len(columns) - 1)
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('coverage_archive_article', %s, %s)",
                [index, " ".join(map(str, [rows, *per_value]))],
            )
        cursor.execute("ANALYZE sqlite_schema")  # loads them


def rebuild_sqlite_search_index(connection) -> None:
    """Write every article's row of the FTS5 index again."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SQLITE_INDEX_TABLE}")
        cursor.execute(sqlite_index_fill())
