"""Factories for test data: visibly synthetic, never real coverage."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from coverage_archive.dates import DatePrecision
from coverage_archive.models import Article, ItemType, Organization, Source, Subject


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Synthetic Source {n}")
    slug = factory.Sequence(lambda n: f"synthetic-source-{n}")
    homepage_url = factory.Sequence(lambda n: f"https://source-{n}.example.org/")


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    name = factory.Sequence(lambda n: f"Synthetic Subject {n}")
    slug = factory.Sequence(lambda n: f"synthetic-subject-{n}")


class ItemTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ItemType

    name = factory.Sequence(lambda n: f"Synthetic Type {n}")
    slug = factory.Sequence(lambda n: f"synthetic-type-{n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Synthetic Organization {n}")
    slug = factory.Sequence(lambda n: f"synthetic-organization-{n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published, day-dated synthetic article with one subject.

    ``ArticleFactory(subjects=[a, b], organizations=[c])`` sets the links;
    ``ArticleFactory(draft=True)`` makes an unpublished one.
    """

    class Meta:
        model = Article
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Article.Status.DRAFT, published_at=None)

    title = factory.Sequence(lambda n: f"Synthetic article {n}")
    slug = factory.Sequence(lambda n: f"synthetic-article-{n}")
    source = factory.SubFactory(SourceFactory)
    item_type = factory.SubFactory(ItemTypeFactory)
    publication_date = datetime.date(2020, 5, 17)
    date_precision = DatePrecision.DAY
    language = "en"
    summary = "A synthetic summary written for tests."
    body = "First synthetic paragraph.\n\nSecond synthetic paragraph."
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))

    @factory.post_generation
    def subjects(self, create, extracted, **kwargs):
        if create:
            self.subjects.set(extracted if extracted is not None else [SubjectFactory()])

    @factory.post_generation
    def organizations(self, create, extracted, **kwargs):
        if create and extracted:
            self.organizations.set(extracted)
