"""Check the original links of published pieces: is each one fine, moved, gone or failing?

``manage.py check_links`` runs this; nothing in a reader's request does. Each link is
asked with HEAD first (no body read), and with a GET reading at most ``PEEK_BYTES``
when HEAD is refused or when a 2xx HTML page must be read for a "soft 404" (a page
that answers 200 but says it was not found). The fetcher (``fetching.fetch``) follows
redirects and refuses private addresses; every hop is recorded in ``LinkCheck.redirects``.

Outcomes (``LinkOutcome``):

- fine: a 2xx answer, after temporary redirects if any;
- moved: a permanent redirect (301/308) to another page that answers 2xx: the new
  address is proposed to an editor (``LinkState.proposed_url``), the piece is not changed;
- gone: 404 or 410, a redirect that ends on the site's home page, or a 200 page whose
  title or main heading says it was not found (English or Spanish);
- failing: timeouts, connection errors, refused addresses, 5xx, 403, 429 and any other
  answer: retried on later runs and never called gone for it (``failures_in_a_row``).

Requests run in a bounded thread pool; ``HostGate`` keeps at most one request in flight
to a host and a delay between two requests to it. A link goes to the pool only when no
other link of its host is there, so a host that is slow, or holds most of the links, keeps
one thread busy and never the whole pool waiting on its gate while other hosts' links wait.
A host that does not answer at all (a timeout, or a connection refused or reset) for
``host_failures`` of its links in a row is given up on for the rest of the run: its other links
are not requested, their state is left as it was (no check is recorded, as none was made), and
they are due again on the next run; the run's summary names the host and how many links it left.
Any answer from the host, a 5xx included, starts its count again.
Articles are read in chunks of ``CHUNK``, at most ``READ_AHEAD`` links waiting at once and
``PER_HOST_WAITING`` of one host: a host's further links are left in the database for
another pass over the due links, so no one host's backlog fills the read-ahead and starves
the others (both measured in bench/README.md). Memory stays flat however many links there
are. The database is written from the calling thread only.
"""

import re
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coverage_archive.models import Article
from coverage_archive.preservation.fetching import PERMANENT_REDIRECTS, FetchRefused, fetch
from coverage_archive.preservation.models import LinkCheck, LinkOutcome, LinkState
from coverage_archive.urlnorm import normalize_url

# Articles read from the database at a time.
CHUNK = 500
# Links read and waiting for their host, at most (a few hundred kilobytes), or twice concurrency
# times PER_HOST_WAITING if more: while it is full, enough hosts have links waiting to keep every
# thread busy.
READ_AHEAD = 4 * CHUNK
# Links of one host waiting, at most; its others wait in the database for a later pass.
PER_HOST_WAITING = 100
# Enough of a page to hold its <title> and first heading.
PEEK_BYTES = 32 * 1024
# A HEAD answered with one of these is asked again with GET: many servers refuse HEAD so.
HEAD_REFUSED = frozenset({400, 403, 404, 405, 406, 500, 501})
DEFAULT_CONCURRENCY = 8
DEFAULT_PER_HOST_DELAY = 1.0
DEFAULT_TIMEOUT = 20.0
DEFAULT_OLDER_THAN = timedelta(days=7)
# A host whose links go unanswered this many times in a row is not asked again in the run.
DEFAULT_HOST_FAILURES = 3
# The fetcher's reasons for a request that got no answer at all: timed out, refused or reset.
NO_ANSWER = frozenset({"timeout", "unreachable"})

# A page that says it was not found, in its <title> or first <h1>: English and Spanish.
NOT_FOUND_WORDING = re.compile(
    r"\b404\b|not\s+found|page\s+(?:does\s+not|doesn't)\s+exist|no\s+longer\s+available|"
    r"no\s+encontrad[ao]|no\s+existe|p[áa]gina\s+no\s+disponible|error\s+404",
    re.IGNORECASE,
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_duration(text: str) -> timedelta:
    """``7d``, ``12h`` or ``30m`` as a timedelta; ValueError for anything else."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"“{text}” is not a duration: write a number and d, h or m, e.g. 7d, 12h, 30m.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass
class Result:
    """What one check found, before it is stored."""

    article_id: int
    url: str
    checked_at: object
    outcome: str
    method: str = "HEAD"
    status_code: int | None = None
    final_url: str = ""
    redirects: list = field(default_factory=list)
    detail: str = ""
    proposed_url: str = ""
    # The link's own host did not answer (a timeout, a refused or reset connection): not stored,
    # it counts towards giving up on the host for the rest of the run.
    no_answer: bool = False


@dataclass
class Run:
    """What a run did: checks per outcome, and the hosts given up on with the links each left unasked."""

    counts: Counter = field(default_factory=Counter)
    gave_up: dict = field(default_factory=dict)


class HostGate:
    """At most one request in flight to a host, and at least ``delay`` seconds between two."""

    def __init__(self, delay: float):
        self.delay = delay
        self._guard = threading.Lock()
        self._locks = {}
        self._last = {}

    def _lock(self, host):
        with self._guard:
            return self._locks.setdefault(host, threading.Lock())

    def run(self, host: str, call):
        lock = self._lock(host)
        with lock:
            wait_for = self._last.get(host, float("-inf")) + self.delay - time.monotonic()
            if wait_for > 0:
                time.sleep(wait_for)
            try:
                return call()
            finally:
                self._last[host] = time.monotonic()


def says_not_found(body: bytes, charset: str = "") -> bool:
    """Does the page's title or first main heading say it was not found?"""
    text = body[:PEEK_BYTES].decode(charset or "utf-8", errors="replace")
    for pattern in (_TITLE, _H1):
        match = pattern.search(text)
        if match and NOT_FOUND_WORDING.search(unescape(_TAG.sub(" ", match.group(1)))):
            return True
    return False


def _hops(exchanges) -> list:
    return [[exchange.status, exchange.url, exchange.location] for exchange in exchanges[:-1]]


def _ends_on_home_page(url: str, final_url: str) -> bool:
    return urlsplit(final_url).path in ("", "/") and urlsplit(url).path not in ("", "/")


def classify(url: str, result, method: str) -> dict:
    """The outcome of a fetch that got an answer (a ``FetchResult``)."""
    final = result.final
    found = {
        "method": method,
        "status_code": final.status,
        "final_url": final.url,
        "redirects": _hops(result.exchanges),
    }
    status = final.status
    if status in (404, 410):
        return {**found, "outcome": LinkOutcome.GONE, "detail": f"HTTP {status}"}
    if 200 <= status < 300:
        if result.redirects and _ends_on_home_page(url, final.url):
            return {**found, "outcome": LinkOutcome.GONE, "detail": "Redirects to the site's home page"}
        if method == "GET" and says_not_found(final.decoded_body(), final.charset):
            return {**found, "outcome": LinkOutcome.GONE, "detail": "The page says it was not found"}
        if (
            result.redirects
            and result.redirects[0].status in PERMANENT_REDIRECTS
            and normalize_url(final.url) != normalize_url(url)
        ):
            return {
                **found,
                "outcome": LinkOutcome.MOVED,
                "detail": f"Moved permanently (HTTP {result.redirects[0].status})",
                "proposed_url": final.url,
            }
        return {**found, "outcome": LinkOutcome.FINE, "detail": ""}
    return {**found, "outcome": LinkOutcome.FAILING, "detail": f"HTTP {status}"}


def _is_html(result) -> bool:
    return result.final.content_type in ("", "text/html", "application/xhtml+xml")


def host_of(url: str) -> str:
    """The host a link's requests are gated by."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def check_url(url: str, *, timeout: float = DEFAULT_TIMEOUT, gate: HostGate | None = None) -> dict:
    """Check one link (HEAD, then a bounded GET where needed); never raises for the link's own faults."""
    gate = gate or HostGate(0)
    host = host_of(url)

    def ask(method):
        return gate.run(host, lambda: fetch(url, method=method, max_bytes=PEEK_BYTES, total_timeout=timeout))

    method = "HEAD"
    try:
        result = ask("HEAD")
        status = result.status
        needs_body = 200 <= status < 300 and _is_html(result)
        if status in HEAD_REFUSED or needs_body:
            method = "GET"
            result = ask("GET")
    except FetchRefused as refusal:
        # The request that failed went to the link's own host, or to where a redirect pointed.
        asked = refusal.exchanges[-1].location if refusal.exchanges else url
        return {
            "no_answer": refusal.reason in NO_ANSWER and host_of(asked) == host,
            "method": method,
            "status_code": None,
            "final_url": refusal.exchanges[-1].location if refusal.exchanges else "",
            "redirects": [[e.status, e.url, e.location] for e in refusal.exchanges],
            "outcome": LinkOutcome.FAILING,
            "detail": f"{refusal.reason}: {refusal.message}"[:300],
        }
    return classify(url, result, method)


def due(older_than: timedelta, *, now=None):
    """Published pieces with an original link not checked within ``older_than`` (never checked included)."""
    cutoff = (now or timezone.now()) - older_than
    return (
        Article.objects.published()
        .exclude(original_url="")
        .filter(Q(link_state__isnull=True) | Q(link_state__checked_at__lt=cutoff))
    )


def _chunks(queryset, limit=None, leave=frozenset()):
    """(id, url) pairs in id order, ``CHUNK`` at a time, so no query holds every row; the ids in
    ``leave`` when their chunk is read are left out."""
    last, given = 0, 0
    while limit is None or given < limit:
        size = CHUNK if limit is None else min(CHUNK, limit - given)
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", "original_url")[:size])
        if not rows:
            return
        last = rows[-1][0]
        rows = [row for row in rows if row[0] not in leave]
        yield from rows
        given += len(rows)


def store(result: Result) -> None:
    """Keep the check and bring the link's state up to date (in the calling thread)."""
    with transaction.atomic():
        LinkCheck.objects.create(
            article_id=result.article_id,
            checked_at=result.checked_at,
            url=result.url[:2000],
            method=result.method,
            status_code=result.status_code,
            final_url=result.final_url[:2000],
            redirects=result.redirects,
            outcome=result.outcome,
            detail=result.detail[:300],
        )
        state = LinkState.objects.select_for_update().filter(article_id=result.article_id).first()
        if state is None:
            state = LinkState(article_id=result.article_id)
        state.outcome = result.outcome
        state.checked_at = result.checked_at
        if result.outcome == LinkOutcome.FAILING:
            # A failure says nothing about where the page is: a proposal already made stays.
            state.failures_in_a_row += 1
        else:
            state.failures_in_a_row = 0
            state.proposed_url = result.proposed_url[:2000]
        if result.outcome in (LinkOutcome.FINE, LinkOutcome.MOVED):
            state.last_fine_at = result.checked_at
        state.save()


def check_links(
    *,
    older_than: timedelta = DEFAULT_OLDER_THAN,
    concurrency: int = DEFAULT_CONCURRENCY,
    per_host_delay: float = DEFAULT_PER_HOST_DELAY,
    timeout: float = DEFAULT_TIMEOUT,
    host_failures: int = DEFAULT_HOST_FAILURES,
    limit: int | None = None,
    on_result=None,
) -> Run:
    """Check every due link once; ``on_result(result)`` is called per link checked.

    A host whose links got no answer ``host_failures`` times in a row (0: never) is given up on:
    its other links are not requested in this run and are left as they were, due for the next.
    """
    started = timezone.now()
    gate = HostGate(per_host_delay)
    run = Run()
    most_waiting = max(READ_AHEAD, 2 * concurrency * PER_HOST_WAITING)
    # Links read and not yet sent, by host; hosts with links waiting and none in the pool, in turn.
    waiting, ready = {}, deque()
    in_pool = {}  # future → its host
    # The ids waiting or in the pool (a pass leaves them out); the hosts whose links a pass left.
    taken, left = set(), set()
    # Each host's links in a row that got no answer; the links of hosts given up on, counted once.
    unanswered, not_asked = Counter(), set()
    accepted = 0
    # Each pass reads the links still due when this run started: those checked since are not.
    links = _chunks(due(older_than, now=started), leave=taken)

    def check(article_id, url):
        checked_at = timezone.now()
        return Result(
            article_id=article_id, url=url, checked_at=checked_at, **check_url(url, timeout=timeout, gate=gate)
        )

    def leave_unasked(host, article_id):
        if article_id not in not_asked:
            not_asked.add(article_id)
            run.gave_up[host] += 1

    def give_up(host):
        # None of its links is in the pool: a host has one there at most, the one just done.
        nonlocal accepted
        run.gave_up[host] = 0
        for article_id, _url in waiting.pop(host, ()):
            taken.discard(article_id)
            accepted -= 1
            leave_unasked(host, article_id)
        # Links a pass left in the database are counted when the next pass reads them.

    def read_ahead():
        nonlocal links, accepted
        while len(taken) - len(in_pool) < most_waiting and (limit is None or accepted < limit):
            link = next(links, None)
            if link is None:
                # The end of a pass: another, once a host whose links it left has room for more.
                if not any(len(waiting.get(host, ())) <= PER_HOST_WAITING // 2 for host in left):
                    return
                left.clear()
                links = _chunks(due(older_than, now=started), leave=taken)
                continue
            article_id, url = link
            host = host_of(url)
            if host in run.gave_up:
                leave_unasked(host, article_id)
                continue
            if len(waiting.get(host, ())) >= PER_HOST_WAITING:
                left.add(host)
                continue
            if host not in waiting:
                waiting[host] = deque()
                if host not in in_pool.values():
                    ready.append(host)
            waiting[host].append(link)
            taken.add(article_id)
            accepted += 1

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="check-links") as pool:
        while True:
            read_ahead()
            while ready and len(in_pool) < concurrency:
                host = ready.popleft()
                article_id, url = waiting[host].popleft()
                if not waiting[host]:
                    del waiting[host]
                in_pool[pool.submit(check, article_id, url)] = host
            if not in_pool:
                return run
            done, _running = wait(in_pool, return_when=FIRST_COMPLETED)
            for future in done:
                host = in_pool.pop(future)
                result = future.result()
                store(result)
                taken.discard(result.article_id)
                run.counts[result.outcome] += 1
                # Any answer, a 5xx included, starts the host's count again.
                unanswered[host] = unanswered[host] + 1 if result.no_answer else 0
                if host_failures and unanswered[host] >= host_failures:
                    give_up(host)
                elif host in waiting:
                    ready.append(host)
                if on_result:
                    on_result(result)
