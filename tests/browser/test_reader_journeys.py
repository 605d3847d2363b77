"""Readers' journeys, done in a real browser as a reader would: by mouse, by keyboard
alone, and with JavaScript switched off (no reader feature may need it).

Every page opened through the ``browsing`` fixture also fails the test if the
browser asks any other host than the site, or the console reports a CSP violation.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.archive_data import SEARCH_WORD, SEED_TITLE
from tests.browser.helpers import (
    archive_state,
    assert_archive_agrees,
    assert_keyboard_order,
    focused,
    follow,
    tab_to,
    use_skip_link,
)

pytestmark = pytest.mark.browser

# Small pages, so the journeys page through results without hundreds of articles.
PAGE_SIZE = 5
JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])


@pytest.fixture
def small_pages(settings):
    settings.ARCHIVE_PAGE_SIZE = PAGE_SIZE


def assert_reader_left_no_trace(page) -> None:
    """No cookie, nothing in local or session storage, for any origin."""
    state = page.context.storage_state()
    assert state["cookies"] == [], f"cookies set for a reader: {state['cookies']}"
    assert state["origins"] == [], f"local storage used for a reader: {state['origins']}"
    assert page.evaluate("sessionStorage.length") == 0


@JAVASCRIPT
def test_journey_1_from_a_subject_to_the_full_text_and_back_to_its_source(browsing, archive, javascript):
    page = browsing.new_page(java_script_enabled=javascript)
    page.goto("/")
    page.get_by_role("region", name="Subjects").get_by_role("link", name="Organizing", exact=True).click()

    expect(page).to_have_url(re.compile(r"/subjects/organizing/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Subject: Organizing")
    page.get_by_role("link", name=SEED_TITLE).click()

    expect(page).to_have_url(re.compile(rf"{archive.seed.get_absolute_url()}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SEED_TITLE)
    full_text = page.get_by_role("region", name="Full text")
    expect(full_text.locator("p")).to_have_text(archive.seed.paragraphs())
    expect(full_text).to_have_attribute("lang", "en")
    page.get_by_role("link", name="WNYC Public Radio", exact=True).click()

    expect(page).to_have_url(re.compile(r"/sources/wnyc-public-radio/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Source: WNYC Public Radio")
    expect(page.get_by_role("heading", name="One article")).to_be_visible()
    expect(page.locator("main ol > li article")).to_have_count(1)
    expect(page.get_by_role("link", name=SEED_TITLE)).to_be_visible()
    assert_reader_left_no_trace(page)


def facet_value(page, facet: str, label: str):
    """A value's link in one of the "Refine these results" lists (not the subject tags on results)."""
    return page.locator(f"#facet-{facet}").get_by_role("link", name=label, exact=True)


@JAVASCRIPT
def test_journey_2_search_narrow_page_and_share(browsing, archive, small_pages, javascript):
    page = browsing.new_page(java_script_enabled=javascript)
    page.goto("/")
    page.get_by_role("searchbox", name="Search the coverage").fill(SEARCH_WORD)
    follow(page, page.get_by_role("searchbox", name="Search the coverage"), "Enter")

    expect(page).to_have_url(re.compile(rf"/coverage/\?q={SEARCH_WORD}$"))
    searched = archive_state(page)
    assert searched.filters() == {"q": (SEARCH_WORD,)}
    assert_archive_agrees(searched, expected_titles=archive.synthetic_titles, page_size=PAGE_SIZE)

    # Narrow with two filters from the refine lists.
    follow(page, facet_value(page, "subject", "Synthetic Subject A"))
    assert_archive_agrees(
        archive_state(page), expected_titles=archive.subject_a_titles & archive.synthetic_titles, page_size=PAGE_SIZE
    )
    follow(page, facet_value(page, "source", "Synthetic Source A"))
    narrowed = archive_state(page)
    assert narrowed.filters() == {
        "q": (SEARCH_WORD,),
        "subject": (archive.subject_a_slug,),
        "source": (archive.source_a_slug,),
    }
    assert narrowed.page_number == 1
    assert_archive_agrees(narrowed, expected_titles=archive.subject_a_source_a_titles, page_size=PAGE_SIZE)

    # Forward and back: the filters ride along, the pages split the results between them.
    follow(page, page.get_by_role("link", name="Next page"))
    second = archive_state(page)
    assert second.page_number == 2 and second.filters() == narrowed.filters()
    assert_archive_agrees(second, expected_titles=archive.subject_a_source_a_titles, page_size=PAGE_SIZE)
    assert set(second.titles).isdisjoint(narrowed.titles)
    assert set(second.titles) | set(narrowed.titles) == archive.subject_a_source_a_titles

    follow(page, page.get_by_role("link", name="Previous page"))
    back = archive_state(page)
    assert back.page_number == 1
    assert (back.filters(), back.titles, back.total) == (narrowed.filters(), narrowed.titles, narrowed.total)

    # The address is the whole state: shared with someone else, it shows the same page.
    shared = browsing.new_page(java_script_enabled=javascript)
    shared.goto(page.url)
    assert archive_state(shared) == back
    assert_reader_left_no_trace(page)
    assert_reader_left_no_trace(shared)


def test_journey_2_remove_a_filter_chip(page, archive):
    page.goto(f"/coverage/?subject={archive.subject_a_slug}&source={archive.source_a_slug}")
    chips = page.get_by_role("navigation", name="Active filters")
    expect(chips).to_have_count(1)
    # One link per active filter (here a subject and a source), each named "Remove …".
    expect(chips.get_by_role("link", name=re.compile(r"^Remove\b"))).to_have_count(2)

    follow(page, chips.get_by_role("link", name=re.compile(r"^Remove.*Synthetic Subject A")))

    state = archive_state(page)
    assert state.filters() == {"source": (archive.source_a_slug,)}
    assert_archive_agrees(state, expected_titles=archive.source_a_titles, page_size=20)


def test_journey_3_by_keyboard_alone(browsing, archive, small_pages):
    # Reduced motion makes the page jump to each focused control instead of gliding
    # there, so each stop can be judged at once; where the glide ends is the same.
    page = browsing.new_page(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page.goto("/")
    assert_keyboard_order(page)
    use_skip_link(page)
    assert focused(page).description == "input#home-search-q “Search the coverage”"
    page.keyboard.type(SEARCH_WORD)
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(rf"/coverage/\?q={SEARCH_WORD}$"))
    assert_archive_agrees(archive_state(page), expected_titles=archive.synthetic_titles, page_size=PAGE_SIZE)
    assert_keyboard_order(page)
    use_skip_link(page)
    subject = facet_value(page, "subject", "Synthetic Subject A")
    tab_to(page, subject)
    tab_to(page, page.locator("#facet-subject").get_by_role("link").last)
    tab_to(page, subject, key="Shift+Tab")  # back again
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"subject="))
    use_skip_link(page)
    tab_to(page, facet_value(page, "source", "Synthetic Source A"))
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"source="))
    narrowed = archive_state(page)
    assert narrowed.filters() == {
        "q": (SEARCH_WORD,),
        "subject": (archive.subject_a_slug,),
        "source": (archive.source_a_slug,),
    }
    assert_archive_agrees(narrowed, expected_titles=archive.subject_a_source_a_titles, page_size=PAGE_SIZE)
    assert_keyboard_order(page)
    use_skip_link(page)
    tab_to(page, page.get_by_role("link", name="Next page"))
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"page=2"))
    second = archive_state(page)
    assert_archive_agrees(second, expected_titles=archive.subject_a_source_a_titles, page_size=PAGE_SIZE)
    assert_keyboard_order(page)
    use_skip_link(page)
    tab_to(page, page.get_by_role("link", name="Previous page"))
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"page=1"))
    assert archive_state(page).titles == narrowed.titles
    # A chip, by keyboard: Space does not follow a link, Enter does.
    use_skip_link(page)
    chip = page.get_by_role("navigation", name="Active filters").get_by_role(
        "link", name=re.compile(r"^Remove.*Synthetic Source A")
    )
    tab_to(page, chip)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "source=" not in url)
    assert archive_state(page).filters() == {"q": (SEARCH_WORD,), "subject": (archive.subject_a_slug,)}

    # Into an article and its full text, still by keyboard.
    use_skip_link(page)
    first_result = page.locator("main ol > li article :is(h2, h3) a").first
    title = first_result.inner_text()
    tab_to(page, first_result)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert_keyboard_order(page)
    use_skip_link(page)
