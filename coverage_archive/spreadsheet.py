"""Cells that a spreadsheet would run as formulas (CSV injection), in one place.

A cell starting with =, +, -, @, a tab or a carriage return is a formula to
Excel and LibreOffice. Such text is harmless in the archive, so imports store
it as written; it only becomes dangerous when a spreadsheet opens a file we
export. Exports therefore write it behind an apostrophe (protect_cell), which
spreadsheets show as plain text, and imports remove that apostrophe again
(unprotect_cell), so an export imports back unchanged. A cell that already
starts with an apostrophe before such a character, or before another
apostrophe ("'-ism"), is protected too, so that its own apostrophe survives.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PROTECTING_PREFIX = "'"


def _looks_protected(text: str) -> bool:
    return text.startswith(PROTECTING_PREFIX) and text[1:].startswith((*FORMULA_TRIGGERS, PROTECTING_PREFIX))


def protect_cell(text: str) -> str:
    """The cell as an export writes it: formula-like text behind an apostrophe."""
    return PROTECTING_PREFIX + text if text.startswith(FORMULA_TRIGGERS) or _looks_protected(text) else text


def unprotect_cell(text: str) -> str:
    """The cell as the archive stores it: the export's protecting apostrophe removed."""
    return text[1:] if _looks_protected(text) else text
