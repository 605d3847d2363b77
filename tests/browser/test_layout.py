"""Journey 4: every kind of page on a 320 px phone, a 1280 px laptop and at 200 % zoom.

No horizontal scrolling, no text drawn over other text, every control inside the
page's width, and targets large or spaced enough as axe-core's target-size rule
(WCAG 2.5.8) judges them (test_accessibility.py runs every axe rule, target-size
included, at 320 and 1280 px; this test adds it at 200 % zoom). A page that fails is saved as a screenshot in
test-artifacts/ so the failure can be seen.
"""

import pytest

from tests.browser.archive_data import PUBLIC_PAGES
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import MARK_TABBABLES, run_axe

pytestmark = pytest.mark.browser

LAYOUTS = {
    "phone-320x640": {"viewport": {"width": 320, "height": 640}},
    "laptop-1280x800": {"viewport": {"width": 1280, "height": 800}},
    # A 1280-by-800 window zoomed to 200 % lays pages out in 640-by-400 CSS pixels.
    "zoom-200": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}
# Where test_accessibility.py does not already run axe's target-size rule.
CHECK_TARGET_SIZE = {"zoom-200"}

# Pairs of text boxes that overlap by more than a hair, and controls outside the page's width.
FIND_LAYOUT_PROBLEMS = """() => {
    const problems = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) {
        problems.push(`scrolls sideways: ${root.scrollWidth}px of content in ${root.clientWidth}px`);
    }
    const hidden = el => {
        // Not drawn: inside a closed <details>, display:none, visibility:hidden or transparent.
        if (!el.checkVisibility({contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true})) {
            return true;
        }
        for (; el && el !== document.documentElement; el = el.parentElement) {
            const style = getComputedStyle(el);
            if (style.clipPath !== 'none' || style.visibility === 'hidden' || style.opacity === '0') return true;
        }
        return false;
    };
    const boxes = [];
    const range = document.createRange();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
        if (!node.textContent.trim() || hidden(node.parentElement)) continue;
        range.selectNodeContents(node);
        for (const rect of range.getClientRects()) {
            // Off the page entirely: the skip link until it has focus.
            if (rect.width < 1 || rect.height < 1 || rect.bottom + scrollY <= 0) continue;
            boxes.push({node, rect, text: node.textContent.trim().slice(0, 40)});
        }
    }
    for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i], b = boxes[j];
            if (a.node === b.node) continue;
            const width = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
            const height = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
            if (width > 1 && height > 2) problems.push(`“${a.text}” overlaps “${b.text}”`);
        }
    }
    for (const el of window.__tabbables) {
        const rect = el.getBoundingClientRect();
        if (el.classList.contains('skip-link')) continue;  // shown on focus, checked by the keyboard journey
        if (rect.left + scrollX < 0 || rect.right + scrollX > root.clientWidth + 1) {
            const text = el.innerText.trim().slice(0, 40);
            problems.push(`${el.tagName.toLowerCase()} “${text}” is outside the page's width`);
        }
    }
    return problems.slice(0, 20);
}"""


@pytest.mark.parametrize("layout", LAYOUTS)
def test_journey_4_every_page_fits_the_screen(browsing, archive, layout, request):
    page = browsing.new_page(**LAYOUTS[layout])
    failures = {}
    for name, address in PUBLIC_PAGES.items():
        page.goto(address(archive))
        page.evaluate(MARK_TABBABLES)
        problems = page.evaluate(FIND_LAYOUT_PROBLEMS)
        if layout in CHECK_TARGET_SIZE:
            targets = run_axe(page, runOnly=["target-size"])
            if targets.violations_count:
                problems.append(targets.generate_report())
        if problems:
            failures[name] = problems
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"layout-{layout}-{name}.png", full_page=True)
    assert not failures, f"at {layout} (screenshots in test-artifacts/): {failures}"


def test_layout_check_sees_sideways_scrolling_and_overlapping_text(page, archive):
    """The check above is live: it reports a too-wide block and text drawn over text."""
    page.goto("/privacy/")
    page.evaluate(
        """() => {
            const wide = document.createElement('p');
            wide.textContent = 'A block wider than any phone';
            wide.style.width = '2000px';
            const over = document.createElement('p');
            over.textContent = 'Text drawn over the heading';
            Object.assign(over.style, {position: 'absolute', top: '0', left: '0', margin: '0'});
            document.querySelector('h1').append(over);
            document.querySelector('main').append(wide);
        }"""
    )
    page.evaluate(MARK_TABBABLES)
    problems = page.evaluate(FIND_LAYOUT_PROBLEMS)
    assert any("scrolls sideways" in problem for problem in problems), problems
    assert any("Text drawn over the heading" in problem for problem in problems), problems
