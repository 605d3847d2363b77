"""The archive the browser tests read: the shipped seed plus visibly synthetic coverage.

Never real coverage: the synthetic outlets, subjects and articles are named as such
("Synthetic Source A", "Synthetic article 7"), and their links point at example.org.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management import call_command

from coverage_archive.dates import DatePrecision
from coverage_archive.models import Article
from coverage_archive.preservation.models import Capture, LinkOutcome, LinkState
from tests.captures import make_capture
from tests.factories import ArticleFactory, ItemTypeFactory, OrganizationFactory, SourceFactory, SubjectFactory

SEED_SLUG = "immigrant-groups-have-a-special-reason-to-oppose-amazons-move"
SEED_TITLE = "Immigrant Groups Have a Special Reason to Oppose Amazon’s Move"
# Every synthetic article holds this word, so one search finds them all (and not the seed).
SEARCH_WORD = "synthetic"
ORIGINAL = "https://example.org/synthetic/article-1"


@dataclass
class ArchiveData:
    seed: Article
    full_article: Article  # every optional field filled in, outbound links included
    # The full article's newest capture (its original is gone; two captures of it are kept).
    capture: Capture | None = None
    # Titles of the published synthetic articles, and of those in Subject A from Source A.
    synthetic_titles: set[str] = field(default_factory=set)
    subject_a_source_a_titles: set[str] = field(default_factory=set)
    source_a_titles: set[str] = field(default_factory=set)
    subject_a_titles: set[str] = field(default_factory=set)
    subject_a_slug: str = "synthetic-subject-a"
    source_a_slug: str = "synthetic-source-a"
    source_with_homepage_slug: str = "synthetic-source-a"


def build_archive(*, extra_articles: int = 0) -> ArchiveData:
    """The seed, then 16 published synthetic articles in a 2-by-2 grid of subject and source:

    8 in Synthetic Subject A from Synthetic Source A (the journeys' two filters), 4 in
    Subject B from Source A, 4 in Subject A from Source B; one draft that must never
    show; and ``extra_articles`` more, each with its own subjects, source and
    organization, for pages that need many results and long facet lists.
    """
    call_command("load_seed_archive", verbosity=0)
    seed = Article.objects.get(slug=SEED_SLUG)
    kind = ItemTypeFactory(name="Synthetic Type A", slug="synthetic-type-a")
    source_a = SourceFactory(name="Synthetic Source A", slug="synthetic-source-a")
    source_b = SourceFactory(name="Synthetic Source B", slug="synthetic-source-b")
    subject_a = SubjectFactory(
        name="Synthetic Subject A", slug="synthetic-subject-a", description="A synthetic subject for tests."
    )
    subject_b = SubjectFactory(name="Synthetic Subject B", slug="synthetic-subject-b")
    organization = OrganizationFactory(name="Synthetic Organization A", slug="synthetic-organization-a")

    grid = [(subject_a, source_a)] * 8 + [(subject_b, source_a)] * 4 + [(subject_a, source_b)] * 4
    data = ArchiveData(seed=seed, full_article=None)
    for number, (subject, source) in enumerate(grid, start=1):
        article = _synthetic_article(number, source=source, item_type=kind, subjects=[subject])
        data.synthetic_titles.add(article.title)
        if subject == subject_a:
            data.subject_a_titles.add(article.title)
        if source == source_a:
            data.source_a_titles.add(article.title)
            if subject == subject_a:
                data.subject_a_source_a_titles.add(article.title)
    _synthetic_article(len(grid) + 1, source=source_a, item_type=kind, subjects=[subject_a], draft=True)

    data.full_article = Article.objects.get(slug="synthetic-article-1")
    data.full_article.byline = "Synthetic Byline"
    data.full_article.original_url = ORIGINAL
    data.full_article.archived_url = "https://archive.example.org/synthetic/article-1"
    data.full_article.editors_note = "A synthetic editor's note."
    data.full_article.save()
    data.full_article.organizations.set([organization])
    # Kept by the archive twice, then gone: the article page says so and points to the newest capture.
    captured_at = datetime.datetime(2025, 3, 5, 14, 30, tzinfo=datetime.UTC)
    make_capture(data.full_article, captured_at=captured_at - datetime.timedelta(days=60), url=ORIGINAL)
    data.capture = make_capture(
        data.full_article,
        captured_at=captured_at,
        url=ORIGINAL,
        title="Synthetic article 1, as captured",
        text="\n".join(f"Synthetic captured paragraph {n}, written for the browser tests." for n in range(1, 6)),
    )
    LinkState.objects.create(
        article=data.full_article,
        outcome=LinkOutcome.GONE,
        checked_at=captured_at + datetime.timedelta(days=30),
        last_fine_at=captured_at + datetime.timedelta(days=10),
    )

    for number in range(len(grid) + 2, len(grid) + 2 + extra_articles):
        article = _synthetic_article(
            number,
            source=SourceFactory(),
            item_type=kind,
            subjects=[SubjectFactory(), SubjectFactory()],
            organizations=[OrganizationFactory()],
        )
        data.synthetic_titles.add(article.title)
    return data


def _synthetic_article(number: int, **fields) -> Article:
    return ArticleFactory(
        title=f"Synthetic article {number}",
        slug=f"synthetic-article-{number}",
        summary=f"A synthetic summary of synthetic article {number}, written for the browser tests.",
        publication_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=number),
        date_precision=DatePrecision.DAY,
        **fields,
    )


# One address per kind of public page, named for test ids.
PUBLIC_PAGES: dict[str, Callable[[ArchiveData], str]] = {
    "home": lambda data: "/",
    "home-es": lambda data: "/es/",
    "archive": lambda data: "/coverage/",
    "archive-filtered": lambda data: (
        f"/coverage/?q={SEARCH_WORD}&subject={data.subject_a_slug}&source={data.source_a_slug}"
    ),
    "archive-no-results": lambda data: "/coverage/?q=nothing+matches+these+words",
    "archive-invalid-filter": lambda data: "/coverage/?date_from=November",
    "article-seed": lambda data: data.seed.get_absolute_url(),
    "article-full": lambda data: data.full_article.get_absolute_url(),
    "capture": lambda data: f"{data.full_article.get_absolute_url()}captures/{data.capture.pk}/",
    "capture-es": lambda data: f"/es{data.full_article.get_absolute_url()}captures/{data.capture.pk}/",
    "subjects-index": lambda data: "/subjects/",
    "organizations-index": lambda data: "/organizations/",
    "subject-term": lambda data: "/subjects/organizing/",
    "source-term": lambda data: f"/sources/{data.source_with_homepage_slug}/",
    "privacy": lambda data: "/privacy/",
    "about": lambda data: "/about/",
    "about-es": lambda data: "/es/about/",
    "api-docs": lambda data: "/api/",
    "api-docs-es": lambda data: "/es/api/",
    "not-found": lambda data: "/no-such-page/",
    "bad-request": lambda data: "/coverage/?q=%00",
}
# The status each answers with; every other page is a 200.
PAGE_STATUS = {"archive-invalid-filter": 400, "not-found": 404, "bad-request": 400}
