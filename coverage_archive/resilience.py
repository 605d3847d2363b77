"""Answers for when part of the deployment is missing or busy.

- ``HealthCheckMiddleware``: ``/healthz`` for load balancers — 200 ``ok`` when the
  database answers a trivial query, 503 ``unavailable`` otherwise; nothing else in
  the body, no cookie, never cached, and answered before the host check and the
  HTTPS redirect (a load balancer probes by address, over plain HTTP).
- ``DatabaseUnavailableMiddleware`` and ``server_error``: the database unreachable
  (restarting, failing over) answers a styled 503 with ``Retry-After`` instead of
  a 500. Django's health checks on persistent connections (CONN_HEALTH_CHECKS)
  then reconnect by themselves once it is back: no restart of the app.
- ``ExportSlots``: at most ``settings.EXPORT_CONCURRENCY`` streamed exports at
  once per app instance; beyond it a 503 with ``Retry-After``. A slot is a lock on
  a file (``flock``) in a folder that deploy/gunicorn.conf.py creates for all the
  workers of one gunicorn (``KYR_EXPORT_SLOTS_DIR``), so the limit holds across
  its processes and threads, and the kernel frees a slot whose worker died.
"""

import atexit
import fcntl
import logging
import os
import shutil
import sys
import tempfile
import threading

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import defaults

from coverage_archive.api import errors

logger = logging.getLogger(__name__)

HEALTH_CHECK_PATH = "/healthz"
# What a reader is asked to wait: a database restart takes seconds.
DATABASE_RETRY_AFTER_SECONDS = 30
# An export of a large archive takes a minute or more.
EXPORT_RETRY_AFTER_SECONDS = 60
# The errors that mean "the database cannot be reached now", as opposed to a bad query.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)


def _plain(text: str, status: int) -> HttpResponse:
    response = HttpResponse(f"{text}\n", content_type="text/plain; charset=utf-8", status=status)
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


def database_answers() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


class HealthCheckMiddleware:
    """``GET /healthz``: ``ok`` (200) or ``unavailable`` (503), and nothing more."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTH_CHECK_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if database_answers():
            return _plain("ok", 200)
        return _plain("unavailable", 503)


def database_unavailable(request) -> HttpResponse:
    """The styled 503 page (JSON under the API); it reads nothing from the database."""
    if errors.is_api_request(request):
        return errors.unavailable(DATABASE_RETRY_AFTER_SECONDS)
    try:
        response = render(request, "503.html", status=503)
    except Exception:  # a page that cannot render must still not be a 500
        logger.exception("The 503 page could not be rendered")
        response = HttpResponse(_("The archive is unavailable for a moment. Please try again shortly."), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE_ERRORS):
            first_line = (str(exception).strip().splitlines() or [type(exception).__name__])[0]
            logger.warning("The database is unreachable: %s", first_line)
            return database_unavailable(request)
        return None


def server_error(request):
    """handler500: the 503 page when the error was the database being unreachable
    outside a view (a middleware saving a session, say); Django's 500 otherwise."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable(request)
    if errors.is_api_request(request):
        return errors.problem(
            _("The archive could not show this page. Please try again in a few minutes."), 500, cacheable=False
        )
    return defaults.server_error(request)


# --- Export slots ---------------------------------------------------------------

SLOTS_DIR_VARIABLE = "KYR_EXPORT_SLOTS_DIR"


class ExportSlot:
    """One held slot; ``release()`` may be called any number of times."""

    def __init__(self, fd: int | None):
        self._fd = fd  # None: no limit is set, nothing to release
        self._held = True
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if not self._held:
                return
            self._held = False
            fd = self._fd
        if fd is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __del__(self):
        # A response dropped without close() (never by a WSGI server) must not keep its slot.
        self.release()

    def hold_while(self, iterable):
        """The iterable, holding this slot until it is exhausted, fails or is closed."""
        return _SlotHoldingStream(iterable, self)


class _SlotHoldingStream:
    """An iterable whose close() — which the WSGI server calls when the response
    ends, fails or the client goes away — releases the slot. A plain generator
    with ``finally`` would not do: closing one that never started skips it."""

    def __init__(self, iterable, slot: ExportSlot):
        self._iterable = iterable
        self._slot = slot

    def __iter__(self):
        try:
            yield from self._iterable
        finally:
            self.close()

    def close(self):
        try:
            close = getattr(self._iterable, "close", None)
            if close is not None:
                close()
        finally:
            self._slot.release()


class ExportSlots:
    def __init__(self):
        self._private_dir = None
        self._lock = threading.Lock()

    def directory(self) -> str:
        shared = os.environ.get(SLOTS_DIR_VARIABLE)
        if shared:
            return shared
        # Not under deploy/gunicorn.conf.py (runserver, tests): a folder for this process alone.
        with self._lock:
            if self._private_dir is None:
                self._private_dir = tempfile.mkdtemp(prefix="kyr-export-slots-")
                atexit.register(shutil.rmtree, self._private_dir, True)
            return self._private_dir

    def acquire(self) -> ExportSlot | None:
        """A free slot, or None when EXPORT_CONCURRENCY exports are running (0: no limit)."""
        limit = settings.EXPORT_CONCURRENCY
        if limit <= 0:
            return ExportSlot(None)
        directory = self.directory()
        for number in range(limit):
            fd = os.open(os.path.join(directory, f"export-{number}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            return ExportSlot(fd)
        return None


EXPORT_SLOTS = ExportSlots()


def exports_busy() -> HttpResponse:
    response = _plain(
        _("Too many exports are being prepared right now. Please try again in a minute."),
        503,
    )
    response["Retry-After"] = str(EXPORT_RETRY_AFTER_SECONDS)
    return response
