"""Change history: every change to articles and terms, who made it, what changed, and revert."""

import pytest
from django.utils.html import escape

from coverage_archive.models import Article
from coverage_archive.search import search
from tests.factories import ArticleFactory, ItemTypeFactory, OrganizationFactory, SourceFactory, SubjectFactory
from tests.test_admin import ARTICLE_ADD, article_form_data, form_errors


@pytest.fixture
def terms(db):
    return {
        "source": SourceFactory(),
        "item_type": ItemTypeFactory(),
        "subjects": [SubjectFactory(), SubjectFactory()],
        "organizations": [OrganizationFactory()],
    }


def change_url(article):
    return f"/admin/coverage_archive/article/{article.pk}/change/"


def test_adding_an_article_in_the_admin_records_one_entry_with_its_links(admin_user_client, terms):
    response = admin_user_client.post(ARTICLE_ADD, article_form_data(terms))

    assert response.status_code == 302, form_errors(response)
    article = Article.objects.get()
    entry = article.history.get()  # one entry, not one per subject or organization added
    assert entry.history_type == "+"
    assert entry.history_user.username == "admin"
    assert {link.subject_id for link in entry.subjects.all()} == {subject.pk for subject in terms["subjects"]}
    assert {link.organization_id for link in entry.organizations.all()} == {o.pk for o in terms["organizations"]}


def test_changing_an_article_records_old_and_new_values_of_fields_and_links(admin_user_client, terms):
    admin_user_client.post(ARTICLE_ADD, article_form_data(terms))
    article = Article.objects.get()
    new_subject = SubjectFactory(name="Synthetic Added Subject")

    data = article_form_data(
        terms,
        title="Synthetic corrected title",
        subjects=[terms["subjects"][0].pk, new_subject.pk],
        organizations=[],
        published_at_0=article.published_at.strftime("%Y-%m-%d"),
        published_at_1=article.published_at.strftime("%H:%M:%S.%f"),
    )
    response = admin_user_client.post(change_url(article), data)

    assert response.status_code == 302, form_errors(response)
    latest, first = article.history.all()
    delta = latest.diff_against(first)
    changes = {change.field: change for change in delta.changes}
    assert set(changes) == {"title", "subjects", "organizations"}
    assert (changes["title"].old, changes["title"].new) == ("Synthetic admin-made article", "Synthetic corrected title")
    assert {row["subject"] for row in changes["subjects"].new} == {terms["subjects"][0].pk, new_subject.pk}
    assert changes["organizations"].new == []


def test_the_history_page_shows_who_changed_what(admin_user_client, terms):
    admin_user_client.post(ARTICLE_ADD, article_form_data(terms))
    article = Article.objects.get()
    data = article_form_data(
        terms,
        title="Synthetic corrected title",
        published_at_0=article.published_at.strftime("%Y-%m-%d"),
        published_at_1=article.published_at.strftime("%H:%M:%S.%f"),
    )
    admin_user_client.post(change_url(article), data)

    response = admin_user_client.get(f"/admin/coverage_archive/article/{article.pk}/history/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "admin" in content
    assert "Synthetic corrected title" in content
    assert escape("Synthetic admin-made article") in content


def test_reverting_restores_the_old_values_and_links(admin_user_client, terms):
    admin_user_client.post(ARTICLE_ADD, article_form_data(terms))
    article = Article.objects.get()
    first = article.history.get()
    data = article_form_data(
        terms,
        title="Synthetic mistaken title",
        subjects=[terms["subjects"][0].pk],
        published_at_0=article.published_at.strftime("%Y-%m-%d"),
        published_at_1=article.published_at.strftime("%H:%M:%S.%f"),
    )
    admin_user_client.post(change_url(article), data)
    revert_url = f"/admin/coverage_archive/article/{article.pk}/history/{first.history_id}/"

    page = admin_user_client.get(revert_url)
    form = page.context["adminform"].form
    assert form.initial["title"] == "Synthetic admin-made article"
    assert set(form.initial["subjects"]) == {subject.pk for subject in terms["subjects"]}
    response = admin_user_client.post(
        revert_url,
        article_form_data(
            terms,
            published_at_0=article.published_at.strftime("%Y-%m-%d"),
            published_at_1=article.published_at.strftime("%H:%M:%S.%f"),
        ),
    )

    assert response.status_code == 302, form_errors(response)
    article.refresh_from_db()
    assert article.title == "Synthetic admin-made article"
    assert set(article.subjects.all()) == set(terms["subjects"])
    assert article.history.count() == 3
    # The search columns are still the database's, not emptied by the revert.
    assert search(Article.objects.filter(pk=article.pk), '"admin-made article"').exists()


def test_changes_to_terms_are_recorded(admin_user_client, db):
    source = SourceFactory(name="Synthetic Source Old")

    admin_user_client.post(
        f"/admin/coverage_archive/source/{source.pk}/change/",
        {"name": "Synthetic Source New", "slug": source.slug, "homepage_url": source.homepage_url, "description": ""},
    )

    latest, first = source.history.all()
    assert latest.history_user.username == "admin"
    assert latest.diff_against(first).changed_fields == ["name"]
    assert admin_user_client.get(f"/admin/coverage_archive/source/{source.pk}/history/").status_code == 200


def test_the_search_columns_are_not_recorded(db):
    fields = {field.name for field in Article.history.model._meta.fields}

    assert "search_text" not in fields
    assert "search_vector" not in fields


def test_linking_an_organization_in_code_is_recorded_too(db):
    article = ArticleFactory()
    organization = OrganizationFactory()
    before = article.history.count()

    article.organizations.add(organization)

    assert article.history.count() == before + 1
    assert [link.organization_id for link in article.history.first().organizations.all()] == [organization.pk]
