"""No request a reader can send gets a 500: generated query strings and paths
thrown at every public route, in both languages, on SQLite and PostgreSQL.

Hypothesis (pinned in requirements-dev.txt) draws the requests: unicode, NUL and
other control characters, very long values, more parameters than Django reads,
tsquery metacharacters (& | ! : * ( ) < > '), LIKE metacharacters (% _ \\) and
ORed phrases, under the archive's own parameter names and others. The examples
are derandomized (the same on every run, so CI is reproducible) and bounded in
number; each bug they found has its own plain regression test beside the code's
other tests.
"""

from urllib.parse import quote, unquote_to_bytes, urlencode

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from coverage_archive.models import Article, Subject
from tests.factories import ArticleFactory, OrganizationFactory, SubjectFactory

SEED_SLUG = "immigrant-groups-have-a-special-reason-to-oppose-amazons-move"
TERMS = {
    "subjects": "organizing",
    "sources": "wnyc-public-radio",
    "types": "media-coverage",
    "organizations": "make-the-road-new-york",
}

# Every public route, by its English path; those under i18n_patterns are asked under /es/ too.
LOCALIZED_ROUTES = [
    "/",
    "/coverage/",
    "/coverage/feed/",
    "/coverage/export.csv",
    "/coverage/export.json",
    f"/coverage/{SEED_SLUG}/",
    f"/coverage/{SEED_SLUG}/cite.ris",
    f"/coverage/{SEED_SLUG}/cite.bib",
    f"/coverage/{SEED_SLUG}/captures/1/",
    f"/coverage/{SEED_SLUG}/captures/1.warc.gz",
    "/privacy/",
    "/api/",
    *(f"/{taxonomy}/" for taxonomy in TERMS),
    *(f"/{taxonomy}/{slug}/" for taxonomy, slug in TERMS.items()),
    *(f"/{taxonomy}/{slug}/feed/" for taxonomy, slug in TERMS.items()),
]
ROUTES = [
    *LOCALIZED_ROUTES,
    *(f"/es{route}" for route in LOCALIZED_ROUTES),
    "/robots.txt",
    "/sitemap.xml",
    *(f"/sitemap-{kind}-{code}.xml" for kind in ("pages", "terms", "articles") for code in ("en", "es")),
]
PARAMETER_NAMES = [
    "q",
    "subject",
    "source",
    "type",
    "organization",
    "language",
    "date_from",
    "date_to",
    "sort",
    "page",
    "more",
    "p",
]

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x9F, exclude_categories=())
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=30) | st.text(CONTROL, max_size=10)
METACHARACTERS = st.lists(st.sampled_from([*"&|!:*()<>'%_\\\"-", " ", "a", " OR ", "é"]), max_size=40).map("".join)
ORED_PHRASES = st.lists(
    st.sampled_from(['"the of"', '"of the"', "the-of", '-"in the"', "word", '"a b c d"', "OR", "é-ü"]),
    max_size=60,
).map(" OR ".join)
SPECIAL_VALUES = st.sampled_from(
    [
        "",
        "\x00",
        "a\x01b",
        "\x0b",
        "\ud7ff\ue000\uffff",
        "x" * 5000,
        "2018-02-30",
        "9999-99",
        "-1",
        "99999999999999999999",
        "organizing",
        "es",
        "relevance",
        "subject",
        "'; DROP TABLE x; --",
        "%%",
        "_\\%",
        "a:*",
        "!(a|b)&c<->d",
    ]
)
VALUES = ANY_TEXT | METACHARACTERS | ORED_PHRASES | SPECIAL_VALUES | st.text(max_size=300).map(lambda t: t * 3)
PARAMETERS = st.lists(st.tuples(st.sampled_from(PARAMETER_NAMES) | ANY_TEXT, VALUES), max_size=6) | st.just(
    [("a", "1")] * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
)

FUZZ_SETTINGS = hypothesis_settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    # One archive for all examples: the requests only read it.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def archive(seed):
    """The seed archive, a few more pieces, and stored text holding a control character."""
    subject = Subject.objects.get(slug="organizing")
    organization = OrganizationFactory(name="Synthetic 100% Union_", slug="synthetic-union", name_es="Sindicato")
    for n in range(4):
        ArticleFactory(
            title=f"Synthetic piece {n}: the of “ICE” & 50% off_",
            body="the of the in the and the " * 20,
            language="es" if n % 2 else "en",
            subjects=[subject, SubjectFactory()],
            organizations=[organization],
        )
    Article.objects.filter(slug=SEED_SLUG).update(summary="Synthetic\x0bline break")


def assert_no_server_error(client, path: str, parameters):
    """GET exactly this path (percent-encoded; a leading // stays a path) and query string."""
    query = urlencode(parameters, quote_via=quote)
    environ_path = unquote_to_bytes(path).decode("iso-8859-1")  # as a WSGI server hands it over
    response = client.generic("GET", "/", PATH_INFO=environ_path, QUERY_STRING=query)
    if response.streaming:
        b"".join(response.streaming_content)  # an export fails, if at all, while streamed
    assert response.status_code < 500, (path[:200], query[:300], response.status_code)


@pytest.fixture
def reader():
    return Client(raise_request_exception=False)


@FUZZ_SETTINGS
@given(route=st.sampled_from(ROUTES), parameters=PARAMETERS)
def test_no_query_string_gets_a_server_error(reader, archive, route, parameters):
    assert_no_server_error(reader, route, parameters)


PATH_TEXT = (
    st.text(st.characters(codec="utf-8"), max_size=40)
    | METACHARACTERS
    | st.sampled_from(
        ["", "/", "//evil.example", "\\evil.example", "..", "%00", "a\x00b", "\x0b", "x" * 3000, "feed", "cite.ris"]
    )
)


@FUZZ_SETTINGS
@given(
    prefix=st.sampled_from(["", "/es", "/", "//evil.example"]),
    route=st.sampled_from(["/coverage/", *(f"/{taxonomy}/" for taxonomy in TERMS), "/"]),
    segment=PATH_TEXT,
    tail=st.sampled_from(["", "/", "/feed/", "/cite.bib", "/export.csv"]),
    parameters=PARAMETERS,
)
def test_no_path_gets_a_server_error(reader, archive, prefix, route, segment, tail, parameters):
    assert_no_server_error(reader, quote(f"{prefix}{route}{segment}{tail}", safe="/"), parameters)
