"""What the browser tests read off a page (the archive's state, where keyboard focus goes), and the
editor's sign-in the admin journeys start with."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.utils.text import slugify
from playwright.sync_api import Page

from tests.factories import UserFactory

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE = Axe()


def run_axe(page: Page, **options) -> AxeResults:
    """axe-core's verdict on the page as it is now. The script (shipped in
    axe-playwright-python's wheel) goes in with page.evaluate, which a strict
    Content-Security-Policy does not block; once per document, not once per run."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_AXE.axe_script)
    return AxeResults(
        page.evaluate("options => axe.run(document, options)", {"resultTypes": ["violations"], **options})
    )


# --- Signing in to the admin ------------------------------------------------------

PASSWORD = "correct horse battery staple"  # UserFactory's


def sign_in_as_editor(browsing):
    """A new editor whose rights come from the Editors group alone (made by a data migration),
    signed in through the admin's login form in a new 1280 px page: (editor, page)."""
    editor = UserFactory(username="editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    page = browsing.new_page(viewport={"width": 1280, "height": 800})
    page.goto("/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return editor, page


# --- The archive page's state, as URL, results and controls ---------------------

# What the page shows as chosen, by parameter name: the search box, the selected
# value of each facet (section#facet-<name>, link with aria-current), the dates.
# Facet values are read back as slugs of their labels, which is exact for the
# synthetic terms the journeys choose.
READ_CONTROLS = """main => {
    const chosen = {};
    const add = (name, value) => { if (value) (chosen[name] ??= []).push(value); };
    add('q', main.querySelector('form[role=search] [name=q]')?.value.trim());
    for (const facet of main.querySelectorAll('section[id^="facet-"]')) {
        for (const link of facet.querySelectorAll('a[aria-current="true"]')) {
            const label = [...link.childNodes].filter(node => !(node.matches?.('.visually-hidden, [aria-hidden=true]')))
                .map(node => node.textContent).join('').trim();
            add(facet.id.slice('facet-'.length), label);
        }
    }
    for (const input of main.querySelectorAll('[name=date_from], [name=date_to]')) add(input.name, input.value);
    return chosen;
}"""


@dataclass(frozen=True)
class ArchiveState:
    params: dict[str, tuple[str, ...]]  # the address's filters (page number and sort apart)
    page_number: int
    total: int  # as the results heading says
    titles: tuple[str, ...]  # the results listed on this page
    controls: dict[str, tuple[str, ...]]  # what the search box, facets and date fields show as chosen
    chips: tuple[str, ...]  # the accessible names of the active-filter chips' links

    def filters(self) -> dict[str, tuple[str, ...]]:
        return {name: values for name, values in self.params.items() if values != ("",)}


def archive_state(page: Page) -> ArchiveState:
    query = parse_qs(urlsplit(page.url).query)
    page_number = int(query.pop("page", ["1"])[0])
    heading = page.get_by_role("heading", name=re.compile(r"^(Showing \d+–\d+ of [\d,]+ articles|One article)$"))
    heading_text = heading.inner_text().strip() if heading.count() else ""
    total = 1 if heading_text == "One article" else int(re.sub(r"\D", "", heading_text.rpartition(" of ")[2]) or 0)
    titles = tuple(text.strip() for text in page.locator("main ol > li article :is(h2, h3)").all_inner_texts())
    controls = page.locator("main").evaluate(READ_CONTROLS)
    chips = page.get_by_role("navigation", name="Active filters").get_by_role("link", name=re.compile(r"^Remove"))
    return ArchiveState(
        params={name: tuple(values) for name, values in query.items() if name not in {"sort", "more"}},
        page_number=page_number,
        total=total,
        titles=titles,
        controls={
            name: tuple(values if name in {"q", "date_from", "date_to"} else map(slugify, values))
            for name, values in controls.items()
        },
        chips=tuple(chip.inner_text().strip() for chip in chips.all()),
    )


def assert_archive_agrees(state: ArchiveState, *, expected_titles: set[str], page_size: int) -> None:
    """The URL, the page's controls, its chips and its results tell the same story."""
    assert state.controls == state.filters(), f"the page shows {state.controls} chosen, the address {state.filters()}"
    assert len(state.chips) == sum(map(len, state.filters().values())), f"chips {state.chips} for {state.filters()}"
    assert state.total == len(expected_titles), f"{state.total} results announced, {len(expected_titles)} expected"
    first = (state.page_number - 1) * page_size
    assert len(state.titles) == min(page_size, len(expected_titles) - first)
    assert set(state.titles) <= expected_titles, f"unexpected results: {set(state.titles) - expected_titles}"


def follow(page: Page, locator, key: str | None = None) -> None:
    """Click a link or button (or press ``key`` on it) and wait until the next page has
    loaded, so nothing is read off a page still arriving."""
    before = page.url
    if key:
        locator.press(key)
    else:
        locator.click()
    page.wait_for_url(lambda url: url != before)


# --- Keyboard focus ---------------------------------------------------------------

# Marks, in document order, every element a Tab press should reach, and answers
# how many there are. Elements the browser skips are left out: inside a closed
# <details>, display:none, visibility:hidden.
MARK_TABBABLES = """() => {
    const candidates = document.querySelectorAll(
        'a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], '
        + '[contenteditable=""], [contenteditable="true"]'
    );
    window.__tabbables = [...candidates].filter(el =>
        !el.disabled && el.tabIndex >= 0 && !(el.type === 'hidden')
        && el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})
    );
    return window.__tabbables.length;
}"""

# Describes the focused element: where it is in the order, and whether a sighted
# keyboard user can see it and its focus indicator.
DESCRIBE_FOCUS = """async (settle) => {
    // With smooth scrolling, focus moves at once but the page glides to it: when
    // asked to, wait until scrolling stops (at most a second) before judging.
    for (let frames = 0, last = null; settle && frames < 60; frames++) {
        await new Promise(resolve => requestAnimationFrame(resolve));
        const now = `${scrollX},${scrollY}`;
        if (now === last) break;
        last = now;
    }
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const x = Math.min(Math.max(rect.left + rect.width / 2, 0), innerWidth - 1);
    const y = Math.min(Math.max(rect.top + rect.height / 2, 0), innerHeight - 1);
    const onTop = document.elementFromPoint(x, y);
    const label = el.getAttribute('aria-label') || el.labels?.[0]?.innerText
        || el.innerText || el.value || el.name || '';
    return {
        index: (window.__tabbables || []).indexOf(el),
        description: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} “${label.trim().slice(0, 40)}”`,
        inMain: !!el.closest('main'),
        isMain: el.tagName === 'MAIN',
        indicator: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none',
        inView: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0
            && rect.top < innerHeight && rect.left < innerWidth,
        unobscured: !!onTop && (onTop === el || el.contains(onTop) || onTop.contains(el)
            || (el.labels && [...el.labels].some(label => label.contains(onTop)))),
    };
}"""


@dataclass(frozen=True)
class FocusStop:
    index: int
    description: str
    # Named as the script returns them.
    inMain: bool
    isMain: bool
    indicator: bool
    inView: bool
    unobscured: bool


def focused(page: Page) -> FocusStop | None:
    described = page.evaluate(DESCRIBE_FOCUS, False)
    if described and not (described["inView"] and described["unobscured"]):
        described = page.evaluate(DESCRIBE_FOCUS, True)
    return FocusStop(**described) if described else None


def assert_focus_visible(stop: FocusStop | None) -> None:
    assert stop is not None, "focus left the page"
    assert stop.indicator, f"{stop.description} shows no focus indicator"
    assert stop.inView, f"{stop.description} has focus but is off screen"
    assert stop.unobscured, f"{stop.description} has focus but something covers it"


def focus_start_of_page(page: Page) -> None:
    """Put the keyboard at the top of the page, as on arrival, so the next Tab goes to its
    first control (blur() alone leaves Chromium's starting point where focus was).

    Waits for the page's load event first: scripts can run before the stylesheet
    has arrived, and focus judged then shows no indicator (seen on a busy machine)."""
    page.wait_for_load_state("load")
    page.evaluate(
        """() => {
            window.scrollTo(0, 0);
            const start = document.createElement('span');
            start.tabIndex = -1;
            start.addEventListener('blur', () => start.remove(), {once: true});
            document.body.prepend(start);
            start.focus({preventScroll: true});
        }"""
    )


def press(page: Page, key: str) -> FocusStop | None:
    page.keyboard.press(key)
    return focused(page)


def walk(page: Page, key: str) -> list[FocusStop]:
    """Press Tab (or Shift+Tab) until focus leaves the page or comes round to where it
    started; fail if it does neither (a trap)."""
    count = page.evaluate(MARK_TABBABLES)
    stops = []
    for _ in range(count + 2):
        stop = press(page, key)
        if stop is None or (stops and stop.index == stops[0].index):
            return stops
        stops.append(stop)
    raise AssertionError(f"focus never left the page after {count + 2} presses of {key}: {stops[-3:]}")


def assert_keyboard_order(page: Page) -> None:
    """Tab reaches every control once, in document order, each visibly focused, then leaves
    the page; Shift+Tab goes back through the same controls in reverse."""
    focus_start_of_page(page)
    forward = walk(page, "Tab")
    count = page.evaluate("window.__tabbables.length")
    assert [stop.index for stop in forward] == list(range(count)), [stop.description for stop in forward]
    for stop in forward:
        assert_focus_visible(stop)
    backward = walk(page, "Shift+Tab")
    assert [stop.index for stop in backward] == list(reversed(range(count))), [stop.description for stop in backward]


def use_skip_link(page: Page) -> None:
    """The first Tab shows the skip link; Enter on it puts focus at the start of the main content."""
    focus_start_of_page(page)
    page.evaluate(MARK_TABBABLES)
    stop = press(page, "Tab")
    assert stop is not None and stop.description.endswith("“Skip to content”"), f"first Tab stop: {stop}"
    assert_focus_visible(stop)
    stop = press(page, "Enter")
    assert stop is not None and stop.isMain, f"the skip link left focus on {stop}"
    stop = press(page, "Tab")
    assert stop is not None and stop.inMain, f"after the skip link, Tab went to {stop}"
    assert_focus_visible(stop)


def tab_to(page: Page, locator, *, key: str = "Tab") -> None:
    """Press Tab until ``locator`` has focus, checking focus is visible at every stop."""
    page.evaluate(MARK_TABBABLES)
    target = locator.element_handle()
    for _ in range(page.evaluate("window.__tabbables.length") + 2):
        stop = press(page, key)
        assert_focus_visible(stop)
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{key} never reached {locator}")
