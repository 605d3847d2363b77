"""Synthetic CSV files for the import tests and the import benchmark: never real coverage."""

import csv
import io

from coverage_archive.importing import COLUMNS

LANGUAGES = ("en", "es", "en", "en", "fr")


def synthetic_row(number: int, **overrides) -> dict:
    """One visibly synthetic clipping, as an editor's spreadsheet row."""
    row = {
        "title": f"Synthetic article {number}",
        "source": f"Synthetic Source {number % 40}",
        "type": f"Synthetic Type {number % 5}",
        "subjects": f"Synthetic Subject {number % 12}; Synthetic Subject {(number + 5) % 12}",
        "organizations": f"Synthetic Organization {number % 30}" if number % 3 else "",
        "date": ["2019", f"2019-{number % 12 + 1:02d}", f"2020-{number % 12 + 1:02d}-{number % 28 + 1:02d}", ""][
            number % 4
        ],
        "language": LANGUAGES[number % len(LANGUAGES)],
        "byline": f"Synthetic Reporter {number % 300}",
        "summary": f"A synthetic summary of synthetic article {number}.",
        "body": f"Synthetic paragraph one of article {number}.\n\nSynthetic paragraph two, with more words.",
        "original_url": f"https://news.example.org/synthetic/{number}",
        "archived_url": "",
        "status": "published" if number % 2 else "draft",
        "note": "",
    }
    row.update(overrides)
    return row


def csv_text(rows, columns=COLUMNS, delimiter=",", bom=False) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return ("\ufeff" if bom else "") + buffer.getvalue()


def csv_bytes(rows, columns=COLUMNS, delimiter=",", bom=False) -> bytes:
    return csv_text(rows, columns, delimiter, bom).encode("utf-8")
