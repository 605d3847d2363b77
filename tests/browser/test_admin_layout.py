"""The editors' admin at 1280 px wide, as an editor signs in to it: the article list shows every
column beside its filters, and an article's Preservation section fits its form (static/css/admin.css,
ArchiveAdminSite.enable_nav_sidebar)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coverage_archive.models import Article
from coverage_archive.preservation.models import Capture, LinkCheck, LinkOutcome, LinkState
from tests.browser.helpers import sign_in_as_editor
from tests.factories import ArticleFactory

pytestmark = pytest.mark.browser

ARTICLES = "/admin/coverage_archive/article/"
# An invented outlet's long address, as real news sites have them.
OLD = "https://ledger.example/news/2025/03/05/synthetic-tenants-learn-their-rights-at-a-library-workshop-in-town"
NEW = "https://ledger.example/local/neighbourhoods/2025/03/05/synthetic-tenants-learn-their-rights-updated-story"

# How far a box's content reaches past its right edge (0 when it fits), and a table past its form row's.
OVERFLOW = "box => Math.max(0, box.scrollWidth - box.clientWidth)"
PAST_THE_ROW = """table => Math.max(
    0, table.getBoundingClientRect().right - table.closest('.form-row').getBoundingClientRect().right
)"""


def test_the_article_list_shows_every_column_beside_the_filters(browsing, archive):
    now = timezone.now()
    for article, outcome in zip(Article.objects.published()[:3], LinkOutcome.values, strict=False):
        LinkState.objects.create(article=article, outcome=outcome, checked_at=now, last_fine_at=now)
    _editor, page = sign_in_as_editor(browsing)
    page.goto(ARTICLES)
    expect(page.get_by_role("columnheader", name="Last seen working")).to_be_visible()
    assert page.locator("#changelist .results").evaluate(OVERFLOW) == 0, "the list scrolls sideways"


def test_the_article_lists_titles_are_readable_at_1280_px(browsing, archive):
    # Issue 15: the title column was about 70 px wide, one word a line.
    ArticleFactory(
        title="Synthetic article: tenants in Example City organize a know-your-rights workshop at the library",
        slug="synthetic-readable-title",
        status=Article.Status.PUBLISHED,
    )
    _editor, page = sign_in_as_editor(browsing)
    page.goto(ARTICLES)
    width = page.locator("#result_list tbody .field-title").first.evaluate("cell => cell.getBoundingClientRect().width")
    assert width >= 240, f"the title column is {width:.0f} px wide"


def test_an_articles_captures_and_link_checks_fit_its_form(browsing, transactional_db, migration_rows):
    migration_rows()  # the Editors group, which an earlier live-server test's flush deleted
    article = ArticleFactory(title="Synthetic piece that moved", original_url=OLD)
    now = timezone.now()
    Capture.objects.create(
        article=article,
        requested_url=OLD,
        url=NEW,
        captured_at=now,
        status_code=200,
        content_type="text/html",
        payload_sha256="a" * 64,
        payload_size=1834,
        warc="captures/2025/03/synthetic.warc.gz",
        warc_sha256="b" * 64,
    )
    LinkCheck.objects.create(
        article=article,
        checked_at=now,
        url=OLD,
        status_code=200,
        final_url=NEW,
        redirects=[[301, OLD, NEW]],
        outcome=LinkOutcome.MOVED,
        detail="Moved permanently (HTTP 301)",
    )
    _editor, page = sign_in_as_editor(browsing)
    page.goto(f"{ARTICLES}{article.pk}/change/")
    tables = page.locator("fieldset table.preservation-record")
    expect(tables).to_have_count(2)
    for table in tables.all():
        assert table.evaluate(PAST_THE_ROW) == 0, "a column of the Preservation section is cut off"
