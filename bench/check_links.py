"""``manage.py check_links`` over 10,000 links on loopback: time, politeness, outcomes, memory.

    createdb -h 127.0.0.1 -U postgres kyr_linkbench_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyr_linkbench_bench \\
        .venv/bin/python bench/check_links.py --runs 3 --json /tmp/check_links.json

The script migrates its database, adds synthetic published articles with
``seed_synthetic`` where there are fewer than ``--links``, and gives each an
original link on an invented site it serves itself (tests/loopback_site.py):
the same pages on ``--hosts`` loopback addresses (127.0.0.10 and up), each a
distinct host to the checker, drawn with a skew (a few large outlets, many
small ones), plus two addresses where nothing listens (refused) and a host whose
every page hangs. The mix is drawn with a fixed seed and known in advance
(``MIX``), so every link has the outcome it must get: on the refused and the
hanging hosts, the first ``--host-failures`` links are failing and the command
gives up on the host, so the others must be left unasked (no state, no check)
and named in its summary.

Each run clears the link checks and runs the real command as an operator
would, in its own process with production settings (DEBUG off) and
``FETCH_ALLOW_PRIVATE_ADDRESSES=127.0.0.0/8``. It reports the run's time and
links a second; the outcomes and the links left unasked per host, each compared with the expected one link by link
(the command's ``-v 2`` lines) and in the database (a mismatch is printed in
capitals); the most requests in flight to one host and in all, as the server
counted them; and the checking process's peak RSS when it had reported 2,500,
5,000 and 10,000 links. Requests go to 127.0.0.0/8 only; every run is bounded
by ``--max-seconds`` (the process is stopped past it, and the run says so).
"""

import argparse
import json
import os
import random
import secrets
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyr_site.settings_test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402

from coverage_archive.models import Article  # noqa: E402
from coverage_archive.preservation.models import LinkCheck, LinkOutcome, LinkState  # noqa: E402
from coverage_archive.urlnorm import normalize_url  # noqa: E402
from tests.loopback_site import BARE_PAGE, LoopbackHandler, LoopbackSite  # noqa: E402

# What each kind of link is, on the invented site; its share of the links; the outcome it must get.
MIX = [
    ("article", "/en/2025/03/05/tenants-learn-their-rights", 0.66, LinkOutcome.FINE),
    ("pdf", "/report.pdf", 0.04, LinkOutcome.FINE),
    ("temporary redirect", "/temporarily-elsewhere", 0.03, LinkOutcome.FINE),
    ("HEAD refused", "/head-refused", 0.03, LinkOutcome.FINE),
    ("404", "/nowhere", 0.05, LinkOutcome.GONE),
    ("410", "/gone", 0.02, LinkOutcome.GONE),
    ("soft 404", "/soft-404", 0.02, LinkOutcome.GONE),
    ("soft 404, Spanish", "/es/no-encontrada", 0.01, LinkOutcome.GONE),
    ("redirect to home", "/to-home", 0.01, LinkOutcome.GONE),
    ("permanent redirect", "/old-place", 0.05, LinkOutcome.MOVED),
    ("503", "/busy", 0.02, LinkOutcome.FAILING),
    ("slow (past the timeout)", "/slow", 0.02, LinkOutcome.FAILING),
]
# Requests through the checker's per-host gate for a link of each kind (HEAD, then GET for a
# page to read or a refused HEAD); a slow or hanging page also holds its host for the timeout.
GATED_REQUESTS = {"pdf": 1, "410": 1, "503": 1, "slow (past the timeout)": 1, "refused": 1, "host hanging": 1}
HELD_FOR_THE_TIMEOUT = {"slow (past the timeout)", "host hanging"}
REFUSED_SHARE = 0.04  # links on the two addresses where nothing listens: failing
HANGING_SHARE = 0.02  # links on a host whose every page hangs past the timeout: failing
FIRST_HOST = 10
REFUSED_HOSTS = ("127.0.0.250", "127.0.0.251")
HANGING_HOST = "127.0.0.9"
MEMORY_AT = (2500, 5000, 10000)
# What the plan expects of a link the command must not ask: its host was given up on.
NOT_ASKED = "not asked"
GIVEN_UP_KINDS = {"refused", "host hanging"}


def client_gone(connection) -> bool:
    """Has the client closed this connection (given up waiting)?"""
    try:
        readable, _w, _x = select.select([connection], [], [], 0)
        return bool(readable) and not connection.recv(1, socket.MSG_PEEK)
    except (OSError, ValueError):
        return True


class BenchHandler(LoopbackHandler):
    """The loopback site's handler, counting a hung request in flight only while its client waits.

    Before a request to a host counts, the host's hung requests whose client has closed the
    connection stop counting. The checker closes a connection before its gate lets the next
    request to that host go, so this is exact; the hung request's own thread may notice late.
    """

    def do_GET(self):
        site, host = self.server.site, self.headers.get("Host", "")
        with site.lock:
            hung = [handler for handler in site.hanging if handler._host == host]
        for handler in hung:
            if client_gone(handler.connection):
                handler._answered()
        super().do_GET()


def hang(seconds):
    """A route that answers after ``seconds``, or stops counting as soon as the client gives up."""

    def route(handler):
        site = handler.server.site
        with site.lock:
            site.hanging.add(handler)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                select.select([handler.connection], [], [], 0.05)
                if client_gone(handler.connection):  # the checker timed out and closed
                    handler._answered()
                    handler.close_connection = True
                    return None
            return handler._send(200, BARE_PAGE)
        finally:
            with site.lock:
                site.hanging.discard(handler)

    return route


def host_weights(hosts: int) -> list[float]:
    """A few large outlets, many small ones (Zipf, s = 0.8)."""
    return [1 / rank**0.8 for rank in range(1, hosts + 1)]


def plan(
    links: int, hosts: dict[str, int], refused_port: int, seed: int, host_failures: int
) -> list[tuple[str, str, str]]:
    """(url, kind, expected outcome) for each link, drawn with ``seed``. Links are checked in id
    order per host, so on a host that never answers the first ``host_failures`` are failing and
    the rest are not asked."""
    rng = random.Random(seed)
    hosts = dict(hosts)
    hanging_port = hosts.pop(HANGING_HOST)
    addresses = list(hosts)
    weights = host_weights(len(addresses))
    kinds = list(MIX)
    shares = [share for _kind, _path, share, _outcome in MIX]
    planned = []
    unanswered = Counter()

    def not_answering(address):
        unanswered[address] += 1
        return LinkOutcome.FAILING if not host_failures or unanswered[address] <= host_failures else NOT_ASKED

    for number in range(links):
        if rng.random() < REFUSED_SHARE:
            address = rng.choice(REFUSED_HOSTS)
            url = f"http://{address}:{refused_port}/en/story?n={number}"
            planned.append((url, "refused", not_answering(address)))
            continue
        if rng.random() < HANGING_SHARE:
            url = f"http://{HANGING_HOST}:{hanging_port}/slow?n={number}"
            planned.append((url, "host hanging", not_answering(HANGING_HOST)))
            continue
        address = rng.choices(addresses, weights)[0]
        kind, path, _share, outcome = rng.choices(kinds, shares)[0]
        planned.append((f"http://{address}:{hosts[address]}{path}?n={number}", kind, outcome))
    return planned


def prepare(links: int) -> list[int]:
    """Migrate, seed enough published synthetic articles, and return the ids of the first ``links``."""
    call_command("migrate", verbosity=0)
    have = Article.objects.published().count()
    if have < links:
        call_command("seed_synthetic", articles=links - have, batch_size=2000, verbosity=0)
    return list(Article.objects.published().order_by("pk").values_list("pk", flat=True)[:links])


def assign(ids: list[int], planned) -> None:
    """Give the articles their planned links (and none to any other), and forget earlier checks."""
    LinkCheck.objects.all().delete()
    LinkState.objects.all().delete()
    Article.objects.exclude(pk__in=ids).exclude(original_url="").update(original_url="", original_url_normalized="")
    # Cleared first, so a link that moves from one article to another never clashes on the unique key.
    Article.objects.filter(pk__in=ids).update(original_url="", original_url_normalized="")
    articles = []
    for pk, (url, _kind, _outcome) in zip(ids, planned, strict=True):
        articles.append(Article(pk=pk, original_url=url, original_url_normalized=normalize_url(url)))
    Article.objects.bulk_update(articles, ["original_url", "original_url_normalized"], batch_size=1000)


def memory_kib(pid: int) -> dict:
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _sep, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0])
    except OSError:
        pass
    return fields


def run_once(site, ids, planned, args) -> dict:
    assign(ids, planned)
    expected = {url: outcome for url, _kind, outcome in planned}
    site.most_in_flight.clear()
    site.most_in_flight_total = 0
    requests_before = len(site.requests)
    command = [
        sys.executable,
        "manage.py",
        "check_links",
        "--concurrency",
        str(args.concurrency),
        "--per-host-delay",
        str(args.per_host_delay),
        "--timeout",
        str(args.timeout),
        "--host-failures",
        str(args.host_failures),
        "-v",
        "2",
    ]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kyr_site.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "FETCH_ALLOW_PRIVATE_ADDRESSES": "127.0.0.0/8",
        # Each line as the command writes it, so the memory read at a line is the process's then.
        "PYTHONUNBUFFERED": "1",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stopped = threading.Timer(args.max_seconds, process.kill)
    stopped.start()
    most_rss, last_hwm, finished = [0], [0], threading.Event()

    def sample():  # four times a second: the largest RSS seen, and the kernel's high-water mark
        while not finished.wait(0.25):
            now = memory_kib(process.pid)
            most_rss[0] = max(most_rss[0], now.get("VmRSS", 0))
            last_hwm[0] = max(last_hwm[0], now.get("VmHWM", 0))

    threading.Thread(target=sample, daemon=True).start()
    seen, mismatches, memory, progress = Counter(), [], {}, []
    skipped = {}  # host → links the summary says it left unasked
    host_done = {}  # host → seconds into the run of its last link's result
    reported = set()
    first_result = None
    for line in process.stdout:
        parts = line.split()
        if line.startswith("Skipped "):  # "Skipped 183 links of 127.0.0.9, not asked in this run: …"
            skipped[parts[4].rstrip(",")] = int(parts[1])
            continue
        if len(parts) < 3 or parts[0] not in LinkOutcome.values:
            continue
        done = sum(seen.values()) + 1
        first_result = first_result or time.perf_counter()
        seen[parts[0]] += 1
        host_done[parts[2].split("/")[2].split(":")[0]] = round(time.perf_counter() - started, 1)
        reported.add(parts[2])
        if expected.get(parts[2]) != parts[0]:
            mismatches.append((parts[2], expected.get(parts[2]), line.strip()))
        if done in MEMORY_AT:
            memory[done] = memory_kib(process.pid)
        if done % 1000 == 0:
            progress.append((done, round(time.perf_counter() - started, 1)))
    # Not its rusage: ru_maxrss counts the forked copy of this process before the exec.
    _pid, status, _usage = os.wait4(process.pid, 0)
    finished.set()
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    stopped.cancel()
    errors = process.stderr.read()
    stored = Counter(dict(LinkState.objects.values_list("outcome").annotate(n=Count("pk"))))
    wanted = Counter(outcome for _url, _kind, outcome in planned)
    wanted_skipped = Counter(url.split("/")[2].split(":")[0] for url, _kind, outcome in planned if outcome == NOT_ASKED)
    checked = sum(seen.values())
    # A link not asked has no state and no check; its url never appears in a -v 2 line.
    asked_anyway = [url for url, _kind, outcome in planned if outcome == NOT_ASKED and url in reported]
    return {
        "exit": process.returncode,
        "killed_at_max_seconds": process.returncode == -9,
        "stderr": errors[-2000:],
        "seconds": round(elapsed, 1),
        "checking_seconds": round(elapsed - ((first_result or started) - started), 1),
        "links": checked,
        "links_per_second": round(checked / elapsed, 1),
        "progress": progress,
        "outcomes_reported": dict(seen),
        "outcomes_stored": {key: stored.get(key, 0) for key in LinkOutcome.values},
        "outcomes_expected": {key: wanted.get(key, 0) for key in LinkOutcome.values},
        "skipped_reported": skipped,
        "skipped_expected": dict(wanted_skipped),
        "links_stored": sum(stored.values()),
        "checks_stored": LinkCheck.objects.count(),
        "not_asked_but_asked": len(asked_anyway),
        "mismatches": len(mismatches),
        "mismatch_examples": mismatches[:10],
        "requests": len(site.requests) - requests_before,
        "most_in_flight_one_host": max(site.most_in_flight.values(), default=0),
        "most_in_flight_all_hosts": site.most_in_flight_total,
        "peak_rss_mib_at": {n: round(m.get("VmHWM", 0) / 1024, 1) for n, m in memory.items()},
        "rss_mib_at": {n: round(m.get("VmRSS", 0) / 1024, 1) for n, m in memory.items()},
        "peak_rss_mib_last_sampled": round(last_hwm[0] / 1024, 1),
        "most_rss_mib_sampled": round(most_rss[0] / 1024, 1),
        "last_hosts_done": sorted(host_done.items(), key=lambda item: -item[1])[:3],
        "hosts_with_two_in_flight": sorted(host for host, most in site.most_in_flight.items() if most > 1),
    }


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=40, help="Loopback addresses serving the site (at most 200).")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--per-host-delay", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--host-failures", type=int, default=3, help="As the command's (default 3).")
    parser.add_argument("--slow-seconds", type=float, default=3.0, help="How long a slow page takes to answer.")
    parser.add_argument("--max-seconds", type=float, default=900, help="Stop a run that takes longer.")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", help="Write the figures here too.")
    args = parser.parse_args()
    if not 1 <= args.hosts <= 200:
        parser.error("--hosts must be between 1 and 200.")

    ids = prepare(args.links)
    if len(ids) < args.links:
        sys.exit(f"Only {len(ids)} published articles; expected {args.links}.")
    print(f"load average before: {load_average()}  ({os.cpu_count()} cores)")
    with LoopbackSite(BenchHandler) as site:
        site.hanging = set()
        site.routes["/slow"] = hang(args.slow_seconds)
        hosts = {f"127.0.0.{FIRST_HOST + n}": 0 for n in range(args.hosts)} | {HANGING_HOST: 0}
        for address in hosts:
            hosts[address] = site.also_on(address)
        planned = plan(args.links, hosts, free_port(REFUSED_HOSTS[0]), args.seed, args.host_failures)
        per_host = Counter(url.split("/")[2].split(":")[0] for url, _kind, _outcome in planned)
        # The least time the politeness rules allow: the busiest host's requests one at a time,
        # each after the delay, its slow pages each for the whole timeout.
        floor = Counter()
        for url, kind, outcome in planned:
            if outcome == NOT_ASKED:
                continue
            floor[url.split("/")[2].split(":")[0]] += GATED_REQUESTS.get(kind, 2) * args.per_host_delay + (
                args.timeout if kind in HELD_FOR_THE_TIMEOUT else 0
            )
        floor_host, floor_seconds = floor.most_common(1)[0]
        kinds = Counter(kind for _url, kind, _outcome in planned)
        largest = per_host.most_common(1)[0]
        print(
            f"{args.links:,} links on {len(per_host)} hosts (largest {largest[0]}: {largest[1]:,} links); "
            f"concurrency {args.concurrency}, per-host delay {args.per_host_delay} s, timeout {args.timeout} s, "
            f"slow pages answer after {args.slow_seconds} s"
        )
        print("mix: " + ", ".join(f"{kind} {count:,}" for kind, count in kinds.most_common()))
        print(f"floor: {floor_seconds:.0f} s for {floor_host}, the busiest host (requests × delay, + timeouts)")
        runs = []
        for number in range(1, args.runs + 1):
            result = run_once(site, ids, planned, args)
            runs.append(result)
            print(f"\nrun {number}: {json.dumps(result, default=str)}")
            if (
                result["mismatches"]
                or result["outcomes_stored"] != result["outcomes_expected"]
                or result["skipped_reported"] != result["skipped_expected"]
                or result["not_asked_but_asked"]
                or result["checks_stored"] != result["links"]
            ):
                print(f"!!! OUTCOMES DO NOT MATCH WHAT THE SERVER WAS TOLD TO SERVE: {result['mismatch_examples']}")
            if result["exit"] != 0:
                print(f"!!! THE COMMAND EXITED WITH {result['exit']}: {result['stderr']}")
    print(f"\nload average after: {load_average()}")
    summary = {
        "median_seconds": statistics.median(run["seconds"] for run in runs),
        "median_links_per_second": statistics.median(run["links_per_second"] for run in runs),
        "most_in_flight_one_host": max(run["most_in_flight_one_host"] for run in runs),
        "most_in_flight_all_hosts": max(run["most_in_flight_all_hosts"] for run in runs),
        "median_peak_rss_mib_at": {
            n: statistics.median(run["peak_rss_mib_at"].get(n, 0) for run in runs) for n in MEMORY_AT
        },
        "mismatches": sum(run["mismatches"] for run in runs),
        "skipped": runs[-1]["skipped_reported"],
        "largest_host_links": largest[1],
        "floor_seconds": round(floor_seconds, 1),
        "median_seconds_over_floor": round(statistics.median(run["seconds"] for run in runs) / floor_seconds, 2),
    }
    print(f"summary: {json.dumps(summary)}")
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": vars(args), "runs": runs, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
