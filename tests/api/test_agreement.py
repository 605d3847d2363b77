"""The API and the pages agree: for the same filters, /api/v1/articles/ and /coverage/ give the same
total, the same pieces in the same order, page by page, and the same facet counts; a filter the page
cannot use, the API refuses too. Filter sets drawn at random (seeded, so every run draws the same)
over a seeded archive, and a few chosen by hand."""

import datetime
import random
from urllib.parse import urlencode

import pytest

from coverage_archive.dates import DatePrecision
from coverage_archive.facets import OWN_FILTERS
from coverage_archive.filters import SortOrder
from tests.factories import ArticleFactory, ItemTypeFactory, OrganizationFactory, SourceFactory, SubjectFactory

pytestmark = pytest.mark.django_db

SEED = 2026
PAGE_SIZE = 20  # the page's (settings.ARCHIVE_PAGE_SIZE), asked of the API
WORDS = ["detention", "organizing", "workers", "surveillance", "tenants", "hearing"]
ALL_FACETS = ",".join(OWN_FILTERS)


@pytest.fixture
def archive(settings):
    assert settings.ARCHIVE_PAGE_SIZE == PAGE_SIZE
    draw = random.Random(SEED)
    subjects = [SubjectFactory(slug=slug) for slug in ("organizing", "surveillance", "labor")]
    sources = [SourceFactory(slug=f"example-ledger-{n}") for n in range(3)]
    types = [ItemTypeFactory(slug=slug) for slug in ("media-coverage", "op-ed")]
    organizations = [OrganizationFactory(slug=f"synthetic-collective-{n}") for n in range(2)]
    for number in range(45):
        precision = draw.choice([DatePrecision.DAY, DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR, None])
        date = datetime.date(draw.randint(2016, 2021), draw.randint(1, 12), draw.randint(1, 28))
        ArticleFactory(
            title=f"Synthetic article {number}: {' '.join(draw.sample(WORDS, 2))}",
            summary=" ".join(draw.sample(WORDS, 3)),
            subjects=draw.sample(subjects, draw.randint(1, 2)),
            organizations=draw.sample(organizations, draw.randint(0, 2)),
            source=draw.choice(sources),
            item_type=draw.choice(types),
            language=draw.choice(["en", "en", "es"]),
            publication_date=date if precision else None,
            date_precision=precision or DatePrecision.UNKNOWN,
        )
    ArticleFactory(title="Synthetic draft: detention", subjects=subjects[:1], draft=True)
    return {"subject": subjects, "source": sources, "type": types, "organization": organizations}


def random_filters(draw: random.Random, terms) -> list[tuple[str, str]]:
    params = []
    for subject in draw.sample(terms["subject"], draw.choice([0, 0, 1, 2])):
        params.append(("subject", subject.slug))
    for key in ("source", "type", "organization"):
        if draw.random() < 0.3:
            params.append((key, draw.choice(terms[key]).slug))
    if draw.random() < 0.3:
        params.append(("language", draw.choice(["en", "es"])))
    if draw.random() < 0.3:
        params.append(("date_from", str(draw.randint(2016, 2020))))
    if draw.random() < 0.3:
        params.append(("date_to", f"{draw.randint(2017, 2021)}-{draw.randint(1, 12):02}"))
    if draw.random() < 0.4:
        params.append(("q", draw.choice([*WORDS, "detention workers", '"organizing workers"', "tenants OR hearing"])))
    if draw.random() < 0.5:
        params.append(("sort", draw.choice([value for value, _label in SortOrder.CHOICES])))
    return params


HAND_PICKED = [
    [],
    [("sort", "oldest")],
    [("sort", "title")],
    [("subject", "organizing"), ("subject", "labor")],
    [("q", "detention"), ("sort", "relevance")],
    [("date_from", "2018"), ("date_to", "2019")],
    [("date_from", "2020"), ("date_to", "2018")],  # refused by both
    [("subject", "no-such-subject")],  # refused by both
    [("language", "xx")],  # refused by both
]


def _facets_of_page(page):
    return {facet.key: [(value.value, value.count) for value in facet.values] for facet in page.context["facets"]}


def _facets_of_api(body):
    return {key: [(value["value"], value["count"]) for value in values] for key, values in body["facets"].items()}


def assert_agree(client, params):
    where = "?" + urlencode(params)
    page = client.get("/coverage/", params)
    api = client.get("/api/v1/articles/", [*params, ("page_size", PAGE_SIZE), ("facets", ALL_FACETS)])
    assert api.status_code == page.status_code, where
    if page.status_code == 400:
        assert set(api.json()["errors"]) == set(page.context["form"].errors), where
        return 0
    body = api.json()
    total = page.context["paginator"].count
    assert body["total"] == total, where
    assert _facets_of_api(body) == _facets_of_page(page), where
    for number in range(1, page.context["paginator"].num_pages + 1):
        if number > 1:
            page = client.get("/coverage/", [*params, ("page", number)])
            body = client.get("/api/v1/articles/", [*params, ("page", number), ("page_size", PAGE_SIZE)]).json()
        assert [a["slug"] for a in body["results"]] == [a.slug for a in page.context["articles"]], (where, number)
    return total


def test_the_api_and_the_page_agree_on_filters_chosen_by_hand(client, archive):
    totals = [assert_agree(client, params) for params in HAND_PICKED]
    assert totals[0] == 45 and totals[1] == 45  # every published piece, over three pages


def test_the_api_and_the_page_agree_on_random_filters(client, archive):
    draw = random.Random(SEED)
    totals = [assert_agree(client, random_filters(draw, archive)) for _ in range(40)]
    # The draws are not all empty or all refused: the comparison has something to compare.
    assert sum(1 for total in totals if total) >= 15, totals
