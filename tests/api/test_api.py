import datetime
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import http_date, parse_http_date

from coverage_archive.models import Article
from tests.factories import ArticleFactory, SourceFactory, SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    organizing = SubjectFactory(slug="organizing", name="Organizing")
    other = SubjectFactory(slug="surveillance", name="Surveillance")
    radio = SourceFactory(slug="radio", name="Radio")
    articles = [
        ArticleFactory(subjects=[organizing], source=radio, publication_date=datetime.date(2020, 1, day))
        for day in range(1, 6)
    ]
    articles.append(ArticleFactory(subjects=[other], publication_date=datetime.date(2019, 3, 3)))
    ArticleFactory(subjects=[organizing], draft=True)
    return articles


def test_articles_have_every_public_field_and_only_published_ones(client, archive):
    body = client.get("/api/v1/articles/").json()
    assert body["total"] == 6
    first = body["results"][0]
    assert first["slug"] == archive[4].slug
    assert first["url"] == "http://testserver" + archive[4].get_absolute_url()
    assert {"title", "source", "type", "subjects", "organizations", "publication_date", "date_precision"} <= set(first)
    assert first["subjects"][0]["slug"] == "organizing"
    assert "body" not in first


def test_the_same_filters_give_the_same_articles_in_the_same_order_as_the_page(client, archive):
    page = client.get("/coverage/", {"subject": "organizing", "sort": "oldest"})
    api = client.get("/api/v1/articles/", {"subject": "organizing", "sort": "oldest"}).json()
    assert [a["slug"] for a in api["results"]] == [a.slug for a in page.context["articles"]]


def test_facets_are_the_pages_counts(client, archive):
    page = client.get("/coverage/", {"subject": "organizing"})
    api = client.get("/api/v1/articles/", {"subject": "organizing", "facets": "source,subject"}).json()
    page_facets = {f.key: [(v.value, v.count) for v in f.values] for f in page.context["facets"]}
    assert set(api["facets"]) == {"source", "subject"}
    for key, values in api["facets"].items():
        assert [(v["value"], v["count"]) for v in values] == page_facets[key]


def test_pages_link_to_each_other_and_stop_at_100(client, archive):
    body = client.get("/api/v1/articles/", {"page_size": 2, "page": 2}).json()
    assert len(body["results"]) == 2
    assert "page=3" in body["next"] and "page=1" in body["previous"]
    assert client.get("/api/v1/articles/", {"page_size": 101}).status_code == 400


def test_invalid_parameters_are_listed_in_the_pages_words(client, archive):
    response = client.get("/api/v1/articles/", {"subject": "nothing-here", "facets": "colour"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["subject"] == ["There is no subject “nothing-here” in the archive."]
    assert "facets" in errors


def test_former_withdrawn_and_unknown_slugs(client, archive):
    article = archive[0]
    old = article.slug
    article.slug = "renamed-piece"
    article.save()
    moved = client.get(f"/api/v1/articles/{old}/")
    assert moved.status_code == 301
    assert moved["Location"] == reverse("api:article", kwargs={"slug": "renamed-piece"})
    detail = client.get("/api/v1/articles/renamed-piece/").json()
    assert detail["body"] == article.body
    Article.objects.filter(pk=archive[1].pk).update(status=Article.Status.WITHDRAWN)
    gone = client.get(f"/api/v1/articles/{archive[1].slug}/")
    assert gone.status_code == 410 and "detail" in gone.json()
    assert client.get("/api/v1/articles/never-was/").status_code == 404


def test_terms_with_published_counts(client, archive):
    body = client.get("/api/v1/subjects/").json()
    assert [(t["slug"], t["published_count"]) for t in body["results"]] == [("organizing", 5), ("surveillance", 1)]
    assert client.get("/api/v1/subjects/organizing/").json()["published_count"] == 5
    assert client.get("/api/v1/sources/radio/").json()["published_count"] == 5
    assert client.get("/api/v1/subjects/none/").status_code == 404


def test_answers_set_no_cookies(client, archive):
    for url in ("/api/v1/articles/", "/api/v1/subjects/", f"/api/v1/articles/{archive[0].slug}/"):
        assert not client.get(url).cookies


def test_any_origin_may_read_and_a_known_etag_gets_304(client, archive):
    response = client.get("/api/v1/articles/")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    again = client.get("/api/v1/articles/", headers={"if-none-match": response["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again["Access-Control-Allow-Origin"] == "*"  # a browser revalidating checks the 304 too
    ArticleFactory(title="A new piece")
    assert client.get("/api/v1/articles/", headers={"if-none-match": response["ETag"]}).status_code == 200


def _next_second():
    """Wait into the next whole second (HTTP dates are in whole seconds)."""
    time.sleep(1 - time.time() % 1 + 0.01)


def test_last_modified_is_when_the_answer_was_first_served_and_gets_304_until_it_changes(client, archive):
    cache.clear()
    url = f"/api/v1/articles/{archive[0].slug}/"
    first = client.get(url)
    assert "no-cache" in first["Cache-Control"]  # a shared cache asks again before reusing it
    # Within the second it was first served, no date: another version may have been served in it.
    if "Last-Modified" in first:
        assert parse_http_date(first["Last-Modified"]) < int(time.time())
    _next_second()
    served = client.get(url)
    last_modified = served["Last-Modified"]
    assert parse_http_date(last_modified) <= int(time.time()) - 1
    again = client.get(url, headers={"if-modified-since": last_modified})
    assert again.status_code == 304 and again.content == b""
    assert again["Last-Modified"] == last_modified
    earlier = http_date(parse_http_date(last_modified) - 1)
    assert client.get(url, headers={"if-modified-since": earlier}).status_code == 200

    Article.objects.filter(pk=archive[0].pk).update(title="A corrected title")  # no timestamp touched
    changed = client.get(url, headers={"if-modified-since": last_modified})
    assert changed.status_code == 200 and changed.json()["title"] == "A corrected title"
    _next_second()
    assert parse_http_date(client.get(url)["Last-Modified"]) > parse_http_date(last_modified)


def test_a_list_changed_by_a_withdrawal_is_not_answered_304(client, archive):
    cache.clear()
    _next_second()
    client.get("/api/v1/subjects/")
    _next_second()
    last_modified = client.get("/api/v1/subjects/")["Last-Modified"]
    Article.objects.filter(pk=archive[0].pk).update(status=Article.Status.WITHDRAWN)
    response = client.get("/api/v1/subjects/", headers={"if-modified-since": last_modified})
    assert response.status_code == 200
    assert response.json()["results"][0]["published_count"] == 4


def test_a_page_past_the_end_is_empty_however_large_its_number(client, archive):
    """Found by schemathesis: page=2791185292917691383808 made an OFFSET the database refused (a 500)."""
    for page in (3, 2791185292917691383808):
        body = client.get("/api/v1/articles/", {"page": page, "page_size": 5}).json()
        assert body["total"] == 6 and body["results"] == [] and body["next"] is None


def test_the_api_reads_the_results_in_the_order_the_page_kept(client, archive, settings, steady_database):
    """Ordering a broad view or a search means reading all its results: the page keeps the order of each
    page it serves (views.articles_of_page), and the API's same page reads it instead of ordering again."""
    settings.ARCHIVE_CACHE_SECONDS = 600
    cache.clear()
    page = client.get("/coverage/", {"subject": "organizing"})
    with CaptureQueriesContext(connection) as queries:
        api = client.get("/api/v1/articles/", {"subject": "organizing", "page_size": 20}).json()
    assert [a["slug"] for a in api["results"]] == [a.slug for a in page.context["articles"]]
    assert not [q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"].upper()]


def test_every_operation_answers_head_as_get_without_a_body(client, archive):
    """Found running the API under gunicorn: HEAD (curl -I, link checkers) answered 405."""
    for url in (
        "/api/v1/articles/",
        f"/api/v1/articles/{archive[0].slug}/",
        "/api/v1/subjects/",
        "/api/v1/sources/radio/",
    ):
        head, get = client.head(url), client.get(url)
        assert head.status_code == 200, url
        assert head.content == b""
        assert head["Content-Type"] == get["Content-Type"] == "application/json"
        assert head["Access-Control-Allow-Origin"] == "*"
