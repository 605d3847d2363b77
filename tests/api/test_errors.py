"""What goes wrong under /api/v1/ answers JSON, as the API's own errors do: an unknown address (404),
a request the site cannot read (400), a query stopped by the readers' time limit or a database out of
reach (503). The site's pages keep their HTML error pages."""

import time

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from rest_framework.decorators import api_view

from coverage_archive.api import urls as api_urls
from coverage_archive.api.views import public
from kyr_site import urls as site_urls
from tests.budget_urls import long_query
from tests.test_reader_budget import READER_LIMIT_MS, long_rows  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def _is_json_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


@pytest.mark.parametrize("url", ["/api/v1/nothing/", "/api/v1/articles/a/b/", "/api/v1/subjects/a/b/c", "/api/v1/"])
def test_an_unknown_address_of_the_api_is_a_json_404(client, url):
    _is_json_problem(client.get(url), 404)


def test_an_unknown_page_of_the_site_keeps_the_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]


def test_a_host_the_site_does_not_serve_is_a_json_400_under_the_api(client):
    _is_json_problem(client.get("/api/v1/articles/", headers={"host": "evil.example"}), 400)


def test_a_nul_byte_in_the_address_is_a_json_400_under_the_api(client):
    _is_json_problem(client.get("/api/v1/subjects/", {"x": "a\x00b"}), 400)


def unreachable(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


# Views under /api/v1/ wrapped as the API's are (DRF's api_view, which handles exceptions of its own).
urlpatterns = [
    path("api/v1/long-query/", public(api_view(["GET"])(long_query))),
    path("api/v1/unreachable/", public(api_view(["GET"])(unreachable))),
    *site_urls.urlpatterns,
]


@override_settings(ROOT_URLCONF=__name__)
def test_a_query_stopped_by_the_readers_time_limit_is_a_json_503(client, long_rows):  # noqa: F811
    client.get("/api/v1/subjects/")  # connected: what follows is the query
    started = time.monotonic()
    response = client.get("/api/v1/long-query/", {"rows": 50 * long_rows})
    assert time.monotonic() - started < 2  # stopped, not run to its end
    _is_json_problem(response, 503)
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]


@override_settings(ROOT_URLCONF=__name__)
def test_a_database_out_of_reach_is_a_json_503(client):
    response = client.get("/api/v1/unreachable/")
    _is_json_problem(response, 503)
    assert response["Retry-After"] == "30"


def test_every_operation_of_the_api_runs_under_the_readers_time_limit():
    for pattern in api_urls.urlpatterns:
        assert not getattr(pattern.callback, "reader_budget_exempt", False), pattern


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout")
def test_the_api_sets_the_readers_statement_timeout_on_postgresql(client, settings):
    settings.READER_STATEMENT_TIMEOUT_MS = READER_LIMIT_MS
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/articles/", {"facets": "subject"}).status_code == 200
    assert "statement_timeout" in queries.captured_queries[0]["sql"]
    assert f"'{READER_LIMIT_MS}ms'" in queries.captured_queries[0]["sql"]
