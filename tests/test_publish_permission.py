"""Only staff with the publish permission change what readers see: every way an article's status
can change in the admin — the add form, the change form, the actions, the CSV import and History →
Revert — tried by a staff member who may change articles but not publish them (nothing changes),
and by one who may publish (it changes).
"""

import datetime

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coverage_archive.history import record_article_changes
from coverage_archive.models import Article, ImportPreview
from coverage_archive.publishing import change_status
from tests.csv_files import csv_bytes, synthetic_row
from tests.factories import ArticleFactory, ItemTypeFactory, SourceFactory, SubjectFactory, UserFactory

PUBLISHED, DRAFT, WITHDRAWN = Article.Status.PUBLISHED, Article.Status.DRAFT, Article.Status.WITHDRAWN


@pytest.fixture
def writer(client, db):
    """Staff who may add, change and import articles, but not publish, unpublish or withdraw them."""
    user = UserFactory(username="writer", is_staff=True)
    user.user_permissions.set(Group.objects.get(name="Editors").permissions.exclude(codename="publish_article"))
    client.force_login(user)
    return client


@pytest.fixture
def publisher(client, db):
    """A member of the Editors group, who may publish."""
    user = UserFactory(username="publisher", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


@pytest.fixture
def reader():
    """A member of the public, with a client of their own (the staff fixtures sign in ``client``)."""
    return Client()


def change_url(article):
    return reverse("admin:coverage_archive_article_change", args=[article.pk])


def revert_url(article, version):
    return reverse("admin:coverage_archive_article_simple_history", args=[article.pk, version.history_id])


def form_data(response, **overrides):
    """What a browser sends back from the admin form of ``response`` unchanged, plus ``overrides``."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.MultiWidget):
            parts = field.widget.decompress(value) if not isinstance(value, list) else value
            for index, part in enumerate(parts):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, (list, tuple)):
            data[name] = [str(item) for item in value]
        else:
            data[name] = "" if value is None else str(value)
    data.update(overrides, _save="Save")
    return data


def new_article_data(**overrides):
    data = {
        "title": "Synthetic piece added by staff",
        "slug": "synthetic-piece-added-by-staff",
        "source": SourceFactory().pk,
        "item_type": ItemTypeFactory().pk,
        "subjects": [SubjectFactory().pk],
        "date": "2020-05",
        "language": "en",
        "status": "published",
        "published_at_0": "2020-06-01",
        "published_at_1": "09:00:00",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def status_of(article):
    article.refresh_from_db()
    return article.status, article.published_at


# --- The add form ------------------------------------------------------------------------------


def test_staff_who_may_not_publish_add_a_draft_whatever_they_send(writer, reader):
    response = writer.post(reverse("admin:coverage_archive_article_add"), new_article_data())

    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.status, article.published_at) == (DRAFT, None)
    assert not article.is_public()


def test_staff_who_may_publish_add_a_published_article(publisher):
    response = publisher.post(reverse("admin:coverage_archive_article_add"), new_article_data())

    assert response.status_code == 302
    assert Article.objects.get().is_public()


# --- The change form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "sent"),
    [
        ({"draft": True}, PUBLISHED),  # publish a draft
        ({"status": WITHDRAWN}, PUBLISHED),  # re-publish a withdrawn piece
        ({}, DRAFT),  # unpublish
        ({}, WITHDRAWN),  # withdraw
    ],
)
def test_the_change_form_keeps_the_status_of_staff_who_may_not_publish(writer, before, sent):
    article = ArticleFactory(**before)
    expected = status_of(article)
    page = writer.get(change_url(article))
    when = timezone.now() - datetime.timedelta(days=3)

    response = writer.post(
        change_url(article),
        form_data(
            page,
            title="Synthetic retitled piece",
            status=sent,
            published_at_0=when.date().isoformat(),
            published_at_1="08:00:00",
        ),
    )

    assert response.status_code == 302
    assert status_of(article) == expected
    assert article.title == "Synthetic retitled piece"  # the rest of the change is saved


def test_the_change_form_changes_the_status_for_staff_who_may_publish(publisher, reader):
    article = ArticleFactory(status=WITHDRAWN)
    page = publisher.get(change_url(article))

    response = publisher.post(change_url(article), form_data(page, status=PUBLISHED))

    assert response.status_code == 302
    assert status_of(article)[0] == PUBLISHED
    assert reader.get(article.get_absolute_url()).status_code == 200


# --- The actions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "action"),
    [({"draft": True}, "publish"), ({"status": WITHDRAWN}, "publish"), ({}, "unpublish"), ({}, "withdraw")],
)
def test_the_actions_are_refused_to_staff_who_may_not_publish(writer, before, action):
    article = ArticleFactory(**before)
    expected = status_of(article)

    writer.post(
        reverse("admin:coverage_archive_article_changelist"), {"action": action, "_selected_action": [article.pk]}
    )

    assert status_of(article) == expected


@pytest.mark.parametrize(
    ("before", "action", "after"),
    [({"draft": True}, "publish", PUBLISHED), ({}, "unpublish", DRAFT), ({}, "withdraw", WITHDRAWN)],
)
def test_the_actions_change_the_status_for_staff_who_may_publish(publisher, before, action, after):
    article = ArticleFactory(**before)

    publisher.post(
        reverse("admin:coverage_archive_article_changelist"), {"action": action, "_selected_action": [article.pk]}
    )

    assert status_of(article)[0] == after


# --- The CSV import ----------------------------------------------------------------------------


def import_file(client, rows):
    """Upload ``rows`` and, when a preview is offered, apply it."""
    response = client.post(
        reverse("admin:coverage_archive_article_import"),
        {"file": _upload(csv_bytes(rows)), "create_terms": "on"},
    )
    preview = ImportPreview.objects.first()
    if preview is not None:
        client.post(preview.get_absolute_url(), {"apply": "Import"})
    return response


def _upload(data):
    return SimpleUploadedFile("clippings.csv", data, content_type="text/csv")


def test_an_import_by_staff_who_may_not_publish_publishes_nothing(writer):
    response = import_file(writer, [synthetic_row(1, status="published")])

    assert [(error.row, error.column) for error in response.context["errors"]] == [(2, "status")]
    assert not Article.objects.exists()


@pytest.mark.parametrize(("before", "sent"), [({"draft": True}, "published"), ({}, "draft")])
def test_an_import_by_staff_who_may_not_publish_changes_no_status(writer, before, sent):
    article = ArticleFactory(original_url="https://news.example.org/synthetic/1", **before)
    expected = status_of(article)

    response = import_file(writer, [synthetic_row(1, status=sent)])

    assert [(error.row, error.column) for error in response.context["errors"]] == [(2, "status")]
    assert status_of(article) == expected


def test_an_import_by_staff_who_may_publish_publishes(publisher):
    import_file(publisher, [synthetic_row(1, status="published")])

    assert Article.objects.get().is_public()


# --- History → Revert --------------------------------------------------------------------------


@pytest.fixture
def withdrawn_once_published(db):
    """A published article (its first history entry), since withdrawn."""
    article = ArticleFactory(title="Synthetic piece later withdrawn")
    published_version = article.history.order_by("-history_id").first()
    change_status(Article.objects.filter(pk=article.pk), WITHDRAWN, user=None)
    return article, published_version


def test_revert_does_not_republish_a_withdrawn_article_for_staff_who_may_not_publish(
    writer, reader, withdrawn_once_published
):
    article, published_version = withdrawn_once_published
    expected = status_of(article)
    url = revert_url(article, published_version)
    page = writer.get(url)

    response = writer.post(url, form_data(page, title="Synthetic reverted title"))

    assert response.status_code == 302
    assert status_of(article) == expected
    assert article.title == "Synthetic reverted title"
    assert reader.get(article.get_absolute_url()).status_code == 410
    # The revert page shows the status the article keeps, not the old version's.
    assert page.context["original"].status == WITHDRAWN


def test_revert_does_not_unpublish_for_staff_who_may_not_publish(writer):
    article = ArticleFactory(draft=True)
    draft_version = article.history.order_by("-history_id").first()
    change_status(Article.objects.filter(pk=article.pk), PUBLISHED, user=None)
    expected = status_of(article)
    url = revert_url(article, draft_version)

    response = writer.post(url, form_data(writer.get(url)))

    assert response.status_code == 302
    assert status_of(article) == expected
    assert article.is_public()


def test_revert_does_not_change_the_publication_time_for_staff_who_may_not_publish(writer):
    article = ArticleFactory()
    first_version = article.history.order_by("-history_id").first()
    later = timezone.now() + datetime.timedelta(days=5)
    Article.objects.filter(pk=article.pk).update(published_at=later)  # rescheduled by a publisher
    record_article_changes([article])
    url = revert_url(article, first_version)

    response = writer.post(url, form_data(writer.get(url)))

    assert response.status_code == 302
    assert status_of(article) == (PUBLISHED, later)


def test_revert_restores_the_status_for_staff_who_may_publish(publisher, reader, withdrawn_once_published):
    article, published_version = withdrawn_once_published
    url = revert_url(article, published_version)

    response = publisher.post(url, form_data(publisher.get(url)))

    assert response.status_code == 302
    assert status_of(article)[0] == PUBLISHED
    assert reader.get(article.get_absolute_url()).status_code == 200
