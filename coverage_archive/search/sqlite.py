"""SQLite's search: an FTS5 index of Snowball stems in English and Spanish.

Python's sqlite3 cannot give FTS5 a tokenizer of its own, so the stems are
made here, in Python, and FTS5 indexes them as plain words: every field of an
article (title, summary, text, source and organization names) has two
columns in coverage_archive_articlesearchindex (coverage_archive/sql/
search_sqlite.sql), its words' English stems and their Spanish stems, in
order. The triggers that keep it current call stems() through kyr_stems_en()
and kyr_stems_es(), which register_sqlite_functions() gives every connection.

A reader's word is stemmed the same two ways and matched in either set of
columns; a phrase matches its stems adjacent and in order, all in one
language (as PostgreSQL parses a phrase in one configuration at a time). An
exclusion is FTS5's NOT; an alternative made only of exclusions ("-ice") is
every article outside the matches. Results are ranked by bm25() with the
weights of PostgreSQL's ranking: title 1, summary and names 0.4, text 0 (a
match in the text alone ranks 0 and sorts by date, as there). Snippets are
cut from the readable text: its words are stemmed here and the matching ones
marked.
"""

import re
import threading
import time
import unicodedata
from contextlib import nullcontext
from functools import lru_cache

import snowballstemmer
from django.db.models import F, FloatField, Func, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString

from coverage_archive.search import (
    INDEXED_BODY_CHARACTERS,
    INDEXED_SUMMARY_CHARACTERS,
    MARK_END,
    MARK_START,
    SNIPPET_DELIMITER,
    SNIPPET_FRAGMENTS,
    SNIPPET_MARKS,
    SNIPPET_MAX_WORDS,
    Clause,
    Snippets,
    fold,
    highlight,
    parse_web_query,
)
from coverage_archive.sql import SQLITE_INDEX_TABLE

FIELDS = ("title", "summary", "body", "names")
LANGUAGES = ("en", "es")
# bm25() weights by field, as PostgreSQL's ts_rank weighs them (A 1.0, B 0.4;
# the text is left out of PostgreSQL's ranking vector).
WEIGHTS = {"title": 1.0, "summary": 0.4, "body": 0.0, "names": 0.4}
# A word, as FTS5's unicode61 tokenizer reads one: letters and digits (not "_").
_WORD = re.compile(r"[^\W_]+")

# Snowball's pure-Python stemmers keep their state in the object: one per thread.
_stemmers = threading.local()


def _stemmer(language: str):
    if not hasattr(_stemmers, language):
        setattr(_stemmers, language, snowballstemmer.stemmer({"en": "english", "es": "spanish"}[language]))
    return getattr(_stemmers, language)


@lru_cache(maxsize=200_000)
def word_stems(word: str) -> tuple[str, str]:
    """A word's English stem, unaccented first, and its Spanish stem, unaccented after:
    “Deportaciones” → ("deportacion", "deport"), “deportacion” → ("deportacion", "deport")."""
    lower = word.casefold()
    return _stemmer("en").stemWord(fold(lower)), fold(_stemmer("es").stemWord(lower))


def words(text: str):
    """The text's words as matches (start, end, word), the text in composed form (NFC)."""
    return _WORD.finditer(text)


def _stem_pairs(text: str) -> list[tuple[str, str]]:
    """Each word's (English, Spanish) stems, in the text's order."""
    return [word_stems(match[0]) for match in words(unicodedata.normalize("NFC", text))]


@lru_cache(maxsize=8)
def stems(text: str | None) -> tuple[str, str]:
    """A text's English and Spanish stems, each a string of words in the text's order.

    Kept for the last few texts: a trigger asks for a text's English stems,
    then for its Spanish ones.
    """
    if not text:
        return "", ""
    pairs = _stem_pairs(text)
    return " ".join(pair[0] for pair in pairs), " ".join(pair[1] for pair in pairs)


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor != "sqlite":
        return
    create = connection.connection.create_function
    # The FTS5 index's triggers (search_sqlite.sql).
    create("kyr_stems_en", 1, lambda text: stems(text)[0], deterministic=True)
    create("kyr_stems_es", 1, lambda text: stems(text)[1], deterministic=True)
    # The search text of migrations 0002-0016 (their triggers, and migrating back past 0017).
    create("kyr_fold", 1, words_of, deterministic=True)


def words_of(text: str | None) -> str:
    """The folded text of SQLite's earlier search (migrations 0002-0016): casefolded,
    unaccented, its words parted by single spaces, with one before and after:
    “Deportación, ICE.” → “ deportacion ice ”."""
    return " " + " ".join(re.findall(r"\w+", fold(text))) + " "


# --- Matching -------------------------------------------------------------------------


def term_stems(term: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """A word's or phrase's stems, English and Spanish; None if it has no word FTS5 reads."""
    pairs = _stem_pairs(term)
    if not pairs:
        return None
    return tuple(pair[0] for pair in pairs), tuple(pair[1] for pair in pairs)


def _columns(language: str) -> str:
    return "{" + " ".join(f"{name}_{language}" for name in FIELDS) + "}"


def _term_expression(term: str) -> str | None:
    """The FTS5 query for a word or phrase: its stems, adjacent, in either language's columns.

    Stems are letters and digits only, so they need no escaping inside the quotes.
    """
    forms = term_stems(term)
    if forms is None:
        return None
    english, spanish = (" ".join(form) for form in forms)
    return f'({_columns("en")} : "{english}" OR {_columns("es")} : "{spanish}")'


def _any_of(terms: list[str]) -> str | None:
    expressions = [expression for term in terms if (expression := _term_expression(term))]
    return " OR ".join(expressions) if expressions else None


def _clause_expression(clause: Clause) -> str | None:
    """An alternative with required terms: all of them, NOT any excluded one."""
    required = [expression for term in clause.required if (expression := _term_expression(term))]
    if not required:
        return None
    expression = " AND ".join(required)
    if excluded := _any_of(clause.excluded):
        expression = f"({expression}) NOT ({excluded})"
    return expression


def _matching_ids(expression: str) -> RawSQL:
    return RawSQL(f"SELECT rowid FROM {SQLITE_INDEX_TABLE} WHERE {SQLITE_INDEX_TABLE} MATCH %s", [expression])


def _query(text: str) -> list[Clause]:
    # Not folded: the Spanish stemmer reads the accents.
    return parse_web_query(text, normalize=str.strip)


def search(queryset: QuerySet, text: str) -> QuerySet:
    """Articles matching the query, annotated with bm25()'s `rank` (higher: better)."""
    clauses = _query(text)
    expressions = [expression for clause in clauses if (expression := _clause_expression(clause))]
    # Alternatives of exclusions alone ("-ice"): every article outside their matches.
    outside = [excluded for clause in clauses if not clause.required and (excluded := _any_of(clause.excluded))]
    if not expressions and not outside:  # nothing to look for, or only what FTS5 cannot read
        return (queryset.filter(pk__in=[]) if clauses else queryset).annotate(rank=Value(0.0))
    match = " OR ".join(f"({expression})" for expression in expressions)
    if not outside:
        # One MATCH through the index's join, which bm25() ranks.
        weights = [Value(WEIGHTS[name]) for name in FIELDS for _language in LANGUAGES]
        bm25 = Func(F("search_index__document"), *weights, function="bm25", output_field=FloatField())
        # bm25() is lower for a better match.
        return queryset.filter(search_index__document__match=match).annotate(rank=-bm25)
    condition = Q(pk__in=_matching_ids(match)) if match else Q(pk__in=[])
    for excluded in outside:
        condition |= ~Q(pk__in=_matching_ids(excluded))
    return queryset.filter(condition).annotate(rank=Value(0.0))


def ranks_ids_first() -> bool:
    """Yes: ordering a search's rows reads each match's whole row, its text and
    the columns stored past it, before keeping 20 (a common word's 30,000 at
    100,000 articles: 274 ms); its ids and bm25() alone come from
    article_matches_facets_idx and the index (128 ms), and the page's 20 rows
    are then read by id."""
    return True


def index_scans(searching: bool):
    """Nothing to tell SQLite's planner: FTS5's MATCH is always answered from the index."""
    return nullcontext()


def matching_is_costly(text: str) -> bool:
    """No: FTS5 answers words and phrases alike from its index (positions included)."""
    return False


# --- Snippets -------------------------------------------------------------------------


def snippets_within(articles, text: str, milliseconds: int) -> Snippets:
    """The page's snippets if they are cut within `milliseconds`, else none.

    Cut here in Python, from texts of at most INDEXED_BODY_CHARACTERS: the
    time is checked after each article, and a page over it shows its results
    without snippets, and says so, as on PostgreSQL.
    """
    deadline = time.monotonic() + milliseconds / 1000
    found = snippets(articles, text, deadline=deadline)
    return Snippets(left_out=True) if found is None else Snippets(found)


def snippets(articles, text: str, deadline: float | None = None) -> dict[int, SafeString] | None:
    """A highlighted snippet for each article whose summary or text matches the query.

    One query for the page's texts. None if `deadline` (time.monotonic()) passed.
    """
    clauses = _query(text)
    if not articles or not clauses:
        return {}
    from coverage_archive.models import Article

    rows = Article.objects.filter(pk__in=[article.pk for article in articles]).values_list("pk", "summary", "body")
    found = {}
    for pk, summary, body in rows:
        document = summary[:INDEXED_SUMMARY_CHARACTERS] + "\n" + body[:INDEXED_BODY_CHARACTERS]
        if snippet := cut_snippet(document, clauses):
            found[pk] = snippet
        if deadline is not None and time.monotonic() > deadline:
            return None
    return found


_NO_MARKS = str.maketrans("", "", SNIPPET_MARKS)


def cut_snippet(document: str, clauses: list[Clause]) -> SafeString | None:
    """The document's best fragments with the query's words marked, escaped; None
    when the document does not match the query by itself (a match in the title or
    the names shows there, and marking stray words of a phrase would mislead)."""
    document = unicodedata.normalize("NFC", document.translate(_NO_MARKS))
    spans = [(match.start(), match.end()) for match in words(document)]
    document_stems = [word_stems(document[start:end]) for start, end in spans]
    # Where each stem stands, by language: a term's occurrences start there.
    places: list[dict[str, list[int]]] = [{}, {}]
    for index, pair in enumerate(document_stems):
        for language, stem in enumerate(pair):
            places[language].setdefault(stem, []).append(index)

    def positions(term: str) -> set[int]:
        """Where the term's words stand in the document (every word of each occurrence)."""
        forms = term_stems(term)
        if forms is None:
            return set()
        length, found = len(forms[0]), set()
        for language, form in enumerate(forms):
            for index in places[language].get(form[0], ()):
                if index + length <= len(document_stems) and all(
                    document_stems[index + k][language] == form[k] for k in range(1, length)
                ):
                    found.update(range(index, index + length))
        return found

    marked: set[int] = set()
    for clause in clauses:
        required = [positions(term) for term in clause.required]
        if not required or not all(required):
            continue
        if any(positions(term) for term in clause.excluded):
            continue
        for found in required:
            marked |= found
    if not marked:
        return None
    fragments = []
    for first, last in _fragments(sorted(marked), len(spans)):
        pieces, at = [], spans[first][0]
        for index in range(first, last + 1):
            start, end = spans[index]
            if index in marked:
                pieces += [document[at:start], MARK_START, document[start:end], MARK_END]
                at = end
        pieces.append(document[at : spans[last][1]])
        fragments.append("".join(pieces))
    return highlight(SNIPPET_DELIMITER.join(fragments))


def _fragments(marked: list[int], word_count: int) -> list[tuple[int, int]]:
    """Up to SNIPPET_FRAGMENTS ranges of at most SNIPPET_MAX_WORDS words (first and
    last word's index), those holding the most marked words, in the text's order."""
    groups = []
    for index, first in enumerate(marked):
        inside = [word for word in marked[index:] if word - first < SNIPPET_MAX_WORDS]
        groups.append((len(inside), first, inside[-1]))
    chosen: list[tuple[int, int]] = []
    for _count, first, last in sorted(groups, key=lambda group: (-group[0], group[1])):
        if len(chosen) == SNIPPET_FRAGMENTS:
            break
        # Widened around its marked words to SNIPPET_MAX_WORDS, within the text.
        spare = SNIPPET_MAX_WORDS - (last - first + 1)
        start = max(0, first - spare // 2)
        end = min(word_count - 1, start + SNIPPET_MAX_WORDS - 1)
        start = max(0, end - SNIPPET_MAX_WORDS + 1)
        if all(end < other_start or start > other_end for other_start, other_end in chosen):
            chosen.append((start, end))
    return sorted(chosen)
