"""sitemap.xml and robots.txt."""

import xml.etree.ElementTree as ET

import pytest

from coverage_archive.models import Article
from tests.factories import ArticleFactory, SubjectFactory

pytestmark = pytest.mark.django_db
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def all_locations(reader) -> set[str]:
    """Every URL the sitemap index leads to."""
    index = ET.fromstring(reader.get("/sitemap.xml").content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    locations = set()
    for sitemap in index.iter(f"{SITEMAP}loc"):
        response = reader.get(sitemap.text.removeprefix("http://testserver"))
        assert response.status_code == 200
        urlset = ET.fromstring(response.content)
        assert urlset.tag == f"{SITEMAP}urlset"
        locations |= {loc.text for loc in urlset.iter(f"{SITEMAP}loc")}
    return locations


def test_the_sitemap_lists_exactly_the_published_articles_in_both_languages(reader):
    used, unused = SubjectFactory(slug="used"), SubjectFactory(slug="unused")
    published = [ArticleFactory(subjects=[used]) for _ in range(3)]
    ArticleFactory(slug="synthetic-draft", subjects=[unused], draft=True)
    ArticleFactory(slug="synthetic-withdrawn", subjects=[unused], status=Article.Status.WITHDRAWN)
    locations = all_locations(reader)
    articles = {url for url in locations if "/coverage/" in url and not url.endswith("/coverage/")}
    expected = {f"http://testserver/coverage/{a.slug}/" for a in published}
    expected |= {f"http://testserver/es/coverage/{a.slug}/" for a in published}
    assert articles == expected
    # Term pages of terms in use, and the fixed pages, in both languages.
    assert "http://testserver/subjects/used/" in locations
    assert "http://testserver/es/subjects/used/" in locations
    assert {"http://testserver/api/", "http://testserver/es/api/"} <= locations
    assert not any("unused" in url for url in locations)
    assert {"http://testserver/", "http://testserver/es/", "http://testserver/es/coverage/"} <= locations


def test_robots_txt_keeps_crawlers_out_of_the_admin_and_the_exports(reader):
    response = reader.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/coverage/export.csv", "/coverage/export.json", "/es/coverage/export.csv"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert not response.cookies
