"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Every page opened here records each request and console message of its browser
context; a test fails if the browser asked any host but the site's own, or if
the console reports a Content-Security-Policy violation or a script error.
"""

import os
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# CI (.ci/run) installs Chromium and sets REQUIRE_BROWSER=1: there a missing
# browser fails the run instead of skipping the browser tests.
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER", "").lower() in {"1", "true", "yes"}
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests run as root in CI
    "--disable-gpu",
    # Without these Chromium calls Google's services in the background, which
    # would both leak and show up as foreign requests.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Schemes that never leave the browser.
LOCAL_SCHEMES = {"data", "blob", "about"}


def require_or_skip(message: str) -> None:
    """Skip a browser test for a missing tool, except in CI where it must run."""
    if REQUIRE_BROWSER:
        pytest.fail(f"{message} (REQUIRE_BROWSER=1 makes this a failure, not a skip)", pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # After a browser test has passed its own checks, its browsers' traffic is checked
    # too, as part of the test: a foreign request or CSP violation fails it.
    result = yield
    browsing = item.funcargs.get("browsing")
    if browsing is not None:
        browsing.assert_private()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures see, at teardown, whether the test itself failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package", autouse=True)
def allow_orm_calls_beside_playwright():
    """Playwright's sync API keeps an asyncio event loop running in the test thread,
    and Django refuses ORM calls from a thread with a running loop. These tests call
    the ORM only between browser steps, never at the same time, so the check
    protects nothing here. Set for this package only: elsewhere it must stay unset
    (`check --deploy` rightly fails with it, async.E001)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Launched once for all the browser tests. Package scope rather than session scope:
# the event loop stops with Playwright, so the rest of the suite runs without it.
@pytest.fixture(scope="package")
def browser(allow_orm_calls_beside_playwright):
    if not CHROMIUM.exists():
        require_or_skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The test code's connections while Playwright ran belong to its context:
        # close them here, or PostgreSQL keeps the test database busy at the end.
        connections.close_all()


class Traffic:
    """Everything one browser context asked for and said, checked against the site's origin."""

    def __init__(self, origin: str):
        self.origin = origin
        self.requests: list[str] = []
        self.console: list[str] = []
        self.page_errors: list[str] = []

    def foreign_requests(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme not in LOCAL_SCHEMES and not url.startswith(self.origin + "/")
        ]

    def csp_violations(self) -> list[str]:
        return [text for text in self.console if re.search(r"Content[- ]Security[- ]Policy", text, re.IGNORECASE)]

    def assert_private(self) -> None:
        assert not self.foreign_requests(), (
            f"The browser asked other hosts than {self.origin}: {self.foreign_requests()}"
        )
        assert not self.csp_violations(), f"The console reported CSP violations: {self.csp_violations()}"
        assert not self.page_errors, f"Scripts failed on the page: {self.page_errors}"


class Browsing:
    """Opens fresh browser contexts on the live server, each recording its traffic."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []

    def new_page(self, **context_options):
        context = self.browser.new_context(base_url=self.base_url, **context_options)
        context.set_default_timeout(10_000)
        traffic = Traffic(self.base_url)
        context.on("request", lambda request: traffic.requests.append(request.url))
        # Refuse foreign requests at once rather than waiting on a network that is not there.
        context.route(lambda url: not url.startswith(self.base_url + "/"), lambda route: route.abort())
        context.on("console", lambda message: traffic.console.append(f"{message.type}: {message.text}"))
        context.on("weberror", lambda error: traffic.page_errors.append(str(error.error)))
        context.traffic = traffic
        self.contexts.append(context)
        return context.new_page()

    def assert_private(self) -> None:
        for context in self.contexts:
            context.traffic.assert_private()

    def save_screenshots(self, name: str) -> list[Path]:
        ARTIFACTS.mkdir(exist_ok=True)
        saved = []
        for c, context in enumerate(self.contexts):
            for p, page in enumerate(context.pages):
                path = ARTIFACTS / f"{name}-{c}-{p}.png"
                try:
                    page.screenshot(path=path, full_page=True)
                except Exception:  # a page that cannot be shot must not hide the real failure
                    continue
                saved.append(path)
        return saved

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(request, browser, live_server, migration_rows):
    """Fresh browser contexts on the live server; their traffic is checked when the test
    ends (pytest_runtest_call), and their pages saved as screenshots if it failed."""
    browsing = Browsing(browser, live_server.url)
    yield browsing
    try:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            browsing.save_screenshots(re.sub(r"[^\w.-]+", "_", request.node.nodeid))
    finally:
        browsing.close()


@pytest.fixture
def page(browsing):
    """A fresh page in its own context, as a reader on a laptop."""
    return browsing.new_page(viewport={"width": 1280, "height": 800})


@pytest.fixture(scope="package")
def migration_rows(django_db_setup, django_db_blocker):
    """Puts back the rows data migrations made (the Editors group), which a live-server
    test's flush deletes: before each browser test, and for the tests after them.

    (Serialized rollback would do it too, but once Playwright runs, the test code
    sees new Django connection objects without the saved contents, and it clashes
    with content types recreated by other tests' flushes.)"""
    from importlib import import_module

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    key = ("coverage_archive", "0007_editors_group")
    migration = import_module(f"{key[0]}.migrations.{key[1]}")
    with django_db_blocker.unblock():
        # The models as that migration sees them, as when `migrate` runs it.
        state_apps = MigrationLoader(connection).project_state(key, at_end=False).apps

    def restore():
        with django_db_blocker.unblock():
            if not Group.objects.filter(name=migration.GROUP_NAME).exists():
                migration.create_editors_group(state_apps, SimpleNamespace(connection=connection))

    yield restore
    restore()


@pytest.fixture
def archive(transactional_db, migration_rows):
    """The seed plus synthetic coverage, committed so the live server sees it
    (and deleted after the test, by pytest-django's flush)."""
    from tests.browser.archive_data import build_archive

    migration_rows()
    return build_archive()
