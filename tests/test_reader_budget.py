"""Bounded work per reader request (coverage_archive/budget.py, search limits, snippets).

A reader's query that runs too long is stopped and answered with the styled 503
page, on PostgreSQL (statement_timeout) and SQLite (a progress handler); the
editors' side is not limited, and the limit never outlives its request. A search
is cut to MAX_PHRASES phrases and MAX_ALTERNATIVES alternatives, with a note, and
PostgreSQL's snippets are left out, with a note, when they take too long.
"""

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from coverage_archive.search import MAX_ALTERNATIVES, MAX_PHRASES, within_limits
from tests.budget_urls import run_long_query
from tests.factories import ArticleFactory

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
READER_LIMIT_MS = 100


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.fixture
def long_rows(db, settings):
    """How many rows the long query counts here in at least four times the reader's limit (measured)."""
    settings.READER_STATEMENT_TIMEOUT_MS = READER_LIMIT_MS
    rows = 100_000
    while True:
        started = time.monotonic()
        run_long_query(rows)
        if time.monotonic() - started > 4 * READER_LIMIT_MS / 1000:
            return rows
        rows *= 2


@pytest.mark.urls("tests.budget_urls")
def test_a_readers_query_over_the_limit_gets_the_styled_503_page(client, long_rows):
    client.get("/coverage/")  # connected, templates loaded: what follows is the query
    started = time.monotonic()
    response = client.get("/long-query/", {"rows": 50 * long_rows})  # 20 s or more unstopped
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "503.html" in [template.name for template in response.templates]
    assert "The archive is unavailable for a moment" in response.text
    assert response["Retry-After"] == "30"
    assert elapsed < 2, elapsed  # stopped, not run to its end


@pytest.mark.urls("tests.budget_urls")
def test_the_editors_side_has_no_limit(client, long_rows):
    response = client.get("/editors/long-query/", {"rows": long_rows})
    assert response.status_code == 200
    assert response.text == str(long_rows)


@pytest.mark.urls("tests.budget_urls")
def test_the_limit_ends_with_the_readers_response(client, long_rows):
    """A kept-open connection must not carry a reader's limit into the next request or command."""
    assert client.get("/long-query/", {"rows": long_rows}).status_code == 503
    assert client.get("/coverage/").status_code == 200
    assert run_long_query(long_rows) == long_rows  # outside any request: not limited
    assert client.get("/editors/long-query/", {"rows": long_rows}).status_code == 200


@pytest.mark.urls("tests.budget_urls")
def test_a_view_left_out_of_the_limit_runs_its_queries_to_the_end(client, long_rows):
    response = client.get("/exempt-long-query/", {"rows": long_rows})
    assert response.status_code == 200
    assert response.text == str(long_rows)


def test_the_exports_are_left_out_of_the_limit():
    """A whole-archive export's first statement reads every row: 0.4 s at 5,000 pieces, 8 s or so at 100,000."""
    from coverage_archive import views

    assert views.export.reader_budget_exempt


@postgresql_only
@pytest.mark.urls("tests.budget_urls")
def test_postgresql_runs_a_readers_statements_under_a_timeout_and_the_editors_without(client, long_rows):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        default = cursor.fetchone()[0]
    assert client.get("/statement-timeout/").text == f"{READER_LIMIT_MS}ms"
    assert client.get("/editors/statement-timeout/").text == default
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == default


@pytest.mark.urls("tests.budget_urls")
def test_no_limit_when_it_is_turned_off(client, long_rows, settings):
    settings.READER_STATEMENT_TIMEOUT_MS = 0
    assert client.get("/long-query/", {"rows": long_rows}).status_code == 200


# --- Phrases and alternatives ----------------------------------------------------------------


def test_a_search_within_the_limits_is_left_as_typed():
    text = " OR ".join(f'"synthetic phrase{n}"' for n in range(MAX_ALTERNATIVES))
    assert within_limits(text) == (text, False)
    assert within_limits("OR OR a OR OR b -c") == ("OR OR a OR OR b -c", False)


def test_a_search_is_cut_before_its_alternative_over_the_limit():
    words = [f"word{n}" for n in range(MAX_ALTERNATIVES + 3)]
    cut, was_cut = within_limits(" OR ".join(words))
    assert was_cut
    assert cut == " OR ".join(words[:MAX_ALTERNATIVES])


def test_a_search_is_cut_before_its_phrase_over_the_limit():
    phrases = [f'"the of{n}"' for n in range(MAX_PHRASES)] + ["the-of", "word", '"last phrase"']
    cut, was_cut = within_limits(" ".join(phrases))
    assert was_cut
    assert cut == " ".join(phrases[:MAX_PHRASES])  # a hyphenated word is a phrase too


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/coverage/", "/es/coverage/"])
def test_a_search_of_many_ored_phrases_is_cut_with_a_note(client, path):
    ArticleFactory(title="Synthetic the of piece", body="the of " * 50)
    ored = " OR ".join(['"the of"'] * 30)[:200]
    response = client.get(path, {"q": ored})
    assert response.status_code == 200
    assert response.context["filter"].form.cleaned_data["q"] == " OR ".join(['"the of"'] * MAX_ALTERNATIVES)
    assert response.context["query_terms_were_cut"]
    if path == "/coverage/":
        assert "more than 8 phrases or more than 8 alternatives joined by OR" in response.text


# --- Snippets --------------------------------------------------------------------------------

COSTLY_SEARCH = " OR ".join(['"the of"', '"of the"', '"in the"', '"and the"', '"to the"', '"on the"'])


@pytest.fixture
def wordy_articles(db):
    text = " ".join(["the of the in the and the to the on the"] * 150)
    return [ArticleFactory(title=f"Synthetic wordy piece {n}", body=text) for n in range(3)]


def test_snippets_over_their_budget_are_left_out_with_a_note(client, wordy_articles, settings):
    settings.SNIPPET_TIME_BUDGET_MS = 1
    response = client.get("/coverage/", {"q": COSTLY_SEARCH})
    assert response.status_code == 200
    assert response.context["paginator"].count == 3  # the results are all there
    assert response.context["snippets_left_out"]
    assert "<mark>" not in response.text
    assert "finding them for this search took too long" in response.text
    # The request's transaction and connection go on normally.
    assert client.get("/coverage/", {"q": "wordy"}).status_code == 200


def test_snippets_within_their_budget_are_shown(client, wordy_articles):
    response = client.get("/coverage/", {"q": '"the of"'})
    assert not response.context["snippets_left_out"]
    assert "<mark>" in response.text


@postgresql_only
def test_a_pages_snippets_are_reused_with_its_results(client, wordy_articles, settings, steady_database):
    from django.core.cache import cache

    settings.ARCHIVE_CACHE_SECONDS = 600
    cache.clear()
    first = client.get("/coverage/", {"q": '"the of"'})
    with CaptureQueriesContext(connection) as again:
        second = client.get("/coverage/", {"q": '"the of"'})
    assert "<mark>" in second.text and first.text == second.text
    assert not any("ts_headline" in query["sql"] for query in again.captured_queries)
    cache.clear()
