"""Publishing: the admin actions, scheduled publishing, withdrawn pieces, old slugs and staff previews."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from coverage_archive.models import Article, FormerSlug
from tests.factories import ArticleFactory, UserFactory

CHANGELIST = "/admin/coverage_archive/article/"


def run_action(client, action, *articles):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [article.pk for article in articles]})


# --- Actions ----------------------------------------------------------------------------------


def test_publishing_a_draft_sets_its_publication_time_and_makes_it_public(admin_user_client, db):
    draft = ArticleFactory(draft=True)
    before = timezone.now()

    response = run_action(admin_user_client, "publish", draft)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    assert before <= draft.published_at <= timezone.now()
    assert draft.updated_by.username == "admin"
    assert draft.is_public()
    assert admin_user_client.get(draft.get_absolute_url()).status_code == 200


def test_republishing_keeps_the_first_publication_time(admin_user_client, db):
    first = timezone.now() - datetime.timedelta(days=30)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=first)

    run_action(admin_user_client, "publish", article)

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at == first


def test_publishing_keeps_a_scheduled_time_and_says_so(admin_user_client, db):
    later = timezone.now() + datetime.timedelta(days=2)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=later)

    response = run_action(admin_user_client, "publish", article)

    article.refresh_from_db()
    assert article.published_at == later
    assert not article.is_public()
    messages = [str(message) for message in response.wsgi_request._messages]
    assert "1 of them is scheduled and becomes public at its publication time." in messages


def test_unpublishing_hides_an_article_and_keeps_its_publication_time(admin_user_client, reader, db):
    article = ArticleFactory()
    published_at = article.published_at

    run_action(admin_user_client, "unpublish", article)

    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT
    assert article.published_at == published_at
    admin_user_client.logout()
    assert reader.get(article.get_absolute_url()).status_code == 404


def test_the_actions_record_who_changed_what_in_the_history(admin_user_client, db):
    article = ArticleFactory(draft=True)
    entries_before = article.history.count()

    run_action(admin_user_client, "publish", article)

    assert article.history.count() == entries_before + 1
    entry, previous = article.history.all()[:2]
    assert entry.history_user.username == "admin"
    assert entry.history_change_reason == "Published"
    delta = entry.diff_against(previous)
    # Only the status and time changed: the subjects were recorded too, so they do not show as removed.
    assert set(delta.changed_fields) == {"status", "published_at"}


def test_an_action_only_changes_articles_that_differ(admin_user_client, db):
    published = ArticleFactory()
    entries_before = published.history.count()

    response = run_action(admin_user_client, "publish", published)

    assert [str(message) for message in response.wsgi_request._messages] == ["Published 0 articles."]
    assert published.history.count() == entries_before


def test_a_staff_member_without_the_publish_permission_gets_no_actions_and_a_read_only_status(client, db):
    user = UserFactory(username="writer", is_staff=True)
    editors = Group.objects.get(name="Editors")
    user.user_permissions.set(editors.permissions.exclude(codename="publish_article"))
    client.force_login(user)
    article = ArticleFactory(draft=True)

    listing = client.get(CHANGELIST)
    form = client.get(f"/admin/coverage_archive/article/{article.pk}/change/")
    run_action(client, "publish", article)

    assert "publish" not in dict(listing.context["action_form"].fields["action"].choices)
    assert "status" not in form.context["adminform"].form.fields
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


# --- Scheduled publishing ---------------------------------------------------------------------


def test_a_scheduled_article_becomes_public_at_its_time_with_no_job(reader, db, monkeypatch):
    at = timezone.now() + datetime.timedelta(hours=1)
    article = ArticleFactory(published_at=at)

    assert reader.get(article.get_absolute_url()).status_code == 404
    assert article not in Article.objects.published()

    monkeypatch.setattr(timezone, "now", lambda: at + datetime.timedelta(seconds=1))

    assert reader.get(article.get_absolute_url()).status_code == 200
    assert article in Article.objects.published()


# --- Withdrawn ----------------------------------------------------------------------------------


def test_a_withdrawn_article_answers_410_gone_with_a_notice(admin_user_client, reader, db):
    article = ArticleFactory(title="Synthetic withdrawn piece")
    run_action(admin_user_client, "withdraw", article)
    admin_user_client.logout()

    response = reader.get(article.get_absolute_url())

    assert response.status_code == 410
    content = response.content.decode()
    assert "This coverage has been removed" in content
    assert "Synthetic withdrawn piece" not in content


def test_a_withdrawn_article_leaves_the_lists_and_counts(reader, db):
    kept = ArticleFactory(title="Synthetic kept piece")
    withdrawn = ArticleFactory(title="Synthetic withdrawn piece", status=Article.Status.WITHDRAWN)

    archive = reader.get("/coverage/").content.decode()
    subject_page = reader.get(withdrawn.subjects.get().get_absolute_url())
    home = reader.get("/")

    assert "Synthetic kept piece" in archive
    assert "Synthetic withdrawn piece" not in archive
    assert "Synthetic withdrawn piece" not in subject_page.content.decode()
    assert home.context["total"] == 1
    assert list(Article.objects.published()) == [kept]


# --- Old slugs ------------------------------------------------------------------------------------


def change_slug(client, article, slug):
    form = client.get(f"/admin/coverage_archive/article/{article.pk}/change/").context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "id"}
    data.update(
        {
            "slug": slug,
            "subjects": [subject.pk for subject in article.subjects.all()],
            "organizations": [],
            "published_at_0": article.published_at.strftime("%Y-%m-%d") if article.published_at else "",
            "published_at_1": article.published_at.strftime("%H:%M:%S.%f") if article.published_at else "",
        }
    )
    response = client.post(f"/admin/coverage_archive/article/{article.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()


def test_changing_a_published_slug_redirects_the_old_address_permanently(admin_user_client, reader, db):
    article = ArticleFactory(slug="synthetic-old-slug")

    change_slug(admin_user_client, article, "synthetic-new-slug")
    admin_user_client.logout()
    response = reader.get("/coverage/synthetic-old-slug/")

    assert response.status_code == 301
    assert response["Location"] == "/coverage/synthetic-new-slug/"
    assert reader.get("/es/coverage/synthetic-old-slug/")["Location"] == "/es/coverage/synthetic-new-slug/"
    assert reader.get("/coverage/synthetic-new-slug/").status_code == 200


def test_renaming_twice_redirects_every_old_address_and_renaming_back_needs_no_redirect(db):
    article = ArticleFactory(slug="synthetic-a")
    for slug in ("synthetic-b", "synthetic-c", "synthetic-a"):
        article.slug = slug
        article.save()

    assert {former.slug: former.article for former in FormerSlug.objects.all()} == {
        "synthetic-b": article,
        "synthetic-c": article,
    }


def test_a_draft_never_published_leaves_no_redirect(reader, db):
    draft = ArticleFactory(draft=True, slug="synthetic-draft-slug")
    draft.slug = "synthetic-draft-renamed"
    draft.save()

    assert not FormerSlug.objects.exists()
    assert reader.get("/coverage/synthetic-draft-slug/").status_code == 404


def test_the_old_address_of_an_unpublished_article_is_not_found(reader, db):
    article = ArticleFactory(slug="synthetic-one")
    article.slug = "synthetic-two"
    article.status = Article.Status.DRAFT
    article.save()

    assert reader.get("/coverage/synthetic-one/").status_code == 404


# --- Draft preview ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "banner"),
    [
        ("draft", "only signed-in editors can see this preview"),
        ("scheduled", "readers can see this page from"),
        ("withdrawn", "readers are told this piece was removed"),
    ],
)
def test_staff_preview_an_unpublished_article_with_a_banner(admin_user_client, db, kind, banner):
    article = {
        "draft": lambda: ArticleFactory(draft=True),
        "scheduled": lambda: ArticleFactory(published_at=timezone.now() + datetime.timedelta(days=1)),
        "withdrawn": lambda: ArticleFactory(status=Article.Status.WITHDRAWN),
    }[kind]()

    response = admin_user_client.get(article.get_absolute_url())

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="notice draft-banner"' in content
    assert banner in content
    assert article.title in content
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


def test_a_published_article_has_no_banner_even_for_staff(admin_user_client, db):
    article = ArticleFactory()

    response = admin_user_client.get(article.get_absolute_url())

    assert "draft-banner" not in response.content.decode()
    assert "X-Robots-Tag" not in response


def test_readers_and_signed_in_non_staff_get_404_for_a_draft(client, db):
    draft = ArticleFactory(draft=True)

    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(username="member"))
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_reader_asking_for_a_draft_gets_no_cookie_and_no_session_lookup(reader, db, django_assert_num_queries):
    draft = ArticleFactory(draft=True)

    # 1: the published article with this slug (none); 2: the status of the article that has it.
    # No session query: a reader without a session cookie is never looked up. On PostgreSQL,
    # 2 more: the reader's statement timeout, set and reset (coverage_archive/budget.py).
    with django_assert_num_queries(2 + 2 * (connection.vendor == "postgresql")):
        response = reader.get(draft.get_absolute_url())

    assert response.status_code == 404
    assert not response.cookies
