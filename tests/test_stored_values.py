"""What the archive stores, however it arrives (admin, import, add from a link, migration): original
URLs without tracking parameters and text with ``\\n`` line breaks (models.stored_value)."""

import pytest
from django.core.management import call_command

from coverage_archive.importing import import_csv
from coverage_archive.models import Article, Subject
from coverage_archive.urlnorm import normalize_url
from tests.csv_files import csv_text, synthetic_row
from tests.factories import ArticleFactory, ItemTypeFactory, OrganizationFactory, SourceFactory, SubjectFactory
from tests.test_admin import ARTICLE_ADD, article_form_data, form_errors

TRACKED = "https://news.example.org/Synthetic/1?id=7&utm_source=newsletter&fbclid=abc#part-2"
UNTRACKED = "https://news.example.org/Synthetic/1?id=7#part-2"


def test_saving_an_article_drops_tracking_parameters_and_carriage_returns(db):
    article = ArticleFactory(
        original_url=TRACKED,
        archived_url="https://archive.example.org/synthetic/1?utm_source=kept",
        summary="One.\r\nTwo.",
        body="First paragraph.\r\n\r\nSecond.\rThird.",
        editors_note="Note.\r\n",
    )

    article.refresh_from_db()
    assert article.original_url == UNTRACKED
    assert article.archived_url == "https://archive.example.org/synthetic/1?utm_source=kept"  # not an original URL
    assert (article.summary, article.body, article.editors_note) == (
        "One.\nTwo.",
        "First paragraph.\n\nSecond.\nThird.",
        "Note.\n",
    )
    assert article.history.latest().body == "First paragraph.\n\nSecond.\nThird."


def test_saving_a_term_stores_its_descriptions_with_line_feeds(db):
    subject = SubjectFactory(description="One.\r\nTwo.", description_es="Uno.\r\nDos.")

    subject.refresh_from_db()
    assert (subject.description, subject.description_es) == ("One.\nTwo.", "Uno.\nDos.")


def test_the_admin_stores_what_its_text_boxes_send_with_line_feeds(admin_user_client, db):
    terms = {
        "source": SourceFactory(),
        "item_type": ItemTypeFactory(),
        "subjects": [SubjectFactory()],
        "organizations": [OrganizationFactory()],
    }
    response = admin_user_client.post(
        ARTICLE_ADD,
        article_form_data(terms, original_url=TRACKED, body="Para one.\r\n\r\nPara two.", summary="A\r\nB"),
    )

    assert response.status_code == 302, form_errors(response)
    article = Article.objects.get()
    assert article.original_url == UNTRACKED
    assert (article.body, article.summary) == ("Para one.\n\nPara two.", "A\nB")
    exported = b"".join(admin_user_client.get("/coverage/export.json").streaming_content)
    assert b"Para one.\\n\\nPara two." in exported
    assert b"\\r" not in exported


def test_an_import_stores_urls_without_tracking_and_text_with_line_feeds_and_is_idempotent(db):
    row = synthetic_row(1, original_url=TRACKED, body="One.\r\n\r\nTwo.", note="Note.\r\nMore.")
    text = csv_text([row])

    plan, result = import_csv(text, create_terms=True)
    assert plan.is_valid, plan.errors
    article = Article.objects.get()
    assert article.original_url == UNTRACKED
    assert (article.body, article.editors_note) == ("One.\n\nTwo.", "Note.\nMore.")

    plan, result = import_csv(text, create_terms=True)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


@pytest.mark.django_db(transaction=True)
def test_the_migration_tidies_what_was_stored_before_the_rule():
    article = ArticleFactory(original_url="https://news.example.org/synthetic/2")
    subject = SubjectFactory()
    # As stored by earlier code: written past save().
    tracked = "https://news.example.org/synthetic/2?utm_source=x&page=2"
    Article.objects.filter(pk=article.pk).update(
        original_url=tracked, original_url_normalized=normalize_url(tracked), body="A.\r\n\r\nB.", summary="S.\r"
    )
    Subject.objects.filter(pk=subject.pk).update(description="D.\r\nE.")
    normalized = Article.objects.get(pk=article.pk).original_url_normalized

    call_command("migrate", "coverage_archive", "0018", verbosity=0)
    call_command("migrate", "coverage_archive", verbosity=0)

    article = Article.objects.get(pk=article.pk)
    assert article.original_url == "https://news.example.org/synthetic/2?page=2"
    assert article.original_url_normalized == normalized
    assert (article.body, article.summary) == ("A.\n\nB.", "S.\n")
    assert Subject.objects.get(pk=subject.pk).description == "D.\nE."


def test_an_unchanged_text_sent_back_with_carriage_returns_is_not_logged_as_changed(admin_user_client, db):
    from django.contrib.admin.models import LogEntry

    terms = {
        "source": SourceFactory(),
        "item_type": ItemTypeFactory(),
        "subjects": [SubjectFactory()],
        "organizations": [OrganizationFactory()],
    }
    data = article_form_data(terms, body="Para one.\r\n\r\nPara two.")
    admin_user_client.post(ARTICLE_ADD, data)
    article = Article.objects.get()

    response = admin_user_client.post(f"/admin/coverage_archive/article/{article.pk}/change/", data)

    assert response.status_code == 302, form_errors(response)
    # (The date and publication time are sent as typed, not as stored, and are logged as changes.)
    assert "Body" not in LogEntry.objects.latest("pk").get_change_message()
