"""Bounded work per reader request: no public page may hold a worker for long.

Every query a reader's request makes runs under a time limit,
settings.READER_STATEMENT_TIMEOUT_MS (5 s by default; 0 turns it off), and a
query stopped by it answers with the styled 503 page instead of running until
the worker is killed. The editors' side (the admin, imports, previews) and
management commands are not bounded: their work is trusted and may be long.

- PostgreSQL: ``statement_timeout`` for the connection, set when a public view
  is about to run and reset when the response is finished (a streamed export
  included), so a kept-open connection (CONN_MAX_AGE) never carries it into the
  next request, which may be an editor's.
- SQLite has no statement timeout: a progress handler, called every few thousand
  steps of SQLite's virtual machine, interrupts a statement that has been busy for
  longer than the limit. Time the statement spends waiting (a slow client reading
  a streamed export between two reads of rows) does not count.

``statement_time_limit`` gives one part of a page a stricter limit of its own
(the search snippets, see views and search.snippets).
"""

import sqlite3
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.shortcuts import render

from coverage_archive.api import errors

# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout (or by an operator).
QUERY_CANCELED = "57014"
# SQLite's message when a progress handler stops a statement.
SQLITE_INTERRUPTED = "interrupted"
# How often SQLite calls the progress handler, in virtual-machine instructions
# (about every 0.1 ms of work: a negligible cost).
SQLITE_CHECK_EVERY = 10_000
# A longer pause between two calls is time the statement spent waiting, not working.
SQLITE_IDLE_GAP = 0.1
# What the 503 page asks clients to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 30

_ACTIVE = "_kyr_reader_budget"


def is_reader_request(request) -> bool:
    """Every page but the admin's: readers' pages, feeds, exports, sitemaps, robots.txt."""
    match = getattr(request, "resolver_match", None)
    return match is not None and "admin" not in match.namespaces


def exempt(view):
    """Leave a public view out of the limit: the exports, which read every row a view
    lists by design (a whole archive of 100,000 pieces takes longer than the limit in
    its first statement), and whose search is bounded like the page's."""
    view.reader_budget_exempt = True
    return view


def reader_timeout_ms() -> int:
    return max(settings.READER_STATEMENT_TIMEOUT_MS, 0)


def exceeded(exception: BaseException) -> bool:
    """Whether a database error is a statement stopped for running too long."""
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    if getattr(cause, "sqlstate", None) == QUERY_CANCELED:
        return True
    return isinstance(cause, sqlite3.OperationalError) and str(cause) == SQLITE_INTERRUPTED


class _SqliteBudget:
    """The progress handler: stops a statement once it has worked for `seconds`."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.busy = 0.0
        self.last = time.monotonic()

    def execute(self, execute, sql, params, many, context):
        # Django's execute wrapper: each statement starts with the whole budget.
        self.busy, self.last = 0.0, time.monotonic()
        return execute(sql, params, many, context)

    def check(self) -> int:
        now = time.monotonic()
        gap, self.last = now - self.last, now
        if gap < SQLITE_IDLE_GAP:
            self.busy += gap
        return 1 if self.busy > self.seconds else 0  # non-zero: SQLite interrupts the statement


def start_reader_budget() -> None:
    milliseconds = reader_timeout_ms()
    if not milliseconds or getattr(connection, _ACTIVE, None):
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Session-wide (false): this request's statements, until end_reader_budget.
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{milliseconds}ms"])
        setattr(connection, _ACTIVE, True)
    elif connection.vendor == "sqlite":
        if connection.allow_thread_sharing:
            # One connection serving several threads at once (only Django's live test server does
            # this, for an in-memory database): a per-request limit means nothing there, and
            # setting the progress handler while another thread's statement runs deadlocks (it
            # waits on SQLite's lock holding the GIL, the statement's handler waits on the GIL).
            return
        connection.ensure_connection()
        budget = _SqliteBudget(milliseconds / 1000)
        connection.connection.set_progress_handler(budget.check, SQLITE_CHECK_EVERY)
        connection.execute_wrappers.append(budget.execute)
        setattr(connection, _ACTIVE, budget)


def end_reader_budget(**kwargs) -> None:
    """Take the limit off the connection once the response is finished (request_finished)."""
    budget = getattr(connection, _ACTIVE, None)
    if not budget:
        return
    setattr(connection, _ACTIVE, None)
    if connection.vendor == "sqlite":
        if budget.execute in connection.execute_wrappers:
            connection.execute_wrappers.remove(budget.execute)
        if connection.connection is not None:
            connection.connection.set_progress_handler(None, 0)
        return
    if connection.connection is None:  # closed meanwhile: a new one starts without the limit
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    except DatabaseError:
        # A connection that cannot take the reset must not serve another request.
        connection.close()


@contextmanager
def statement_time_limit(milliseconds: int):
    """Run the block's statements (PostgreSQL) under their own, stricter timeout.

    In a savepoint, so a statement stopped by it leaves any enclosing transaction
    usable; the caller catches the error (see exceeded()). Elsewhere, no change.
    """
    if connection.vendor != "postgresql":
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)",
                [f"{max(int(milliseconds), 1)}ms"],
            )
            previous = cursor.fetchone()[0]
        yield
        if nested:  # the enclosing transaction goes on: give it back its limit
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])


class ReaderQueryBudgetMiddleware:
    """Puts readers' queries under the time limit; answers a query stopped by it with a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_reader_request(request) and not getattr(view_func, "reader_budget_exempt", False):
            start_reader_budget()

    def process_exception(self, request, exception):
        if exceeded(exception):
            return service_unavailable(request)
        return None


def service_unavailable(request):
    if errors.is_api_request(request):
        return errors.unavailable(RETRY_AFTER_SECONDS)
    response = render(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
