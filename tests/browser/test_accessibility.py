"""axe-core finds no WCAG 2.2 AA violation on any kind of public page, on a phone or a laptop.

axe-playwright-python injects axe-core (shipped inside its wheel) with
page.evaluate, which the page's strict Content-Security-Policy does not block,
so the pages are checked exactly as readers get them.
"""

import pytest

from tests.browser.archive_data import PAGE_STATUS, PUBLIC_PAGES
from tests.browser.helpers import WCAG_TAGS, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": {"width": 320, "height": 640}, "laptop": {"width": 1280, "height": 800}}


def axe_violations(page, **options) -> tuple[int, str]:
    results = run_axe(page, **options)
    return results.violations_count, results.generate_report()


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_axe_finds_no_wcag_violations(page, archive, name):
    response = page.goto(PUBLIC_PAGES[name](archive))
    assert response.status == PAGE_STATUS.get(name, 200)
    for viewport_name, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        count, report = axe_violations(page, runOnly={"type": "tag", "values": WCAG_TAGS})
        assert count == 0, f"{name} on a {viewport_name}: {report}"


def test_axe_check_can_fail(page, archive):
    """The check above is live: a page with an unlabeled input is reported."""
    page.goto("/privacy/")
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    count, report = axe_violations(page, runOnly={"type": "tag", "values": WCAG_TAGS})
    assert count == 1 and "label" in report
