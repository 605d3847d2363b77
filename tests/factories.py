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


def synthetic_capture(article=None, *, number=1, user=None, captured_at=None):
    """A capture saved by the project's own code (a real WARC file in storage) of an invented page.

    The fetch never happened: the page, its headers and its address (example.org) are made up
    here, visibly so, and go through save_capture as a fetch's result would.
    """
    from coverage_archive.preservation.capturing import save_capture
    from coverage_archive.preservation.fetching import USER_AGENT, Exchange, FetchResult

    when = captured_at or datetime.datetime(2025, 3, 4, 5, 6, 7, number % 1_000_000, tzinfo=datetime.UTC)
    url = f"https://example.org/synthetic-ledger/piece-{number}"
    title = f"Synthetic Ledger piece {number}"
    body = f"<html><head><title>{title}</title></head><body><p>Invented text {number}.</p></body></html>"
    exchange = Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", USER_AGENT), ("Host", "example.org")],
        status=200,
        reason="OK",
        http_version="HTTP/1.1",
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body.encode(),
        peer_address="",
        fetched_at=when,
    )
    return save_capture(
        FetchResult(requested_url=url, exchanges=[exchange]),
        text=f"Invented text {number}.",
        title=title,
        proposal={"title": title, "missing": ["byline"], "date": None},
        article=article,
        user=user,
    )
