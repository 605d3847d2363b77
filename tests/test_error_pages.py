"""Error pages render whatever made the request bad, and never link to another host.

Scanners send a Host header the site does not serve, or thousands of
parameters, all day: each must get the styled 400 page, not a 500 raised again
by the error page itself (its language links and hreflang alternates are built
from the request). Checked through the test client and against a real gunicorn
with DEBUG off, with raw requests on a socket.
"""

import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.test import Client, RequestFactory
from django.views import defaults

from coverage_archive import budget, views

# Short enough for gunicorn's request line limit (4,094 bytes), one more than Django reads.
TOO_MANY_PARAMETERS = "&".join(["a"] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))


@pytest.fixture
def client():
    # A 500 must show as a 500 here, not as the view's exception.
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/coverage/", "/", "/es/coverage/", "/coverage/feed/", "/no-such-page/"])
def test_a_host_the_site_does_not_serve_gets_the_styled_400_page(client, path):
    response = client.get(path, headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "400.html" in [template.name for template in response.templates]
    content = response.text
    assert "evil.example" not in content  # no link built from the bad host
    assert 'hreflang="es"' in content  # the language links are still there, relative


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/coverage/", "/es/coverage/", "/coverage/feed/", "/subjects/"])
def test_more_parameters_than_django_reads_get_the_styled_400_page(client, path):
    response = client.get(f"{path}?{TOO_MANY_PARAMETERS}")
    assert response.status_code == 400
    assert "400.html" in [template.name for template in response.templates]
    assert "a&amp;a" not in response.text


def _bad_requests():
    factory = RequestFactory()
    yield "bad host", factory.get("/coverage/", headers={"host": "evil.example"})
    yield "too many parameters", factory.get(f"/coverage/?{TOO_MANY_PARAMETERS}")
    yield "path naming a host", factory.get("/", PATH_INFO="//evil.example/coverage/")


ERROR_PAGES = {
    400: lambda request: views.bad_request(request, BadRequest("synthetic")),
    403: lambda request: defaults.permission_denied(request, PermissionDenied("synthetic")),
    404: lambda request: defaults.page_not_found(request, Http404("synthetic")),
    410: lambda request: render(request, "410.html", status=410),
    500: lambda request: defaults.server_error(request),
    503: budget.service_unavailable,
}


@pytest.mark.django_db
@pytest.mark.parametrize("status", sorted(ERROR_PAGES))
def test_every_error_page_renders_for_every_kind_of_bad_request(status):
    for label, request in _bad_requests():
        response = ERROR_PAGES[status](request)
        assert response.status_code == status, label
        content = response.content.decode()
        assert "<h1>" in content, label  # the site's styled page
        assert_links_stay_here(content, "http://testserver/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["//evil.example/coverage/", "///evil.example/coverage/", "/\\evil.example/coverage/", "/%2F/evil.example/"],
)
def test_a_path_starting_with_two_slashes_never_becomes_a_link_to_another_host(client, path):
    response = client.get("/", PATH_INFO=path)
    assert response.status_code == 404
    assert_links_stay_here(response.text, "http://testserver/")


@pytest.mark.django_db
def test_the_language_links_of_a_page_under_a_double_slash_stay_on_this_site(client):
    response = client.get("/", PATH_INFO="//evil.example/coverage/")
    assert '<a href="/evil.example/coverage/" lang="en"' in response.text
    assert '<link rel="alternate" hreflang="en" href="http://testserver/evil.example/coverage/">' in response.text


def assert_links_stay_here(html: str, origin: str):
    """Every link is a path on this site (one leading slash) or an absolute URL of `origin`."""
    hrefs = [part.split('"', 1)[0] for part in html.split('href="')[1:]]
    assert hrefs
    for href in hrefs:
        on_this_site = href.startswith(("/", "#")) and not href.startswith(("//", "/\\"))
        assert on_this_site or href.startswith(origin), href


# --- Against a real server -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn as deployed (DEBUG off), on an empty SQLite file: these answers need no database."""
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kyr_site.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('gunicorn') / 'empty.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    environment.pop("DEBUG", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kyr_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: {server.stderr.read().decode()}") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _raw_get(port: int, target: str, host: str) -> tuple[int, str]:
    request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode("latin-1"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "target, host, status",
    [
        ("/coverage/", "evil.example", 400),
        ("/es/coverage/", "evil.example:8080", 400),
        (f"/coverage/?{TOO_MANY_PARAMETERS}", None, 400),
        ("//evil.example/coverage/", None, 404),
    ],
)
def test_a_real_server_answers_bad_requests_with_a_4xx_page(gunicorn, target, host, status):
    answered, body = _raw_get(gunicorn, target, host or f"127.0.0.1:{gunicorn}")
    assert answered == status
    assert "<h1>" in body
    assert_links_stay_here(body, f"http://127.0.0.1:{gunicorn}/")
