"""Facet counts, active-filter chips and the coverage-over-time chart on /coverage/."""

import datetime

import pytest
from django.db import connection
from django.db.models.functions import ExtractMonth, ExtractYear
from django.test.utils import CaptureQueriesContext

from coverage_archive.dates import DateMonth, DatePrecision, DateYear
from coverage_archive.models import Article
from tests.factories import ArticleFactory, ItemTypeFactory, OrganizationFactory, SourceFactory, SubjectFactory

pytestmark = pytest.mark.django_db
ARCHIVE = "/coverage/"


def facet(response, key):
    [found] = [f for f in response.context["facets"] if f.key == key]
    return found


def counts(response, key):
    return {value.label: value.count for value in facet(response, key).values}


@pytest.fixture
def archive(db):
    """Seven synthetic articles whose facet counts are counted by hand below."""
    organizing, policing = SubjectFactory(name="Organizing"), SubjectFactory(name="Policing")
    radio, paper = SourceFactory(name="Radio"), SourceFactory(name="Paper")
    report, video = ItemTypeFactory(name="Report"), ItemTypeFactory(name="Video")
    union = OrganizationFactory(name="Union")

    def make(subjects, source, item_type, language, year, organizations=()):
        return ArticleFactory(
            subjects=subjects,
            source=source,
            item_type=item_type,
            language=language,
            publication_date=datetime.date(year, 6, 1),
            organizations=list(organizations),
        )

    make([organizing], radio, report, "en", 2018, [union])  # 1
    make([organizing], radio, video, "es", 2018)  # 2
    make([organizing, policing], paper, report, "en", 2019, [union])  # 3
    make([policing], paper, report, "es", 2019)  # 4
    make([policing], radio, report, "en", 2020)  # 5
    make([organizing], paper, video, "en", 2020, [union])  # 6
    ArticleFactory(draft=True, subjects=[organizing], source=radio, item_type=report)  # never counted
    return {"organizing": organizing, "policing": policing, "radio": radio, "paper": paper}


def test_facets_count_the_whole_archive_when_nothing_is_chosen(reader, archive):
    response = reader.get(ARCHIVE)
    assert counts(response, "subject") == {"Organizing": 4, "Policing": 3}
    assert counts(response, "source") == {"Radio": 3, "Paper": 3}
    assert counts(response, "type") == {"Report": 4, "Video": 2}
    assert counts(response, "organization") == {"Union": 3}
    assert counts(response, "language") == {"English": 4, "Spanish": 2}
    assert counts(response, "year") == {"2018": 2, "2019": 2, "2020": 2}
    assert response.context["paginator"].count == 6


def test_each_facet_counts_under_the_other_filters(reader, archive):
    # Subject Organizing and source Radio: articles 1 and 2.
    response = reader.get(ARCHIVE, {"subject": archive["organizing"].slug, "source": archive["radio"].slug})
    assert response.context["paginator"].count == 2
    # Subjects under source=Radio alone: 1, 2, 5 → Organizing 2, Policing 1.
    assert counts(response, "subject") == {"Organizing": 2, "Policing": 1}
    # Sources under subject=Organizing alone: 1, 2, 3, 6 → Radio 2, Paper 2.
    assert counts(response, "source") == {"Radio": 2, "Paper": 2}
    # Everything else under both: 1 and 2.
    assert counts(response, "type") == {"Report": 1, "Video": 1}
    assert counts(response, "language") == {"English": 1, "Spanish": 1}
    assert counts(response, "organization") == {"Union": 1}
    assert counts(response, "year") == {"2018": 2}


def test_facets_count_a_searchs_results_under_the_other_filters(reader, archive):
    from coverage_archive.models import Article

    # Articles 1, 3, 4 and 6 mention the word searched for.
    radio_2018 = Article.objects.filter(source=archive["radio"], publication_date__year=2018, language="en")
    paper_2019 = Article.objects.filter(source=archive["paper"], publication_date__year=2019)
    paper_2020 = Article.objects.filter(source=archive["paper"], publication_date__year=2020)
    for articles in (radio_2018, paper_2019, paper_2020):
        articles.update(body="Synthetic text about quokkas.")
    response = reader.get(
        ARCHIVE, {"q": "quokkas", "subject": archive["organizing"].slug, "source": archive["paper"].slug}
    )
    assert response.context["paginator"].count == 2  # 3 and 6
    assert counts(response, "subject") == {"Organizing": 2, "Policing": 2}  # search + Paper: 3, 4, 6
    assert counts(response, "source") == {"Radio": 1, "Paper": 2}  # search + Organizing: 1, 3, 6
    assert counts(response, "type") == {"Report": 1, "Video": 1}
    assert counts(response, "language") == {"English": 2}
    assert counts(response, "organization") == {"Union": 2}
    assert counts(response, "year") == {"2019": 1, "2020": 1}


def test_several_subjects_combine_with_or_and_their_facet_ignores_them(reader, archive):
    both = [archive["organizing"].slug, archive["policing"].slug]
    response = reader.get(ARCHIVE, {"subject": both, "language": "en"})
    assert response.context["paginator"].count == 4  # 1, 3, 5, 6
    assert counts(response, "subject") == {"Organizing": 3, "Policing": 2}
    assert facet(response, "subject").title == "Subjects (any of)"


def test_year_and_date_filters_count_under_the_other_filters(reader, archive):
    response = reader.get(ARCHIVE, {"date_from": "2019", "date_to": "2019"})
    assert response.context["paginator"].count == 2
    assert counts(response, "year") == {"2018": 2, "2019": 2, "2020": 2}
    [selected] = [value for value in facet(response, "year").values if value.selected]
    assert selected.label == "2019" and selected.url == ARCHIVE


def test_facet_links_add_or_remove_a_value_and_keep_the_other_filters(reader, archive):
    organizing, radio = archive["organizing"].slug, archive["radio"].slug
    response = reader.get(ARCHIVE, {"subject": organizing, "q": "synthetic", "page": 2})
    values = {value.label: value for value in facet(response, "subject").values}
    policing = archive["policing"].slug
    assert values["Policing"].url == f"{ARCHIVE}?q=synthetic&subject={organizing}&subject={policing}"
    assert values["Organizing"].selected and values["Organizing"].url == f"{ARCHIVE}?q=synthetic"
    sources = {value.label: value for value in facet(response, "source").values}
    assert sources["Radio"].url == f"{ARCHIVE}?q=synthetic&subject={organizing}&source={radio}"
    years = {value.label: value for value in facet(response, "year").values}
    assert years["2018"].url == f"{ARCHIVE}?q=synthetic&subject={organizing}&date_from=2018&date_to=2018"


def test_a_chosen_value_with_no_results_stays_visible_and_removable(reader, archive):
    response = reader.get(ARCHIVE, {"source": archive["radio"].slug, "date_from": "2019", "date_to": "2019"})
    values = {value.label: value for value in facet(response, "source").values}
    assert values["Paper"].count == 2
    assert "Nothing found" in response.text
    chosen = [value for value in facet(response, "year").values if value.selected]
    assert chosen and chosen[0].count == 0 and chosen[0].url == f"{ARCHIVE}?source={archive['radio'].slug}"
    response = reader.get(ARCHIVE, {"subject": archive["organizing"].slug, "language": "fr"})
    languages = [(value.label, value.count, value.selected) for value in facet(response, "language").values]
    assert languages == [("English", 3, False), ("Spanish", 1, False), ("French", 0, True)]


def test_facets_show_the_top_values_with_a_link_to_show_all(reader):
    subjects = [SubjectFactory(name=f"Synthetic Subject {n:02d}") for n in range(12)]
    for n, subject in enumerate(subjects):
        for _ in range(n + 1):
            ArticleFactory(subjects=[subject])
    response = reader.get(ARCHIVE)
    subject_facet = facet(response, "subject")
    assert [v.label for v in subject_facet.values] == [f"Synthetic Subject {n:02d}" for n in range(11, 3, -1)]
    assert subject_facet.more_url == f"{ARCHIVE}?more=subject#facet-subject"
    expanded = facet(reader.get(ARCHIVE, {"more": "subject"}), "subject")
    assert len(expanded.values) == 12 and expanded.less_url
    chosen = facet(reader.get(ARCHIVE, {"subject": subjects[0].slug}), "subject")
    assert subjects[0].name in [v.label for v in chosen.values]  # a chosen value is shown even if not top


def test_a_facet_shown_in_full_stops_at_its_limit_but_keeps_the_chosen_value_and_the_total(reader, monkeypatch):
    monkeypatch.setattr("coverage_archive.facets.FACET_LIMIT", 3)
    sources = [SourceFactory(name=f"Synthetic Source {n}") for n in range(6)]
    for n, source in enumerate(sources):
        for _ in range(6 - n):  # Source 0 has six pieces, Source 5 one
            ArticleFactory(source=source)
    expanded = facet(reader.get(ARCHIVE, {"more": "source"}), "source")
    assert [v.label for v in expanded.values] == [f"Synthetic Source {n}" for n in range(3)]
    assert expanded.note == "Showing the 3 most frequent."
    response = reader.get(ARCHIVE, {"source": sources[5].slug, "more": "source"})
    shown = {v.label: (v.count, v.selected) for v in facet(response, "source").values}
    assert shown["Synthetic Source 5"] == (1, True)  # its own count, though past the limit
    assert response.context["paginator"].count == 1
    assert reader.get(ARCHIVE).context["paginator"].count == 21  # every source counted, not only those kept


def test_active_filters_are_chips_with_removal_links_and_clear_all(reader, archive):
    organizing, radio = archive["organizing"].slug, archive["radio"].slug
    response = reader.get(
        ARCHIVE, {"q": "synthetic", "subject": organizing, "source": radio, "language": "en", "date_from": "2018"}
    )
    chips = [(chip.label, chip.remove_url) for chip in response.context["chips"]]
    assert chips == [
        ("Search: “synthetic”", f"{ARCHIVE}?subject={organizing}&source={radio}&language=en&date_from=2018"),
        ("Subject: Organizing", f"{ARCHIVE}?q=synthetic&source={radio}&language=en&date_from=2018"),
        ("Source: Radio", f"{ARCHIVE}?q=synthetic&subject={organizing}&language=en&date_from=2018"),
        ("Language: English", f"{ARCHIVE}?q=synthetic&subject={organizing}&source={radio}&date_from=2018"),
        ("From 2018", f"{ARCHIVE}?q=synthetic&subject={organizing}&source={radio}&language=en"),
    ]
    html = response.text
    assert '<nav class="chips" aria-label="Active filters">' in html
    assert '<span class="visually-hidden">Remove filter </span>Subject: Organizing' in html
    assert f'<a href="{ARCHIVE}">Clear all filters</a>' in html


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ('"facial recognition"', "Search: “facial recognition”"),  # not “"facial recognition"”
        ('"facial recognition" ICE', 'Search: “"facial recognition" ICE”'),
        ('"a" OR "b"', 'Search: “"a" OR "b"”'),
        ("  amazon  ", "Search: “amazon”"),
    ],
)
def test_the_search_chip_quotes_the_search_once(reader, typed, label):
    response = reader.get(ARCHIVE, {"q": typed})
    assert response.context["chips"][0].label == label


def test_every_kind_of_filter_has_its_chip(reader):
    article = ArticleFactory(
        item_type=ItemTypeFactory(name="Report"),
        organizations=[OrganizationFactory(name="Union")],
        publication_date=datetime.date(2019, 5, 1),
    )
    params = {
        "type": article.item_type.slug,
        "organization": article.organizations.get().slug,
        "language": "es",
        "date_from": "2019-01",
        "date_to": "2019-06-30",
    }
    chips = reader.get(ARCHIVE, params).context["chips"]
    assert [chip.label for chip in chips] == [
        "Type: Report",
        "Organization: Union",
        "Language: Spanish",
        "From 2019-01",
        "To 2019-06-30",
    ]
    for chip, removed in zip(chips, params, strict=True):
        assert chip.remove_url == f"{ARCHIVE}?" + "&".join(
            f"{name}={value}" for name, value in params.items() if name != removed
        )


def test_term_pages_show_their_term_as_a_chip_leading_back_to_the_whole_archive(reader, archive):
    response = reader.get(archive["organizing"].get_absolute_url())
    assert [(c.label, c.remove_url) for c in response.context["chips"]] == [("Subject: Organizing", ARCHIVE)]


def test_the_chart_counts_results_by_year_with_empty_years_and_links(reader, archive):
    ArticleFactory(publication_date=datetime.date(2023, 1, 1), date_precision=DatePrecision.YEAR)
    response = reader.get(ARCHIVE)
    chart = response.context["chart"]
    assert chart.unit == "year"
    assert [(bar.label, bar.count) for bar in chart.bars] == [
        ("2018", 2),
        ("2019", 2),
        ("2020", 2),
        ("2021", 0),
        ("2022", 0),
        ("2023", 1),
    ]
    assert chart.bars[0].url == f"{ARCHIVE}?date_from=2018&date_to=2018"
    html = " ".join(response.text.split())
    # A figure named by its caption; the drawing hidden from screen readers, its figures in a table.
    assert '<figure class="chart" aria-labelledby="chart-caption">' in html
    assert '<figcaption id="chart-caption"> Coverage by year: most in 2018 (2) </figcaption>' in html
    assert '<svg class="chart__svg" viewBox="0 0 600 80" preserveAspectRatio="none" aria-hidden="true"' in html
    assert html.count('<rect class="chart__bar"') == 4  # the empty years draw no bar
    assert f'<th scope="row"><a href="{ARCHIVE}?date_from=2018&amp;date_to=2018">2018</a></th><td>2</td>' in html
    assert '<th scope="row">2021</th><td>0</td>' in html  # an empty year is no dead link


def test_the_chart_counts_by_month_for_a_short_range(reader):
    ArticleFactory(publication_date=datetime.date(2018, 11, 5))
    ArticleFactory(publication_date=datetime.date(2018, 11, 1), date_precision=DatePrecision.MONTH)
    ArticleFactory(publication_date=datetime.date(2019, 1, 20))
    ArticleFactory(publication_date=datetime.date(2018, 1, 1), date_precision=DatePrecision.YEAR)
    chart = reader.get(ARCHIVE, {"date_from": "2018-10", "date_to": "2019-01"}).context["chart"]
    assert chart.unit == "month"
    assert [(bar.label, bar.count) for bar in chart.bars] == [
        ("October 2018", 0),
        ("November 2018", 2),
        ("December 2018", 0),
        ("January 2019", 1),
    ]
    assert chart.bars[1].url == f"{ARCHIVE}?date_from=2018-11&date_to=2018-11"
    assert chart.undated_count == 1  # dated only to 2018: overlaps the range, but has no month


def test_the_chart_shows_a_chosen_range_only_as_far_as_the_archive_reaches(reader, archive):
    def years(params):
        return [(bar.label, bar.count) for bar in reader.get(ARCHIVE, params).context["chart"].bars]

    response = reader.get(ARCHIVE, {"date_from": "0001", "date_to": "9999"})
    assert len(response.content) < 100_000
    assert [bar.label for bar in response.context["chart"].bars] == ["2018", "2019", "2020"]
    assert years({"date_from": "1000"}) == [("2018", 2), ("2019", 2), ("2020", 2)]
    # The range's empty years within the archive's reach are drawn, reach measured under the other filters.
    ArticleFactory(publication_date=datetime.date(2023, 1, 1), date_precision=DatePrecision.YEAR, language="es")
    assert [label for label, _count in years({"date_from": "2016", "date_to": "2030"})] == [
        str(year) for year in range(2018, 2024)
    ]
    assert years({"date_from": "2016", "date_to": "2021", "language": "es"}) == [
        ("2018", 1),
        ("2019", 1),
        ("2020", 0),
        ("2021", 0),
    ]
    assert years({"date_to": "2030", "source": archive["paper"].slug}) == [("2019", 2), ("2020", 1)]


def test_no_chart_without_dated_results(reader):
    ArticleFactory(publication_date=None, date_precision=DatePrecision.UNKNOWN)
    assert reader.get(ARCHIVE).context["chart"] is None


def test_the_result_range_reads_showing_from_to_of_total(reader, settings):
    settings.ARCHIVE_PAGE_SIZE = 20
    for _ in range(45):
        ArticleFactory()
    assert "Showing 21–40 of 45 articles" in reader.get(ARCHIVE, {"page": 2}).text


def test_facet_counts_are_reused_for_the_same_filters_when_caching_is_on(reader, archive, settings, steady_database):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coverage_archive.identity.current import current_identity

    settings.ARCHIVE_CACHE_SECONDS = 60
    cache.clear()
    current_identity()  # the site identity cached again, as on any warm site: only facets are cold
    params = {"subject": archive["organizing"].slug}
    with CaptureQueriesContext(connection) as first:
        first_response = reader.get(ARCHIVE, params)
    with CaptureQueriesContext(connection) as second:
        second_response = reader.get(ARCHIVE, {**params, "sort": "title", "page": 1})
    assert len(second) == len(first) - 1  # the facet query is not repeated
    assert counts(second_response, "source") == counts(first_response, "source")
    assert second_response.context["paginator"].count == 4
    with CaptureQueriesContext(connection) as other_filters:
        reader.get(ARCHIVE, {"language": "es"})
    assert any("WITH c AS" in query["sql"] for query in other_filters.captured_queries)
    for dated in ({"date_from": "2018-01", "date_to": "2019-12"}, {"date_from": "2010"}):  # by month, by year
        charted = reader.get(ARCHIVE, dated).context["chart"]
        with CaptureQueriesContext(connection) as again:
            assert reader.get(ARCHIVE, dated).context["chart"].bars == charted.bars
        assert not any("COUNT(" in query["sql"] for query in again.captured_queries), dated  # nothing recounted
    cache.clear()


def test_reused_counts_end_when_a_scheduled_piece_goes_public(reader, settings, monkeypatch):
    """Publication at a set time changes the results with no write to the database."""
    from django.core.cache import cache
    from django.utils import timezone

    lifetimes = []

    class Recording:
        get = staticmethod(cache.get)

        @staticmethod
        def set(key, value, timeout):
            lifetimes.append(timeout)
            cache.set(key, value, timeout)

    monkeypatch.setattr("coverage_archive.facets.cache", Recording)
    settings.ARCHIVE_CACHE_SECONDS = 600
    ArticleFactory()
    scheduled = ArticleFactory(published_at=timezone.now() + datetime.timedelta(seconds=120))
    for soon, expected in ((120, range(110, 121)), (0.5, [0])):
        scheduled.published_at = timezone.now() + datetime.timedelta(seconds=soon)
        scheduled.save()
        cache.clear()
        lifetimes.clear()
        assert reader.get(ARCHIVE, {"q": "synthetic"}).context["paginator"].count == 1
        # The facet counts, the page's ids and the page's snippets.
        assert len(lifetimes) == 3 and all(lifetime in expected for lifetime in lifetimes), lifetimes
    scheduled.delete()
    cache.clear()
    lifetimes.clear()
    reader.get(ARCHIVE)
    assert lifetimes == [600, 600]
    cache.clear()


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's snapshots")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_reused_counts_give_way_at_once_to_a_committed_change(reader, settings):
    """On PostgreSQL the reused counts are keyed by the database's state: no reader sees them lag."""
    from django.core.cache import cache

    from coverage_archive.facets import database_state

    settings.ARCHIVE_CACHE_SECONDS = 600
    cache.clear()
    radio = SourceFactory(name="Radio")
    ArticleFactory(source=radio, title="Synthetic piece one")
    assert counts(reader.get(ARCHIVE), "source") == {"Radio": 1}
    before = database_state()
    ArticleFactory(source=radio, title="Synthetic piece two")  # committed: no test transaction here
    assert database_state() != before
    response = reader.get(ARCHIVE)
    assert counts(response, "source") == {"Radio": 2}
    assert response.context["paginator"].count == 2 and len(response.context["articles"]) == 2
    radio.name = "Radio, renamed"
    radio.save()
    assert counts(reader.get(ARCHIVE), "source") == {"Radio, renamed": 2}
    cache.clear()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner hints")
def test_a_search_is_matched_once_for_all_facets_and_browsing_lets_each_facet_read_the_index(reader, archive):
    """bench/README.md: keeping 100,000 unsearched rows cost more than each facet reading them."""
    from django.test.utils import CaptureQueriesContext

    for params, hint in (({"subject": archive["organizing"].slug}, "NOT MATERIALIZED"), ({"q": "x"}, "MATERIALIZED")):
        with CaptureQueriesContext(connection) as captured:
            reader.get(ARCHIVE, params)
        [facet_query] = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("WITH c AS")]
        assert facet_query.startswith(f"WITH c AS {hint} (")


@pytest.mark.parametrize("day", [datetime.date(2018, 11, 5), datetime.date(5, 1, 31), datetime.date(9999, 12, 1)])
def test_a_dates_year_and_month_are_djangos_own_and_sqlite_reads_them_itself(day):
    article = ArticleFactory(publication_date=day, date_precision=DatePrecision.DAY)
    rows = Article.objects.filter(pk=article.pk)
    with CaptureQueriesContext(connection) as captured:
        ours = rows.values_list(DateYear("publication_date"), DateMonth("publication_date")).get()
    assert ours == rows.values_list(ExtractYear("publication_date"), ExtractMonth("publication_date")).get()
    assert ours == (day.year, day.month)
    # SQLite would call Python's django_date_extract() once a row (a third of a
    # common word's facet counts); the same expressions are EXTRACT on PostgreSQL.
    [query] = captured.captured_queries
    if connection.vendor == "sqlite":
        assert "django_date_extract" not in query["sql"] and "substr(" in query["sql"]
    else:
        assert 'EXTRACT(YEAR FROM "coverage_archive_article"."publication_date")' in query["sql"]
