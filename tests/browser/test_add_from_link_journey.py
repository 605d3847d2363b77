"""Journey 6: an editor pastes links in the admin's *Add from a link*, reviews the proposals, makes a
draft, and captures its original again — in Chromium, against the invented loopback site
(tests/loopback_site.py) and under the admin's Content-Security-Policy.
"""

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from coverage_archive.models import Article
from coverage_archive.preservation.models import Capture
from tests.browser.helpers import sign_in_as_editor
from tests.factories import ArticleFactory
from tests.loopback_site import LoopbackSite

pytestmark = pytest.mark.browser

ENGLISH = "/en/2025/03/05/tenants-learn-their-rights"


@pytest.fixture
def site():
    with LoopbackSite() as running, override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=("127.0.0.1/32",)):
        yield running


def test_journey_6_editor_drafts_a_piece_from_a_link_and_captures_it_again(browsing, archive, site):
    known = ArticleFactory(
        title="Synthetic piece already in the archive",
        slug="synthetic-piece-already-in-the-archive",
        original_url=site.url("/stories/hotline-volunteers"),
    )
    editor, page = sign_in_as_editor(browsing)

    page.get_by_role("link", name="Articles", exact=True).click()
    page.get_by_role("link", name="Add from a link").click()
    page.get_by_label("Links").fill(
        "\n".join([site.url(ENGLISH), site.url("/stories/hotline-volunteers"), site.url("/gone")])
    )
    page.get_by_role("button", name="Fetch and propose drafts").click()

    # The review: the known link and the dead one are reported, the article is proposed.
    outcomes = page.locator(".messagelist")
    expect(outcomes).to_contain_text("already in the archive as")
    expect(outcomes.get_by_role("link", name=known.title)).to_be_visible()
    expect(outcomes).to_contain_text("refused:")
    expect(page.get_by_role("heading", name="Tenants learn their rights", exact=False)).to_be_visible()
    new_source = page.get_by_label("New source")
    expect(new_source).not_to_have_value("")
    new_source.fill("Invented Loopback Gazette")
    page.get_by_label("Type").select_option(label="Media Coverage")
    page.get_by_role("button", name="Make the drafts").click()

    # Made as a draft, never published, with its capture and history under the editor.
    expect(page.locator(".messagelist")).to_contain_text("draft created:")
    draft = Article.objects.get(original_url=site.url(ENGLISH))
    assert draft.status == Article.Status.DRAFT
    assert draft.source.name == "Invented Loopback Gazette"
    assert draft.history.latest().history_user == editor
    assert draft.captures.count() == 1

    page.locator(".messagelist").get_by_role("link", name=draft.title).click()
    captures = page.locator(".field-captures_of_the_original")
    expect(captures.locator("tbody tr")).to_have_count(1)

    page.get_by_role("link", name="Capture the original now").click()
    page.get_by_role("button", name="Capture the original now").click()
    expect(page.locator(".messagelist")).to_be_visible()
    expect(page.locator(".field-captures_of_the_original tbody tr")).to_have_count(2)
    assert Capture.objects.filter(article=draft).count() == 2
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
