"""The API keeps the privacy page's promise (templates/coverage_archive/privacy.html): no cookie, and
what the app logs of a request is at most the address of a page that failed or led nowhere, never
who asked (an IP address, a browser) nor their search words (the query string)."""

import logging

import pytest
from django.test import Client

from coverage_archive.models import Article
from tests.factories import ArticleFactory, SubjectFactory

pytestmark = pytest.mark.django_db

# A reader's details, each distinctive enough to find in any log line.
SEARCH_WORDS = "zyxwvut-private-words"
READER = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "ReaderBrowser/9.9 (private)"}
FORWARDED = {"HTTP_X_FORWARDED_FOR": "198.51.100.23"}


@pytest.fixture
def requests():
    SubjectFactory(slug="organizing")
    kept = ArticleFactory(slug="kept-piece", subjects=[])
    withdrawn = ArticleFactory(slug="withdrawn-piece")
    Article.objects.filter(pk=withdrawn.pk).update(status=Article.Status.WITHDRAWN)
    return [
        ("/api/v1/articles/", {"q": SEARCH_WORDS, "facets": "subject"}, 200),
        ("/api/v1/articles/", {"q": SEARCH_WORDS, "subject": "nowhere", "page": "x"}, 400),
        (f"/api/v1/articles/{kept.slug}/", {"q": SEARCH_WORDS}, 200),
        ("/api/v1/articles/never-was/", {"q": SEARCH_WORDS}, 404),
        ("/api/v1/articles/withdrawn-piece/", {"q": SEARCH_WORDS}, 410),
        ("/api/v1/no-such-thing/", {"q": SEARCH_WORDS}, 404),
        ("/api/v1/subjects/", {"q": SEARCH_WORDS}, 200),
        ("/api/v1/subjects/nowhere/", {"q": SEARCH_WORDS}, 404),
        ("/api/v1/openapi.json", {"q": SEARCH_WORDS}, 200),
    ]


def test_the_api_logs_no_reader_and_no_search_words(requests, caplog):
    client = Client(raise_request_exception=False)
    caplog.set_level(logging.DEBUG)
    for path, params, status in requests:
        response = client.get(path, params, **READER, **FORWARDED)
        assert response.status_code == status, path
        assert not response.cookies, path
    logged = [record.getMessage() for record in caplog.records]
    # The app does note the addresses that led nowhere (so the test reads real log lines)...
    assert any("/api/v1/articles/never-was/" in line for line in logged), logged
    # ...and nothing of who asked or what they searched for.
    for line in logged:
        assert SEARCH_WORDS not in line, line
        assert "?" not in line, line  # no query string at all
        for value in (*READER.values(), *FORWARDED.values()):
            assert value not in line, line
