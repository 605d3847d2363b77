"""Peak memory and time of export_archive over an archive with many large captures.

    export DATABASE_URL=sqlite:////tmp/kyr-bench.sqlite3
    DJANGO_SETTINGS_MODULE=kyr_site.settings_test .venv/bin/python manage.py migrate
    .venv/bin/python bench/backup_memory.py --captures 20 50

For each count it adds that many captures (real WARC files written by save_capture,
each of an invented, incompressible page of --kib KiB at example.org, into a
throwaway storage folder), exports the whole archive to a sink that only counts
and hashes, and reports the most Python memory held at once (tracemalloc): flat
as the captures grow, since each file is streamed a piece at a time. The
captures it added are deleted again (and their files with them).
"""

import argparse
import datetime
import hashlib
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyr_site.settings_test")

import django

django.setup()

from coverage_archive.backup import export_archive  # noqa: E402
from coverage_archive.preservation.capturing import save_capture  # noqa: E402
from coverage_archive.preservation.fetching import USER_AGENT, Exchange, FetchResult  # noqa: E402
from coverage_archive.preservation.models import Capture  # noqa: E402


class Sink:
    """A text stream that keeps nothing: its length and digest."""

    def __init__(self):
        self.size, self.digest = 0, hashlib.sha256()

    def write(self, text):
        data = text.encode()
        self.size += len(data)
        self.digest.update(data)


def add_captures(count: int, kib: int, start: int) -> list:
    made = []
    for number in range(start, start + count):
        url = f"https://example.org/synthetic-bench/piece-{number}"
        body = os.urandom(kib * 1024)
        exchange = Exchange(
            url=url,
            method="GET",
            request_headers=[("User-Agent", USER_AGENT)],
            status=200,
            reason="OK",
            http_version="HTTP/1.1",
            response_headers=[("Content-Type", "application/octet-stream")],
            body=body,
            peer_address="",
            fetched_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(seconds=number),
        )
        made.append(save_capture(FetchResult(requested_url=url, exchanges=[exchange])).pk)
    return made


def measure() -> tuple[int, int, float]:
    sink = Sink()
    started = time.perf_counter()
    tracemalloc.start()
    export_archive(sink)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return sink.size, peak, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--captures", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--kib", type=int, default=2048, help="size of each invented page (default 2048 KiB)")
    args = parser.parse_args()
    made = []
    try:
        for count in sorted(args.captures):
            made += add_captures(count - len(made), args.kib, len(made) + 1)
            size, peak, seconds = measure()
            print(
                f"{len(made):,} captures of {args.kib:,} KiB: backup {size / 1e6:,.1f} MB, "
                f"peak Python memory {peak / 1e6:,.2f} MB, {seconds:,.1f} s"
            )
    finally:
        Capture.objects.filter(pk__in=made).delete()


if __name__ == "__main__":
    main()
