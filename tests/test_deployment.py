"""The production set-up as README's "Production" section documents it, run for real.

Each class starts ``gunicorn -c deploy/gunicorn.conf.py`` as a subprocess, DEBUG
off, with static files collected into a temporary STATIC_ROOT (the manifest
storage), and talks HTTP to it on a free loopback port:

- ``TestDeployed``: the recommended set-up (Redis on 127.0.0.1:6379, behind a TLS
  proxy, CSRF_TRUSTED_ORIGINS, TIME_ZONE, the defaults for the rest) on a database
  of its own: SQLite in a temporary file, or a fresh PostgreSQL database when
  DATABASE_URL names one (CI runs the suite both ways);
- ``TestOtherSettings``: the same database with the other values of the variables;
- ``TestFaults``: a throwaway PostgreSQL cluster of its own, which the test stops
  and starts again while gunicorn serves, and a Redis nobody listens on.

Only one gunicorn runs at a time (class-scoped fixtures); Redis db 4 is this
module's, flushed before each server starts.
"""

import contextlib
import glob
import http.client
import json
import os
import re
import runpy
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode

import dj_database_url
import pytest
import redis

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = BASE_DIR / "deploy" / "gunicorn.conf.py"
HOST = "archive.example.org"
EDITORS_ORIGIN = "https://editors.example.org"
REDIS_DB = 4
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
SECRET_KEY = "a-deployment-test-secret-key-" + "x" * 40
# A whole-archive JSON export of about 6 MB, more than a socket's kernel buffers hold: 400
# articles, their text made six times longer (quicker to seed on PostgreSQL than more articles).
ARTICLES = 400
TEXT_REPEATS = 6
HTTPS = {"X-Forwarded-Proto": "https"}
EDITOR = ("deploy-editor", "a-long-editor-password-for-tests")
TIMEZONE_PROBE = "Timezone probe"
# Variables this module sets itself; inherited values would change what is tested.
OWN_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "CONN_MAX_AGE",
    "ARCHIVE_CACHE_SECONDS",
    "TIME_ZONE",
    "LOG_LEVEL",
    "STATIC_ROOT",
    "EXPORT_CONCURRENCY",
    "WEB_CONCURRENCY",
    "DJANGO_SETTINGS_MODULE",
    "KYR_EXPORT_SLOTS_DIR",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_environment(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in OWN_VARIABLES and not key.startswith(("GUNICORN_", "PYTEST_"))
    }
    env.update(
        {"DJANGO_SETTINGS_MODULE": "kyr_site.settings", "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": f"{HOST},127.0.0.1"}
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def manage_python(code: str, env: dict, timeout=300) -> str:
    """Run Python inside the project's Django set-up (one process: one Django start-up)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-v", "0", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


SEED_CODE = f"""
import datetime
from django.core.management import call_command
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat
from django.contrib.auth.models import User
from coverage_archive.models import Article
call_command("migrate", "--noinput", verbosity=0)
call_command("seed_synthetic", verbosity=0, **{{seed_options}})
repeats = {{repeats}}
if repeats > 1:
    parts = [F("body")] + [piece for _ in range(repeats - 1) for piece in (Value("\\n\\n"), F("body"))]
    Article.objects.update(body=Concat(*parts, output_field=TextField()))
User.objects.create_superuser({EDITOR[0]!r}, "editor@example.org", {EDITOR[1]!r})
probe = Article.objects.order_by("pk").first()
Article.objects.filter(pk=probe.pk).update(
    title={TIMEZONE_PROBE!r}, updated_at=datetime.datetime(2020, 1, 15, 12, 0, tzinfo=datetime.UTC)
)
"""


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cookies(self) -> dict:
        found = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
        return found


def fetch(port, path, *, method="GET", headers=None, body=None, timeout=15) -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        answer = connection.getresponse()
        return Response(answer.status, answer.headers, answer.read())
    finally:
        connection.close()


class SlowReader:
    """A client that asks for a large response and then reads it very slowly (or not at all)."""

    def __init__(self, port, path):
        self.sock = socket.socket()
        # A small receive window, so the server's writes block once its own buffer is full.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(15)
        self.sock.connect(("127.0.0.1", port))
        request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n\r\n"
        self.sock.sendall(request.encode())
        self.head = self.sock.recv(1024)

    @property
    def status(self) -> int:
        return int(self.head.split(b" ", 2)[1])

    def close(self):
        # Unread data: the kernel answers with a reset, as when a reader gives up.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


# --- gunicorn ---------------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_ACCESS_LOG": "-"}
        self.process = None

    def start(self):
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log()}"
            with contextlib.suppress(OSError):
                if fetch(self.port, "/healthz", timeout=2).status == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"gunicorn did not answer /healthz within 30 s:\n{self.log()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # quick shutdown: nothing here waits for it
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text, timeout=5) -> str:
        """The log once it holds ``text`` (gunicorn writes the access line after the response)."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.log()):
            assert time.monotonic() < deadline, f"{text!r} never reached the log:\n{log}"
            time.sleep(0.05)
        return log

    def get(self, path, **kwargs) -> Response:
        return fetch(self.port, path, **kwargs)


@contextlib.contextmanager
def running(env, log_path):
    server = Gunicorn(env, log_path).start()
    try:
        yield server
    finally:
        server.stop()


def flush_redis():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    return client


# --- Databases ---------------------------------------------------------------------------------


def _postgres_admin(parsed):
    import psycopg

    params = {"dbname": "postgres", "host": parsed["HOST"] or "127.0.0.1", "port": parsed["PORT"] or 5432}
    params.update({key: parsed[key.upper()] for key in ("user", "password") if parsed.get(key.upper())})
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture(scope="module")
def static_root():
    folder = Path(tempfile.mkdtemp(prefix="kyr-deploy-static-"))
    manage_python(
        "from django.core.management import call_command; call_command('collectstatic', '--noinput', verbosity=0)",
        base_environment(STATIC_ROOT=folder),
    )
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@dataclass
class DeployDatabase:
    url: str
    vendor: str
    name: str

    def connections_open(self) -> int:
        with _postgres_admin(dj_database_url.parse(self.url)) as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.name]
            ).fetchone()
        return row[0]


@pytest.fixture(scope="module")
def deploy_database(static_root, cluster_in_preparation):
    """A migrated, seeded database apart from pytest-django's: the suite's kind (SQLite or PostgreSQL)."""
    suite_url = os.environ.get("DATABASE_URL", "")
    folder = Path(tempfile.mkdtemp(prefix="kyr-deploy-db-"))
    if suite_url.startswith(("postgres://", "postgresql://")):
        parsed = dj_database_url.parse(suite_url)
        name = f"{parsed['NAME']}_deployed"[:63]
        with _postgres_admin(parsed) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        credentials = parsed["USER"] + (f":{parsed['PASSWORD']}" if parsed.get("PASSWORD") else "")
        database = DeployDatabase(
            f"postgres://{credentials}@{parsed['HOST']}:{parsed['PORT'] or 5432}/{name}", "postgresql", name
        )
    else:
        path = folder / "deployed.sqlite3"
        database = DeployDatabase(f"sqlite:///{path}", "sqlite", str(path))
    try:
        seed = SEED_CODE.format(seed_options={"articles": ARTICLES}, repeats=TEXT_REPEATS)
        manage_python(seed, base_environment(DATABASE_URL=database.url))
        yield database
    finally:
        if database.vendor == "postgresql":
            with _postgres_admin(dj_database_url.parse(suite_url)) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)


# --- The configuration file ------------------------------------------------------------------------


def test_the_gunicorn_configuration(monkeypatch):
    for variable in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_ACCESS_LOG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9001, unix:/run/kyr/gunicorn.sock")
    config = runpy.run_path(str(GUNICORN_CONFIG))
    assert config["bind"] == ["127.0.0.1:9001", "unix:/run/kyr/gunicorn.sock"]
    assert config["worker_class"] == "gthread"
    assert config["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert config["threads"] == 4
    assert (config["timeout"], config["graceful_timeout"]) == (30, 30)
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["accesslog"] is None  # no access log unless asked for
    # The reader's address, the query string, the request line, the referrer and the user agent stay out.
    for atom in ("%(h)s", "%(q)s", "%(r)s", "%(f)s", "%(a)s", "%({x-forwarded-for}i)s"):
        assert atom not in config["access_log_format"]
    assert "%(U)s" in config["access_log_format"]


# --- The recommended set-up ----------------------------------------------------------------------

DEPLOYED_ENV = {
    "REDIS_URL": REDIS_URL,
    "SECURE_PROXY_SSL_HEADER": "1",
    "CSRF_TRUSTED_ORIGINS": EDITORS_ORIGIN,
    "TIME_ZONE": "America/New_York",
    "CONN_MAX_AGE": "60",
    "WEB_CONCURRENCY": "2",
    "GUNICORN_THREADS": "4",
    # Small, so that a long export outlives it (test_an_export_outlasts_the_worker_timeout).
    "GUNICORN_TIMEOUT": "4",
    "EXPORT_CONCURRENCY": "3",
}


@pytest.fixture(scope="class")
def deployed(deploy_database, static_root, tmp_path_factory):
    flush_redis()
    env = base_environment(DATABASE_URL=deploy_database.url, STATIC_ROOT=static_root, **DEPLOYED_ENV)
    with running(env, tmp_path_factory.mktemp("deployed") / "gunicorn.log") as server:
        yield server
    flush_redis()


class TestDeployed:
    def test_healthz_answers_ok_with_no_cookie_no_caching_and_no_log_line(self, deployed):
        # Over plain HTTP and for any Host: a load balancer probes by address, before TLS.
        for headers in ({}, {"Host": "10.0.0.7:8000"}):
            response = deployed.get("/healthz", headers=headers)
            assert response.status == 200
            assert response.body == b"ok\n"
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert "Set-Cookie" not in response.headers
        assert deployed.get("/healthz", method="POST").status == 405
        assert deployed.get("/es/healthz", headers=HTTPS).status == 404  # not a page of the site
        sitemap = deployed.get("/sitemap.xml", headers=HTTPS)
        pages = re.findall(r"<loc>https://[^/]+(/sitemap-pages[^<]*)</loc>", sitemap.text)  # the fixed pages
        assert pages
        assert all("healthz" not in deployed.get(section, headers=HTTPS).text for section in pages)
        deployed.get("/privacy/", headers=HTTPS)
        log = deployed.wait_for_log('"GET /privacy/" 200')  # the access log is on…
        assert '"GET /healthz"' not in log  # …and leaves the probes out
        assert '"POST /healthz"' not in log

    def test_web_concurrency_sets_the_worker_processes(self, deployed):
        assert deployed.log().count("Booting worker with pid") == 2

    def test_access_log_keeps_neither_address_nor_query(self, deployed):
        assert deployed.get("/coverage/?q=secret+words", headers=HTTPS).status == 200
        deployed.wait_for_log('"GET /coverage/"')
        lines = [line for line in deployed.log().splitlines() if '"GET /coverage/"' in line]
        assert lines
        assert all("secret" not in line and "127.0.0.1" not in line for line in lines)

    def test_redis_holds_the_archive_cache(self, deployed):
        client = flush_redis()
        assert deployed.get("/coverage/?sort=oldest", headers=HTTPS).status == 200
        assert deployed.get("/coverage/", headers=HTTPS).status == 200
        assert client.keys("*archive*"), "no cache entry reached Redis"
        assert "Traceback" not in deployed.log()

    def test_https_redirect_unless_the_proxy_says_https(self, deployed):
        plain = deployed.get("/coverage/?page=2")
        assert plain.status == 301
        assert plain.headers["Location"] == f"https://{HOST}/coverage/?page=2"
        secure = deployed.get("/coverage/?page=2", headers=HTTPS)
        assert secure.status == 200
        assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert "Strict-Transport-Security" not in plain.headers
        # The static files are the collected, hashed ones (DEBUG off, manifest storage).
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', secure.text)
        assert stylesheet, "the page does not link a hashed stylesheet"
        assert deployed.get(stylesheet.group(1), headers=HTTPS).status == 200

    def test_the_api_answers_json_with_validators_and_logs_no_query(self, deployed):
        url = "/api/v1/articles/?q=secret+api+words&facets=source&page_size=2"
        answer = deployed.get(url, headers=HTTPS)
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert not answer.cookies()
        body = json.loads(answer.body)
        assert set(body) >= {"total", "results", "next", "facets"}
        # The same workers, asked again with the ETag: 304, still readable by any origin.
        again = deployed.get(url, headers={**HTTPS, "If-None-Match": answer.headers["ETag"]})
        assert again.status == 304 and again.body == b""
        assert again.headers["Access-Control-Allow-Origin"] == "*"
        assert deployed.get(url, method="HEAD", headers=HTTPS).status == 200
        # Errors are JSON too: an unknown address, a host the site does not serve.
        for path, headers, status in (
            ("/api/v1/no-such-thing/", HTTPS, 404),
            ("/api/v1/articles/", {**HTTPS, "Host": "evil.example"}, 400),
        ):
            problem = deployed.get(path, headers=headers)
            assert problem.status == status, path
            assert problem.headers["Content-Type"] == "application/json"
            assert json.loads(problem.body)["detail"]
        log = deployed.wait_for_log('"GET /api/v1/articles/" 304')
        assert "secret" not in log and "127.0.0.1" not in "".join(
            line for line in log.splitlines() if "/api/v1/" in line
        )

    def test_log_level_warning_records_a_page_not_found(self, deployed):
        assert deployed.get("/coverage/no-such-piece-here/", headers=HTTPS).status == 404
        deployed.wait_for_log("Not Found: /coverage/no-such-piece-here/")

    def test_csrf_trusted_origin_signs_in_and_time_zone_shows_in_the_admin(self, deployed):
        def sign_in(origin):
            form = deployed.get("/admin/login/", headers=HTTPS)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
            body = urlencode({"username": EDITOR[0], "password": EDITOR[1], "csrfmiddlewaretoken": token})
            headers = {
                **HTTPS,
                "Origin": origin,
                "Cookie": f"csrftoken={form.cookies()['csrftoken']}",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            return deployed.get("/admin/login/?next=/admin/", method="POST", body=body, headers=headers)

        assert sign_in("https://elsewhere.example").status == 403
        signed_in = sign_in(EDITORS_ORIGIN)
        assert signed_in.status == 302, signed_in.text[:500]
        session = signed_in.cookies()["sessionid"]
        listing = deployed.get(
            "/admin/coverage_archive/article/?" + urlencode({"q": TIMEZONE_PROBE}),
            headers={**HTTPS, "Cookie": f"sessionid={session}"},
        )
        assert listing.status == 200
        # 12:00 UTC, shown in TIME_ZONE=America/New_York.
        assert "Jan. 15, 2020, 7 a.m." in listing.text

    def test_slow_readers_do_not_starve_a_normal_page(self, deployed):
        readers = [SlowReader(deployed.port, "/coverage/export.json") for _ in range(3)]
        try:
            assert [reader.status for reader in readers] == [200, 200, 200]
            # Each export first fills its socket's send buffer (megabytes: a few seconds of the
            # machine's two cores); then its thread waits on the reader and the CPU is free again.
            deadline = time.monotonic() + 15
            while True:
                started = time.monotonic()
                assert deployed.get("/coverage/", headers=HTTPS, timeout=30).status == 200
                if time.monotonic() - started < 1:
                    break
                assert time.monotonic() < deadline, "a normal page stayed slow while three readers dawdled"
            for _ in range(5):  # a bound loose enough for a busy machine; sync workers would not answer at all
                started = time.monotonic()
                assert deployed.get("/coverage/", headers=HTTPS).status == 200
                assert time.monotonic() - started < 5
            # No worker was blocked until gunicorn killed it (as sync workers are), and every
            # reader is still being served.
            assert "WORKER TIMEOUT" not in deployed.log()
            assert all(reader.sock.recv(1024) for reader in readers)
            # EXPORT_CONCURRENCY=3: the three slow exports hold every slot.
            busy = deployed.get("/coverage/export.csv", headers=HTTPS)
            assert busy.status == 503
            assert busy.headers["Retry-After"] == "60"
            assert busy.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert "Too many exports" in busy.text
            spanish = deployed.get("/es/coverage/export.csv", headers=HTTPS)
            assert spanish.status == 503
            assert "Too many exports" not in spanish.text
        finally:
            for reader in readers:
                reader.close()
        # A reader who goes away frees the slot.
        deadline = time.monotonic() + 10
        while (status := deployed.get("/coverage/export.csv", headers=HTTPS, timeout=30).status) == 503:
            assert time.monotonic() < deadline, "the slots were not released when the readers left"
            time.sleep(0.2)
        assert status == 200

    def test_an_export_outlasts_the_worker_timeout(self, deployed):
        """A stream longer than gunicorn's timeout (4 s here) completes: gthread workers keep
        reporting while a thread streams (sync workers are killed at the timeout)."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.settimeout(15)
        sock.connect(("127.0.0.1", deployed.port))
        sock.sendall(f"GET /coverage/export.json HTTP/1.0\r\nHost: {HOST}\r\nX-Forwarded-Proto: https\r\n\r\n".encode())
        started = time.monotonic()
        received = bytearray()
        rate = 1_200_000  # bytes a second: the 6 MB file takes longer than the timeout
        while chunk := sock.recv(65536):
            received += chunk
            time.sleep(max(0.0, len(received) / rate - (time.monotonic() - started)))
        elapsed = time.monotonic() - started
        sock.close()
        head, _, body = bytes(received).partition(b"\r\n\r\n")
        assert re.match(rb"HTTP/1\.[01] 200 ", head), head
        assert elapsed > 4
        assert len(json.loads(body)) == ARTICLES
        assert "WORKER TIMEOUT" not in deployed.log()


# --- The other values -----------------------------------------------------------------------------

OTHER_ENV = {
    "REDIS_URL": REDIS_URL,
    "ARCHIVE_CACHE_SECONDS": "0",
    "SECURE_PROXY_SSL_HEADER": "1",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "600",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "0",
    "SECURE_HSTS_PRELOAD": "1",
    "CONN_MAX_AGE": "0",
    "LOG_LEVEL": "ERROR",
    "WEB_CONCURRENCY": "1",
}


@pytest.fixture(scope="class")
def other(deploy_database, static_root, tmp_path_factory):
    flush_redis()
    env = base_environment(DATABASE_URL=deploy_database.url, STATIC_ROOT=static_root, **OTHER_ENV)
    with running(env, tmp_path_factory.mktemp("other") / "gunicorn.log") as server:
        yield server
    flush_redis()


class TestOtherSettings:
    def test_archive_cache_seconds_zero_stores_nothing(self, other):
        client = flush_redis()
        assert other.get("/coverage/", headers=HTTPS).status == 200
        assert other.get("/coverage/?sort=oldest", headers=HTTPS).status == 200
        assert client.keys("*archive*") == []

    def test_web_concurrency_sets_the_worker_processes(self, other):
        assert other.log().count("Booting worker with pid") == 1

    def test_no_redirect_and_the_chosen_hsts(self, other):
        assert other.get("/coverage/").status == 200  # SECURE_SSL_REDIRECT=0: plain HTTP served
        secure = other.get("/coverage/", headers=HTTPS)
        assert secure.headers["Strict-Transport-Security"] == "max-age=600; preload"

    def test_log_level_error_leaves_out_pages_not_found(self, other):
        assert other.get("/coverage/no-such-piece-either/").status == 404
        log = other.wait_for_log('"GET /coverage/no-such-piece-either/" 404')  # the access line comes after
        assert "Not Found: /coverage/no-such-piece-either/" not in log

    def test_conn_max_age_zero_closes_connections(self, other, deploy_database):
        if deploy_database.vendor != "postgresql":
            pytest.skip("observable on PostgreSQL, in the suite's PostgreSQL run")
        for _ in range(3):
            assert other.get("/coverage/").status == 200
        assert deploy_database.connections_open() == 0


# --- Faults: PostgreSQL restarted, Redis unreachable ----------------------------------------------

POSTGRES_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary folder, on a free port, run as the postgres user."""

    def __init__(self):
        self.bin = Path(POSTGRES_BINARIES[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="kyr-deploy-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/archive"

    def _run(self, *args):
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=60)

    def init(self):
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "archive")

    def start(self):
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l", str(self.folder / "log"), "start"
        )

    def stop(self):
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def connections_open(self) -> int:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="archive") as probe:
            return probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'archive' AND pid <> pg_backend_pid()"
            ).fetchone()[0]

    def remove(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class _Preparation(threading.Thread):
    """The throwaway cluster made, migrated and seeded in the background while the other
    servers are tested (its migrations take a while); ``result()`` waits for it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.cluster = ThrowawayCluster()
        self.error = None

    def run(self):
        try:
            self.cluster.init()
            small = {"articles": 40, "sources": 5, "subjects": 8, "organizations": 10}
            seed = SEED_CODE.format(seed_options=small, repeats=1)
            manage_python(seed, base_environment(DATABASE_URL=self.cluster.url))
        except BaseException as error:
            self.error = error

    def result(self) -> ThrowawayCluster:
        self.join(300)
        if self.error is not None:
            raise self.error
        return self.cluster


@pytest.fixture(scope="module")
def cluster_in_preparation():
    if not POSTGRES_BINARIES:
        yield None
        return
    preparation = _Preparation()
    preparation.start()
    try:
        yield preparation
    finally:
        preparation.join(300)
        preparation.cluster.remove()


@pytest.fixture(scope="class")
def cluster(cluster_in_preparation):
    if cluster_in_preparation is None:
        pytest.skip("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are not installed")
    return cluster_in_preparation.result()


@pytest.fixture(scope="class")
def faulty(cluster, static_root, tmp_path_factory):
    closed_port = free_port()  # nobody listens there
    env = base_environment(
        DATABASE_URL=cluster.url,
        STATIC_ROOT=static_root,
        REDIS_URL=f"redis://127.0.0.1:{closed_port}/{REDIS_DB}",
        SECURE_SSL_REDIRECT="0",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
    )
    with running(env, tmp_path_factory.mktemp("faulty") / "gunicorn.log") as server:
        yield server


def concurrently(count, call):
    """``call()`` from ``count`` threads at once (so the worker's threads all serve), the results in a list."""
    results = [None] * count

    def run(index):
        results[index] = call()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


class TestFaults:
    def test_redis_unreachable_is_served_with_one_warning(self, faulty):
        statuses = [faulty.get(path).status for path in ("/", "/coverage/", "/coverage/?sort=oldest") * 4]
        assert statuses == [200] * 12
        log = faulty.log()
        assert log.count("The Redis cache is unreachable") == 1, log
        assert "Traceback" not in log

    def test_connections_persist_with_the_default_conn_max_age(self, faulty, cluster):
        assert faulty.get("/coverage/").status == 200
        assert cluster.connections_open() >= 1

    def test_database_restart_is_a_styled_503_then_recovers_without_a_restart(self, faulty, cluster):
        # Every thread of the worker holds a persistent connection, soon stale.
        assert concurrently(4, lambda: faulty.get("/coverage/").status) == [200] * 4
        cluster.stop()
        try:
            page = faulty.get("/coverage/")
            assert page.status == 503
            assert page.headers["Retry-After"] == "30"
            assert "no-store" in page.headers["Cache-Control"]
            assert "The archive is unavailable for a moment" in page.text
            assert re.search(r'href="/static/css/site\.[0-9a-f]+\.css"', page.text)  # the site's own style
            spanish = faulty.get("/es/coverage/")
            assert spanish.status == 503
            assert 'lang="es"' in spanish.text
            assert "The archive is unavailable for a moment" not in spanish.text
            health = faulty.get("/healthz")
            assert (health.status, health.body) == (503, b"unavailable\n")
            assert faulty.get("/coverage/some-piece/").status == 503
        finally:
            cluster.start()
        # Stale connections in any thread reconnect by themselves: no 500, no restart of gunicorn.
        results = concurrently(4, lambda: faulty.get("/coverage/").status) + [faulty.get("/").status for _ in range(4)]
        assert results == [200] * 8
        assert faulty.get("/healthz").status == 200
        assert faulty.process.poll() is None
        assert "Internal Server Error" not in faulty.log()
