"""Journey 5: an editor adds coverage in the admin, with a new subject made on the way,
publishes it, and finds it on the public site under that subject.

The admin runs under the same Content-Security-Policy as the public pages: the
``browsing`` fixture fails the test on any CSP violation its console reports,
popups included.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in_as_editor

pytestmark = pytest.mark.browser

TITLE = "Synthetic article added in the admin"
NEW_SUBJECT = "Synthetic Subject Made In The Admin"


def choose_autocomplete(page, field: str, text: str) -> None:
    """Pick an option in one of the admin's autocomplete (select2) fields by typing part of it."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-container--open .select2-results__option", has_text=text).click()


def test_journey_5_editor_adds_a_subject_and_publishes_coverage_under_it(browsing, archive):
    _editor, page = sign_in_as_editor(browsing)
    page.get_by_role("link", name="Articles", exact=True).click()
    page.get_by_role("link", name="Add article").click()
    # The admin's scripts bind the slug's prepopulation once the page has loaded; typing
    # sooner (a busy machine is slow to get there) would leave the slug empty.
    page.wait_for_url("**/article/add/")
    page.wait_for_load_state("load")

    page.get_by_label("Title:").press_sequentially(TITLE)  # typed: the slug fills itself in on keyup
    expect(page.get_by_label("Slug:")).to_have_value("synthetic-article-added-in-the-admin")
    choose_autocomplete(page, "source", "Synthetic Source A")
    page.get_by_label("Type:").select_option(label="Synthetic Type A")

    # The "+" beside Subjects opens a popup for the new term, which closes and selects it on saving.
    with page.expect_popup() as opened:
        page.locator(".field-subjects").get_by_role("link", name="Add another subject").click()
    popup = opened.value
    popup.get_by_label("Name:").press_sequentially(NEW_SUBJECT)
    expect(popup.get_by_label("Slug:")).to_have_value("synthetic-subject-made-in-the-admin")
    with popup.expect_event("close"):
        popup.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#id_subjects option:checked")).to_have_text([NEW_SUBJECT])
    expect(page.locator(".field-subjects .select2-selection__choice")).to_contain_text(NEW_SUBJECT)

    page.get_by_label("Publication date:").fill("2021-03")
    page.get_by_label("Summary:").fill("A synthetic summary typed by an editor.")
    page.get_by_label("Status:").select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # On the public site, under the new subject.
    page.goto("/subjects/")
    page.get_by_role("link", name=NEW_SUBJECT, exact=True).click()
    expect(page).to_have_url(re.compile(r"/subjects/synthetic-subject-made-in-the-admin/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Subject: {NEW_SUBJECT}")
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator('time[datetime="2021-03"]').first).to_have_text("March 2021")
