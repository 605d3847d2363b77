"""Time /api/v1/articles/ with every facet beside /coverage/ for the same filters, in the same run:
median and 95th-percentile server time and query count, cold and warm, and the API's time as a
multiple of the page's (the machines are shared and noisy: compare the ratios).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyr_bench .venv/bin/python bench/api_list.py --runs 7

The cases are archive_pages.py's (bench/README.md), each asked of the page and of the API with
facets=subject,source,type,organization,language,year (all six, as the page shows them), through
Django's test client in this process, so the time is the server's. Cold clears the cache before
every request (the first reader of a view); warm is every reader after it.
"""

import argparse
import json
import os
import platform
from pathlib import Path

from archive_pages import cases, measure  # sets up Django
from django.conf import settings
from django.db import connection
from django.test import Client

from coverage_archive import facets
from coverage_archive.facets import OWN_FILTERS
from coverage_archive.models import Article

ALL_FACETS = ",".join(OWN_FILTERS)


def api_url(page_url: str) -> str:
    query = page_url.partition("?")[2]
    return f"/api/v1/articles/?{query + '&' if query else ''}facets={ALL_FACETS}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", help="Also write the figures to this file.")
    parser.add_argument(
        "--hold-state",
        action="store_true",
        help="Hold the database's state token still: on a PostgreSQL server where other databases are "
        "written to (other developers' tests), it moves between any two requests and nothing is ever warm.",
    )
    options = parser.parse_args()
    if options.hold_state:
        facets.database_state = lambda: "held"

    settings.ARCHIVE_CACHE_SECONDS = 600  # PostgreSQL's default
    client = Client()
    articles = Article.objects.published().count()
    print(f"# /api/v1/articles/ beside /coverage/ on {connection.vendor}, {articles:,} published articles,")
    print(f"# {options.runs} runs per case; {platform.node()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    if options.hold_state:
        print("# database state held still (--hold-state)")
    print()
    print(
        "| case | page cold ms | API cold ms | API p95 cold | queries page / API "
        "| page warm ms | API warm ms | API / page cold | API / page warm |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    results = []
    for name, page in cases()[1:]:  # the baseline is an article page, which the list does not serve
        api = api_url(page)
        page_cold, _page_cold_p95, page_queries = measure(client, page, options.runs, cold=True)
        api_cold, api_cold_p95, api_queries = measure(client, api, options.runs, cold=True)
        page_warm, _page_warm_p95, _ = measure(client, page, options.runs, cold=False)
        api_warm, _api_warm_p95, _ = measure(client, api, options.runs, cold=False)
        results.append(
            {"case": name, "page": page, "api": api, "page_cold_ms": page_cold, "api_cold_ms": api_cold}
            | {"api_cold_p95_ms": api_cold_p95, "page_queries": page_queries, "api_queries": api_queries}
            | {"page_warm_ms": page_warm, "api_warm_ms": api_warm}
        )
        print(
            f"| {name} | {page_cold:.1f} | {api_cold:.1f} | {api_cold_p95:.1f} | {page_queries} / {api_queries} "
            f"| {page_warm:.1f} | {api_warm:.1f} | {api_cold / page_cold:.2f}× | {api_warm / page_warm:.2f}× |",
            flush=True,
        )
    print(f"\n# load average at the end: {os.getloadavg()[0]:.2f}")
    if options.json:
        Path(options.json).write_text(json.dumps({"articles": articles, "results": results}, indent=2))


if __name__ == "__main__":
    main()
