"""manage.py import_coverage and the import rules it shares with the admin page."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from coverage_archive.dates import DatePrecision
from coverage_archive.importing import COLUMNS, ImportFileError, decode, import_csv
from coverage_archive.models import Article, ItemType, Organization, Source, Subject
from coverage_archive.spreadsheet import protect_cell
from tests.csv_files import csv_bytes, csv_text, synthetic_row
from tests.factories import ArticleFactory


@pytest.fixture
def known_terms(db):
    """The terms synthetic rows 1-3 name, so those rows import without --create-terms."""
    terms = {}
    for number in (1, 2, 3):
        row = synthetic_row(number)
        terms[f"source{number}"] = Source.objects.get_or_create(
            name=row["source"], defaults={"slug": f"synthetic-source-{number % 40}"}
        )[0]
        terms[f"type{number}"] = ItemType.objects.get_or_create(
            name=row["type"], defaults={"slug": f"synthetic-type-{number % 5}"}
        )[0]
        for name in row["subjects"].split(";"):
            name = name.strip()
            Subject.objects.get_or_create(name=name, defaults={"slug": name.lower().replace(" ", "-")})
        if row["organizations"]:
            Organization.objects.get_or_create(
                name=row["organizations"], defaults={"slug": row["organizations"].lower().replace(" ", "-")}
            )
    return terms


def run(path, *args):
    return call_command("import_coverage", str(path), *args, verbosity=0)


def write(tmp_path, data: bytes, name="clippings.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def rows(*numbers, **overrides):
    return [synthetic_row(number, **overrides) for number in numbers]


# --- Happy paths --------------------------------------------------------------------------


def test_importing_creates_articles_with_their_terms_dates_and_links(tmp_path, known_terms):
    path = write(tmp_path, csv_bytes(rows(1, 2, 3)))

    run(path)

    assert Article.objects.count() == 3
    first = Article.objects.get(title="Synthetic article 1")
    assert first.source.name == "Synthetic Source 1"
    assert first.item_type.name == "Synthetic Type 1"
    assert {subject.name for subject in first.subjects.all()} == {"Synthetic Subject 1", "Synthetic Subject 6"}
    assert [organization.name for organization in first.organizations.all()] == ["Synthetic Organization 1"]
    assert (first.publication_date, first.date_precision) == (datetime.date(2019, 2, 1), DatePrecision.MONTH)
    assert first.language == "es"
    assert first.original_url_normalized == "news.example.org/synthetic/1"
    assert first.status == Article.Status.PUBLISHED and first.published_at is not None
    assert first.slug == "synthetic-article-1"
    assert Article.objects.get(title="Synthetic article 2").status == Article.Status.DRAFT
    third = Article.objects.get(title="Synthetic article 3")
    assert (third.publication_date, third.date_precision) == (None, DatePrecision.UNKNOWN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018", (datetime.date(2018, 1, 1), DatePrecision.YEAR)),
        ("2018-11", (datetime.date(2018, 11, 1), DatePrecision.MONTH)),
        ("2018-11-05", (datetime.date(2018, 11, 5), DatePrecision.DAY)),
        ("", (None, DatePrecision.UNKNOWN)),
    ],
)
def test_the_date_precision_follows_the_form_of_the_date(tmp_path, known_terms, text, expected):
    run(write(tmp_path, csv_bytes(rows(1, date=text))))

    article = Article.objects.get()
    assert (article.publication_date, article.date_precision) == expected


def test_terms_match_by_name_or_slug_ignoring_case(tmp_path, known_terms):
    row = synthetic_row(1, source="SYNTHETIC-SOURCE-1", type="synthetic type 1", subjects="synthetic-subject-1")

    run(write(tmp_path, csv_bytes([row])))

    article = Article.objects.get()
    assert article.source == known_terms["source1"]
    assert [subject.slug for subject in article.subjects.all()] == ["synthetic-subject-1"]


def test_importing_the_same_file_again_changes_nothing(tmp_path, known_terms):
    path = write(tmp_path, csv_bytes(rows(1, 2, 3)))
    run(path)
    snapshot = list(Article.objects.order_by("pk").values())
    history = Article.history.count()

    run(path)

    assert list(Article.objects.order_by("pk").values()) == snapshot
    assert Article.history.count() == history


def test_a_row_whose_url_is_archived_updates_that_article(tmp_path, known_terms):
    run(write(tmp_path, csv_bytes(rows(1))))
    article = Article.objects.get()
    changed = synthetic_row(
        1, title="Synthetic article 1, corrected", original_url="http://www.news.example.org/synthetic/1/?utm_source=x"
    )

    run(write(tmp_path, csv_bytes([changed])))

    assert Article.objects.count() == 1
    article.refresh_from_db()
    assert article.title == "Synthetic article 1, corrected"
    entry, _created = article.history.all()[:2]
    assert entry.history_type == "~"
    assert entry.history_change_reason == "Imported from clippings.csv"


def test_a_row_without_url_matches_on_title_source_and_date(tmp_path, known_terms):
    run(write(tmp_path, csv_bytes(rows(1, original_url=""))))

    run(write(tmp_path, csv_bytes(rows(1, original_url="", summary="A corrected synthetic summary."))))
    run(write(tmp_path, csv_bytes(rows(1, original_url="", date="2001"))))

    assert Article.objects.count() == 2  # another date is another article
    assert Article.objects.filter(summary="A corrected synthetic summary.").count() == 1


def test_unknown_terms_are_created_only_when_asked(tmp_path, db):
    path = write(tmp_path, csv_bytes(rows(7)))

    with pytest.raises(CommandError, match="nothing was imported"):
        run(path)
    assert not Source.objects.exists()

    run(path, "--create-terms")

    article = Article.objects.get()
    assert article.source.name == "Synthetic Source 7"
    assert article.source.slug == "synthetic-source-7"
    assert article.source.history.get().history_type == "+"


def test_a_dry_run_writes_nothing_and_reports(tmp_path, known_terms, capsys):
    call_command("import_coverage", str(write(tmp_path, csv_bytes(rows(1, 2)))), "--dry-run")

    assert not Article.objects.exists()
    assert "Dry run, nothing written. 2 rows: 2 to create, 0 to update, 0 unchanged." in capsys.readouterr().out


def test_the_command_reports_progress_and_records_the_user(tmp_path, known_terms, capsys):
    from tests.factories import UserFactory

    UserFactory(username="importer")
    call_command("import_coverage", str(write(tmp_path, csv_bytes(rows(1)))), "--user", "importer")

    assert "Imported clippings.csv: 1 created, 0 updated, 0 unchanged, 0 new terms." in capsys.readouterr().out
    article = Article.objects.get()
    assert article.created_by.username == "importer"
    assert article.history.get().history_user.username == "importer"


# --- Dialects and encodings ---------------------------------------------------------------------


def test_excel_semicolon_dialect_with_bom_is_read(tmp_path, known_terms):
    data = csv_bytes(rows(1, 2), delimiter=";", bom=True)
    assert data.startswith(b"\xef\xbb\xbf")

    run(write(tmp_path, data))

    assert Article.objects.count() == 2
    assert Article.objects.get(title="Synthetic article 1").subjects.count() == 2


def test_a_bom_before_a_comma_separated_header_is_ignored(tmp_path, known_terms):
    run(write(tmp_path, csv_bytes(rows(1), bom=True)))

    assert Article.objects.get().title == "Synthetic article 1"


def test_columns_may_come_in_any_order_and_optional_ones_may_be_missing(tmp_path, known_terms):
    columns = ["subjects", "type", "title", "source"]

    run(write(tmp_path, csv_bytes(rows(1), columns=columns)))

    article = Article.objects.get()
    assert article.language == "en"
    assert article.status == Article.Status.DRAFT
    assert article.original_url == ""


def test_cells_spanning_lines_keep_their_paragraphs_and_errors_name_the_file_line(tmp_path, known_terms):
    text = csv_text([synthetic_row(1), synthetic_row(2, date="someday")])

    plan, _result = import_csv(text, dry_run=True)

    assert [str(error) for error in plan.errors] == [
        "Row 3 (line 5 of the file), column “date”: “someday” is not a date the archive understands: write "
        "YYYY, YYYY-MM or YYYY-MM-DD (for example 2018 or 2018-11), or leave it empty if unknown."
    ]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_formula_like_cells_are_stored_as_plain_text_and_the_exports_apostrophe_is_removed(
    tmp_path, known_terms, prefix
):
    title = f"{prefix}SUM(A1:A2) synthetic"
    row = synthetic_row(1, title=protect_cell(title), byline=f"{prefix}Synthetic Reporter")

    run(write(tmp_path, csv_bytes([row])))

    article = Article.objects.get()
    assert article.title == title
    assert article.byline == f"{prefix}Synthetic Reporter"


def test_an_apostrophe_the_export_did_not_add_is_kept(tmp_path, known_terms):
    run(write(tmp_path, csv_bytes(rows(1, title="'Synthetic quoted title'"))))

    assert Article.objects.get().title == "'Synthetic quoted title'"


# --- Bad files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet", "This is not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        (
            "title,source,type,subjects\nSynthetic caf\xe9,S,T,U\n".encode("latin-1"),
            "The file is not UTF-8 text (line 2",
        ),
        (
            b"Synthetic article 1,Synthetic Source 1,Synthetic Type 1,Synthetic Subject 1\n",
            "The first row must be the header row",
        ),
        (b"title,source,type,subjects,tittle\n", "Unknown column in the header row: “tittle” (did you mean “title”?)"),
        (b"title,source,type\n", "The header row lacks the required column: subjects."),
        (b"title,source,type,subjects,title\n", "The header row names these columns twice: title."),
    ],
)
def test_a_bad_file_is_refused_in_plain_words_and_nothing_is_written(tmp_path, db, data, message):
    with pytest.raises(CommandError) as raised:
        run(write(tmp_path, data))

    assert message in str(raised.value)
    assert "Nothing was imported." in str(raised.value)
    assert not Article.objects.exists()
    assert not Source.objects.exists()


def test_a_ten_megabyte_cell_is_refused(tmp_path, known_terms):
    data = csv_bytes(rows(1, body="x" * 10_000_000))

    with pytest.raises(CommandError, match="has a cell longer than 1,000,000 characters"):
        run(write(tmp_path, data))

    assert not Article.objects.exists()


def test_an_unclosed_quote_is_reported_not_crashed_on(db):
    with pytest.raises(ImportFileError):
        import_csv('title,source,type,subjects\n"Synthetic,a,b,c\n' + "x" * 1_100_000, dry_run=True)


def test_the_file_must_be_utf8_text_decoded_once(db):
    assert decode("title\n".encode("utf-8-sig")) == "title\n"


# --- Bad rows: all or nothing ----------------------------------------------------------------------


def test_one_bad_row_means_nothing_is_written_and_every_bad_row_is_listed(tmp_path, known_terms, capsys):
    bad = [
        synthetic_row(1),
        synthetic_row(2, title=""),
        synthetic_row(3, date="2018-13", language="xx", original_url="not a link", status="maybe"),
        synthetic_row(1, title="Synthetic article 1 again"),  # the same URL as row 2
        synthetic_row(2, source="Synthetic Nowhere", subjects=""),
    ]

    with pytest.raises(CommandError, match="8 problems in 5 rows: nothing was imported"):
        run(write(tmp_path, csv_bytes(bad)))

    assert not Article.objects.exists()
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "clippings.csv: Row 3 (line 5 of the file), column “title”: A title is required.",
        "clippings.csv: Row 4 (line 8 of the file), column “date”: “2018-13” is not a date the archive "
        "understands: write YYYY, YYYY-MM or YYYY-MM-DD (for example 2018 or 2018-11), or leave it empty if unknown.",
        "clippings.csv: Row 4 (line 8 of the file), column “language”: “xx” is not a language code the archive "
        "knows; use one of en, es, ar, bn, zh, fr, ht, hi, ko, pl, pt, ru, tl, ur, vi (ISO 639-1), "
        "or leave it empty for English.",
        "clippings.csv: Row 4 (line 8 of the file), column “original_url”: “not a link” is not a web address "
        "(such as https://example.org/story), or is longer than 2,000 characters.",
        "clippings.csv: Row 4 (line 8 of the file), column “status”: The status is “maybe”: write draft or published.",
        "clippings.csv: Row 5 (line 11 of the file), column “original_url”: Same article as row 2 "
        "(the same original URL).",
        "clippings.csv: Row 6 (line 14 of the file), column “source”: No source named “Synthetic Nowhere” in the "
        "archive. Check the spelling, add it in the admin first, or import with “create new terms” to add it.",
        "clippings.csv: Row 6 (line 14 of the file), column “subjects”: At least one subject is required "
        "(separate several with “;”).",
        "Unknown sources: Synthetic Nowhere.",
        "Correct any misspelt name, or add --create-terms if they are all new.",
    ]


def test_fixing_the_reported_rows_and_importing_again_works_without_duplicates(tmp_path, known_terms):
    bad = [synthetic_row(1), synthetic_row(2, date="2018-13")]
    with pytest.raises(CommandError):
        run(write(tmp_path, csv_bytes(bad)))

    run(write(tmp_path, csv_bytes([synthetic_row(1), synthetic_row(2, date="2018-12")])))
    run(write(tmp_path, csv_bytes([synthetic_row(1), synthetic_row(2, date="2018-12")])))

    assert Article.objects.count() == 2


def test_a_withdrawn_article_is_not_changed_by_an_import(tmp_path, known_terms):
    ArticleFactory(original_url="https://news.example.org/synthetic/1", status=Article.Status.WITHDRAWN)

    with pytest.raises(CommandError):
        run(write(tmp_path, csv_bytes(rows(1))))

    assert Article.objects.get().status == Article.Status.WITHDRAWN


def test_a_database_constraint_failure_during_the_write_is_reported_and_rolled_back(known_terms, monkeypatch):
    from coverage_archive import importing

    def clash(plan):  # someone saves the same link between the check and the write
        ArticleFactory(original_url="https://news.example.org/synthetic/1")
        return True

    with pytest.raises(importing.ImportFileError, match="the archive changed while the file was being imported"):
        import_csv(csv_text(rows(1)), confirm=clash)

    assert not Article.objects.filter(title="Synthetic article 1").exists()


def test_the_example_file_imports_into_the_seed_archive_and_again_without_changes(seed, settings):
    path = settings.BASE_DIR / "fixtures" / "import-example.csv"
    seed_article = Article.objects.get()
    before = {field: getattr(seed_article, field) for field in ("title", "body", "editors_note", "status")}

    call_command("import_coverage", str(path), "--create-terms", verbosity=0)
    count = Article.objects.count()
    plan, _result = import_csv(decode(path.read_bytes()), dry_run=True)

    seed_article.refresh_from_db()
    assert {field: getattr(seed_article, field) for field in before} == before
    assert count > 1
    assert plan.summary()["unchanged"] == count and plan.summary()["create"] == plan.summary()["update"] == 0
    assert all(article.source.name.startswith("Synthetic") for article in Article.objects.exclude(pk=seed_article.pk))


def test_the_column_list_is_the_documented_one():
    assert COLUMNS == (
        "title", "source", "type", "subjects", "organizations", "date", "language", "byline", "summary", "body",
        "original_url", "archived_url", "status", "note",
    )  # fmt: skip


def test_unknown_names_are_summed_up_after_the_row_errors(tmp_path, db, capsys):
    with pytest.raises(CommandError):
        run(write(tmp_path, csv_bytes(rows(7, 47))))

    errors = capsys.readouterr().err
    assert "Unknown sources: Synthetic Source 7.\n" in errors
    assert "add --create-terms if they are all new" in errors
