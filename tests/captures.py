"""Captures for tests, written as the archive writes them (capturing.save_capture): real WARC files in storage.

The fetch they keep is invented and says so: a page of "Example Ledger", an outlet that does not exist,
as if fetched from example.org. Nothing is fetched: the exchange is written here.
"""

import datetime

from coverage_archive.preservation.capturing import save_capture
from coverage_archive.preservation.fetching import USER_AGENT, Exchange, FetchResult

INVENTED_PAGE = (
    b"<!doctype html><html><head><title>Synthetic page | Example Ledger</title></head>"
    b"<body><p>An invented page of an invented outlet, kept for the archive's tests.</p>"
    b"<script>document.title = 'a captured script, never run by the archive'</script></body></html>"
)


def make_capture(
    article,
    *,
    captured_at: datetime.datetime,
    url: str = "https://example.org/synthetic/kept-page",
    text: str = "An invented paragraph of the captured page.\nAnother invented paragraph.",
    title: str = "Synthetic page",
    status: int = 200,
    body: bytes = INVENTED_PAGE,
    proposal: dict | None = None,
    user=None,
):
    exchange = Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", USER_AGENT), ("Accept", "text/html")],
        status=status,
        reason="OK" if status == 200 else "",
        http_version="HTTP/1.1",
        response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        body=body,
        peer_address="192.0.2.10",  # TEST-NET-1: documentation only, never connected to
        fetched_at=captured_at,
    )
    return save_capture(
        FetchResult(requested_url=url, exchanges=[exchange]),
        text=text,
        title=title,
        proposal=proposal or {},
        article=article,
        user=user,
    )


def synthetic_capture(article=None, *, number=1, user=None, captured_at=None):
    """Capture number ``number`` of an invented page, each number its own page, address and time."""
    title = f"Synthetic Ledger piece {number}"
    return make_capture(
        article,
        captured_at=captured_at or datetime.datetime(2025, 3, 4, 5, 6, 7, number % 1_000_000, tzinfo=datetime.UTC),
        url=f"https://example.org/synthetic-ledger/piece-{number}",
        text=f"Invented text {number}.",
        title=title,
        body=f"<html><head><title>{title}</title></head><body><p>Invented text {number}.</p></body></html>".encode(),
        proposal={"title": title, "missing": ["byline"], "date": None},
        user=user,
    )
