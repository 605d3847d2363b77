"""Formula-like cells: every text an export writes imports back as it was."""

import pytest

from coverage_archive.spreadsheet import protect_cell, unprotect_cell


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Plain title", "Plain title"),
        ("=SUM(A1)", "'=SUM(A1)"),
        ("-ism", "'-ism"),
        ("'-ism", "''-ism"),  # its own apostrophe kept through export and import
        ("''x", "'''x"),
        ("'quoted", "'quoted"),
        ("'", "'"),
        ("@handle", "'@handle"),
        ("", ""),
    ],
)
def test_a_cell_is_protected_when_a_spreadsheet_or_the_import_would_change_it(text, written):
    assert protect_cell(text) == written
    assert unprotect_cell(written) == text
