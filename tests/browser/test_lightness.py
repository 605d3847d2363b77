"""Light pages: the home page, a full page of archive results, the seed article, a capture's page and About each
weigh under 50 KB of HTML and CSS, uncompressed, as the browser downloads them.

(Working without JavaScript is shown by journeys 1 and 2, run again with it off.)
"""

import pytest

from tests.browser.archive_data import PUBLIC_PAGES, SEED_SLUG, build_archive

pytestmark = pytest.mark.browser

MAX_BYTES = 50_000
PAGES = {
    "home": "/",
    "archive-with-20-results": "/coverage/",
    "article-seed": f"/coverage/{SEED_SLUG}/",
    "api-docs": "/api/",
    "about": "/about/",
}


def test_pages_weigh_under_50_kb_with_their_css(browsing, transactional_db, record_property):
    # More than a page of coverage, with as many sources, subjects and organizations
    # as articles, so every list on the archive page is long.
    data = build_archive(extra_articles=30)
    pages = {**PAGES, "capture": PUBLIC_PAGES["capture"](data)}
    page = browsing.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    weights = {}
    for name, address in pages.items():
        responses.clear()
        page.goto(address)
        if name == "archive-with-20-results":
            assert page.locator("main ol > li article").count() == 20
        weights[name] = {
            response.url: len(response.body())
            for response in responses
            if response.request.resource_type in {"document", "stylesheet"}
        }
        record_property(f"{name}_bytes", sum(weights[name].values()))
    heavy = {name: files for name, files in weights.items() if sum(files.values()) >= MAX_BYTES}
    assert not heavy, f"pages of {MAX_BYTES:,} bytes or more (HTML and CSS, uncompressed): {heavy}"
