"""What the site does when part of it is missing or busy (coverage_archive/resilience.py,
kyr_site/cache.py), in-process; tests/test_deployment.py runs the same under gunicorn."""

import logging
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.db import OperationalError
from django.test import RequestFactory, override_settings
from django.urls import path

from coverage_archive import resilience
from coverage_archive.resilience import EXPORT_SLOTS
from kyr_site import cache as resilient_cache
from kyr_site import urls as site_urls
from tests.factories import ArticleFactory


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Export slots --------------------------------------------------------------------------------


@pytest.fixture
def two_slots(settings, tmp_path, monkeypatch):
    settings.EXPORT_CONCURRENCY = 2
    monkeypatch.setenv(resilience.SLOTS_DIR_VARIABLE, str(tmp_path))


def test_at_most_export_concurrency_slots_at_once(two_slots):
    first, second = EXPORT_SLOTS.acquire(), EXPORT_SLOTS.acquire()
    assert first and second
    assert EXPORT_SLOTS.acquire() is None
    first.release()
    first.release()  # twice is harmless and frees nothing more
    third = EXPORT_SLOTS.acquire()
    assert third is not None
    assert EXPORT_SLOTS.acquire() is None
    second.release()
    third.release()


def test_the_limit_holds_across_processes(two_slots, tmp_path):
    """Another process (another gunicorn worker) holding both slots leaves none here."""
    holder = subprocess.Popen(
        [
            "python3",
            "-c",
            "import fcntl, os, sys, time\n"
            f"fds = [os.open('{tmp_path}/export-%d.lock' % n, os.O_RDWR | os.O_CREAT) for n in range(2)]\n"
            "[fcntl.flock(fd, fcntl.LOCK_EX) for fd in fds]\n"
            "print('held', flush=True); sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert EXPORT_SLOTS.acquire() is None
    finally:
        holder.stdin.close()
        holder.wait(10)
    # The kernel frees the locks of a process that is gone, as of a killed worker.
    slot = EXPORT_SLOTS.acquire()
    assert slot is not None
    slot.release()


def test_no_limit_when_export_concurrency_is_zero(settings):
    settings.EXPORT_CONCURRENCY = 0
    slots = [EXPORT_SLOTS.acquire() for _ in range(10)]
    assert all(slot is not None for slot in slots)
    for slot in slots:
        slot.release()


def rows(fail_at=None):
    for number in range(3):
        if number == fail_at:
            raise RuntimeError("the stream failed")
        yield f"row {number}\n"


@pytest.mark.parametrize(
    "consume",
    [
        pytest.param(lambda stream: list(stream), id="finished"),
        pytest.param(lambda stream: stream.close(), id="closed before the first row"),
        pytest.param(lambda stream: (next(iter(stream)), stream.close()), id="client went away midway"),
    ],
)
def test_a_slot_is_released_when_the_stream_ends_or_is_closed(two_slots, consume):
    held = [EXPORT_SLOTS.acquire(), EXPORT_SLOTS.acquire()]
    stream = held[0].hold_while(rows())
    consume(stream)
    again = EXPORT_SLOTS.acquire()
    assert again is not None
    again.release()
    held[1].release()


def test_a_slot_is_released_when_the_stream_fails(two_slots):
    held = [EXPORT_SLOTS.acquire(), EXPORT_SLOTS.acquire()]
    with pytest.raises(RuntimeError):
        list(held[0].hold_while(rows(fail_at=1)))
    again = EXPORT_SLOTS.acquire()
    assert again is not None
    again.release()
    held[1].release()


@pytest.mark.django_db
def test_export_beyond_the_limit_is_a_503_with_retry_after(client, two_slots):
    ArticleFactory()
    held = [EXPORT_SLOTS.acquire(), EXPORT_SLOTS.acquire()]
    try:
        for url, text in (
            ("/coverage/export.csv", "Too many exports are being prepared right now"),
            ("/es/coverage/export.json", "Se están preparando demasiadas exportaciones"),
        ):
            response = client.get(url)
            assert response.status_code == 503
            assert response["Retry-After"] == "60"
            assert response["Content-Type"] == "text/plain; charset=utf-8"
            assert text in response.content.decode()
    finally:
        held[1].release()
    # One slot free: an export streams, and frees its slot once the response is closed.
    response = client.get("/coverage/export.csv")
    assert response.status_code == 200
    assert EXPORT_SLOTS.acquire() is None
    b"".join(response.streaming_content)
    response.close()
    slot = EXPORT_SLOTS.acquire()
    assert slot is not None
    slot.release()
    held[0].release()


# --- /healthz ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz(client):
    response = client.get("/healthz", headers={"host": "10.1.2.3"})  # any host: probes come by address
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert client.get("/es/healthz").status_code == 404


# --- The database unreachable ----------------------------------------------------------------------


def unreachable(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


urlpatterns = [
    *i18n_patterns(path("unreachable/", unreachable), prefix_default_language=False),
    *site_urls.urlpatterns,
]


# The database itself answers (the readers' time limit is set on it, coverage_archive.budget); the view
# fails as one does when the database goes away.
@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "The archive is unavailable for a moment"), ("es", "El archivo no está disponible por un momento")],
)
def test_a_view_that_cannot_reach_the_database_answers_the_styled_503(client, language, text, caplog):
    response = client.get("/unreachable/" if language == "en" else f"/{language}/unreachable/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert text in page
    assert 'rel="stylesheet"' in page  # the site's own page, not a bare error
    assert any("The database is unreachable" in record.getMessage() for record in caplog.records)


def test_the_500_handler_answers_503_for_an_unreachable_database_and_500_otherwise(rf: RequestFactory):
    request = rf.get("/coverage/")
    try:
        raise OperationalError("the server closed the connection unexpectedly")
    except OperationalError:
        assert resilience.server_error(request).status_code == 503
    try:
        raise ValueError("a bug")
    except ValueError:
        assert resilience.server_error(request).status_code == 500


# --- The Redis cache, optional -------------------------------------------------------------------


@pytest.fixture
def redis_server():
    """A Redis of this test's own, so it can be stopped and started again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    return
                except OSError:
                    assert time.monotonic() < deadline, "redis-server did not start"
                    time.sleep(0.05)

        def stop(self):
            self.process.terminate()
            self.process.wait(10)

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def make_cache(location):
    return resilient_cache.ResilientRedisCache(
        location, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    )


def test_redis_going_away_is_a_miss_with_one_warning_then_it_comes_back(redis_server, monkeypatch, caplog):
    monkeypatch.setattr(resilient_cache, "RETRY_SECONDS", 0.3)
    cache = make_cache(redis_server.url)
    cache.set("answer", 42)
    assert cache.get("answer") == 42

    redis_server.stop()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="kyr_site.cache"):
        results = []
        started = time.monotonic()

        def work():
            # Django gives each thread its own cache object; they share what they know of the server.
            own = make_cache(redis_server.url)
            for _ in range(20):
                results.append(
                    (own.get("answer", "missing"), own.set("answer", 1), own.get_many(["answer"]), own.add("x", 1))
                )

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started < 2  # no call waits for the dead server
        assert results == [("missing", None, {}, False)] * 80
        warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "The Redis cache is unreachable" in warnings[0].getMessage()
        assert warnings[0].exc_info is None  # a line, not a traceback

        redis_server.start()
        time.sleep(0.4)  # past RETRY_SECONDS
        cache.set("answer", 43)
        assert cache.get("answer") == 43
        assert any("reachable again" in record.getMessage() for record in caplog.records)


def test_the_production_cache_settings_use_the_resilient_backend(settings):
    code = "from django.conf import settings; c = settings.CACHES['default']; print(c['BACKEND'], c['OPTIONS'])"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "kyr_site.settings",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "example.org",
        "REDIS_URL": "redis://127.0.0.1:6379/4",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("kyr_site.cache.ResilientRedisCache")
    assert "'socket_connect_timeout': 0.5" in result.stdout


def test_a_slot_dropped_without_close_is_released(two_slots):
    import gc

    held = [EXPORT_SLOTS.acquire(), EXPORT_SLOTS.acquire()]
    assert EXPORT_SLOTS.acquire() is None
    del held[0]
    gc.collect()
    slot = EXPORT_SLOTS.acquire()
    assert slot is not None
    slot.release()
    held[0].release()
