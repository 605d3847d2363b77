"""Home, taxonomy indexes, the article page and error pages, as readers see them."""

import datetime
import re

import pytest
from django.db import connection

from coverage_archive.dates import DatePrecision
from tests.factories import ArticleFactory, OrganizationFactory, SourceFactory, SubjectFactory

pytestmark = pytest.mark.django_db
SEED_SLUG = "immigrant-groups-have-a-special-reason-to-oppose-amazons-move"
PUBLIC_PAGES = [
    "/",
    "/coverage/",
    "/coverage/?subject=organizing",
    f"/coverage/{SEED_SLUG}/",
    "/subjects/",
    "/subjects/organizing/",
    "/sources/",
    "/sources/wnyc-public-radio/",
    "/types/",
    "/types/media-coverage/",
    "/organizations/",
    "/organizations/mijente/",
]


def test_done_when_the_organizing_filter_lists_the_wnyc_piece_and_its_page_has_the_full_text(reader, seed):
    listing = reader.get("/coverage/", {"subject": "organizing"})
    assert "Immigrant Groups Have a Special Reason to Oppose Amazon’s Move" in listing.text
    assert f'href="/coverage/{SEED_SLUG}/"' in listing.text

    page = reader.get(f"/coverage/{SEED_SLUG}/")
    assert page.status_code == 200
    for paragraph in page.context["article"].paragraphs():
        assert f"<p>{paragraph}</p>" in page.text
    assert 'href="/sources/wnyc-public-radio/">WNYC Public Radio</a>' in page.text
    assert 'href="/subjects/organizing/">Organizing</a>' in page.text
    assert 'href="/types/media-coverage/">Media Coverage</a>' in page.text
    assert '<time datetime="2018-11">November 2018</time>' in page.text
    assert "Editor’s note" in page.text
    assert "no link to the original publication" in page.text


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_are_complete_accessible_documents(reader, seed, path):
    response = reader.get(path)
    assert response.status_code == 200
    html = response.text
    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html and "<header" in html and "<footer" in html and "<nav" in html
    assert html.count("<h1") == 1
    # No inline script or style, so a strict Content-Security-Policy needs no exceptions.
    assert not re.search(r"<script(?![^>]*application/ld\+json)", html)
    assert " style=" not in html and "<style" not in html
    # Nothing from another website (absolute links to this site itself, such as hreflang alternates, are fine).
    assert not re.search(r'(src|href)="(https?:)?//(?!www\.wnyc\.org|testserver/)', html)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_readers_get_no_cookie_and_strict_privacy_headers(reader, seed, path):
    response = reader.get(path)
    assert not response.cookies
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_home_shows_latest_coverage_taxonomies_with_counts_and_a_search_box(reader):
    subject = SubjectFactory(name="Synthetic Organizing")
    newest = ArticleFactory(subjects=[subject], publication_date=datetime.date(2022, 1, 1))
    ArticleFactory(subjects=[subject], publication_date=datetime.date(2021, 1, 1))
    ArticleFactory(draft=True, subjects=[subject])
    html = reader.get("/").text
    assert newest.title in html
    assert "Synthetic Organizing</a>" in html and "2 articles" in html
    assert 'role="search"' in html and 'name="q"' in html
    assert "2 pieces of news coverage" in html


def test_taxonomy_index_lists_terms_in_use_with_counts_busiest_first(reader):
    busy, quiet, unused = SourceFactory(name="Busy"), SourceFactory(name="Quiet"), SourceFactory(name="Unused")
    ArticleFactory(source=busy)
    ArticleFactory(source=busy)
    ArticleFactory(source=quiet)
    ArticleFactory(source=unused, draft=True)
    response = reader.get("/sources/")
    terms = list(response.context["terms"])
    assert [(t.name, t.article_count) for t in terms] == [("Busy", 2), ("Quiet", 1)]
    assert "Unused" not in response.text


def test_article_page_shows_everything_the_data_holds(reader):
    group = OrganizationFactory(name="Synthetic Group", slug="synthetic-group")
    article = ArticleFactory(
        byline="Synthetic Reporter",
        organizations=[group],
        original_url="https://example.org/synthetic-story",
        archived_url="https://web.archive.org/web/2020/https://example.org/synthetic-story",
        editors_note="A synthetic note.",
        language="es",
        publication_date=datetime.date(2020, 5, 17),
        date_precision=DatePrecision.DAY,
    )
    html = reader.get(article.get_absolute_url()).text
    assert "Synthetic Reporter" in html
    assert 'href="/organizations/synthetic-group/">Synthetic Group</a>' in html
    archived = "https://web.archive.org/web/2020/https://example.org/synthetic-story"
    # A Robust Link to the archived copy, whose address gives a year only: no data-versiondate.
    assert (
        '<a href="https://example.org/synthetic-story" rel="noreferrer noopener" '
        f'data-originalurl="https://example.org/synthetic-story" data-versionurl="{archived}">'
    ) in html
    assert f'href="{archived}" rel="noreferrer noopener"' in html
    assert "A synthetic note." in html
    assert "Spanish" in html and 'lang="es"' in html
    assert '<time datetime="2020-05-17">May 17, 2020</time>' in html


def test_article_body_is_escaped_never_raw_html(reader):
    article = ArticleFactory(body='<script>alert("x")</script>\n\n<b>bold</b> & more', title="<i>Title</i>")
    html = reader.get(article.get_absolute_url()).text
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert "&lt;i&gt;Title&lt;/i&gt;" in html


def test_year_precision_dates_read_as_a_year(reader):
    article = ArticleFactory(publication_date=datetime.date(2016, 1, 1), date_precision=DatePrecision.YEAR)
    assert '<time datetime="2016">2016</time>' in reader.get(article.get_absolute_url()).text


def test_related_coverage_shares_a_subject_and_excludes_drafts(reader):
    subject = SubjectFactory()
    article = ArticleFactory(subjects=[subject])
    sibling = ArticleFactory(subjects=[subject])
    draft = ArticleFactory(subjects=[subject], draft=True)
    stranger = ArticleFactory()
    related = list(reader.get(article.get_absolute_url()).context["related"])
    assert related == [sibling]
    assert draft not in related and stranger not in related


def test_a_draft_article_is_a_404_for_readers(reader):
    draft = ArticleFactory(draft=True)
    response = reader.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_article_page_query_count_does_not_grow_with_its_terms(reader, django_assert_num_queries):
    subjects = [SubjectFactory() for _ in range(5)]
    article = ArticleFactory(subjects=subjects, organizations=[OrganizationFactory() for _ in range(8)])
    for _ in range(10):
        ArticleFactory(subjects=subjects)
    # 1 article with source, type and link state; 1 prefetch of subjects; 1 of organizations;
    # 1 the article's captures (preservation/reading.py); 1 related coverage;
    # on PostgreSQL, the reader's statement timeout set and reset (coverage_archive/budget.py).
    with django_assert_num_queries(5 + 2 * (connection.vendor == "postgresql")):
        reader.get(article.get_absolute_url())


def test_home_query_count_is_constant(reader, django_assert_num_queries):
    for _ in range(12):
        ArticleFactory(organizations=[OrganizationFactory()])
    # 1 latest articles; 1 prefetch of their subjects; 4 taxonomies with counts; 1 total;
    # on PostgreSQL, the reader's statement timeout set and reset (coverage_archive/budget.py).
    with django_assert_num_queries(7 + 2 * (connection.vendor == "postgresql")):
        reader.get("/")
