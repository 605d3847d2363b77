"""Time a CSV import of N synthetic rows into the configured database (SQLite by default).

    DATABASE_URL=sqlite:////tmp/import.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/import.sqlite3 .venv/bin/python bench/import_rows.py --rows 50000

Each row is tests/csv_files.synthetic_row with a text of about 300 words drawn
from the synthetic vocabulary (English, Spanish and invented words), imported
as `manage.py import_coverage --create-terms` does it, in one transaction. The
time includes checking the file and writing every row, its links and its
search index (the database's triggers).
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyr_site.settings_test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from coverage_archive.synthetic import ENGLISH_WORDS, SPANISH_WORDS, TAIL_WORDS  # noqa: E402
from tests.csv_files import csv_bytes, synthetic_row  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--words", type=int, default=300, help="Words in each row's text.")
    options = parser.parse_args()
    rng = random.Random(2018)
    vocabulary = [*ENGLISH_WORDS, *SPANISH_WORDS, *TAIL_WORDS[:1000]]

    def text():
        words = rng.choices(vocabulary, k=options.words)
        return " ".join(words).capitalize() + "."

    rows = [synthetic_row(n, body=text()) for n in range(1, options.rows + 1)]
    with tempfile.NamedTemporaryFile(suffix=".csv") as file:
        file.write(csv_bytes(rows))
        file.flush()
        began = time.perf_counter()
        call_command("import_coverage", file.name, "--create-terms", verbosity=0)
        seconds = time.perf_counter() - began
    print(f"{options.rows:,} rows of {options.words} words imported on {connection.vendor} in {seconds:.1f} s")


if __name__ == "__main__":
    main()
