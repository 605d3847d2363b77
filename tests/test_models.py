"""The archive's integrity is held by the database, not only by forms."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from coverage_archive.dates import DatePrecision
from coverage_archive.models import Article, ArticleOrganization, ArticleSubject
from tests.factories import (
    ArticleFactory,
    ItemTypeFactory,
    OrganizationFactory,
    SourceFactory,
    SubjectFactory,
)

pytestmark = pytest.mark.django_db


def assert_refused_by_database(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_article_slugs_are_unique():
    ArticleFactory(slug="same")
    assert_refused_by_database(lambda: ArticleFactory(slug="same"))


@pytest.mark.parametrize("factory", [SourceFactory, SubjectFactory, ItemTypeFactory, OrganizationFactory])
def test_term_slugs_and_names_are_unique_ignoring_case(factory):
    factory(name="Organizing", slug="organizing")
    assert_refused_by_database(lambda: factory(name="Other", slug="organizing"))
    assert_refused_by_database(lambda: factory(name="ORGANIZING", slug="organizing-2"))


def test_a_duplicate_name_gets_a_readable_message_from_validation():
    SubjectFactory(name="Organizing", slug="organizing")
    duplicate = SubjectFactory.build(name="organizing", slug="organizing-again")
    with pytest.raises(ValidationError, match="already exists"):
        duplicate.full_clean()


def test_the_normalized_original_url_is_stored_and_unique():
    first = ArticleFactory(original_url="https://www.example.org/story/?utm_source=feed")
    assert first.original_url_normalized == "example.org/story"
    assert_refused_by_database(lambda: ArticleFactory(original_url="http://example.org/story"))


def test_many_articles_may_have_no_original_url():
    ArticleFactory(original_url="")
    ArticleFactory(original_url="")
    assert Article.objects.filter(original_url_normalized="").count() == 2


def test_changing_the_original_url_updates_its_normalized_form_even_with_update_fields():
    article = ArticleFactory(original_url="https://example.org/a")
    article.original_url = "https://example.org/b/"
    article.save(update_fields=["original_url"])
    article.refresh_from_db()
    assert article.original_url_normalized == "example.org/b"


def test_validation_names_the_article_that_already_has_the_url():
    ArticleFactory(title="Synthetic article first", original_url="https://example.org/story")
    duplicate = ArticleFactory.build(
        original_url="http://www.example.org/story/", source=SourceFactory(), item_type=ItemTypeFactory()
    )
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "Synthetic article first" in str(excinfo.value.message_dict["original_url"])


@pytest.mark.parametrize("slug", ["feed", "export", "search"])
def test_reserved_slugs_are_refused_by_the_database_and_explained_by_validation(slug):
    assert_refused_by_database(lambda: ArticleFactory(slug=slug))
    article = ArticleFactory.build(slug=slug, source=SourceFactory(), item_type=ItemTypeFactory())
    with pytest.raises(ValidationError, match="own pages"):
        article.full_clean()


def test_a_date_needs_a_precision_and_an_unknown_date_has_none():
    assert_refused_by_database(lambda: ArticleFactory(date_precision=DatePrecision.UNKNOWN))
    assert_refused_by_database(lambda: ArticleFactory(publication_date=None, date_precision=DatePrecision.DAY))
    article = ArticleFactory(publication_date=None, date_precision=DatePrecision.UNKNOWN)
    assert article.publication_period is None


def test_a_published_article_needs_its_archive_publication_time():
    assert_refused_by_database(lambda: ArticleFactory(status=Article.Status.PUBLISHED, published_at=None))


@pytest.mark.parametrize(
    ("make_term", "link_field"),
    [(SourceFactory, "source"), (ItemTypeFactory, "item_type")],
)
def test_a_source_or_type_in_use_cannot_be_deleted(make_term, link_field):
    term = make_term()
    ArticleFactory(**{link_field: term})
    with pytest.raises(ProtectedError):
        term.delete()


def test_a_subject_or_organization_in_use_cannot_be_deleted_and_links_are_not_silently_dropped():
    subject, organization = SubjectFactory(), OrganizationFactory()
    article = ArticleFactory(subjects=[subject], organizations=[organization])
    with pytest.raises(ProtectedError):
        subject.delete()
    with pytest.raises(ProtectedError):
        organization.delete()
    assert list(article.subjects.all()) == [subject]
    assert list(article.organizations.all()) == [organization]


def test_deleting_an_article_removes_its_links_but_keeps_the_terms():
    subject, organization = SubjectFactory(), OrganizationFactory()
    ArticleFactory(subjects=[subject], organizations=[organization]).delete()
    assert not ArticleSubject.objects.exists() and not ArticleOrganization.objects.exists()
    subject.refresh_from_db()
    organization.refresh_from_db()


def test_an_article_links_a_subject_once():
    subject = SubjectFactory()
    article = ArticleFactory(subjects=[subject])
    assert_refused_by_database(lambda: ArticleSubject.objects.create(article=article, subject=subject))


def test_only_published_articles_whose_time_has_come_are_public():
    public = ArticleFactory()
    ArticleFactory(draft=True)
    ArticleFactory(published_at=timezone.now() + datetime.timedelta(hours=1))
    assert list(Article.objects.published()) == [public]
    assert public.is_public()


def test_newest_first_puts_unknown_dates_last():
    unknown = ArticleFactory(publication_date=None, date_precision=DatePrecision.UNKNOWN)
    old = ArticleFactory(publication_date=datetime.date(2010, 1, 1))
    new = ArticleFactory(publication_date=datetime.date(2020, 1, 1))
    assert list(Article.objects.newest_first()) == [new, old, unknown]
    assert list(Article.objects.oldest_first()) == [old, new, unknown]
    assert list(Article.objects.all()) == [new, old, unknown]


def test_paragraphs_split_at_empty_lines_whatever_the_line_endings():
    article = ArticleFactory.build(body="One\r\n\r\nTwo\nstill two\n\n\n\nThree\n")
    assert article.paragraphs() == ["One", "Two\nstill two", "Three"]


def test_models_read_well_as_text_and_link_to_their_pages():
    subject = SubjectFactory(name="Organizing", slug="organizing")
    article = ArticleFactory(slug="a-story", subjects=[subject])
    assert str(subject) == "Organizing"
    assert str(article) == article.title
    assert subject.get_absolute_url() == "/subjects/organizing/"
    assert article.get_absolute_url() == "/coverage/a-story/"
    assert article.source.get_absolute_url().startswith("/sources/")
    assert article.item_type.get_absolute_url().startswith("/types/")
    assert OrganizationFactory(slug="mijente").get_absolute_url() == "/organizations/mijente/"
