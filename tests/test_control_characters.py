"""Control characters: stripped from what readers send, refused in the admin,
and never able to break a feed (XML cannot hold most of them).

Excel writes U+000B for a line break inside a cell, so such a title can reach
the database (an import made before these rules, a script); the feeds that list
it must still be valid XML.
"""

import xml.etree.ElementTree as ElementTree

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from coverage_archive.importing import import_csv
from coverage_archive.models import Article, Subject
from coverage_archive.text import ControlCharacterValidator, clean_reader_text, xml_text
from tests.csv_files import csv_text, synthetic_row
from tests.factories import ArticleFactory, SubjectFactory
from tests.test_admin import ARTICLE_ADD, article_form_data, form_errors, terms  # noqa: F401 (a fixture)

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def parse_feed(response) -> ElementTree.Element:
    assert response.status_code == 200, response.content[:500]
    return ElementTree.fromstring(response.content)  # raises on anything XML cannot hold


# --- Readers' input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent, read",
    [
        ("a\x01b", "ab"),
        ("a\x0bb", "a b"),
        ("a\tb\nc\rd", "a b c d"),
        ("a\x7fb\x9bc", "abc"),
        ("a\x85b", "a b"),
        ("Deportación “ICE”", "Deportación “ICE”"),
    ],
)
def test_a_readers_text_loses_its_control_characters(sent, read):
    assert clean_reader_text(sent) == read


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/coverage/feed/", "/es/coverage/feed/"])
def test_a_search_holding_a_control_character_gives_a_valid_feed(client, path):
    ArticleFactory(title="Synthetic ab piece")
    feed = parse_feed(client.get(path, {"q": "a\x01b"}))
    assert "ab" in feed.find(f"{ATOM}title").text


@pytest.mark.django_db
def test_the_archive_reads_a_search_without_its_control_characters(client):
    ArticleFactory(title="Synthetic organizing piece")
    response = client.get("/coverage/", {"q": "organ\x01izing\x0bpiece"})
    assert response.status_code == 200
    assert response.context["filter"].form.cleaned_data["q"] == "organizing piece"
    assert response.context["paginator"].count == 1


# --- Text already in the database -------------------------------------------------------------


@pytest.fixture
def stored_with_control_characters(db):
    """A published piece whose title, summary and byline hold U+000B and U+0001, stored past validation."""
    subject = SubjectFactory(name="Synthetic Subject", slug="synthetic-subject")
    article = ArticleFactory(subjects=[subject])
    Article.objects.filter(pk=article.pk).update(
        title="Synthetic line\x0bbreak", summary="Synthetic\x01summary", byline="Synthetic\x0cByline"
    )
    Subject.objects.filter(pk=subject.pk).update(name="Synthetic\x0bSubject")
    return article


@pytest.mark.parametrize("path", ["/coverage/feed/", "/es/coverage/feed/", "/subjects/synthetic-subject/feed/"])
def test_a_stored_control_character_does_not_break_the_feeds(client, stored_with_control_characters, path):
    feed = parse_feed(client.get(path))
    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Synthetic linebreak"
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "SyntheticByline"
    assert [category.get("term") for category in entry.findall(f"{ATOM}category")] == ["SyntheticSubject"]


@pytest.mark.parametrize("path", ["/coverage/", "/subjects/synthetic-subject/", "/coverage/export.csv"])
def test_a_stored_control_character_does_not_break_the_pages(client, stored_with_control_characters, path):
    assert client.get(path).status_code == 200


def test_xml_text_keeps_what_xml_allows():
    assert xml_text("tab\tline\nreturn\r é “ ” \x85") == "tab\tline\nreturn\r é “ ” \x85"
    assert xml_text("a\x00\x08\x0b\x0c\x1f\ufffe\uffffb") == "ab"


# --- The admin refuses them --------------------------------------------------------------------


def test_the_model_validators_refuse_control_characters_in_single_line_text():
    validate = ControlCharacterValidator()
    for text in ("line\x0bbreak", "tab\there", "line\nfeed", "\x7f", "\x9b"):
        with pytest.raises(ValidationError):
            validate(text)
    validate("Deportación “ICE” — 2018")


def test_multiline_text_may_hold_tabs_and_line_breaks_but_no_other_control_character():
    validate = ControlCharacterValidator(multiline=True)
    validate("First paragraph.\r\n\r\nSecond\tparagraph.")
    with pytest.raises(ValidationError) as refused:
        validate("First\x0bparagraph.")
    assert "U+000B" in refused.value.messages[0]
    assert "at character 6" in refused.value.messages[0]


@pytest.mark.parametrize(
    "field, value",
    [("title", "Synthetic line\x0bbreak"), ("byline", "A.\x01Reporter"), ("body", "Text\x0bwith a break")],
)
def test_the_admin_refuses_an_article_holding_a_control_character(admin_user_client, terms, field, value):  # noqa: F811
    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms, **{field: value}))
    assert response.status_code == 200
    [message] = form_errors(response)[field]
    assert "Remove the invisible control character" in message
    assert not Article.objects.exists()


def test_the_admin_keeps_line_breaks_in_an_articles_text(admin_user_client, terms):  # noqa: F811
    body = "First paragraph.\r\n\r\nSecond\tparagraph."
    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms, body=body))
    assert response.status_code == 302, form_errors(response)
    # Kept as line breaks, stored as line feeds (models.stored_value; tests/test_stored_values.py).
    assert Article.objects.get().body == "First paragraph.\n\nSecond\tparagraph."


@pytest.mark.parametrize("field", ["name", "name_es", "description", "description_es"])
def test_the_admin_refuses_a_term_holding_a_control_character(admin_user_client, field):
    data = {"name": "Synthetic term", "slug": "synthetic-term", field: "Synthetic\x0bterm"}
    response = admin_user_client.post("/admin/coverage_archive/subject/add/", data)
    assert response.status_code == 200
    assert "Remove the invisible control character" in str(response.context["adminform"].form.errors[field])
    assert not Subject.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value"),
    [("title", "A title\x0bon two lines"), ("summary", "A summary\x01"), ("subjects", "Synthetic\x0b Subject")],
)
def test_the_import_refuses_a_control_character_naming_its_row_and_column(column, value):
    plan, result = import_csv(csv_text([synthetic_row(1), synthetic_row(2, **{column: value})]), create_terms=True)

    assert result is None
    assert not Article.objects.exists() and not Subject.objects.exists()
    [error] = plan.errors
    assert (error.row, error.column) == (3, column)
    assert "Remove the invisible control character U+000" in error.message
