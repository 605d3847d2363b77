"""Load on the production set-up: gunicorn with deploy/gunicorn.conf.py, DEBUG off, on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyr_bench .venv/bin/python bench/load.py

Starts gunicorn as README's deployment does (its configuration file, DEBUG off,
the Production variables) on a free port of 127.0.0.1, then runs three phases
of mixed reader traffic (the home page, the archive browsed, filtered,
searched and paged, articles, term pages, feeds):

1. sustained: CONNECTIONS readers each asking again as soon as answered, for
   SECONDS: the rate the server sustains.
2. overload: requests sent at twice that rate on a fixed schedule (whether or
   not earlier ones were answered), with hostile requests in the mix: a
   200-character search of ORed phrases every HOSTILE_EVERY requests, and
   SLOW_READERS clients reading an export at 2 KB/s the whole time. Nothing
   may fail: every normal request answered, none with a 5xx.
3. hostile at half the sustained rate: the same hostile requests; a normal
   page's 99th percentile should stay under 1 s.

Times are the client's (request sent to response read in full). Requests go to
127.0.0.1 only, every loop is bounded in count and time, and the server is
stopped at the end. Run it on an idle machine; the report says the load
average before and after.
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_QUERY = " OR ".join(['"the of"'] * 20)[:200]
REQUEST_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(port: int, static_root: str) -> dict:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "STATIC_ROOT": static_root,
        "DJANGO_SETTINGS_MODULE": "kyr_site.settings",
    }


def reader_paths(environment: dict) -> list[str]:
    """A mix of what readers ask for, with real slugs from the archive."""
    script = (
        "import django, json; django.setup();"
        "from coverage_archive.models import Article, Subject, Source;"
        "a = list(Article.objects.published().order_by('-pk').values_list('slug', flat=True)[:50]);"
        "s = list(Subject.objects.values_list('slug', flat=True)[:10]);"
        "o = list(Source.objects.values_list('slug', flat=True)[:10]);"
        "print(json.dumps([a, s, o]))"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, check=True, capture_output=True, text=True
    )
    articles, subjects, sources = json.loads(output.stdout)
    paths = ["/", "/coverage/", "/es/coverage/", "/coverage/?page=3", "/subjects/", "/coverage/feed/"]
    paths += [f"/coverage/{slug}/" for slug in articles[:10]]
    paths += [f"/coverage/?subject={slug}" for slug in subjects]
    paths += [f"/sources/{slug}/" for slug in sources[:5]]
    paths += [f"/coverage/?subject={subjects[0]}&source={slug}&date_from=2019" for slug in sources[:5]]
    paths += ["/coverage/?q=community", "/coverage/?q=police+surveillance", '/coverage/?q="know+your+rights"']
    return paths


async def fetch(port: int, path: str, read_delay: float = 0.0) -> tuple[int, float]:
    """(status, seconds) of one GET; status 0 for a failure to connect or read, or a time-out."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), REQUEST_TIMEOUT)
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAccept-Encoding: identity\r\n\r\n"
        writer.write(request.encode("ascii"))
        await writer.drain()

        async def read_all():
            status_line = await reader.readline()
            while await reader.read(2048 if read_delay else 65536):
                if read_delay:
                    await asyncio.sleep(read_delay)
            return int(status_line.split()[1])

        status = await asyncio.wait_for(read_all(), None if read_delay else REQUEST_TIMEOUT)
        writer.close()
        return status, time.perf_counter() - started
    except (TimeoutError, OSError, IndexError, ValueError):
        return 0, time.perf_counter() - started


def summary(results: list[tuple[int, float]], seconds: float) -> dict:
    times = sorted(duration for _status, duration in results)
    statuses: dict[str, int] = {}
    for status, _duration in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    errors = sum(count for status, count in statuses.items() if status == "0" or status.startswith("5"))
    return {
        "requests": len(results),
        "per_second": round(len(results) / seconds, 1),
        "p50_ms": round(1000 * statistics.median(times), 1) if times else None,
        "p99_ms": round(1000 * times[min(len(times) - 1, int(len(times) * 0.99))], 1) if times else None,
        "statuses": statuses,
        "errors": errors,
    }


async def sustained(port, paths, connections, seconds):
    results, deadline = [], time.perf_counter() + seconds
    rng = random.Random(1)

    async def reader():
        while time.perf_counter() < deadline:
            results.append(await fetch(port, rng.choice(paths)))

    started = time.perf_counter()
    await asyncio.gather(*(reader() for _ in range(connections)))
    return summary(results, time.perf_counter() - started)


async def scheduled(port, paths, rate, seconds, hostile_every, slow_readers):
    """Requests at a fixed rate, answered or not; hostile ones in the mix."""
    rng = random.Random(2)
    normal, hostile, tasks = [], [], []

    slow_results = []

    async def slow_reader():
        # Until the phase ends (then cancelled): an export read at 2 KB/s, or, when the
        # instance's exports are all taken, asked again a second after its 503.
        while True:
            slow_results.append(await fetch(port, "/coverage/export.csv", read_delay=1.0))
            await asyncio.sleep(1)

    slow = [asyncio.create_task(slow_reader()) for _ in range(slow_readers)]
    started = time.perf_counter()
    for number in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
        if hostile_every and number % hostile_every == hostile_every - 1:
            path, into = f"/coverage/?q={urllib.request.quote(HOSTILE_QUERY)}", hostile
        else:
            path, into = rng.choice(paths), normal
        task = asyncio.create_task(fetch(port, path))
        task.add_done_callback(lambda done, into=into: into.append(done.result()))
        tasks.append(task)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for task in slow:
        task.cancel()
    await asyncio.gather(*slow, return_exceptions=True)
    return {
        "rate_asked": round(rate, 1),
        "normal": summary(normal, elapsed),
        "hostile_searches": summary(hostile, elapsed),
        # Answers the slow readers got in full (a read still under way at the end is not counted).
        "slow_readers": {"readers": slow_readers, "statuses": summary(slow_results, elapsed)["statuses"]},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="Length of each phase.")
    parser.add_argument("--connections", type=int, default=16, help="Readers of the sustained phase.")
    parser.add_argument("--hostile-every", type=int, default=20, help="One hostile search per this many requests.")
    parser.add_argument("--slow-readers", type=int, default=3)
    parser.add_argument("--json", help="Also write the report to this file.")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.error("Set DATABASE_URL to the (large, synthetic) archive to serve.")

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kyr-load-") as static_root:
        environment = server_environment(port, static_root)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=environment, check=True
        )
        paths = reader_paths(environment)
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            load_before = os.getloadavg()[0]
            asyncio.run(sustained(port, paths, 4, 3))  # warm up: connections, code, the cache
            rate = asyncio.run(sustained(port, paths, options.connections, options.seconds))
            hostile = {
                "seconds": options.seconds,
                "hostile_every": options.hostile_every,
                "slow_readers": options.slow_readers,
            }
            report = {
                "when": time.strftime("%Y-%m-%d %H:%M"),
                "cores": os.cpu_count(),
                "load_average_before": round(load_before, 2),
                "sustained": rate,
                "overload_2x_with_hostile": asyncio.run(scheduled(port, paths, 2 * rate["per_second"], **hostile)),
                "half_rate_with_hostile": asyncio.run(scheduled(port, paths, rate["per_second"] / 2, **hostile)),
                "load_average_after": round(os.getloadavg()[0], 2),
            }
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=60)
    print(json.dumps(report, indent=2))
    if options.json:
        Path(options.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
