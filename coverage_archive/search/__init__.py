"""Search: one interface, a backend per database, the same behaviour on both.

Readers type what they would type into a web search engine: words (all must
match), "a quoted phrase" (its words adjacent, in order), -word to exclude, OR
between alternatives. A query has no declared language, so every word is
matched through its stems in English and in Spanish, with case and accents
ignored: "organizers" finds "organizing", "deportacion" finds "deportaciones",
and "ice" does not find "police". Results are ranked by where they match (the
title over the summary and the source and organization names; pieces that
mention the words only in their text follow, newest first), and each gets a
highlighted snippet of its readable text.

- PostgreSQL (postgresql.py): full-text search over stored tsvectors, a GIN
  index, ts_rank and ts_headline.
- SQLite (sqlite.py): an FTS5 index of Snowball stems, bm25() and snippets
  computed from the readable text.

Nothing outside this package asks which database it is on to search: views,
filters, facets, the chart and the exports call the functions below.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from importlib import import_module

from django.db import connection
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# A search's cost grows with its phrases (words that must stand together, quoted
# or joined by punctuation) and its alternatives (OR), steeply so for PostgreSQL's
# snippets: a query is cut before the first phrase or alternative over these.
MAX_PHRASES = 8
MAX_ALTERNATIVES = 8

# A snippet's marks while it is built: private-use characters that no article
# contains (the backends drop them from the text), so the snippet can be escaped
# first and marked up after. The last two stand in for < and > where PostgreSQL's
# ts_headline would otherwise take them for a tag.
MARK_START, MARK_END = "\ue000", "\ue001"
LESS_THAN, GREATER_THAN = "\ue002", "\ue003"
SNIPPET_MARKS = MARK_START + MARK_END + LESS_THAN + GREATER_THAN
# A snippet: at most two fragments of the text, each 12 to 28 words.
SNIPPET_FRAGMENTS = 2
SNIPPET_MAX_WORDS = 28
SNIPPET_MIN_WORDS = 12
SNIPPET_DELIMITER = " … "
# The part of a long text that is indexed (and shown in snippets): a long report's
# worth. The article keeps its whole text.
INDEXED_BODY_CHARACTERS = 200_000
INDEXED_SUMMARY_CHARACTERS = 20_000


def fold(text: str | None) -> str:
    """Casefold and strip accents: “Deportación” → “deportacion”."""
    if not text:
        return ""
    if text.isascii():  # nothing to unaccent: the same, without a loop over every character
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def has_words(text: str) -> bool:
    """Whether a text has a letter or a number (not only spaces and punctuation)."""
    return any(char.isalnum() for char in text)


def has_terms(text: str) -> bool:
    """Whether a query has anything to look for: a word, not only punctuation or OR."""
    return bool(parse_web_query(text))


@dataclass
class Clause:
    """One alternative of a query: terms (words or phrases) required, and excluded."""

    required: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')
SEVERAL_WORDS = re.compile(r"\w\W+\w")


def parse_web_query(text: str, normalize=None) -> list[Clause]:
    """Web-search syntax as alternatives (OR) of required and excluded terms.

    Terms are folded (casefolded, unaccented) unless another `normalize` is given.
    """
    normalize = normalize or (lambda term: fold(term).strip())
    clauses = [Clause()]
    for match in _TOKEN.finditer(text):
        negated = bool(match[1] or match[3])
        term = match[2] if match[2] is not None else match[4]
        if match[4] == "OR":
            clauses.append(Clause())
            continue
        term = normalize(term)
        if not has_words(term):
            continue
        (clauses[-1].excluded if negated else clauses[-1].required).append(term)
    return [clause for clause in clauses if clause.required or clause.excluded]


def within_limits(text: str) -> tuple[str, bool]:
    """The query as typed, cut before its phrase MAX_PHRASES + 1 or its alternative
    MAX_ALTERNATIVES + 1, and whether it was cut."""
    phrases, alternatives, new_alternative, last_or = 0, 0, True, 0
    for match in _TOKEN.finditer(text):
        if match[4] == "OR":
            new_alternative, last_or = True, match.start()
            continue
        term = match[2] if match[2] is not None else match[4]
        if not has_words(term):
            continue  # left out by parse_web_query too
        if new_alternative:
            alternatives += 1
            if alternatives > MAX_ALTERNATIVES:
                return text[:last_or].rstrip(), True
            new_alternative = False
        if SEVERAL_WORDS.search(term.strip()):
            phrases += 1
            if phrases > MAX_PHRASES:
                return text[: match.start()].rstrip(), True
    return text, False


@dataclass
class Snippets:
    """A page's snippets by article id; `left_out` when finding them took too long."""

    found: dict[int, SafeString] = field(default_factory=dict)
    left_out: bool = False


def highlight(marked: str) -> SafeString:
    """Escape a snippet built with the marks above, then turn them into <mark> elements."""
    escaped = escape(marked.replace("\n", " "))
    for marker, markup in (
        (MARK_START, "<mark>"),
        (MARK_END, "</mark>"),
        (LESS_THAN, "&lt;"),
        (GREATER_THAN, "&gt;"),
    ):
        escaped = escaped.replace(marker, markup)
    return mark_safe(escaped)  # escaped above; only our own markup added


# --- The backend's functions ----------------------------------------------------------


def backend():
    """The search module of the database in use: postgresql.py or sqlite.py."""
    return import_module(f"{__name__}.{'postgresql' if connection.vendor == 'postgresql' else 'sqlite'}")


def search(queryset: QuerySet, text: str) -> QuerySet:
    """Articles matching the query, annotated with a `rank` for sort=relevance (higher: better)."""
    return backend().search(queryset, text)


def snippets(articles, text: str) -> dict[int, SafeString]:
    """A highlighted snippet, by article id, for each article whose summary or text matches."""
    return backend().snippets(articles, text)


def snippets_within(articles, text: str, milliseconds: int) -> Snippets:
    """The page's snippets if they are found within `milliseconds`, else none (left_out)."""
    return backend().snippets_within(articles, text, milliseconds)


def index_scans(searching: bool):
    """A context for a search's queries that helps the database's planner use its index."""
    return backend().index_scans(searching)


def matching_is_costly(text: str) -> bool:
    """Whether matching this query again costs more than reading its results by id."""
    return backend().matching_is_costly(text)


def ranks_ids_first() -> bool:
    """Whether a search's page is best ordered by its ids alone, then read by id
    (see views.articles_of_page)."""
    return backend().ranks_ids_first()
