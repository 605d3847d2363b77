"""An editor imports a spreadsheet whose only problem is an outlet the archive does not know yet:
the preview counts rows and problems apart and creates the term and imports in one click, with no
second upload (coverage_archive/admin.py, the import preview)."""

import pytest
from playwright.sync_api import expect

from coverage_archive.models import Article, Source
from tests.browser.helpers import sign_in_as_editor
from tests.csv_files import csv_bytes, synthetic_row

pytestmark = pytest.mark.browser


def test_an_editor_creates_an_unknown_source_and_imports_in_one_click(browsing, archive, tmp_path):
    rows = [
        synthetic_row(n, source="Synthetic Source New", type="Synthetic Type A", subjects="Synthetic Subject A")
        | {"organizations": "", "original_url": f"https://news.example.org/synthetic/import-{n}?utm_source=x"}
        for n in (1, 2)
    ]
    clippings = tmp_path / "clippings.csv"
    clippings.write_bytes(csv_bytes(rows))
    _editor, page = sign_in_as_editor(browsing)
    page.goto("/admin/coverage_archive/article/import/")
    page.get_by_label("CSV file:").set_input_files(clippings)
    page.get_by_role("button", name="Check the file").click()

    expect(page.locator(".import-summary")).to_have_text(
        "2 rows: 0 to create, 0 to update, 0 unchanged, 2 rows with errors (2 problems)."
    )
    page.get_by_role("button", name="Create this term and import").click()

    expect(page.locator(".messagelist")).to_contain_text("2 created, 0 updated, 0 unchanged, 1 new terms")
    assert Source.objects.filter(name="Synthetic Source New").count() == 1
    assert sorted(
        Article.objects.filter(source__name="Synthetic Source New").values_list("original_url", flat=True)
    ) == [
        "https://news.example.org/synthetic/import-1",
        "https://news.example.org/synthetic/import-2",
    ]
