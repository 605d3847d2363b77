"""Privacy, as the browser sees it: nothing stored, nothing fetched elsewhere, nothing leaked.

The ``browsing`` fixture already fails any test whose browser asked another host or
whose console reported a Content-Security-Policy violation; these tests add what
a reader's browser is told by every page.
"""

from urllib.parse import urlsplit

import pytest

from tests.browser.archive_data import PUBLIC_PAGES
from tests.browser.helpers import follow

pytestmark = pytest.mark.browser

# Referrer policies that send other sites no more than the site's origin.
PRIVATE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
# Sources that would let a script, style or frame in from anywhere, or inline.
LOOSE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:", "blob:"}


# Every link's full address and rel, SVG links (the chart's bars) included.
LINKS = """links => links.map(a => [
    new URL(a.getAttribute('href'), document.baseURI).href, a.getAttribute('rel') || ''
])"""


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *sources = directive.split()
        directives[name.lower()] = sources
    return directives


def assert_strict_headers(address: str, headers: dict[str, str]) -> None:
    assert "content-security-policy" in headers, f"{address} has no Content-Security-Policy"
    policy = parse_csp(headers["content-security-policy"])
    assert policy.get("default-src") == ["'self'"], f"{address}: {policy}"
    assert policy.get("frame-ancestors") == ["'none'"], f"{address}: {policy}"
    assert policy.get("form-action") == ["'self'"], f"{address}: {policy}"
    for directive, sources in policy.items():
        assert not LOOSE_SOURCES & set(sources), f"{address}: {directive} allows {LOOSE_SOURCES & set(sources)}"
    assert headers.get("referrer-policy") in PRIVATE_REFERRER_POLICIES, f"{address}: {headers.get('referrer-policy')}"
    assert headers.get("x-content-type-options") == "nosniff", address


def test_reading_every_page_stores_nothing_in_the_readers_browser(page, archive, settings):
    settings.ARCHIVE_PAGE_SIZE = 5  # so a search has a next page
    set_cookie_headers = []
    page.on("response", lambda response: set_cookie_headers.extend(response.headers_array()))
    for address in PUBLIC_PAGES.values():
        page.goto(address(archive))
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0, address(archive)
    # Following links and sending forms, not only typing addresses.
    page.goto("/")
    page.get_by_role("searchbox", name="Search the coverage").fill("synthetic")
    follow(page, page.get_by_role("button", name="Search"))
    follow(page, page.get_by_role("link", name="Next page"))
    follow(page, page.get_by_role("link", name="Privacy: what this site records about you"))

    assert [header for header in set_cookie_headers if header["name"].lower() == "set-cookie"] == []
    state = page.context.storage_state()
    assert state == {"cookies": [], "origins": []}


def test_every_page_sends_a_strict_content_security_policy_and_referrer_policy(page, archive):
    for name, address in PUBLIC_PAGES.items():
        response = page.goto(address(archive))
        assert_strict_headers(name, response.all_headers())
    response = page.goto("/admin/login/")
    assert_strict_headers("the admin's sign-in page", response.all_headers())


def test_links_to_other_websites_tell_them_nothing(page, archive):
    outbound = {}
    for name, address in PUBLIC_PAGES.items():
        page.goto(address(archive))
        for href, rel in page.locator("a[href]").evaluate_all(LINKS):
            if urlsplit(href).scheme in {"http", "https"} and not href.startswith(page.context.traffic.origin + "/"):
                outbound[f"{name}: {href}"] = set(rel.split())
    # The full article links its original and archived copy; the source page its homepage.
    assert len(outbound) >= 3, outbound
    leaky = {link: rel for link, rel in outbound.items() if not {"noreferrer", "noopener"} <= rel}
    assert not leaky, f'outbound links without rel="noreferrer noopener": {leaky}'
