"""The public pages never answer bad input with a 500.

Every odd address gets a clear answer: a 404 on the styled “Page not found”
page, or a 400 that shows the filter form with the problem in plain words (and
no results, so a mistyped filter is never mistaken for “everything”). Page
numbers are forgiving: any value gives the nearest real page.

Django's test client re-raises a view's exception instead of returning a 500,
so a crash here fails the test with its traceback. PostgreSQL refuses NUL bytes
in text, so the suite must also pass with DATABASE_URL pointing at PostgreSQL.
"""

import pytest
from django.utils.html import escape

from coverage_archive.filters import MAX_QUERY_LENGTH
from tests.factories import (
    ArticleFactory,
    OrganizationFactory,
    SubjectFactory,
)

ARCHIVE = "/coverage/"
TERM_PAGE = "/subjects/fuzz-subject/"
NOT_FOUND_HEADING = "<h1>Page not found</h1>"
FILTER_FORM_HEADING = '<form class="search-form" role="search"'
FILTER_ERRORS_INTRO = '<h2 id="filter-errors-heading">Some filters could not be used</h2>'
NO_RESULTS_HEADING = "No results: the filters need correcting"
DATE_FORMAT_ERROR = "Enter a date as YYYY, YYYY-MM or YYYY-MM-DD, for example 2018 or 2018-11."
REVERSED_DATES_ERROR = "The end date is before the start date."
VISIBLE_TITLE = "Synthetic visible coverage"


@pytest.fixture
def published(db):
    """One published article that an unfiltered archive page would list."""
    return ArticleFactory(
        title=VISIBLE_TITLE,
        slug="synthetic-visible-coverage",
        subjects=[SubjectFactory(name="Fuzz Subject", slug="fuzz-subject")],
    )


def assert_filter_error(response, message):
    """A 400 that shows the filter form, the error in plain words, and no results."""
    assert response.status_code == 400
    content = response.content.decode()
    assert FILTER_FORM_HEADING in content
    assert FILTER_ERRORS_INTRO in content
    assert NO_RESULTS_HEADING in content
    assert escape(message) in content
    assert VISIBLE_TITLE not in content
    assert response.context["form"].errors


def assert_bad_request_page(response):
    """The styled 400 page, which lists nothing."""
    assert response.status_code == 400
    content = response.content.decode()
    assert "This request could not be understood" in content
    assert VISIBLE_TITLE not in content


# --- 404s -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/coverage/no-such-article/",
        "/coverage/a%00b/",
        "/coverage/%FF/",
        "/subjects/no-such-subject/",
        "/sources/no-such-source/",
        "/types/no-such-type/",
        "/organizations/no-such-organization/",
        "/subjects/a%00b/",
    ],
)
def test_unknown_article_or_term_is_a_404_on_the_styled_page(client, published, path):
    response = client.get(path)

    assert response.status_code == 404
    content = response.content.decode()
    assert NOT_FOUND_HEADING in content
    assert "There is no page at this address." in content
    assert VISIBLE_TITLE not in content


def test_a_draft_article_is_a_404_like_an_unknown_one(client, db):
    draft = ArticleFactory(draft=True, title="Synthetic unpublished draft")

    response = client.get(f"/coverage/{draft.slug}/")

    assert response.status_code == 404
    assert NOT_FOUND_HEADING in response.content.decode()
    assert "Synthetic unpublished draft" not in response.content.decode()


# --- Unknown terms in the archive's filters ------------------------------------


@pytest.mark.parametrize(
    ("parameter", "message"),
    [
        ("subject", "There is no subject “no-such-term” in the archive."),
        ("source", "There is no source “no-such-term” in the archive."),
        ("type", "There is no type “no-such-term” in the archive."),
        ("organization", "There is no organization “no-such-term” in the archive."),
    ],
)
def test_unknown_term_slug_is_a_400_with_the_form(client, published, parameter, message):
    response = client.get(ARCHIVE, {parameter: "no-such-term"})

    assert_filter_error(response, message)


def test_one_unknown_subject_among_known_ones_is_a_400(client, published):
    response = client.get(ARCHIVE, {"subject": ["fuzz-subject", "no-such-term"]})

    assert_filter_error(response, "There is no subject “no-such-term” in the archive.")


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/sources/{source}/", "type"),
        ("/types/{type}/", "organization"),
        ("/organizations/{organization}/", "source"),
        ("/subjects/fuzz-subject/", "organization"),
    ],
)
def test_term_page_with_an_unknown_filter_is_a_400_with_the_form(client, published, path, parameter):
    organization = OrganizationFactory()
    published.organizations.set([organization])
    slugs = {"source": published.source.slug, "type": published.item_type.slug, "organization": organization.slug}

    response = client.get(path.format(**slugs), {parameter: "no-such-term", "language": "xx"})

    assert_filter_error(response, f"There is no {parameter} “no-such-term” in the archive.")
    assert escape("“xx” is not one of the archive's languages.") in response.content.decode()
    assert set(response.context["form"].errors) == {parameter, "language"}
    assert response.context["term"] is not None


def test_the_term_page_fixes_its_own_term_over_a_query_parameter(client, published):
    other = SubjectFactory(slug="another-synthetic-subject")

    response = client.get("/subjects/fuzz-subject/", {"subject": other.slug})

    assert response.status_code == 200
    assert VISIBLE_TITLE in response.content.decode()


# --- Odd bytes in every parameter ------------------------------------------

ODD_VALUES = {
    "nul-byte": "a%00b",
    "invalid-utf8": "%FF",
    "overlong-utf8": "%C0%AF",
    "emoji": "%F0%9F%98%80",
    "very-long": "x" * 5000,
}

# What each parameter says when its value cannot be used (None: never an error).
ERRORS = {
    "q": None,
    "subject": "There is no subject “",
    "source": "There is no source “",
    "type": "There is no type “",
    "organization": "There is no organization “",
    "language": "is not one of the archive's languages.",
    "date_from": DATE_FORMAT_ERROR,
    "date_to": DATE_FORMAT_ERROR,
    "sort": "is not a way to sort; choose one from the list.",
    "page": None,
}


def expected_status(parameter, kind):
    if kind == "nul-byte":
        return 400  # refused for every page by RejectNulBytesMiddleware
    if parameter == "page":
        return 200  # any page value gives the nearest page
    if parameter == "q":
        return 400 if kind == "nul-byte" else 200  # any other text is a search (a long one is cut)
    return 400


@pytest.mark.parametrize("kind", ODD_VALUES)
@pytest.mark.parametrize("parameter", ERRORS)
def test_odd_bytes_in_any_parameter_are_a_400_or_a_page_never_a_500(client, published, parameter, kind):
    response = client.get(f"{ARCHIVE}?{parameter}={ODD_VALUES[kind]}")

    assert response.status_code == expected_status(parameter, kind)
    if kind == "nul-byte":
        assert_bad_request_page(response)
    elif response.status_code == 400:
        assert_filter_error(response, ERRORS[parameter])
    elif parameter == "page":
        assert VISIBLE_TITLE in response.content.decode()
        assert response.context["page_obj"].number == 1
    elif kind == "very-long":  # a search for text no article holds
        assert "Nothing found" in response.content.decode()
        assert VISIBLE_TITLE not in response.content.decode()
    else:  # no letters or numbers: nothing to search for, said so, everything listed
        assert "Your search had no words to look for" in response.content.decode()
        assert VISIBLE_TITLE in response.content.decode()


def test_nul_byte_in_a_search_is_refused_in_plain_words(client, published):
    response = client.get(ARCHIVE, {"q": "synthetic\x00visible"})

    assert_bad_request_page(response)


def test_an_empty_subject_means_any_subject_like_the_other_empty_filters(client, published):
    response = client.get(ARCHIVE, {"subject": "", "source": ""})

    assert response.status_code == 200
    assert VISIBLE_TITLE in response.content.decode()


# --- Dates -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2018-13", "2018-02-30", "18", "2018/11", "0000", "2018-11-00", "Nov 2018"])
@pytest.mark.parametrize("parameter", ["date_from", "date_to"])
def test_malformed_date_is_a_400_with_the_expected_format(client, published, parameter, value):
    response = client.get(ARCHIVE, {parameter: value})

    assert_filter_error(response, DATE_FORMAT_ERROR)
    assert response.context["form"].errors[parameter] == [DATE_FORMAT_ERROR]


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("2019", "2018"), ("2018-12", "2018-11"), ("2018-11-06", "2018-11-05"), ("2019-01-01", "2018")],
)
def test_reversed_dates_are_a_400_saying_so(client, published, date_from, date_to):
    response = client.get(ARCHIVE, {"date_from": date_from, "date_to": date_to})

    assert_filter_error(response, REVERSED_DATES_ERROR)
    assert response.context["form"].errors["date_to"] == [REVERSED_DATES_ERROR]


@pytest.mark.parametrize(("date_from", "date_to"), [("2020-05-17", "2020-05"), ("2020", "2020-05-17")])
def test_overlapping_periods_are_not_reversed_dates(client, published, date_from, date_to):
    # The factory's article is dated 2020-05-17.
    response = client.get(ARCHIVE, {"date_from": date_from, "date_to": date_to})

    assert response.status_code == 200
    assert VISIBLE_TITLE in response.content.decode()


def test_the_filter_forms_own_empty_submission_lists_everything(client, published):
    # What the form sends with nothing chosen: every select empty, no subject checkbox ticked.
    empty = dict.fromkeys(("q", "source", "type", "organization", "language", "date_from", "date_to"), "")

    response = client.get(ARCHIVE, {**empty, "sort": "newest"})

    assert response.status_code == 200
    assert VISIBLE_TITLE in response.content.decode()
    assert not response.context["form"].errors


# --- Sort and language --------------------------------------------------------


def test_unknown_sort_is_a_400_naming_it(client, published):
    response = client.get(ARCHIVE, {"sort": "sideways"})

    assert_filter_error(response, "“sideways” is not a way to sort; choose one from the list.")


def test_unknown_language_is_a_400_naming_it(client, published):
    response = client.get(ARCHIVE, {"language": "xx"})

    assert_filter_error(response, "“xx” is not one of the archive's languages.")


def test_several_bad_filters_are_all_reported_at_once(client, published):
    response = client.get(ARCHIVE, {"sort": "sideways", "language": "xx", "date_from": "2018/11"})

    assert_filter_error(response, "“sideways” is not a way to sort; choose one from the list.")
    assert set(response.context["form"].errors) == {"sort", "language", "date_from"}


# --- Page numbers ---------------------------------------------------------------


@pytest.fixture
def three_pages(db, settings):
    """Five published articles, two to a page: pages 1, 2 and 3."""
    settings.ARCHIVE_PAGE_SIZE = 2
    return ArticleFactory.create_batch(5)


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("2", 2),
        ("abc", 1),
        ("", 1),
        ("1.5", 1),
        ("999999", 3),
        ("9" * 5000, 1),  # beyond int()'s digit limit: not a number
    ],
)
def test_a_page_out_of_range_or_not_a_number_gives_the_nearest_page(client, three_pages, page, expected):
    response = client.get(ARCHIVE, {"page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == expected
    assert f"Page {expected} of 3" in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1"])
def test_a_page_number_below_one_gives_the_first_page(client, three_pages, page):
    response = client.get(ARCHIVE, {"page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == 1
    assert "Page 1 of 3" in response.content.decode()


# --- Long searches ---------------------------------------------------------------


def test_a_search_longer_than_the_limit_is_cut_with_a_visible_note(client, published):
    query = "synthetic" + "a" * 191 + "b" * 60  # 260 characters; the first 200 are kept
    assert len(query) > MAX_QUERY_LENGTH == 200

    response = client.get(ARCHIVE, {"q": query})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Your search was longer than 200 characters, so only its first 200 characters were used." in content
    kept = query[:MAX_QUERY_LENGTH]
    assert f'name="q" value="{kept}"' in content
    assert query[: MAX_QUERY_LENGTH + 1] not in content
    assert "bbbb" not in content  # nothing of the cut part is shown anywhere
    assert response.context["form"]["q"].value() == kept


def test_a_search_of_exactly_the_limit_has_no_note(client, published):
    response = client.get(ARCHIVE, {"q": "a" * MAX_QUERY_LENGTH})

    assert response.status_code == 200
    assert "Your search was longer than" not in response.content.decode()


# --- Fuzz ------------------------------------------------------------------------

NASTY_QUERIES = [
    "q=%00",
    "q=a%00b&subject=fuzz-subject",
    "q=%FF%FE%FD",
    "q=%C0%AF",
    "q=%ED%A0%80",  # a UTF-16 surrogate, encoded as UTF-8
    "q=%F0%9F%92%A9%F0%9F%92%A9",
    "q=%27%20OR%20%271%27%3D%271",
    "q=1%3B%20DROP%20TABLE%20coverage_archive_article%3B--",
    "q=%25%25%25",
    "q=___",
    "q=%5C%5C%5C",
    "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    "q=" + "word+" * 300,
    "q=%E2%80%AE%E2%80%8B",
    "q=%0D%0ASet-Cookie:%20x=1",
    "q=%&q=%G1",
    "q",
    "&&&&",
    "=&&&==&q=&=",
    "%00=%00",
    "x=" + "y" * 10000,
    "subject=%00",
    "subject=a&subject=b&subject=c&subject=fuzz-subject",
    "subject=",
    "subject=..%2F..%2Fetc%2Fpasswd",
    "subject=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "language=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    "source=1",
    "source=%27%3B--&source=",
    "type=%27%3B%20SELECT%201%3B--",
    "organization%5B%5D=x",
    "organization=%F0%9F%98%80",
    "language=EN",
    "language=en&language=es",
    "language=%00",
    "date_from=2018-02-29",
    "date_from=%EF%BC%92%EF%BC%90%EF%BC%91%EF%BC%98",  # full-width digits
    "date_from=9999-12-31&date_to=0001",
    "date_to=2018-11-05T00:00",
    "date_from=-2018",
    "date_to=99999",
    "date_from=2018%00",
    "sort=%00",
    "sort=title&sort=newest",
    "sort=-publication_date",
    "page=1e9",
    "page=%00",
    "page=9999999999999999999999999999999999",
    "page=-0",
    "page=%D9%A3",  # an Arabic-Indic digit three
]


@pytest.mark.parametrize("query", NASTY_QUERIES)
@pytest.mark.parametrize("path", [ARCHIVE, TERM_PAGE])
def test_nasty_query_strings_are_a_200_or_a_400_never_a_500(client, published, path, query):
    response = client.get(f"{path}?{query}")

    assert response.status_code in {200, 400}
    content = response.content.decode()
    if "%00" in query:
        assert_bad_request_page(response)
        return
    assert FILTER_FORM_HEADING in content
    if response.status_code == 400:
        assert FILTER_ERRORS_INTRO in content
        assert VISIBLE_TITLE not in content
    else:
        assert "Some filters could not be used" not in content
    assert "<script>alert(1)</script>" not in content
    assert "onerror=alert(1)>" not in content


# --- Methods -------------------------------------------------------------------


@pytest.mark.parametrize("path", [ARCHIVE, TERM_PAGE, "/coverage/synthetic-visible-coverage/", "/"])
def test_post_to_a_public_page_is_a_405(client, published, path):
    response = client.post(path, {"q": "synthetic"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_head_on_the_archive_is_allowed(client, published):
    response = client.head(ARCHIVE)

    assert response.status_code == 200
