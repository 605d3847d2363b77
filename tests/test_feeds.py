"""Atom feeds: /coverage/feed/ with the archive's parameters, and each term's feed."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest

from coverage_archive.dates import DatePrecision
from coverage_archive.feeds import FEED_SIZE
from coverage_archive.models import Article
from tests.factories import ArticleFactory, OrganizationFactory, SubjectFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_atom(response):
    """The feed, checked against RFC 4287's required elements."""
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{name}") is not None, name
    assert RFC3339.match(feed.find(f"{ATOM}updated").text)
    assert feed.find(f"{ATOM}author/{ATOM}name").text  # so entries need no author of their own
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{name}") is not None, name
        assert RFC3339.match(entry.find(f"{ATOM}updated").text)
        assert RFC3339.match(entry.find(f"{ATOM}published").text)
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/coverage/")
    ids = [entry.find(f"{ATOM}id").text for entry in entries]
    assert len(ids) == len(set(ids))
    return feed, entries


def titles(entries):
    return [entry.find(f"{ATOM}title").text for entry in entries]


def test_done_when_the_organizing_feed_holds_exactly_the_pages_results(reader, seed):
    ArticleFactory(title="Synthetic piece on another subject")
    page = reader.get("/coverage/", {"subject": "organizing"})
    _feed, entries = parse_atom(reader.get("/coverage/feed/", {"subject": "organizing"}))
    assert titles(entries) == [article.title for article in page.context["articles"]]
    assert titles(entries) == ["Immigrant Groups Have a Special Reason to Oppose Amazon’s Move"]
    entry = entries[0]
    assert entry.find(f"{ATOM}source/{ATOM}title").text == "WNYC Public Radio"
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["Organizing"]
    assert entry.find(f"{ATOM}summary").text.startswith("Immigrant rights groups in New York")
    assert entry.find(f"{ATOM}published").text.startswith("2018-11-01")


def test_the_archive_page_links_its_feed_with_the_same_filters(reader, seed):
    page = reader.get("/coverage/", {"subject": "organizing", "sort": "oldest"})
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Atom feed of these results" '
        'href="/coverage/feed/?subject=organizing">' in page.text
    )


def test_each_filter_narrows_the_feed_as_it_narrows_the_page(reader):
    chosen, other = SubjectFactory(slug="chosen"), SubjectFactory()
    group = OrganizationFactory(slug="group")
    ArticleFactory(title="Synthetic match", subjects=[chosen], organizations=[group], language="es")
    ArticleFactory(title="Synthetic wrong language", subjects=[chosen], organizations=[group])
    ArticleFactory(title="Synthetic wrong subject", subjects=[other], organizations=[group], language="es")
    ArticleFactory(title="Synthetic draft", subjects=[chosen], organizations=[group], language="es", draft=True)
    ArticleFactory(title="Synthetic withdrawn", subjects=[chosen], language="es", status=Article.Status.WITHDRAWN)
    params = {"subject": "chosen", "organization": "group", "language": "es", "date_from": "2020"}
    page = reader.get("/coverage/", params)
    _feed, entries = parse_atom(reader.get("/coverage/feed/", params))
    assert titles(entries) == [article.title for article in page.context["articles"]] == ["Synthetic match"]


def test_a_feed_holds_the_newest_entries_only_published(reader):
    subject = SubjectFactory()
    for day in range(1, FEED_SIZE + 6):
        ArticleFactory(
            title=f"Synthetic day {day}",
            subjects=[subject],
            publication_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=day),
        )
    ArticleFactory(
        title="Synthetic undated", subjects=[subject], publication_date=None, date_precision=DatePrecision.UNKNOWN
    )
    ArticleFactory(
        title="Synthetic draft newest", subjects=[subject], publication_date=datetime.date(2030, 1, 1), draft=True
    )
    _feed, entries = parse_atom(reader.get("/coverage/feed/", {"sort": "title"}))
    assert len(entries) == FEED_SIZE
    assert titles(entries)[0] == f"Synthetic day {FEED_SIZE + 5}"
    assert "Synthetic draft newest" not in titles(entries)


def test_term_pages_have_their_own_feed(reader, seed):
    ArticleFactory(title="Synthetic elsewhere")
    page = reader.get("/subjects/organizing/")
    assert 'href="/subjects/organizing/feed/"' in page.text
    feed, entries = parse_atom(reader.get("/subjects/organizing/feed/"))
    assert titles(entries) == ["Immigrant Groups Have a Special Reason to Oppose Amazon’s Move"]
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://testserver/subjects/organizing/"
    assert reader.get("/subjects/no-such-subject/feed/").status_code == 404


def test_plain_text_summaries_stay_text_in_the_feed(reader):
    ArticleFactory(summary="Synthetic <b>not bold</b> & co")
    _feed, entries = parse_atom(reader.get("/coverage/feed/"))
    summary = entries[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert summary.text == "Synthetic &lt;b&gt;not bold&lt;/b&gt; &amp; co"


@pytest.mark.parametrize("query", ["subject=no-such-subject", "date_from=2018-13", "language=xx"])
def test_unusable_filters_give_a_plain_400_not_an_unfiltered_feed(reader, query):
    ArticleFactory()
    response = reader.get(f"/coverage/feed/?{query}")
    assert response.status_code == 400
    assert "could not be used" in response.text


def test_feeds_set_no_cookie_and_may_be_cached_briefly(reader, seed):
    response = reader.get("/coverage/feed/")
    assert not response.cookies
    assert response["Cache-Control"] == "public, max-age=300"
