"""The Editors group made by migration 0007: what its members may and may not do in the admin."""

import pytest
from django.contrib.auth.models import Group

from coverage_archive.models import Article, Subject
from tests.factories import ArticleFactory, SubjectFactory, UserFactory

EDITOR_PERMISSIONS = {
    *(
        f"{action}_{model}"
        for model in ("source", "subject", "itemtype", "organization")
        for action in ("add", "change", "view")
    ),
    "add_article",
    "change_article",
    "view_article",
    "delete_article",
    "publish_article",
    "import_article",
}


@pytest.fixture
def group_editor(client, db):
    """A staff member whose only rights come from the Editors group, signed in."""
    user = UserFactory(username="group-editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def test_the_migration_creates_the_editors_group_with_exactly_its_permissions(db):
    # The test database is built by running every migration on an empty database,
    # where Django has not created any permission yet: the migration makes its own.
    group = Group.objects.get(name="Editors")

    permissions = {(p.content_type.app_label, p.codename) for p in group.permissions.select_related("content_type")}

    assert permissions == {("coverage_archive", codename) for codename in EDITOR_PERMISSIONS}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/coverage_archive/article/",
        "/admin/coverage_archive/article/add/",
        "/admin/coverage_archive/article/import/",
        "/admin/coverage_archive/source/add/",
        "/admin/coverage_archive/subject/add/",
        "/admin/coverage_archive/itemtype/add/",
        "/admin/coverage_archive/organization/add/",
    ],
)
def test_an_editor_may_open_the_pages_for_adding_importing_and_changing_coverage(group_editor, url):
    assert group_editor.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/user/add/", "/admin/auth/group/", "/admin/auth/group/add/"]
)
def test_an_editor_may_not_manage_users_or_groups(group_editor, url):
    assert group_editor.get(url).status_code == 403


def test_an_editor_may_change_an_article_and_a_term(group_editor):
    subject = SubjectFactory()

    response = group_editor.post(
        f"/admin/coverage_archive/subject/{subject.pk}/change/",
        {"name": "Synthetic renamed subject", "slug": subject.slug, "description": ""},
    )

    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.name == "Synthetic renamed subject"


def test_an_editor_may_not_delete_a_term(group_editor):
    subject = SubjectFactory()

    response = group_editor.post(f"/admin/coverage_archive/subject/{subject.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Subject.objects.filter(pk=subject.pk).exists()


@pytest.mark.parametrize("kind", ["published", "scheduled", "unpublished", "withdrawn"])
def test_an_editor_may_not_delete_an_article_readers_may_have_seen(group_editor, kind):
    article = {
        "published": lambda: ArticleFactory(),
        "scheduled": lambda: ArticleFactory(published_at="2999-01-01T00:00Z"),
        "unpublished": lambda: ArticleFactory(status=Article.Status.DRAFT),  # a draft that was published once
        "withdrawn": lambda: ArticleFactory(status=Article.Status.WITHDRAWN),
    }[kind]()

    page = group_editor.get(f"/admin/coverage_archive/article/{article.pk}/delete/")
    response = group_editor.post(f"/admin/coverage_archive/article/{article.pk}/delete/", {"post": "yes"})

    assert page.status_code == 403
    assert response.status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()


def test_an_editor_may_not_delete_a_published_article_with_the_bulk_action(group_editor):
    article = ArticleFactory()

    group_editor.post(
        "/admin/coverage_archive/article/",
        {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"},
    )

    assert Article.objects.filter(pk=article.pk).exists()


def test_an_editor_may_delete_a_draft_never_published(group_editor):
    draft = ArticleFactory(draft=True)

    response = group_editor.post(f"/admin/coverage_archive/article/{draft.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Article.objects.filter(pk=draft.pk).exists()


def test_an_editor_is_offered_the_publishing_actions_and_the_import(group_editor):
    response = group_editor.get("/admin/coverage_archive/article/")

    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"publish", "unpublish", "withdraw"} <= set(actions)
    assert 'href="/admin/coverage_archive/article/import/"' in response.content.decode()


def test_an_administrator_may_delete_a_published_article(admin_user_client):
    article = ArticleFactory()

    response = admin_user_client.post(f"/admin/coverage_archive/article/{article.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
