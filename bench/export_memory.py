"""Peak memory and time of the streamed exports over a large synthetic archive.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyr_bench \\
        .venv/bin/python manage.py seed_synthetic --articles 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyr_bench .venv/bin/python bench/export_memory.py

Each export is requested through Django's test client in this process and read
to the end; tracemalloc reports the most Python memory held at once while the
rows stream, which stays flat as the rows grow (a buffered export would grow with
them): run it at two archive sizes and compare.
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyr_site.settings_test")

import django

django.setup()

from django.test import Client  # noqa: E402

from coverage_archive.models import Article  # noqa: E402


def measure(path: str) -> tuple[int, int, float]:
    client = Client()
    started = time.perf_counter()
    tracemalloc.start()
    response = client.get(path)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return size, peak, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paths", nargs="*", default=["/coverage/export.csv", "/coverage/export.json"])
    args = parser.parse_args()
    rows = Article.objects.published().count()
    print(f"{rows:,} published articles")
    for path in args.paths:
        size, peak, seconds = measure(path)
        print(f"{path}: {size / 1e6:,.1f} MB streamed, peak Python memory {peak / 1e6:,.1f} MB, {seconds:,.1f} s")


if __name__ == "__main__":
    main()
