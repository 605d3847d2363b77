"""/coverage/ and the term pages: filters alone and combined, sorting, paging."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from coverage_archive.dates import DatePrecision
from tests.factories import (
    ArticleFactory,
    ItemTypeFactory,
    OrganizationFactory,
    SourceFactory,
    SubjectFactory,
)

pytestmark = pytest.mark.django_db
ARCHIVE = "/coverage/"


def titles(response):
    return [article.title for article in response.context["articles"]]


def test_the_archive_lists_published_coverage_newest_first(reader):
    old = ArticleFactory(publication_date=datetime.date(2015, 3, 1))
    new = ArticleFactory(publication_date=datetime.date(2021, 3, 1))
    response = reader.get(ARCHIVE)
    assert response.status_code == 200
    assert titles(response) == [new.title, old.title]
    assert "Showing 1–2 of 2 articles" in response.text


def test_drafts_and_scheduled_articles_are_hidden_from_readers_and_counts(reader):
    visible = ArticleFactory()
    draft = ArticleFactory(draft=True, subjects=visible.subjects.all())
    ArticleFactory(published_at=datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC))
    response = reader.get(ARCHIVE)
    assert titles(response) == [visible.title]
    assert draft.title not in response.text
    assert response.context["paginator"].count == 1
    subject = visible.subjects.get()
    assert titles(reader.get(subject.get_absolute_url())) == [visible.title]


def test_subject_filter_lists_articles_in_any_chosen_subject_once(reader):
    organizing, policing, other = SubjectFactory(slug="organizing"), SubjectFactory(slug="policing"), SubjectFactory()
    both = ArticleFactory(subjects=[organizing, policing])
    one = ArticleFactory(subjects=[policing], publication_date=datetime.date(2019, 1, 1))
    ArticleFactory(subjects=[other])
    response = reader.get(ARCHIVE, {"subject": ["organizing", "policing"]})
    assert titles(response) == [both.title, one.title]
    assert titles(reader.get(ARCHIVE, {"subject": "organizing"})) == [both.title]


@pytest.mark.parametrize(
    ("parameter", "factory", "field"),
    [("source", SourceFactory, "source"), ("type", ItemTypeFactory, "item_type")],
)
def test_source_and_type_filters_take_slugs(reader, parameter, factory, field):
    term = factory(slug="wanted")
    wanted = ArticleFactory(**{field: term})
    ArticleFactory()
    assert titles(reader.get(ARCHIVE, {parameter: "wanted"})) == [wanted.title]


def test_organization_filter_finds_every_piece_naming_it(reader):
    group = OrganizationFactory(slug="synthetic-group")
    named = ArticleFactory(organizations=[group, OrganizationFactory()])
    ArticleFactory(organizations=[OrganizationFactory()])
    assert titles(reader.get(ARCHIVE, {"organization": "synthetic-group"})) == [named.title]


def test_language_filter(reader):
    spanish = ArticleFactory(language="es")
    ArticleFactory(language="en")
    assert titles(reader.get(ARCHIVE, {"language": "es"})) == [spanish.title]


def test_text_search_needs_every_word_somewhere_in_title_summary_or_body(reader):
    both = ArticleFactory(title="Facial recognition at the border", body="Synthetic text about cameras.")
    ArticleFactory(title="Facial expressions", body="Nothing else.")
    in_body = ArticleFactory(title="Other", summary="", body="A RECOGNITION system; facial data.")
    response = reader.get(ARCHIVE, {"q": "facial recognition"})
    assert set(titles(response)) == {both.title, in_body.title}


def test_blank_and_punctuation_queries_are_harmless(reader):
    article = ArticleFactory()
    assert titles(reader.get(ARCHIVE, {"q": "   "})) == [article.title]
    assert reader.get(ARCHIVE, {"q": "%_'\";--"}).status_code == 200


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        # The day-dated piece is 2018-11-05, the month-dated one November 2018, the year-dated one 2018.
        ("2018-11", "2018-11", {"day", "month", "year"}),
        ("2018-11-10", "2018-11-20", {"month", "year"}),
        ("2018-11-05", "", {"day", "month", "year", "later"}),
        ("", "2018-10", {"year"}),
        ("2018-12", "", {"year", "later"}),
        ("2019", "2019", {"later"}),
        ("2018", "2018", {"day", "month", "year"}),
        ("2017", "2017", set()),
    ],
)
def test_date_bounds_cover_whole_periods_and_match_overlapping_articles(reader, date_from, date_to, expected):
    def make(name, date, precision):
        ArticleFactory(title=name, publication_date=date, date_precision=precision)

    make("day", datetime.date(2018, 11, 5), DatePrecision.DAY)
    make("month", datetime.date(2018, 11, 1), DatePrecision.MONTH)
    make("year", datetime.date(2018, 1, 1), DatePrecision.YEAR)
    make("later", datetime.date(2019, 6, 1), DatePrecision.DAY)
    make("unknown", None, DatePrecision.UNKNOWN)
    params = {key: value for key, value in (("date_from", date_from), ("date_to", date_to)) if value}
    assert set(titles(reader.get(ARCHIVE, params))) == expected


def test_unknown_dates_sort_last_and_leave_date_filtered_results(reader):
    unknown = ArticleFactory(publication_date=None, date_precision=DatePrecision.UNKNOWN)
    dated = ArticleFactory()
    assert titles(reader.get(ARCHIVE)) == [dated.title, unknown.title]
    assert titles(reader.get(ARCHIVE, {"sort": "oldest"})) == [dated.title, unknown.title]
    assert unknown.title not in titles(reader.get(ARCHIVE, {"date_from": "1900"}))


def test_sort_orders(reader):
    b = ArticleFactory(title="b synthetic", publication_date=datetime.date(2019, 1, 1))
    a = ArticleFactory(title="A synthetic", publication_date=datetime.date(2020, 1, 1))
    c = ArticleFactory(title="c synthetic", publication_date=datetime.date(2018, 1, 1))
    assert titles(reader.get(ARCHIVE, {"sort": "newest"})) == [a.title, b.title, c.title]
    assert titles(reader.get(ARCHIVE, {"sort": "oldest"})) == [c.title, b.title, a.title]
    assert titles(reader.get(ARCHIVE, {"sort": "title"})) == [a.title, b.title, c.title]


def test_filters_combine(reader):
    subject, source = SubjectFactory(slug="s"), SourceFactory(slug="src")
    match = ArticleFactory(subjects=[subject], source=source, language="es", publication_date=datetime.date(2018, 5, 1))
    ArticleFactory(subjects=[subject], source=source, language="en", publication_date=datetime.date(2018, 5, 1))
    ArticleFactory(subjects=[subject], source=source, language="es", publication_date=datetime.date(2016, 5, 1))
    ArticleFactory(source=source, language="es", publication_date=datetime.date(2018, 5, 1))
    params = {"subject": "s", "source": "src", "language": "es", "date_from": "2018", "date_to": "2018"}
    assert titles(reader.get(ARCHIVE, params)) == [match.title]


def test_pagination_keeps_the_filters(reader, settings):
    settings.ARCHIVE_PAGE_SIZE = 2
    subject = SubjectFactory(slug="organizing")
    for _ in range(5):
        ArticleFactory(subjects=[subject])
    response = reader.get(ARCHIVE, {"subject": "organizing", "sort": "title", "page": 2})
    assert response.context["page_obj"].number == 2
    assert "Showing 3–4 of 5 articles" in response.text
    assert 'href="?subject=organizing&amp;sort=title&amp;page=3"' in response.text
    assert 'href="?subject=organizing&amp;sort=title&amp;page=1"' in response.text


def test_an_empty_result_says_so_and_offers_a_way_back(reader):
    ArticleFactory(language="en")
    response = reader.get(ARCHIVE, {"language": "fr"})
    assert response.status_code == 200
    assert "Nothing found" in response.text
    assert f'href="{reverse("coverage_archive:archive")}"' in response.text


def test_the_forms_show_the_current_choices_and_carry_the_other_filters(reader):
    SubjectFactory(slug="organizing", name="Organizing")
    response = reader.get(ARCHIVE, {"subject": "organizing", "q": "ice", "date_from": "2018-11"})
    html = response.text
    assert 'name="q" value="ice"' in html
    assert 'name="date_from" value="2018-11"' in html
    # The search form carries the subject and dates; the date form carries the search and subject.
    assert html.count('<input type="hidden" name="subject" value="organizing">') == 2
    assert '<input type="hidden" name="q" value="ice">' in html
    assert '<input type="hidden" name="date_from" value="2018-11">' in html


@pytest.mark.parametrize(
    ("make_term", "path", "field"),
    [
        (SubjectFactory, "subjects", "subjects"),
        (SourceFactory, "sources", "source"),
        (ItemTypeFactory, "types", "item_type"),
        (OrganizationFactory, "organizations", "organizations"),
    ],
)
def test_term_pages_are_the_archive_prefiltered_with_the_description(reader, make_term, path, field):
    term = make_term(slug="wanted", description="A synthetic description.")
    value = [term] if field in ("subjects", "organizations") else term
    wanted = ArticleFactory(**{field: value})
    ArticleFactory()
    response = reader.get(f"/{path}/wanted/")
    assert response.status_code == 200
    assert titles(response) == [wanted.title]
    assert "A synthetic description." in response.text
    assert '<h1><span class="kicker">' in response.text and term.name in response.text


def test_a_term_page_combines_its_term_with_other_filters(reader):
    subject = SubjectFactory(slug="organizing")
    spanish = ArticleFactory(subjects=[subject], language="es")
    ArticleFactory(subjects=[subject], language="en")
    assert titles(reader.get("/subjects/organizing/", {"language": "es"})) == [spanish.title]


@pytest.mark.parametrize(
    ("dates", "chart_queries"),
    [
        ({}, 0),  # the year facet's counts are the chart's
        ({"date_from": "2010", "date_to": "2030"}, 1),  # the chart counts the dated results by year
        ({"date_from": "2018-01", "date_to": "2018-12"}, 2),  # by month, and those dated only to the year
    ],
)
def test_archive_query_count_does_not_grow_with_the_results(reader, django_assert_num_queries, dates, chart_queries):
    subjects = [SubjectFactory() for _ in range(3)]
    source, item_type, organization = SourceFactory(), ItemTypeFactory(), OrganizationFactory()

    def add_articles(count):
        for _ in range(count):
            ArticleFactory(
                subjects=subjects,
                organizations=[organization],
                source=source,
                item_type=item_type,
                language="es",
                publication_date=datetime.date(2018, 6, 1),
            )

    add_articles(25)
    params = {
        "subject": [s.slug for s in subjects],
        "source": source.slug,
        "type": item_type.slug,
        "organization": organization.slug,
        "language": "es",
        "q": "synthetic",
        **dates,
    }
    # 4 to look up the chosen subjects, source, type and organization by slug;
    # 1 for every facet's counts (subject, source, type, organization, language,
    # year; the source counts also give the total and the year counts the chart);
    # 1 page of articles with source and type joined (on SQLite 2: the page's
    # ids in their order, then their rows by id, search.ranks_ids_first); 1
    # prefetch of their subjects; 1 for the page's highlighted snippets (SQLite reads the page's
    # texts; PostgreSQL's ts_headline, and one more, at most, for results whose
    # text matches only without accents); and on PostgreSQL 1 to keep
    # the search on its index (search.index_scans) and, only because a test runs
    # inside a transaction, 1 to give that transaction its planner settings back;
    # and on PostgreSQL the reader's statement timeout, set and reset, and the
    # snippets' own: 1 to set it and, because a test runs inside a transaction, its
    # savepoint, its release and 1 to give the transaction its timeout back (budget.py).
    expected = 8 + (connection.vendor == "sqlite") + (2 + 2 + 4) * (connection.vendor == "postgresql") + chart_queries
    with django_assert_num_queries(expected):
        response = reader.get(ARCHIVE, params)
    assert len(response.context["articles"]) == 20
    assert response.context["chart"].bars
    for count in (5, 30):  # the same number of queries for more results
        add_articles(count)
        with django_assert_num_queries(expected):
            reader.get(ARCHIVE, {**params, "page": 2})


def test_few_results_are_read_by_the_ids_their_counts_found(reader, monkeypatch, settings):
    """The facet pass gives the ids of up to RESULT_IDS_MAX results: the page and the chart read those
    instead of matching the search again, and show exactly what matching again would."""
    from django.test.utils import CaptureQueriesContext

    for n, (year, month) in enumerate([(2017, 3), (2018, 5), (2018, 5), (2018, 11), (2019, 1)]):
        ArticleFactory(title=f"Synthetic piece {n}", publication_date=datetime.date(year, month, 1))
    ArticleFactory(title="Another piece", body="Nothing to find here.")
    # On PostgreSQL phrases are costly to match again; SQLite's FTS5 index answers
    # every search, phrases included, so it reads none by id (search.matching_is_costly).
    phrases = connection.vendor == "postgresql"
    cases = [
        ({"q": "synthetic"}, False),
        ({"q": '"synthetic piece"', "sort": "oldest", "page": 2}, phrases),
        ({"q": "synthetic", "date_from": "2018-01", "date_to": "2018-12"}, False),  # charted by month
        ({"q": '"synthetic piece" -nothing', "date_from": "2018"}, phrases),  # charted by year
        ({"q": "synthetic-piece"}, phrases),  # a hyphenated word is matched as a phrase
        ({"q": '"absent words"'}, phrases),  # nothing to read
    ]

    def shown(params):
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(ARCHIVE, params)
        chart = response.context["chart"]
        seen = (
            titles(response),
            response.context["paginator"].count,
            chart and [(b.label, b.count) for b in chart.bars],
        )
        return seen, captured.captured_queries

    settings.ARCHIVE_PAGE_SIZE = 2
    for params, read_by_id in cases:
        narrowed, queries = shown(params)
        with monkeypatch.context() as patched:
            patched.setattr("coverage_archive.facets.RESULT_IDS_MAX", 0)
            matched_again, _queries = shown(params)
        assert narrowed == matched_again, params
        if narrowed[0]:
            page_query = next(query["sql"] for query in queries if " LIMIT " in query["sql"])
            assert read_by_id == ('"coverage_archive_article"."id" IN (' in page_query), params


def test_lists_leave_the_bodies_in_the_database(reader):
    from django.test.utils import CaptureQueriesContext

    ArticleFactory(body="Synthetic body " * 500)
    for path in (ARCHIVE, "/", "/coverage/feed/"):
        with CaptureQueriesContext(connection) as captured:
            assert reader.get(path).status_code == 200
        assert not any('"body"' in query["sql"] for query in captured.captured_queries), path


def test_the_order_of_a_page_is_reused_while_its_articles_are_read_live(reader, settings, steady_database):
    from django.core.cache import cache
    from django.test.utils import CaptureQueriesContext

    from coverage_archive.models import Article
    from coverage_archive.search import matching_is_costly

    settings.ARCHIVE_CACHE_SECONDS = 60
    cache.clear()
    first = ArticleFactory(title="Synthetic first", publication_date=datetime.date(2020, 1, 1))
    second = ArticleFactory(title="Synthetic second", publication_date=datetime.date(2019, 1, 1))
    assert titles(reader.get(ARCHIVE, {"q": "synthetic"})) == [first.title, second.title]

    first.title = "Synthetic first, corrected"
    first.save()
    Article.objects.filter(pk=second.pk).update(status=Article.Status.WITHDRAWN)
    newest = ArticleFactory(title="Synthetic newest", publication_date=datetime.date(2021, 1, 1))
    with CaptureQueriesContext(connection) as captured:
        response = reader.get(ARCHIVE, {"q": "synthetic"})
    # The edit shows and the withdrawn piece is gone at once; the new one joins when the cache expires.
    assert titles(response) == ["Synthetic first, corrected"]
    assert not any(" LIMIT " in query["sql"] for query in captured.captured_queries)  # no ranking, no paging
    # Another order is matched afresh, unless the search is costly to match again (on SQLite, any):
    # then it reads the results found with the counts, and agrees with them until they expire.
    another_order = titles(reader.get(ARCHIVE, {"q": "synthetic", "sort": "oldest"}))
    found_again = [] if matching_is_costly("synthetic") else [newest.title]
    assert another_order == ["Synthetic first, corrected", *found_again]
    cache.clear()
    assert titles(reader.get(ARCHIVE, {"q": "synthetic"})) == [newest.title, "Synthetic first, corrected"]
    cache.clear()
