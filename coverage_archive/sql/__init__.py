"""The search index's SQL as it stands, one file per database.

search_postgresql.sql and search_sqlite.sql hold every function and trigger
that keeps the search index current; migrations apply them with
install_search_index(), and tests/test_search_sql.py holds the database's
definitions to the files.
"""

import re
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def search_sql(vendor: str) -> str:
    return (FOLDER / f"search_{vendor}.sql").read_text(encoding="utf-8")


def sqlite_triggers() -> dict[str, str]:
    """search_sqlite.sql's triggers, each CREATE TRIGGER statement by the trigger's name."""
    text = "\n".join(line for line in search_sql("sqlite").splitlines() if not line.startswith("--"))
    statements = [part.strip().removesuffix(";") for part in re.split(r"^(?=CREATE TRIGGER )", text, flags=re.M)]
    return {statement.split()[2]: statement for statement in statements if statement}


def install_search_index(schema_editor) -> None:
    """Define (or define again) the search index's functions and triggers from the files."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(search_sql("postgresql"), params=None)
    elif vendor == "sqlite":
        for name, statement in sqlite_triggers().items():
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(statement)
