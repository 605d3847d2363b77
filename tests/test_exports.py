"""CSV and JSON exports of any filtered view: /coverage/export.csv and /coverage/export.json."""

import csv
import datetime
import io
import json
import tracemalloc

import pytest

from coverage_archive import exports
from coverage_archive.dates import DatePrecision
from coverage_archive.importing import COLUMNS, import_csv
from coverage_archive.models import Article, ArticleSubject
from tests.factories import ArticleFactory, ItemTypeFactory, OrganizationFactory, SourceFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response)
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    assert tuple(reader.fieldnames) == COLUMNS
    return list(reader)


def json_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(body(response))


@pytest.fixture
def mixed_archive(db):
    """Synthetic coverage the filters tell apart, with unpublished pieces that must never leak."""
    chosen, other = SubjectFactory(slug="chosen"), SubjectFactory(slug="other")
    for number in range(7):
        ArticleFactory(
            title=f"Synthetic {'BCAGFED'[number]} {number}",
            subjects=[chosen] if number % 2 else [chosen, other],
            language="es" if number % 3 else "en",
            publication_date=datetime.date(2019 + number % 3, 1 + number, 1),
        )
    ArticleFactory(title="Synthetic other only", subjects=[other])
    ArticleFactory(title="Synthetic draft", subjects=[chosen], draft=True)
    ArticleFactory(title="Synthetic withdrawn", subjects=[chosen], status=Article.Status.WITHDRAWN)
    ArticleFactory(
        title="Synthetic scheduled",
        subjects=[chosen],
        published_at=datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=1),
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"subject": "chosen"},
        {"subject": "chosen", "language": "es", "sort": "title"},
        {"date_to": "2020", "sort": "oldest"},
    ],
)
def test_exports_hold_exactly_the_pages_results_in_its_order(reader, mixed_archive, params):
    page = [article.title for article in reader.get("/coverage/", params).context["articles"]]
    assert page
    assert [row["title"] for row in csv_rows(reader.get("/coverage/export.csv", params))] == page
    assert [row["title"] for row in json_rows(reader.get("/coverage/export.json", params))] == page


def test_done_when_the_organizing_csv_holds_exactly_the_pages_results(reader, seed):
    ArticleFactory(title="Synthetic piece on another subject")
    rows = csv_rows(reader.get("/es/coverage/export.csv", {"subject": "organizing"}))
    assert [row["title"] for row in rows] == ["Immigrant Groups Have a Special Reason to Oppose Amazon’s Move"]
    row = rows[0]
    assert row["source"] == "WNYC Public Radio"
    assert row["subjects"] == "Organizing"
    assert row["date"] == "2018-11"
    assert "Make the Road New York" in row["organizations"].split("; ")
    assert row["status"] == "published"


def test_an_export_imports_back_unchanged(reader):
    source, kind = SourceFactory(), ItemTypeFactory()
    subjects = [SubjectFactory(), SubjectFactory()]
    ArticleFactory(
        title='=HYPERLINK("https://attacker.example/")',
        source=source,
        item_type=kind,
        subjects=subjects,
        organizations=[OrganizationFactory(), OrganizationFactory()],
        byline="@synthetic-handle",
        summary="-5 synthetic points",
        body="+1 synthetic paragraph.\n\nAnd a second, with “quotes”, commas; and semicolons.",
        original_url="https://news.example.org/synthetic/1",
        archived_url="https://archive.example.org/synthetic/1",
        editors_note="Synthetic note.",
        date_precision=DatePrecision.MONTH,
        publication_date=datetime.date(2018, 11, 1),
        language="es",
    )
    ArticleFactory(title="Synthetic undated", publication_date=None, date_precision=DatePrecision.UNKNOWN)
    before = body(reader.get("/coverage/export.csv"))
    Article.objects.all().delete()

    plan, result = import_csv(before)
    assert plan.is_valid, plan.errors
    assert result.created == 2
    assert body(reader.get("/coverage/export.csv")) == before


def test_formula_like_cells_are_neutralized_for_spreadsheets(reader):
    ArticleFactory(
        title="=cmd|' /C calc'!A0",
        byline="@SUM(1+1)",
        summary="+42",
        body="-2+3",
        editors_note="\tTabbed synthetic note",
    )
    row = csv_rows(reader.get("/coverage/export.csv"))[0]
    assert row["title"] == "'=cmd|' /C calc'!A0"
    assert row["byline"] == "'@SUM(1+1)"
    assert row["summary"] == "'+42"
    assert row["body"] == "'-2+3"
    assert row["note"] == "'\tTabbed synthetic note"
    # JSON is data, not a spreadsheet: it keeps the text as written.
    assert json_rows(reader.get("/coverage/export.json"))[0]["title"] == "=cmd|' /C calc'!A0"


def test_json_export_has_lists_and_each_articles_address(reader, seed):
    record = json_rows(reader.get("/coverage/export.json"))[0]
    assert record["url"] == "http://testserver/coverage/immigrant-groups-have-a-special-reason-to-oppose-amazons-move/"
    assert record["subjects"] == ["Organizing"]
    assert "Mijente" in record["organizations"]
    assert set(COLUMNS) <= set(record)


def test_exports_are_downloads_for_people_not_crawlers(reader, seed):
    response = reader.get("/coverage/export.csv")
    assert response["Content-Disposition"].startswith('attachment; filename="know-your-rights-coverage-')
    assert response["Content-Disposition"].endswith('.csv"')
    assert response["X-Robots-Tag"] == "noindex"
    assert not response.cookies
    assert reader.get("/coverage/export.json")["Content-Disposition"].endswith('.json"')


def test_the_archive_page_links_its_exports_with_the_same_filters(reader, seed):
    page = reader.get("/coverage/", {"subject": "organizing", "sort": "oldest"})
    assert 'href="/coverage/export.csv?subject=organizing&amp;sort=oldest"' in page.text
    assert 'href="/coverage/export.json?subject=organizing&amp;sort=oldest"' in page.text


def test_unusable_filters_give_a_plain_400(reader):
    response = reader.get("/coverage/export.csv", {"subject": "no-such-subject"})
    assert response.status_code == 400
    assert "no subject “no-such-subject”" in response.text


def test_an_export_reads_each_chunk_of_rows_in_a_constant_number_of_queries(
    reader, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 5)
    subjects = [SubjectFactory(), SubjectFactory()]
    organization = OrganizationFactory()
    for _ in range(10):
        ArticleFactory(subjects=subjects, organizations=[organization])
    response = reader.get("/coverage/export.csv")
    # One query for the rows (with source and type), read from its cursor five at a time;
    # then per chunk of five: their subjects, their organizations.
    with django_assert_num_queries(1 + 2 * 2):
        assert len(body(response).splitlines()) == 1 + 10 * 3  # a header; each body holds two paragraphs


def _bulk_articles(count: int):
    source, kind, subject = SourceFactory(), ItemTypeFactory(), SubjectFactory()
    now = datetime.datetime.now(tz=datetime.UTC)
    start = Article.objects.count()
    Article.objects.bulk_create(
        Article(
            title=f"Synthetic article {start + n}",
            slug=f"synthetic-bulk-{start + n}",
            source=source,
            item_type=kind,
            summary="A synthetic summary of some length, to make each row weigh something. " * 3,
            status=Article.Status.PUBLISHED,
            published_at=now,
        )
        for n in range(count)
    )
    ArticleSubject.objects.bulk_create(
        ArticleSubject(article_id=pk, subject=subject)
        for pk in Article.objects.filter(slug__startswith="synthetic-bulk-").values_list("pk", flat=True)
        if pk > start
    )


def _peak_memory_of_export(reader, path) -> int:
    response = reader.get(path)
    tracemalloc.start()
    try:
        for _chunk in response.streaming_content:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("path", ["/coverage/export.csv", "/coverage/export.json"])
def test_export_memory_does_not_grow_with_the_number_of_rows(reader, monkeypatch, path):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 100)
    _bulk_articles(300)
    small = _peak_memory_of_export(reader, path)
    _bulk_articles(2700)
    large = _peak_memory_of_export(reader, path)
    # Ten times the rows; a buffered export would need about ten times the memory.
    assert large < small * 2, (small, large)
