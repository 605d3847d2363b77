"""Time /coverage/ on a large synthetic archive: median and 95th-percentile server
time and query count per case, with ratios to a baseline page measured in the
same run (the machines are shared and noisy; compare ratios across runs).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyr_bench \\
        .venv/bin/python manage.py seed_synthetic --articles 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyr_bench .venv/bin/python bench/archive_pages.py --runs 15

Requests go through Django's test client in this process: the time is the
server's (URL routing, queries, template rendering), without a network. Each
case runs cold (facet counts not cached) and warm (cached, as for every reader
of a view after the first, while the database is unchanged and for at most
ARCHIVE_CACHE_SECONDS).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyr_site.settings_test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from coverage_archive.models import Article, ArticleSubject, Source, Subject  # noqa: E402
from coverage_archive.search import index_scans, search  # noqa: E402
from coverage_archive.synthetic import ENGLISH_WORDS, SPANISH_WORDS, TAIL_WORDS  # noqa: E402


def document_frequencies(words):
    """Share of published articles matching each word, as the archive's search sees it."""
    published = Article.objects.published()
    total = published.count()
    with index_scans(True):
        return {word: search(published, word).count() / total for word in words}


def closest(frequencies, target):
    return min(frequencies, key=lambda word: abs(frequencies[word] - target))


def cases():
    """(name, URL) of each case; the first is the baseline."""
    busy_subjects = ArticleSubject.objects.values("subject_id").annotate(n=Count("pk")).order_by("-n")
    subject = Subject.objects.get(pk=busy_subjects[3]["subject_id"])  # a common subject, not the largest
    source = (
        Source.objects.filter(articles__subject_links__subject=subject).annotate(n=Count("articles")).order_by("-n")[1]
    )
    # The domain words past the stop words, and invented words from the part of the
    # long tail where about 1 % of articles contain each (synthetic.TAIL_WORDS).
    frequencies = document_frequencies(sorted({*ENGLISH_WORDS[25:], *SPANISH_WORDS[24:], *TAIL_WORDS[300:1200:30]}))
    rare, common = closest(frequencies, 0.01), closest(frequencies, 0.30)
    article = Article.objects.published().order_by("pk").first()
    three_filters = f"subject={subject.slug}&source={source.slug}&date_from=2018&date_to=2018"
    return [
        ("baseline: one article page", article.get_absolute_url()),
        ("no filter", "/coverage/"),
        ("one subject", f"/coverage/?subject={subject.slug}"),
        ("subject + source + year", f"/coverage/?{three_filters}"),
        (f"one word, ~1% ({rare}: {frequencies[rare]:.1%})", f"/coverage/?q={rare}"),
        (f"one word, ~30% ({common}: {frequencies[common]:.1%})", f"/coverage/?q={common}"),
        ("three words", "/coverage/?q=immigrant+detention+families"),
        ("phrase", '/coverage/?q="facial+recognition"'),
        ("page 200 of a broad filter", "/coverage/?language=en&page=200"),
    ]


def measure(client, url, runs, cold):
    """Median and p95 milliseconds and the query count; cold: no cached facet counts."""
    timings, queries = [], 0
    client.get(url)  # warm up connections and Python's own caches
    for _ in range(runs):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(captured)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95, queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", help="Also write the figures to this file.")
    options = parser.parse_args()

    # Facet counts cached as in production (settings.ARCHIVE_CACHE_SECONDS); "cold"
    # clears the cache before every request, "warm" is a reader after the first.
    settings.ARCHIVE_CACHE_SECONDS = 600  # PostgreSQL's default
    client = Client()
    articles = Article.objects.published().count()
    print(f"# /coverage/ on {connection.vendor}, {articles:,} published articles, {options.runs} runs per case")
    print(f"# {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print()
    print("| case | cold median ms | cold p95 ms | queries | warm median ms | warm p95 ms | cold / baseline |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    results, baseline = [], None
    for name, url in cases():
        cold, cold_p95, queries = measure(client, url, options.runs, cold=True)
        warm, warm_p95, _ = measure(client, url, options.runs, cold=False)
        baseline = baseline or cold
        results.append(
            {"case": name, "url": url, "cold_median_ms": cold, "cold_p95_ms": cold_p95, "queries": queries}
            | {"warm_median_ms": warm, "warm_p95_ms": warm_p95}
        )
        figures = f"{cold:.1f} | {cold_p95:.1f} | {queries} | {warm:.1f} | {warm_p95:.1f} | {cold / baseline:.1f}×"
        print(f"| {name} | {figures} |", flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps({"articles": articles, "results": results}, indent=2))


if __name__ == "__main__":
    main()
