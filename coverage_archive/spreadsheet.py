"""Cells that a spreadsheet would run as formulas (CSV injection), in one place.

A cell starting with =, +, -, @, a tab or a carriage return is a formula to
Excel and LibreOffice. Such text is harmless in the archive, so imports store
it as written; it only becomes dangerous when a spreadsheet opens a file we
export. Exports therefore write it behind an apostrophe (protect_cell), which
spreadsheets show as plain text, and imports remove that apostrophe again
(unprotect_cell), so an export imports back unchanged.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PROTECTING_PREFIX = "'"


def protect_cell(text: str) -> str:
    """The cell as an export writes it: formula-like text behind an apostrophe."""
    return PROTECTING_PREFIX + text if text.startswith(FORMULA_TRIGGERS) else text


def unprotect_cell(text: str) -> str:
    """The cell as the archive stores it: the export's protecting apostrophe removed."""
    if text.startswith(PROTECTING_PREFIX) and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
